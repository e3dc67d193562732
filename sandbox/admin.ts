/**
 * The sandbox's admin API under /_sandbox/: the request log, the knobs, reset, token revocation, OAuth
 * counts, the whole state and direct user edits, for tests and scripts in other processes. No auth, not
 * logged, never rate-limited or faulted. It calls the server's own public methods, so it can do nothing
 * an in-process test could not.
 */
import { parseJson } from "./http";
import type { LoggedRequest } from "./http";
import type { OAuthStats } from "./oauth";
import type { SandboxOptions } from "./options";
import { Reply, Req, Route, dispatch, fail, json, objectBody, route } from "./reply";
import type { SandboxUser, Snapshot } from "./records";

/** What the admin API drives: the server's public methods. */
export interface AdminSubject {
  readonly requests: LoggedRequest[];
  clearLog(): void;
  setOptions(patch: Partial<SandboxOptions>): void;
  reset(): void;
  revokeTokens(token?: string): number;
  oauthStats(): OAuthStats;
  state(): Snapshot;
  getUser(id: string): SandboxUser | undefined;
  insertUser(u: Partial<SandboxUser> & { email: string }): SandboxUser;
  updateUser(id: string, patch: Partial<SandboxUser>): SandboxUser;
  deleteUser(id: string): void;
}

/** The routes of the admin API, paths relative to /_sandbox; `knobs` answers the knobs as JSON shows them. */
export function adminRoutes(server: AdminSubject, knobs: () => Record<string, unknown>): Route[] {
  const ifUser = (id: string, then: () => Reply) => (server.getUser(id) ? then() : fail(404, `user ${id} not found`));
  const body = (req: Req) => objectBody(req) ?? {};
  // JSON has no undefined: null unsets a knob, e.g. {"rateLimit": null} means unlimited.
  const patchOf = (req: Req) => Object.fromEntries(Object.entries(body(req)).map(([k, v]) => [k, v ?? undefined]));
  return [
    route("GET", "/requests", () => json(200, { requests: server.requests })),
    route("DELETE", "/requests", () => (server.clearLog(), json(204))),
    route("PATCH", "/options", (req) => (server.setOptions(patchOf(req)), json(200, { options: knobs() }))),
    route("POST", "/reset", () => (server.reset(), json(204))),
    route("POST", "/revoke", (req) => {
      const { token } = body(req);
      if (token !== undefined && token !== null && typeof token !== "string")
        return fail(400, "token must be a string");
      return json(200, { revoked: server.revokeTokens(token ?? undefined) });
    }),
    route("GET", "/oauth", () => json(200, server.oauthStats())),
    route("GET", "/state", () => json(200, server.state())),
    route("POST", "/users", (req) => json(201, server.insertUser(body(req) as SandboxUser))),
    route("PATCH", "/users/:id", (req, { id }) => ifUser(id, () => json(200, server.updateUser(id, body(req))))),
    route("DELETE", "/users/:id", (_, { id }) => ifUser(id, () => (server.deleteUser(id), json(204)))),
  ];
}

/** Answers an admin request (`req.path` starts with /_sandbox); a thrown error is the 400 it deserves. */
export function answerAdmin(routes: Route[], req: Req): Reply {
  const parsed = parseJson(req);
  try {
    return parsed
      ? dispatch(routes, parsed, req.path.slice("/_sandbox".length))
      : fail(400, "the body is not valid JSON");
  } catch (e) {
    return fail(400, e instanceof Error ? e.message : String(e)); // a bad option value, a duplicate e-mail...
  }
}
