/**
 * OAuth 2.0 as the contract describes it (RFC 6749): an authorize endpoint that approves at once, and a
 * token endpoint for the authorization-code and refresh-token grants. Refresh tokens rotate on use.
 */
import { randomBytes } from "node:crypto";
import { Reply, Req, json } from "./reply";

export const SCOPE = "users:read users:write companies:read";
const CODE_LIFETIME_MS = 10 * 60_000;
export const randomToken = (prefix: string) => `${prefix}${randomBytes(18).toString("base64url")}`;
const normalizedUrl = (s: string) => {
  try {
    return new URL(s).toString();
  } catch {
    return undefined;
  }
};
const oauthError = (status: number, error: string, error_description?: string): Reply =>
  json(status, { error, ...(error_description ? { error_description } : {}) }, { "cache-control": "no-store" });

/** `lifetimeSeconds` is the `tokenLifetimeSeconds` option, read at each use because it can change at run time. */
export interface OAuthConfig {
  clientId: string;
  clientSecret: string;
  initialAccessToken: string;
  initialRefreshToken: string;
  lifetimeSeconds: () => number | undefined;
}

export class OAuth {
  private startedAt = 0;
  private minted = new Map<string, number>(); // access token -> expiry, epoch ms
  private refreshTokens = new Set<string>();
  private codes = new Map<string, { redirectUri: string; expiresAt: number }>();
  /** The newest token of the rotation chain that began with the configured refresh token. */
  private chainHead = "";

  constructor(private readonly cfg: OAuthConfig) {
    this.reset();
  }

  /** Forgets minted tokens and codes, makes the configured refresh token valid again, restarts the initial token's clock. */
  reset(): void {
    this.startedAt = Date.now();
    this.minted.clear();
    this.codes.clear();
    this.refreshTokens.clear();
    this.refreshTokens.add((this.chainHead = this.cfg.initialRefreshToken));
  }

  get currentRefreshToken(): string {
    return this.chainHead;
  }

  checkAccessToken(token: string): "valid" | "expired" | "unknown" {
    const lifetime = this.cfg.lifetimeSeconds();
    // The configured token never expires unless a lifetime is set; then it counts from the start.
    const expiresAt =
      token === this.cfg.initialAccessToken
        ? lifetime === undefined
          ? Infinity
          : this.startedAt + lifetime * 1000
        : this.minted.get(token);
    return expiresAt === undefined ? "unknown" : Date.now() < expiresAt ? "valid" : "expired";
  }

  /** GET /oauth2/authorize: approves at once and redirects back with a one-time code (and the caller's state). */
  authorize(query: URLSearchParams): Reply {
    if (query.get("response_type") !== "code") return oauthError(400, "unsupported_response_type");
    if (query.get("client_id") !== this.cfg.clientId)
      return oauthError(400, "unauthorized_client", "unknown client_id");
    const redirectUri = normalizedUrl(query.get("redirect_uri") ?? "");
    if (!redirectUri) return oauthError(400, "invalid_request", "redirect_uri must be an absolute URL");
    const code = randomToken("tp_code_");
    this.codes.set(code, { redirectUri, expiresAt: Date.now() + CODE_LIFETIME_MS });
    const location = new URL(redirectUri);
    location.searchParams.set("code", code);
    const state = query.get("state");
    if (state !== null) location.searchParams.set("state", state);
    return json(302, undefined, { location: location.toString() });
  }

  /** POST /oauth2/token; `req.body` is the raw form text. */
  token(req: Req): Reply {
    if (!String(req.headers["content-type"]).startsWith("application/x-www-form-urlencoded")) {
      return oauthError(400, "invalid_request", "body must be application/x-www-form-urlencoded");
    }
    const form = new URLSearchParams(typeof req.body === "string" ? req.body : "");
    if (!this.clientAuthenticated(String(req.headers.authorization ?? ""), form))
      return oauthError(401, "invalid_client");
    const grant = form.get("grant_type");
    if (grant === "refresh_token") return this.refresh(form.get("refresh_token"));
    if (grant === "authorization_code") return this.exchangeCode(form.get("code"), form.get("redirect_uri"));
    return oauthError(400, grant ? "unsupported_grant_type" : "invalid_request");
  }

  /** Client credentials from HTTP Basic (RFC 6749 §2.3.1: form-encoded id and secret) or else from the form. */
  private clientAuthenticated(authorization: string, form: URLSearchParams): boolean {
    let [id, secret] = [form.get("client_id"), form.get("client_secret")];
    const basic = /^Basic\s+(\S+)$/i.exec(authorization);
    if (basic) {
      const decoded = Buffer.from(basic[1], "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon < 0) return false;
      try {
        [id, secret] = [decoded.slice(0, colon), decoded.slice(colon + 1)].map(decodeURIComponent);
      } catch {
        return false;
      }
    }
    return id === this.cfg.clientId && secret === this.cfg.clientSecret;
  }

  private refresh(refreshToken: string | null): Reply {
    // delete() both checks and revokes: a refresh token works once.
    if (!refreshToken || !this.refreshTokens.delete(refreshToken)) return oauthError(400, "invalid_grant");
    return this.issue(refreshToken);
  }

  private exchangeCode(code: string | null, redirectUri: string | null): Reply {
    const grant = this.codes.get(code ?? "");
    this.codes.delete(code ?? ""); // one use only, even when the exchange fails below
    if (!grant || grant.expiresAt < Date.now()) return oauthError(400, "invalid_grant");
    if (normalizedUrl(redirectUri ?? "") !== grant.redirectUri)
      return oauthError(400, "invalid_grant", "redirect_uri does not match");
    return this.issue();
  }

  /** Mints an access token and a new refresh token (rotation: the used one is already revoked). */
  private issue(usedRefreshToken?: string): Reply {
    const lifetime = this.cfg.lifetimeSeconds() ?? 3600;
    const [access_token, refresh_token] = [randomToken("tp_at_"), randomToken("tp_rt_")];
    this.minted.set(access_token, Date.now() + lifetime * 1000);
    this.refreshTokens.add(refresh_token);
    if (usedRefreshToken === this.chainHead) this.chainHead = refresh_token;
    return json(
      200,
      { access_token, token_type: "Bearer", expires_in: lifetime, refresh_token, scope: SCOPE },
      { "cache-control": "no-store" },
    );
  }
}
