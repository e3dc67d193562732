/**
 * A local TravelPerk-compatible HTTP server, in memory, for the project's tests, demo and benchmarks.
 * Two API modes, fixed at construction: "contract" (the default) implements the project's API contract
 * strictly — REST under /api/v2, SCIM under /api/scim/v2 with its own token, strict OAuth (state and
 * PKCE S256, rotation, revocation) — and "live" serves the live surface as public clients record it:
 * read-only REST users, cost centres and invoice profiles at the host root, and SCIM at /scim with both
 * extensions, one credential for both. Knobs for the failures the contract warns about: rate limits,
 * 5xx, lost responses, latency, silently capped pages.
 * This file is the server itself: it listens, logs each request and hands it on — to the admin API
 * (admin.ts), to OAuth (oauth.ts), or through authentication (auth.ts) and the limiter and faults
 * (faults.ts) to the REST and SCIM routes; the options live in options.ts, persistence in persistence.ts.
 * It is the package's "./sandbox" entry point, so it re-exports the types its users name.
 */
import * as http from "node:http";
import { performance } from "node:perf_hooks";
import { adminRoutes, answerAdmin } from "./admin";
import { Authenticator } from "./auth";
import { Faults } from "./faults";
import { type Credential, type Fault, type LoggedRequest, areaOf, parseJson, readBody, send } from "./http";
import { liveRestRoutes } from "./live-rest";
import { LIMITER_KNOBS, type SandboxOptions, checkOptions, fixedOptionsIn, knobValues } from "./options";
import { OAuth, type OAuthStats, randomToken } from "./oauth";
import { Persistence } from "./persistence";
import { Reply, Req, Route, dispatch, fail } from "./reply";
import { restRoutes } from "./rest";
import { scimRoutes } from "./scim";
import { scimError } from "./scim-reply";
import { userResource } from "./scim-schema-defs";
import type { ScimContext } from "./scim-users";
import { SandboxState } from "./state-access";
import { Store } from "./store";

export type { CostCenter, SandboxUser } from "./records";
export type { ScimPatchMode } from "./scim";
export type { RateLimitWindow } from "./limiter";
export type { OAuthStats, RefreshTokenRotation } from "./oauth";
export type { SandboxOptions } from "./options";
export type { LoggedRequest } from "./http";

type Outcome = { reply: Reply; fault?: Fault };

export class SandboxServer extends SandboxState {
  /** The API mode, fixed at construction. */
  readonly api: "contract" | "live";
  readonly accessToken: string;
  readonly apiKey: string;
  readonly scimToken: string;
  readonly clientId: string;
  readonly clientSecret: string;
  requests: LoggedRequest[] = [];

  private readonly opts: SandboxOptions;
  private readonly oauth: OAuth;
  private readonly auth: Authenticator;
  private readonly faults: Faults;
  private readonly persistence: Persistence;
  private readonly routes: { rest: Route[]; scim: Route[]; admin: Route[] };
  private server?: http.Server;
  private address?: string;
  private readonly now: () => number;
  private seq = 0;

  constructor(options: SandboxOptions = {}) {
    checkOptions(options);
    const live = options.api === "live";
    // The store saves through the persistence, which reads and loads the store: each calls the other later.
    const persistence = new Persistence(options.persistFile, {
      snapshot: () => store.snapshot(),
      load: (s) => {
        store.load(s);
      },
    });
    const store = new Store(
      () => {
        persistence.schedule();
      },
      { ids: live ? "numeric" : "uuid", live },
    );
    super(store);
    this.persistence = persistence;
    this.opts = { ...options };
    this.now = options.now ?? Date.now;
    this.faults = new Faults(this.opts, this.now);
    this.api = options.api ?? "contract";
    const pageCap = () => this.opts.pageCap;
    this.routes = {
      rest: live ? liveRestRoutes(this.store, () => this.scimContext(), pageCap) : restRoutes(this.store, pageCap),
      scim: scimRoutes(this.store, {
        live,
        base: () => this.scimUrl,
        knobs: () => ({
          pageCap: this.opts.pageCap,
          patch: this.opts.scimPatch ?? "full",
          etags: this.opts.scimEtags ?? live,
          travelFields: this.opts.scimTravelFields ?? live,
        }),
      }),
      admin: adminRoutes(this, () => knobValues(this.opts)),
    };
    this.accessToken = options.accessToken ?? randomToken("tp_at_");
    this.apiKey = options.apiKey ?? randomToken("tp_key_");
    this.scimToken = options.scimToken ?? randomToken("tp_scim_");
    this.clientId = options.clientId ?? randomToken("tp_client_");
    this.clientSecret = options.clientSecret ?? randomToken("tp_secret_");
    this.oauth = new OAuth({
      clientId: this.clientId,
      clientSecret: this.clientSecret,
      initialAccessToken: this.accessToken,
      initialRefreshToken: options.refreshToken ?? randomToken("tp_rt_"),
      lifetimeSeconds: () => this.opts.tokenLifetimeSeconds,
      deny: () => this.opts.oauthDeny === true,
      rotation: () => this.opts.refreshTokenRotation ?? "rotate",
      clientAuthentication: () => this.opts.oauthClientAuthentication ?? "either",
    });
    this.auth = new Authenticator({ apiKey: this.apiKey, scimToken: this.scimToken, oauth: this.oauth, live });
    this.store.seed(options.seed !== false);
  }

  /** The refresh token to use next: the configured one until a refresh rotates it, then the newest of its chain. */
  get refreshToken(): string {
    return this.oauth.currentRefreshToken;
  }
  get url(): string {
    if (!this.address) throw new Error("the sandbox server is not started");
    return this.address;
  }
  /** The REST base URL: `<url>/api/v2` in contract mode, the host root in live mode. */
  get apiUrl(): string {
    return this.api === "live" ? this.url : `${this.url}/api/v2`;
  }
  /** The SCIM base URL: `<url>/api/scim/v2` in contract mode, `<url>/scim` in live mode. */
  get scimUrl(): string {
    return this.api === "live" ? `${this.url}/scim` : `${this.url}/api/scim/v2`;
  }

  async start(): Promise<void> {
    if (this.server) throw new Error("the sandbox server is already started");
    this.persistence.load();
    const server = http.createServer((req, res) => {
      this.onRequest(req, res).catch((e: unknown) => {
        if (!res.headersSent) send(res, fail(500, `sandbox bug: ${String(e)}`));
      });
    });
    const host = this.opts.host ?? "127.0.0.1";
    await new Promise<void>((resolve, reject) =>
      server.once("error", reject).listen(this.opts.port ?? 0, host, resolve),
    );
    this.server = server;
    this.address = `http://${host.includes(":") ? `[${host}]` : host}:${String((server.address() as { port: number }).port)}`;
    this.oauth.reset(); // the initial token's lifetime counts from here
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise((resolve) => server.close(resolve));
    server.closeAllConnections(); // keep-alive sockets would otherwise hold close() open
    await closed;
    this.persistence.flush();
  }

  clearLog(): void {
    this.requests.length = 0;
  }

  /** Changes knobs while the server runs (see KNOBS); any other option answers a RangeError, and so does a bad value. */
  setOptions(patch: Partial<SandboxOptions>): void {
    const fixed = fixedOptionsIn(patch);
    if (fixed.length) throw new RangeError(`sandbox options cannot change at run time: ${fixed.join(", ")}`);
    checkOptions(patch);
    // A new limiter (every credential's budget whole again), built first: it checks the options together.
    if (LIMITER_KNOBS.some((k) => k in patch)) this.faults.reshape({ ...this.opts, ...patch });
    Object.assign(this.opts, patch);
  }

  /**
   * Revokes one token, refresh or access (the configured `accessToken` too), or with no token every
   * refresh token and every minted access token (the configured `accessToken` stays valid). A revoked
   * refresh token answers invalid_grant; a revoked access token 401. Revoking a refresh token leaves the
   * access tokens it minted valid. `reset()` makes the configured tokens valid again. Answers how many were revoked.
   */
  revokeTokens(token?: string): number {
    return this.oauth.revoke(token);
  }

  /** OAuth counts since start or the last `reset()`: grants answered by type, token requests refused, codes, denials, revocations. */
  oauthStats(): OAuthStats {
    return this.oauth.stats();
  }

  /** Back to the seeded state: data, OAuth tokens and counts, rate-limit state and the log. Knobs stay as they are. */
  reset(): void {
    this.store.seed(this.opts.seed !== false);
    this.oauth.reset();
    this.faults.clear();
    this.clearLog();
  }

  // ---- HTTP ----
  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = performance.now();
    const at = this.now();
    const url = new URL(req.url ?? "/", "http://sandbox");
    const raw = await readBody(req);
    const request: Req = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: url.searchParams,
      body: raw,
      headers: req.headers,
    };
    if (url.pathname.startsWith("/_sandbox/")) {
      send(res, answerAdmin(this.routes.admin, request));
      return;
    }

    if (this.opts.latencyMs) await new Promise((resolve) => setTimeout(resolve, this.opts.latencyMs));
    const auth = (req.headers.authorization ?? "").trim();
    const { area, sub } = areaOf(url.pathname, this.api === "live");
    const credential = area === "oauth" ? "none" : this.auth.classify(auth);
    const grant = area === "oauth" && sub === "/oauth2/token" ? OAuth.grantOf(raw) : undefined;
    const { reply, fault }: Outcome =
      raw === undefined
        ? { reply: fail(413, "body too large") }
        : area === "oauth"
          ? { reply: this.answerOAuth(request, sub) }
          : area
            ? this.answerApi(area, sub, request, auth, credential)
            : { reply: fail(404, `no route ${request.method} ${url.pathname}`) };
    const seq = ++this.seq;
    this.requests.push({
      seq,
      at,
      method: request.method,
      path: url.pathname,
      query: url.search.slice(1),
      status: reply.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
      ...(fault && { fault }),
      credential,
      ...(grant !== undefined && { grant }),
    });
    if (fault === "lost_response")
      req.socket.destroy(); // committed, but the client never hears back
    else send(res, { ...reply, headers: { "x-request-id": `sandbox-${String(seq)}`, ...reply.headers } });
  }

  private answerOAuth(req: Req, sub: string): Reply {
    if (sub === "/oauth2/token" && req.method === "POST") return this.oauth.token(req);
    if (sub === "/oauth2/authorize" && req.method === "GET") return this.oauth.authorize(req.query);
    if (sub === "/oauth2/revoke" && req.method === "POST") return this.oauth.revokeRequest(req);
    return fail(404, `no route ${req.method} ${sub}`);
  }

  /**
   * REST and SCIM: authenticate, then rate-limit (a 429 is never processed), then fault, then process.
   * Random 429s, 500s and lost responses hit REST only in contract mode, REST and SCIM in live mode.
   */
  private answerApi(area: "rest" | "scim", sub: string, req: Req, auth: string, credential: Credential): Outcome {
    const live = this.api === "live";
    const failWith = area === "scim" ? scimError : fail;
    const denied = this.auth.authenticate(area, auth, credential);
    if (denied) return { reply: denied };
    const passage = {
      auth,
      method: req.method,
      faultPath: live ? req.path : sub,
      faulty: area === "rest" || live,
      limitFailWith: live ? failWith : fail,
      failWith,
    };
    const refused = this.faults.before(passage);
    if (refused) return refused;
    const parsed = parseJson(req);
    const reply = parsed
      ? dispatch(this.routes[area], parsed, sub, failWith)
      : failWith(400, "the body is not valid JSON");
    return this.faults.losesAnswer(passage) ? { reply, fault: "lost_response" } : { reply };
  }

  /** What the live REST view of users reads from the SCIM mapping. */
  private scimContext(): ScimContext {
    return {
      store: this.store,
      base: this.scimUrl,
      live: true,
      travelFields: true,
      etags: false,
      resource: userResource(true),
    };
  }
}

export async function startSandbox(options?: SandboxOptions): Promise<SandboxServer> {
  const server = new SandboxServer(options);
  await server.start();
  return server;
}
