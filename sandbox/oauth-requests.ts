/**
 * Reading OAuth requests as RFC 6749 and RFC 7636 want them read: tokens and PKCE digests, redirect URIs,
 * scopes, form bodies (no repeated parameter), client authentication by HTTP Basic or the form, the
 * grant type a log entry names, and the OAuth error answer. No state: oauth.ts holds the tokens.
 */
import { createHash, randomBytes } from "node:crypto";
import { Reply, Req, json } from "./reply";

/** RFC 7636 §4.1: code_verifier = 43*128unreserved. */
export const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
/** RFC 7636 §4.2: an S256 challenge is the BASE64URL (no padding) of a SHA-256 digest: 43 characters. */
export const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
/** The grant types a token request's log entry may name; any other is logged as "other". */
const NAMED_GRANTS = new Set(["authorization_code", "refresh_token", "client_credentials", "password"]);

export const randomToken = (prefix: string) => `${prefix}${randomBytes(18).toString("base64url")}`;
/** BASE64URL(SHA256(ASCII(verifier))), RFC 7636 §4.2. */
export const s256 = (verifier: string) => createHash("sha256").update(verifier, "ascii").digest("base64url");
/** An absolute URL without a fragment (RFC 6749 §3.1.2), normalised; undefined otherwise. */
export const redirectTarget = (s: string) => {
  try {
    const url = new URL(s);
    return url.hash || s.includes("#") ? undefined : url.toString();
  } catch {
    return undefined;
  }
};
export const scopesOf = (scope: string) => scope.split(" ").filter(Boolean);
export const oauthError = (status: number, error: string, error_description?: string): Reply =>
  json(status, { error, ...(error_description ? { error_description } : {}) }, { "cache-control": "no-store" });
/** RFC 6749 §3.1: no parameter may appear more than once; the first repeated name, if any. */
export const repeated = (params: URLSearchParams) => [...params.keys()].find((k, i, all) => all.indexOf(k) !== i);

/** The grant type of a token request's form body, for the request log: a known name, "other", or undefined when absent. */
export function grantOf(body: unknown): string | undefined {
  const grant = new URLSearchParams(typeof body === "string" ? body : "").get("grant_type");
  return grant === null ? undefined : NAMED_GRANTS.has(grant) ? grant : "other";
}

/** The form body, or the 400 when the body is not a form or repeats a parameter. */
export function readForm(req: Req): URLSearchParams | Reply {
  if (!String(req.headers["content-type"]).startsWith("application/x-www-form-urlencoded")) {
    return oauthError(400, "invalid_request", "body must be application/x-www-form-urlencoded");
  }
  const form = new URLSearchParams(typeof req.body === "string" ? req.body : "");
  const twice = repeated(form);
  return twice ? oauthError(400, "invalid_request", `${twice} appears more than once`) : form;
}

/**
 * Client credentials from HTTP Basic (RFC 6749 §2.3.1: form-encoded id and secret) or else from the
 * form, as the server accepts them (`clientAuthentication`); true when they are the client's.
 */
export function clientAuthenticated(
  authorization: string,
  form: URLSearchParams,
  client: { clientId: string; clientSecret: string; clientAuthentication: () => "basic" | "body" | "either" },
): boolean {
  let [id, secret] = [form.get("client_id"), form.get("client_secret")];
  const [, credentials] = /^Basic\s+(\S+)$/i.exec(authorization) ?? [];
  const accepted = client.clientAuthentication();
  // The way this server does not accept counts as no client authentication at all.
  if ((credentials && accepted === "body") || (!credentials && accepted === "basic")) return false;
  if (credentials) {
    const decoded = Buffer.from(credentials, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) return false;
    try {
      [id, secret] = [decodeURIComponent(decoded.slice(0, colon)), decodeURIComponent(decoded.slice(colon + 1))];
    } catch {
      return false;
    }
  }
  return id === client.clientId && secret === client.clientSecret;
}
