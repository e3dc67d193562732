/**
 * A local TravelPerk-compatible HTTP server, in memory, for the project's tests, demo and benchmarks.
 * Two API modes, fixed at construction: "contract" (the default) implements the project's API contract
 * (docs: travelperk-api.md) strictly — REST under /api/v2, SCIM under /api/scim/v2 with its own token,
 * strict OAuth (state and PKCE S256, rotation, revocation) — and "live" serves the live surface as public clients record it: read-only REST users, cost
 * centres and invoice profiles at the host root, and SCIM at /scim with both extensions, one
 * credential for both. Knobs for the failures the contract warns about: rate limits, 5xx, lost
 * responses, latency, silently capped pages.
 * This file is the HTTP layer: credentials, knobs, the request log, persistence and the admin API.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import { performance } from "node:perf_hooks";
import { OAuth, type OAuthStats, type RefreshTokenRotation, randomToken } from "./oauth";
import { Reply, Req, Route, dispatch, fail, json, objectBody } from "./reply";
import { Limiter, type LimiterOptions, type RateLimitWindow, checkLimiterOptions } from "./limiter";
import { liveRestRoutes } from "./live-rest";
import { restRoutes } from "./rest";
import { ScimPatchMode, scimError, scimRoutes } from "./scim";
import { userResource } from "./scim-schemas";
import { ScimContext } from "./scim-users";
import { CostCenter, InvoiceProfile, Named, SandboxUser, Snapshot, Store } from "./store";

export type { CostCenter, SandboxUser } from "./store";
export type { ScimPatchMode } from "./scim";
export type { RateLimitWindow } from "./limiter";
export type { OAuthStats, RefreshTokenRotation } from "./oauth";

export interface SandboxOptions {
  /**
   * Which API the server speaks, fixed at construction. "contract" (default): the project's contract,
   * REST under /api/v2 and SCIM under /api/scim/v2 with its own token. "live": the live surface as
   * public clients record it — REST at the host root (read-only users, cost centres, profiles), SCIM
   * at /scim with the enterprise and TravelPerk extensions, numeric ids, one credential for both.
   */
  api?: "contract" | "live";
  /** Default "127.0.0.1". */
  host?: string;
  /** Default 0: an ephemeral port. */
  port?: number;
  /** The OAuth bearer token accepted on REST (and on SCIM in live mode); default random. */
  accessToken?: string;
  /** Accepted as "Authorization: ApiKey <key>" on REST (and on SCIM in live mode); default random. */
  apiKey?: string;
  /** The guide's separate SCIM token: the only credential of contract-mode SCIM, also accepted by live SCIM; default random. */
  scimToken?: string;
  /** The OAuth client; default random. */
  clientId?: string;
  clientSecret?: string;
  /** The OAuth client's refresh token; default random. */
  refreshToken?: string;
  /**
   * Access tokens' lifetime in seconds, a finite number >= 0 and possibly fractional (default 3600);
   * when set, the configured `accessToken` expires that long after start. A token answer's `expires_in`
   * is this value as given (a fraction stays a fraction: RFC 6749 wants whole seconds, so use whole
   * seconds to test a strict parser); the token answers 401 once exactly that long has passed.
   * Read when a token is minted or checked: a change applies to tokens minted afterwards, and to the configured one.
   */
  tokenLifetimeSeconds?: number;
  /**
   * What `POST /oauth2/token` with grant_type=refresh_token does with the refresh token it was given.
   * "rotate" (default): the answer carries a new refresh token and the used one dies at once.
   * "reuse": the answer carries no `refresh_token` and the used one stays valid.
   */
  refreshTokenRotation?: RefreshTokenRotation;
  /**
   * `GET /oauth2/authorize` denies instead of approving: after checking the request it redirects to the
   * redirect_uri with `error=access_denied`, `error_description` and the `state` (RFC 6749 §4.1.2.1),
   * and issues no code. Default false: it approves at once.
   */
  oauthDeny?: boolean;
  /**
   * How `POST /oauth2/token` lets a client authenticate (RFC 6749 §2.3.1): "basic" only HTTP Basic (what
   * every server must accept), "body" only `client_id`/`client_secret` in the form, "either" (default).
   * The other way answers 401 `invalid_client`.
   */
  oauthClientAuthentication?: "basic" | "body" | "either";
  /**
   * Requests per `rateLimitPeriod` (default: per second) per credential, answered 429 beyond it, in the
   * shape `rateLimitWindow` says; 0/undefined = unlimited. With "fixed" and "sliding" windows, a whole
   * number. A 429 is never processed and never consumes budget.
   */
  rateLimit?: number;
  /**
   * The limiter's shape (see sandbox/limiter.ts). "bucket" (default): a token bucket refilling smoothly
   * at rateLimit / rateLimitPeriod per second, `rateLimitBurst` deep. "fixed": at most rateLimit accepted
   * requests per fixed window of rateLimitPeriod seconds, windows back to back from the credential's
   * first request. "sliding": at most rateLimit accepted requests within any trailing rateLimitPeriod seconds.
   */
  rateLimitWindow?: RateLimitWindow;
  /** The rate limit's period in seconds, a number > 0; default 1. */
  rateLimitPeriod?: number;
  /** The token bucket's size (>= 1), "bucket" only; default max(1, rateLimit). */
  rateLimitBurst?: number;
  /**
   * 429s of the rate limit carry Retry-After (whole seconds, rounded up, at least 1, until a request
   * would pass: a token, the next window, the oldest counted request leaving the sliding window) and
   * X-RateLimit-Reset (that moment in epoch seconds, rounded up); default false: the contract does not promise them.
   */
  rateLimitHeaders?: boolean;
  /** 0..1: chance that a REST request (and a SCIM one in live mode) answers 500 without being processed. */
  faultRate?: number;
  /** 0..1: chance that a REST request (and a SCIM one in live mode) answers 429 unprocessed, whatever the pace. */
  tooManyRequestsRate?: number;
  /** 0..1: chance that a REST write (and a SCIM one in live mode) is committed, then its connection destroyed unanswered. */
  lostResponseRate?: number;
  /** Added before answering each REST, SCIM and OAuth request. */
  latencyMs?: number;
  /**
   * At most this many items on any list page (REST and SCIM, both modes), whatever limit or count was
   * asked; the server does not say so: totals stay true and REST echoes the limit asked. Integer >= 1;
   * undefined = no cap beyond the 200 maximum.
   */
  pageCap?: number;
  /** How SCIM `PATCH /Users/{id}` answers: "full" (default, 200 with the user), "no-content" (204), "refused" (501, nothing changed). */
  scimPatch?: ScimPatchMode;
  /**
   * SCIM resources carry `meta.version` (a weak ETag, new on every write) and an ETag header; a write
   * whose If-Match names another version answers 412 and changes nothing. Default: on in live mode, off in contract mode.
   */
  scimEtags?: boolean;
  /**
   * The TravelPerk SCIM extension (gender, dateOfBirth, travelPolicy, invoiceProfiles, emergencyContact)
   * is served and writable. Default: on in live mode; off in contract mode, where SCIM refuses travel fields (400).
   */
  scimTravelFields?: boolean;
  /** JSON state file: loaded at start when present, written after writes and on stop. */
  persistFile?: string;
  /** Default true: seed travel policies and groups (and, in live mode, cost centres and invoice profiles). */
  seed?: boolean;
  /** The RNG for faults (default Math.random). */
  random?: () => number;
  /**
   * The clock (ms since the epoch; default Date.now) of the rate limiter, of its X-RateLimit-Reset and of
   * the request log's `at`. Fixed at construction.
   */
  now?: () => number;
  /**
   * In-process only: a deterministic 500 (not processed) for the requests it picks. `path` is the path
   * inside the API in contract mode ("/users/..."), the full URL path in live mode ("/users", "/scim/Users/3").
   */
  faultWhen?: (method: string, path: string) => boolean;
}

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
  fault?: "rate_limited" | "server_error" | "lost_response";
  credential: "bearer" | "apikey" | "scim" | "none"; // what the request presented, valid or not
  /**
   * On `POST /oauth2/token` (and the live `/accounts/oauth2/token/`): the grant_type the form asked
   * for, one of authorization_code, refresh_token, client_credentials, password, or "other"; absent
   * when the form names none. Never a token value.
   */
  grant?: string;
}

/** The options that may change while the server runs. */
const KNOBS = [
  "rateLimit",
  "rateLimitWindow",
  "rateLimitPeriod",
  "rateLimitBurst",
  "rateLimitHeaders",
  "faultRate",
  "tooManyRequestsRate",
  "lostResponseRate",
  "latencyMs",
  "tokenLifetimeSeconds",
  "refreshTokenRotation",
  "oauthDeny",
  "oauthClientAuthentication",
  "pageCap",
  "scimPatch",
  "scimEtags",
  "scimTravelFields",
  "random",
  "faultWhen",
] as const;
/** The options that shape the rate limiter: changing any of them starts it afresh. */
const LIMITER_KNOBS = ["rateLimit", "rateLimitWindow", "rateLimitPeriod", "rateLimitBurst"] as const;
const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const MAX_BODY = 1 << 20;
type Outcome = { reply: Reply; fault?: LoggedRequest["fault"] };

function checkKnobs(o: Partial<SandboxOptions>): void {
  checkLimiterOptions(o);
  const ranges = {
    latencyMs: Infinity,
    tokenLifetimeSeconds: Infinity,
    faultRate: 1,
    tooManyRequestsRate: 1,
    lostResponseRate: 1,
  };
  for (const [name, max] of Object.entries(ranges)) {
    const v = o[name as keyof typeof ranges];
    if (v !== undefined && !(typeof v === "number" && Number.isFinite(v) && v >= 0 && v <= max))
      throw new RangeError(
        `sandbox option ${name} must be ${max === Infinity ? "a finite number from 0 up" : `from 0 to ${String(max)}`}`,
      );
  }
  for (const name of ["rateLimitHeaders", "scimEtags", "scimTravelFields", "oauthDeny"] as const)
    if (!["boolean", "undefined"].includes(typeof o[name]))
      throw new RangeError(`sandbox option ${name} must be a boolean`);
  if (o.pageCap !== undefined && !(Number.isInteger(o.pageCap) && o.pageCap >= 1))
    throw new RangeError("sandbox option pageCap must be an integer from 1 up");
  if (o.scimPatch !== undefined && !["full", "no-content", "refused"].includes(o.scimPatch))
    throw new RangeError('sandbox option scimPatch must be "full", "no-content" or "refused"');
  if (o.refreshTokenRotation !== undefined && !["rotate", "reuse"].includes(o.refreshTokenRotation))
    throw new RangeError('sandbox option refreshTokenRotation must be "rotate" or "reuse"');
  if (o.oauthClientAuthentication !== undefined && !["basic", "body", "either"].includes(o.oauthClientAuthentication))
    throw new RangeError('sandbox option oauthClientAuthentication must be "basic", "body" or "either"');
  if (o.api !== undefined && !["contract", "live"].includes(o.api))
    throw new RangeError('sandbox option api must be "contract" or "live"');
}

/** The whole body; undefined when it is larger than MAX_BODY (answered 413). */
async function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) if ((size += chunk.length) <= MAX_BODY) chunks.push(chunk);
  return size > MAX_BODY ? undefined : Buffer.concat(chunks).toString("utf8");
}

/** The API a path belongs to, and the path inside that API. */
function areaOf(path: string, live: boolean): { area?: "rest" | "scim" | "oauth"; sub: string } {
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

export class SandboxServer {
  /** The API mode, fixed at construction. */
  readonly api: "contract" | "live";
  readonly accessToken: string;
  readonly apiKey: string;
  readonly scimToken: string;
  readonly clientId: string;
  readonly clientSecret: string;
  requests: LoggedRequest[] = [];

  private readonly opts: SandboxOptions;
  private readonly store: Store;
  private readonly oauth: OAuth;
  private readonly routes: { rest: Route[]; scim: Route[]; admin: Route[] };
  private server?: http.Server;
  private address?: string;
  private limiter: Limiter;
  private readonly now: () => number;
  private seq = 0;
  private saveTimer?: NodeJS.Timeout;
  private persisting = false; // set once the persist file is loaded, so the constructor's seeding never overwrites it

  constructor(options: SandboxOptions = {}) {
    checkKnobs(options);
    this.opts = { ...options };
    this.now = options.now ?? Date.now;
    this.limiter = this.newLimiter();
    this.api = options.api ?? "contract";
    const live = this.api === "live";
    this.store = new Store(
      () => {
        this.scheduleSave();
      },
      { ids: live ? "numeric" : "uuid", live },
    );
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
      admin: this.adminRoutes(),
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
    this.loadPersisted();
    const server = http.createServer((req, res) => {
      this.onRequest(req, res).catch((e: unknown) => {
        if (!res.headersSent) this.send(res, fail(500, `sandbox bug: ${String(e)}`));
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
    this.flush();
  }

  clearLog(): void {
    this.requests.length = 0;
  }

  setOptions(patch: Partial<SandboxOptions>): void {
    const fixed = Object.keys(patch).filter((k) => !(KNOBS as readonly string[]).includes(k));
    if (fixed.length) throw new RangeError(`sandbox options cannot change at run time: ${fixed.join(", ")}`);
    checkKnobs(patch);
    if (LIMITER_KNOBS.some((k) => k in patch)) {
      const limiter = this.newLimiter({ ...this.opts, ...patch }); // checks the options together
      Object.assign(this.opts, patch);
      this.limiter = limiter; // a new limiter: every credential's budget is whole again
    } else Object.assign(this.opts, patch);
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
    this.limiter.clear();
    this.clearLog();
  }

  // ---- direct state access, behind the API's back (copies in, copies out) ----
  listUsers(): SandboxUser[] {
    return this.store.listUsers();
  }
  getUser(id: string): SandboxUser | undefined {
    return this.store.getUser(id);
  }
  findUserByEmail(email: string): SandboxUser | undefined {
    return this.store.findUserByEmail(email);
  }
  /** Stores the fields as given, without the API's validation or defaults: for odd accounts. */
  insertUser(u: Partial<SandboxUser> & { email: string }): SandboxUser {
    return this.store.insertUser(u);
  }
  /** A key set to `undefined` removes the field. */
  updateUser(id: string, patch: Partial<SandboxUser>): SandboxUser {
    return this.store.updateUser(id, patch);
  }
  deleteUser(id: string): void {
    this.store.deleteUser(id);
  }
  listPolicies(): Named[] {
    return this.store.listPolicies();
  }
  listGroups(): Named[] {
    return this.store.listGroups();
  }
  groupMembers(groupId: string): string[] {
    return this.store.groupMembers(groupId);
  }
  /** Makes exactly these users the group's members, as a change made in TravelPerk directly would. */
  setGroupMembers(groupId: string, userIds: string[]): void {
    this.store.setMembers(groupId, userIds);
  }
  /** Live mode: the cost centres (their members are the users whose cost_center is the name). */
  listCostCenters(): CostCenter[] {
    return this.store.listCostCenters();
  }
  /** Live mode: the invoice profiles. */
  listProfiles(): InvoiceProfile[] {
    return this.store.listProfiles();
  }
  addPolicy(name: string): Named {
    return this.store.addPolicy(name);
  }
  addGroup(name: string): Named {
    return this.store.addGroup(name);
  }
  state(): Snapshot {
    return this.store.snapshot();
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
      this.send(res, this.answerAdmin(request));
      return;
    }

    if (this.opts.latencyMs) await new Promise((resolve) => setTimeout(resolve, this.opts.latencyMs));
    const auth = (req.headers.authorization ?? "").trim();
    const { area, sub } = areaOf(url.pathname, this.api === "live");
    const credential = area === "oauth" ? "none" : this.classify(auth);
    const grant = area === "oauth" && sub === "/oauth2/token" ? OAuth.grantOf(raw) : undefined;
    const { reply, fault }: Outcome =
      raw === undefined
        ? { reply: fail(413, "body too large") }
        : area === "oauth"
          ? { reply: this.answerOAuth(request, sub) }
          : area
            ? this.answerApi(area, sub, request, auth, credential)
            : { reply: fail(404, `no route ${request.method} ${url.pathname}`) };
    this.requests.push({
      seq: ++this.seq,
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
    else this.send(res, reply);
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
  private answerApi(
    area: "rest" | "scim",
    sub: string,
    req: Req,
    auth: string,
    credential: LoggedRequest["credential"],
  ): Outcome {
    const live = this.api === "live";
    const failWith = area === "scim" ? scimError : fail;
    const denied = this.authenticate(area, auth, credential);
    if (denied) return { reply: denied };
    const faulty = area === "rest" || live;
    const wait = this.limiter.wait(auth);
    if (wait !== undefined) return { reply: this.rateLimited(wait, live ? failWith : fail), fault: "rate_limited" };
    if (faulty && this.roll(this.opts.tooManyRequestsRate))
      return { reply: this.rateLimited(1, failWith), fault: "rate_limited" };
    this.limiter.take(auth); // only a request that is not answered 429 counts against the budget
    const planned = faulty && this.opts.faultWhen?.(req.method, live ? req.path : sub) === true;
    if (planned || (faulty && this.roll(this.opts.faultRate)))
      return { reply: failWith(500, "internal server error"), fault: "server_error" };
    const parsed = this.parseJson(req);
    const reply = parsed
      ? dispatch(this.routes[area], parsed, sub, failWith)
      : failWith(400, "the body is not valid JSON");
    const lost = faulty && WRITES.has(req.method) && this.roll(this.opts.lostResponseRate);
    return lost ? { reply, fault: "lost_response" } : { reply };
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

  /** The request with its JSON body parsed (writes only); undefined when that body is not JSON. */
  private parseJson(req: Req): Req | undefined {
    const raw = typeof req.body === "string" ? req.body : "";
    if (!WRITES.has(req.method) || raw.trim() === "") return { ...req, body: undefined };
    try {
      return { ...req, body: JSON.parse(raw) as unknown };
    } catch {
      return undefined;
    }
  }

  /** Which credential the request presented (for the log and the rules), whether or not it is valid here. */
  private classify(auth: string): LoggedRequest["credential"] {
    const parts = auth.split(/\s+/);
    if (parts.length > 2) return "none";
    const [scheme = "", token = ""] = parts;
    if (scheme.toLowerCase() === "apikey") return token === this.apiKey ? "apikey" : "none";
    if (scheme.toLowerCase() !== "bearer") return "none";
    return token === this.scimToken ? "scim" : this.oauth.checkAccessToken(token) === "unknown" ? "none" : "bearer";
  }

  /**
   * Contract: REST takes OAuth tokens and the API key; SCIM only the SCIM token. Live: both take OAuth
   * tokens and the API key, and SCIM the SCIM token too. Undefined means allowed.
   */
  private authenticate(
    area: "rest" | "scim",
    auth: string,
    credential: LoggedRequest["credential"],
  ): Reply | undefined {
    if (area === "scim" && this.api === "live") {
      if (credential === "scim") return undefined;
      const denied = this.authenticate("rest", auth, credential);
      return (
        denied && {
          ...scimError(401, (denied.body as { error: string }).error),
          headers: { ...denied.headers, "content-type": "application/scim+json" },
        }
      );
    }
    if (area === "scim") return credential === "scim" ? undefined : scimError(401, "a valid SCIM token is required");
    if (
      credential === "apikey" ||
      (credential === "bearer" && this.oauth.checkAccessToken(auth.split(/\s+/)[1]) === "valid")
    )
      return undefined;
    if (credential === "bearer") {
      const revoked = this.oauth.checkAccessToken(auth.split(/\s+/)[1]) === "revoked";
      return json(
        401,
        { error: revoked ? "access token revoked" : "access token expired" },
        { "www-authenticate": 'Bearer error="invalid_token"' },
      );
    }
    if (credential === "scim") return fail(401, "the SCIM token is not valid on the REST API");
    return json(401, { error: "missing or invalid credentials" }, { "www-authenticate": "Bearer" });
  }

  /** The rate limiter of these options (default: the current ones), keyed by the Authorization header, on the sandbox's clock. */
  private newLimiter(o: Partial<SandboxOptions> = this.opts): Limiter {
    const { rateLimit, rateLimitWindow, rateLimitPeriod, rateLimitBurst } = o;
    const options: LimiterOptions = { rateLimit, rateLimitWindow, rateLimitPeriod, rateLimitBurst, now: this.now };
    return new Limiter(options);
  }

  /** A 429 in the area's error shape (`failWith`), with the rate-limit headers when they are on. */
  private rateLimited(waitSeconds: number, failWith: (status: number, message: string) => Reply = fail): Reply {
    const reply = failWith(429, "rate limited");
    if (!this.opts.rateLimitHeaders) return reply;
    // Retry-After is a delta in seconds; X-RateLimit-Reset an epoch time in seconds (GitHub's convention).
    return {
      ...reply,
      headers: {
        ...reply.headers,
        "retry-after": String(Math.max(1, Math.ceil(waitSeconds))),
        "x-ratelimit-reset": String(Math.ceil(this.now() / 1000 + waitSeconds)),
      },
    };
  }

  private roll(rate: number | undefined): boolean {
    return !!rate && (this.opts.random ?? Math.random)() < rate;
  }

  private send(res: http.ServerResponse, reply: Reply): void {
    const body = reply.body === undefined ? undefined : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      ...(body !== undefined && { "content-type": "application/json" }),
      ...reply.headers,
    });
    res.end(body);
  }

  // ---- admin API: no auth, not logged, never rate-limited or faulted ----
  private answerAdmin(req: Req): Reply {
    const parsed = this.parseJson(req);
    try {
      return parsed
        ? dispatch(this.routes.admin, parsed, req.path.slice("/_sandbox".length))
        : fail(400, "the body is not valid JSON");
    } catch (e) {
      return fail(400, e instanceof Error ? e.message : String(e)); // a bad option value, a duplicate e-mail...
    }
  }

  private adminRoutes(): Route[] {
    const ifUser = (id: string, then: () => Reply) =>
      this.store.getUser(id) ? then() : fail(404, `user ${id} not found`);
    const body = (req: Req) => objectBody(req) ?? {};
    // JSON has no undefined: null unsets a knob, e.g. {"rateLimit": null} means unlimited.
    const knobs = (req: Req) => Object.fromEntries(Object.entries(body(req)).map(([k, v]) => [k, v ?? undefined]));
    const current = () =>
      Object.fromEntries(
        KNOBS.filter((k) => k !== "random" && k !== "faultWhen").map((k) => [k, this.opts[k] ?? null]),
      );
    return [
      { method: "GET", pattern: "/requests", handler: () => json(200, { requests: this.requests }) },
      { method: "DELETE", pattern: "/requests", handler: () => (this.clearLog(), json(204)) },
      {
        method: "PATCH",
        pattern: "/options",
        handler: (req) => (this.setOptions(knobs(req)), json(200, { options: current() })),
      },
      { method: "POST", pattern: "/reset", handler: () => (this.reset(), json(204)) },
      {
        method: "POST",
        pattern: "/revoke",
        handler: (req) => {
          const { token } = body(req);
          if (token !== undefined && token !== null && typeof token !== "string")
            return fail(400, "token must be a string");
          return json(200, { revoked: this.revokeTokens(token ?? undefined) });
        },
      },
      { method: "GET", pattern: "/oauth", handler: () => json(200, this.oauthStats()) },
      { method: "GET", pattern: "/state", handler: () => json(200, this.state()) },
      { method: "POST", pattern: "/users", handler: (req) => json(201, this.insertUser(body(req) as SandboxUser)) },
      {
        method: "PATCH",
        pattern: "/users/:id",
        handler: (req, { id }) => ifUser(id, () => json(200, this.updateUser(id, body(req)))),
      },
      {
        method: "DELETE",
        pattern: "/users/:id",
        handler: (_, { id }) => ifUser(id, () => (this.deleteUser(id), json(204))),
      },
    ];
  }

  // ---- persistence ----
  private loadPersisted(): void {
    const file = this.opts.persistFile;
    if (!file) return;
    if (fs.existsSync(file)) this.store.load(JSON.parse(fs.readFileSync(file, "utf8")) as Snapshot);
    this.persisting = true;
    this.flush();
  }

  private scheduleSave(): void {
    if (this.persisting)
      this.saveTimer ??= setTimeout(() => {
        this.flush();
      }, 25); // debounced: a burst of writes saves once
  }

  /** Writes the state now, to a temporary file renamed over the old one, so a crash never leaves half a file. */
  private flush(): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    const file = this.opts.persistFile;
    if (!file || !this.persisting) return;
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(this.store.snapshot(), null, 2));
    fs.renameSync(`${file}.tmp`, file);
  }
}

export async function startSandbox(options?: SandboxOptions): Promise<SandboxServer> {
  const server = new SandboxServer(options);
  await server.start();
  return server;
}
