/**
 * The sandbox's HTTP plumbing, apart from what any API answers: reading a request body (with its size
 * limit), telling which API a path belongs to, parsing JSON bodies, writing an answer, and the shape of
 * one entry of the request log that tests assert on.
 */
import type * as http from "node:http";
import type { Reply, Req } from "./reply";

/** The methods that write: their bodies are JSON, and only they can lose their answer. */
export const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const MAX_BODY = 1 << 20;

/** What a request presented as its credential, valid or not. */
export type Credential = "bearer" | "apikey" | "scim" | "none";
/** A fault the sandbox injected into a request's answer. */
export type Fault = "rate_limited" | "server_error" | "lost_response";

export interface LoggedRequest {
  /** 1, 2, 3...: the order in which requests were logged, once their answer was ready (see `at` for arrival). */
  seq: number;
  /**
   * When the request arrived, in ms on the sandbox's clock (the `now` option, default Date.now): before
   * its body was read and before `latencyMs`.
   */
  at: number;
  method: string;
  path: string;
  query: string;
  status: number;
  ms: number;
  fault?: Fault;
  credential: Credential; // what the request presented, valid or not
  /**
   * On `POST /oauth2/token` (and the live `/accounts/oauth2/token/`): the grant_type the form asked
   * for, one of authorization_code, refresh_token, client_credentials, password, or "other"; absent
   * when the form names none. Never a token value.
   */
  grant?: string;
}

/** The whole body; undefined when it is larger than MAX_BODY (answered 413). */
export async function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) if ((size += chunk.length) <= MAX_BODY) chunks.push(chunk);
  return size > MAX_BODY ? undefined : Buffer.concat(chunks).toString("utf8");
}

/** The API a path belongs to, and the path inside that API. */
export function areaOf(path: string, live: boolean): { area?: "rest" | "scim" | "oauth"; sub: string } {
  const prefixes = live
    ? ([["/scim", "scim"]] as const)
    : ([
        ["/api/v2", "rest"],
        ["/api/scim/v2", "scim"],
      ] as const);
  for (const [prefix, area] of prefixes) {
    if (path === prefix || path.startsWith(`${prefix}/`)) return { area, sub: path.slice(prefix.length) };
  }
  // The live clients' token URL is /accounts/oauth2/token/; the guide's is /oauth2/token.
  if (live && /^\/accounts\/oauth2\/token\/?$/.test(path)) return { area: "oauth", sub: "/oauth2/token" };
  if (path.startsWith("/oauth2/")) return { area: "oauth", sub: path };
  return { area: live ? "rest" : undefined, sub: path };
}

/** The request with its JSON body parsed (writes only); undefined when that body is not JSON. */
export function parseJson(req: Req): Req | undefined {
  const raw = typeof req.body === "string" ? req.body : "";
  if (!WRITES.has(req.method) || raw.trim() === "") return { ...req, body: undefined };
  try {
    return { ...req, body: JSON.parse(raw) as unknown };
  } catch {
    return undefined;
  }
}

/** Writes the answer: its body as JSON (content type JSON unless the reply says otherwise). */
export function send(res: http.ServerResponse, reply: Reply): void {
  const body = reply.body === undefined ? undefined : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    ...(body !== undefined && { "content-type": "application/json" }),
    ...reply.headers,
  });
  res.end(body);
}
