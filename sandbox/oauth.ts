/**
 * OAuth 2.0 as the contract describes it (RFC 6749), strictly: an authorize endpoint that approves at
 * once (or denies, when told to) and insists on `state` and PKCE S256 (RFC 7636); a token endpoint
 * for the authorization-code and refresh-token grants; revocation (RFC 7009). Refresh tokens rotate on
 * use unless told to stay.
 */
import {
  S256_CHALLENGE,
  VERIFIER,
  clientAuthenticated,
  grantOf,
  oauthError,
  randomToken,
  readForm,
  redirectTarget,
  repeated,
  s256,
  scopesOf,
} from "./oauth-requests";
import { Reply, Req, json } from "./reply";

export { randomToken, s256 } from "./oauth-requests";

const SCOPE = "users:read users:write companies:read";
const CODE_LIFETIME_MS = 10 * 60_000;
/** What a refresh answer does with the refresh token it was given: see the `refreshTokenRotation` option. */
export type RefreshTokenRotation = "rotate" | "reuse";

/** Counts since start or the last reset, for tests: never a token value. */
export interface OAuthStats {
  /** Token requests answered 200, by grant type. */
  grants: { authorization_code: number; refresh_token: number };
  /** Token requests refused (any 4xx: bad client, bad grant, bad request). */
  refused: number;
  /** One-time codes handed out by the authorize endpoint. */
  codes: number;
  /** Authorize requests answered with an access_denied redirect (the `oauthDeny` option). */
  denied: number;
  /** Tokens revoked, through RFC 7009, the admin API or `revokeTokens`. */
  revoked: number;
}

/** The knobs are functions: they are read at each use because they can change at run time. */
export interface OAuthConfig {
  clientId: string;
  clientSecret: string;
  initialAccessToken: string;
  initialRefreshToken: string;
  /** The `tokenLifetimeSeconds` option. */
  lifetimeSeconds: () => number | undefined;
  /** The `oauthDeny` option. */
  deny: () => boolean;
  /** The `refreshTokenRotation` option. */
  rotation: () => RefreshTokenRotation;
  /** The `oauthClientAuthentication` option. */
  clientAuthentication: () => "basic" | "body" | "either";
}

interface Code {
  redirectUri: string;
  expiresAt: number;
  challenge: string;
  scope: string;
}

const emptyStats = (): OAuthStats => ({
  grants: { authorization_code: 0, refresh_token: 0 },
  refused: 0,
  codes: 0,
  denied: 0,
  revoked: 0,
});

export class OAuth {
  private startedAt = 0;
  private minted = new Map<string, number>(); // access token -> expiry, epoch ms
  private refreshTokens = new Map<string, string>(); // refresh token -> the scope it grants
  private codes = new Map<string, Code>();
  /** Access tokens revoked (minted ones, or the configured one), so that they answer "revoked" rather than "unknown". */
  private revokedAccess = new Set<string>();
  /** The newest token of the rotation chain that began with the configured refresh token. */
  private chainHead = "";
  private counts = emptyStats();

  constructor(private readonly cfg: OAuthConfig) {
    this.reset();
  }

  /**
   * Forgets minted tokens, codes, revocations and counts, makes the configured tokens valid again and
   * restarts the initial token's clock.
   */
  reset(): void {
    this.startedAt = Date.now();
    this.minted.clear();
    this.codes.clear();
    this.revokedAccess.clear();
    this.refreshTokens.clear();
    this.refreshTokens.set((this.chainHead = this.cfg.initialRefreshToken), SCOPE);
    this.counts = emptyStats();
  }

  get currentRefreshToken(): string {
    return this.chainHead;
  }

  stats(): OAuthStats {
    return { ...this.counts, grants: { ...this.counts.grants } };
  }

  /** The grant type of a token request's form body, for the request log: a known name, "other", or undefined when absent. */
  static grantOf(body: unknown): string | undefined {
    return grantOf(body);
  }

  checkAccessToken(token: string): "valid" | "expired" | "revoked" | "unknown" {
    if (this.revokedAccess.has(token)) return "revoked";
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

  /**
   * Revokes one token, refresh or access (the configured access token too), or with no token every
   * refresh token and every minted access token (the configured access token stays valid). Revoking a
   * refresh token leaves the access tokens it minted alone. Answers how many tokens it revoked.
   */
  revoke(token?: string): number {
    let n = 0;
    if (token === undefined) {
      n = this.refreshTokens.size + this.minted.size;
      for (const t of this.minted.keys()) this.revokedAccess.add(t);
      this.minted.clear();
      this.refreshTokens.clear();
    } else if (this.refreshTokens.delete(token)) n = 1;
    else if (this.minted.delete(token) || (token === this.cfg.initialAccessToken && !this.revokedAccess.has(token))) {
      this.revokedAccess.add(token);
      n = 1;
    }
    this.counts.revoked += n;
    return n;
  }

  /**
   * GET /oauth2/authorize. Checks the request (400 when the client or redirect_uri is wrong, and,
   * strictly, when `state` or PKCE S256 is missing), then approves at once: a redirect back with a
   * one-time code and the state; or, with the `oauthDeny` knob, a redirect with error=access_denied.
   */
  authorize(query: URLSearchParams): Reply {
    const twice = repeated(query);
    if (twice) return oauthError(400, "invalid_request", `${twice} appears more than once`);
    if (query.get("response_type") !== "code") return oauthError(400, "unsupported_response_type");
    if (query.get("client_id") !== this.cfg.clientId)
      return oauthError(400, "unauthorized_client", "unknown client_id");
    const redirectUri = redirectTarget(query.get("redirect_uri") ?? "");
    if (!redirectUri)
      return oauthError(400, "invalid_request", "redirect_uri must be an absolute URL without a fragment");
    const state = query.get("state") ?? "";
    if (!state) return oauthError(400, "invalid_request", "state is required");
    const challenge = query.get("code_challenge") ?? "";
    if (!challenge) return oauthError(400, "invalid_request", "code_challenge is required (PKCE)");
    if (query.get("code_challenge_method") !== "S256")
      return oauthError(400, "invalid_request", "code_challenge_method must be S256");
    if (!S256_CHALLENGE.test(challenge))
      return oauthError(400, "invalid_request", "code_challenge must be 43 BASE64URL characters (S256)");

    const location = new URL(redirectUri);
    if (this.cfg.deny()) {
      // RFC 6749 §4.1.2.1: the resource owner said no.
      this.counts.denied++;
      location.searchParams.set("error", "access_denied");
      location.searchParams.set("error_description", "the user denied the request");
    } else {
      const code = randomToken("tp_code_");
      const scope = scopesOf(query.get("scope") ?? "").join(" ") || SCOPE;
      this.codes.set(code, { redirectUri, expiresAt: Date.now() + CODE_LIFETIME_MS, challenge, scope });
      this.counts.codes++;
      location.searchParams.set("code", code);
    }
    location.searchParams.set("state", state);
    return json(302, undefined, { location: location.toString() });
  }

  /** POST /oauth2/token; `req.body` is the raw form text. */
  token(req: Req): Reply {
    const reply = this.answerToken(req);
    if (reply.status >= 400) this.counts.refused++;
    return reply;
  }

  /** POST /oauth2/revoke (RFC 7009): the client authenticates; 200 whether or not the token was known. */
  revokeRequest(req: Req): Reply {
    const form = readForm(req);
    if ("status" in form) return form;
    if (!clientAuthenticated(String(req.headers.authorization ?? ""), form, this.cfg))
      return oauthError(401, "invalid_client");
    const token = form.get("token");
    if (!token) return oauthError(400, "invalid_request", "token is required");
    this.revoke(token);
    return json(200, undefined, { "cache-control": "no-store" });
  }

  private answerToken(req: Req): Reply {
    const form = readForm(req);
    if ("status" in form) return form;
    if (!clientAuthenticated(String(req.headers.authorization ?? ""), form, this.cfg))
      return oauthError(401, "invalid_client");
    const grant = form.get("grant_type");
    if (grant === "refresh_token") return this.refresh(form.get("refresh_token"), form.get("scope"));
    if (grant === "authorization_code")
      return this.exchangeCode(form.get("code"), form.get("redirect_uri"), form.get("code_verifier"));
    return oauthError(400, grant ? "unsupported_grant_type" : "invalid_request");
  }

  /** RFC 6749 §6: a `scope` may narrow the grant, never widen it. */
  private refresh(refreshToken: string | null, requested: string | null): Reply {
    const granted = this.refreshTokens.get(refreshToken ?? "");
    if (!refreshToken || granted === undefined) return oauthError(400, "invalid_grant");
    let scope = granted;
    if (requested !== null) {
      const asked = scopesOf(requested);
      const allowed = new Set(scopesOf(granted));
      if (!asked.length || asked.some((s) => !allowed.has(s)))
        return oauthError(400, "invalid_scope", "scope must be within the scope granted");
      scope = asked.join(" ");
    }
    this.counts.grants.refresh_token++;
    if (this.cfg.rotation() === "reuse") return this.issue(scope, { refresh: false });
    this.refreshTokens.delete(refreshToken); // rotation: the used refresh token dies at once
    return this.issue(scope, { refresh: true, replaces: refreshToken });
  }

  private exchangeCode(code: string | null, redirectUri: string | null, verifier: string | null): Reply {
    const grant = this.codes.get(code ?? "");
    this.codes.delete(code ?? ""); // one use only, even when the exchange fails below
    if (!grant || grant.expiresAt < Date.now()) return oauthError(400, "invalid_grant");
    if (redirectTarget(redirectUri ?? "") !== grant.redirectUri)
      return oauthError(400, "invalid_grant", "redirect_uri does not match");
    if (!verifier) return oauthError(400, "invalid_grant", "code_verifier is required (PKCE)");
    if (!VERIFIER.test(verifier) || s256(verifier) !== grant.challenge)
      return oauthError(400, "invalid_grant", "code_verifier does not match the code_challenge");
    this.counts.grants.authorization_code++;
    return this.issue(grant.scope, { refresh: true });
  }

  /** Mints an access token and, when `refresh`, a new refresh token that `replaces` the one used (the chain's head moves on). */
  private issue(scope: string, { refresh, replaces }: { refresh: boolean; replaces?: string }): Reply {
    const lifetime = this.cfg.lifetimeSeconds() ?? 3600;
    const access_token = randomToken("tp_at_");
    this.minted.set(access_token, Date.now() + lifetime * 1000);
    let refresh_token: string | undefined;
    if (refresh) {
      refresh_token = randomToken("tp_rt_");
      this.refreshTokens.set(refresh_token, scope);
      if (replaces !== undefined && replaces === this.chainHead) this.chainHead = refresh_token;
    }
    return json(
      200,
      // The lifetime as configured: whole seconds unless a test asks for a fraction (RFC 6749 A.14 wants digits).
      {
        access_token,
        token_type: "Bearer",
        expires_in: lifetime,
        ...(refresh_token && { refresh_token }),
        scope,
      },
      { "cache-control": "no-store" },
    );
  }
}
