/**
 * A local TravelPerk-compatible HTTP server, in memory, for the project's tests, demo and benchmarks.
 * It implements the contract (/work/shared/travelperk-api.md) strictly — REST, SCIM, OAuth — and has
 * knobs for the failures the contract warns about: rate limits, 5xx, lost responses, latency.
 * This file is the HTTP layer: credentials, knobs, the request log, persistence and the admin API.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import { performance } from "node:perf_hooks";
import { OAuth, randomToken } from "./oauth";
import { Reply, Req, Route, dispatch, fail, json, objectBody } from "./reply";
import { restRoutes } from "./rest";
import { scimError, scimRoutes } from "./scim";
import { Named, SandboxUser, Snapshot, Store } from "./store";

export type { SandboxUser } from "./store";

export interface SandboxOptions {
  host?: string; // default "127.0.0.1"
  port?: number; // default 0: an ephemeral port
  accessToken?: string; // OAuth bearer token accepted on REST; default random
  apiKey?: string; // accepted on REST as "Authorization: ApiKey <key>"; default random
  scimToken?: string; // accepted only on SCIM; default random
  clientId?: string;
  clientSecret?: string;
  refreshToken?: string; // the OAuth client and its refresh token; default random
  tokenLifetimeSeconds?: number; // minted tokens' lifetime (default 3600); when set, the initial token expires that long after start
  rateLimit?: number; // requests per second per credential (token bucket, burst max(1, rateLimit)); 0/undefined = unlimited
  rateLimitHeaders?: boolean; // 429s carry Retry-After and X-RateLimit-Reset; default false: the contract does not promise them
  faultRate?: number; // 0..1: chance that a REST request answers 500 without being processed
  tooManyRequestsRate?: number; // 0..1: chance that a REST request answers 429 without being processed, whatever the pace
  lostResponseRate?: number; // 0..1: chance that a REST write is committed, then its connection destroyed unanswered
  latencyMs?: number; // added before answering each REST, SCIM and OAuth request
  persistFile?: string; // JSON state file: loaded at start when present, written after writes and on stop
  seed?: boolean; // default true: seed travel policies and groups
  random?: () => number; // the RNG for faults (default Math.random)
  faultWhen?: (method: string, path: string) => boolean; // in-process only: a deterministic 500 (not processed) for the requests it picks
}

export interface LoggedRequest {
  seq: number;
  method: string;
  path: string;
  query: string;
  status: number;
  ms: number;
  fault?: "rate_limited" | "server_error" | "lost_response";
  credential: "bearer" | "apikey" | "scim" | "none"; // what the request presented, valid or not
}

/** The options that may change while the server runs. */
const KNOBS = [
  "rateLimit",
  "rateLimitHeaders",
  "faultRate",
  "tooManyRequestsRate",
  "lostResponseRate",
  "latencyMs",
  "tokenLifetimeSeconds",
  "random",
  "faultWhen",
] as const;
const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const MAX_BODY = 1 << 20;
type Outcome = { reply: Reply; fault?: LoggedRequest["fault"] };

function checkKnobs(o: Partial<SandboxOptions>): void {
  const ranges = {
    rateLimit: Infinity,
    latencyMs: Infinity,
    tokenLifetimeSeconds: Infinity,
    faultRate: 1,
    tooManyRequestsRate: 1,
    lostResponseRate: 1,
  };
  for (const [name, max] of Object.entries(ranges)) {
    const v = o[name as keyof typeof ranges];
    if (v !== undefined && !(typeof v === "number" && v >= 0 && v <= max))
      throw new RangeError(`sandbox option ${name} must be from 0 to ${String(max)}`);
  }
  if (!["boolean", "undefined"].includes(typeof o.rateLimitHeaders))
    throw new RangeError("sandbox option rateLimitHeaders must be a boolean");
}

/** The whole body; undefined when it is larger than MAX_BODY (answered 413). */
async function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) if ((size += chunk.length) <= MAX_BODY) chunks.push(chunk);
  return size > MAX_BODY ? undefined : Buffer.concat(chunks).toString("utf8");
}

/** The API a path belongs to, and the path inside that API. */
function areaOf(path: string): { area?: "rest" | "scim" | "oauth"; sub: string } {
  for (const [prefix, area] of [
    ["/api/v2", "rest"],
    ["/api/scim/v2", "scim"],
  ] as const) {
    if (path === prefix || path.startsWith(`${prefix}/`)) return { area, sub: path.slice(prefix.length) };
  }
  return { area: path.startsWith("/oauth2/") ? "oauth" : undefined, sub: path };
}

export class SandboxServer {
  readonly accessToken: string;
  readonly apiKey: string;
  readonly scimToken: string;
  readonly clientId: string;
  readonly clientSecret: string;
  requests: LoggedRequest[] = [];

  private readonly opts: SandboxOptions;
  private readonly store = new Store(() => {
    this.scheduleSave();
  });
  private readonly oauth: OAuth;
  private readonly routes = { rest: restRoutes(this.store), scim: scimRoutes(this.store), admin: this.adminRoutes() };
  private server?: http.Server;
  private address?: string;
  private buckets = new Map<string, { tokens: number; at: number }>();
  private seq = 0;
  private saveTimer?: NodeJS.Timeout;
  private persisting = false; // set once the persist file is loaded, so the constructor's seeding never overwrites it

  constructor(options: SandboxOptions = {}) {
    checkKnobs(options);
    this.opts = { ...options };
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
  get apiUrl(): string {
    return `${this.url}/api/v2`;
  }
  get scimUrl(): string {
    return `${this.url}/api/scim/v2`;
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
    Object.assign(this.opts, patch);
    if ("rateLimit" in patch) this.buckets.clear();
  }

  /** Back to the seeded state: data, OAuth tokens, rate-limit buckets and the log. Knobs stay as they are. */
  reset(): void {
    this.store.seed(this.opts.seed !== false);
    this.oauth.reset();
    this.buckets.clear();
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
    const { area, sub } = areaOf(url.pathname);
    const credential = area === "oauth" ? "none" : this.classify(auth);
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
      method: request.method,
      path: url.pathname,
      query: url.search.slice(1),
      status: reply.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
      ...(fault && { fault }),
      credential,
    });
    if (fault === "lost_response")
      req.socket.destroy(); // committed, but the client never hears back
    else this.send(res, reply);
  }

  private answerOAuth(req: Req, sub: string): Reply {
    if (sub === "/oauth2/token" && req.method === "POST") return this.oauth.token(req);
    if (sub === "/oauth2/authorize" && req.method === "GET") return this.oauth.authorize(req.query);
    return fail(404, `no route ${req.method} ${sub}`);
  }

  /** REST and SCIM: authenticate, then rate-limit (a 429 is never processed), then fault (REST only), then process. */
  private answerApi(
    area: "rest" | "scim",
    sub: string,
    req: Req,
    auth: string,
    credential: LoggedRequest["credential"],
  ): Outcome {
    const denied = this.authenticate(area, auth, credential);
    if (denied) return { reply: denied };
    const wait = this.takeToken(auth);
    if (wait !== undefined) return { reply: this.rateLimited(wait), fault: "rate_limited" };
    if (area === "rest" && this.roll(this.opts.tooManyRequestsRate))
      return { reply: this.rateLimited(1), fault: "rate_limited" };
    const planned = area === "rest" && this.opts.faultWhen?.(req.method, sub) === true;
    if (planned || (area === "rest" && this.roll(this.opts.faultRate)))
      return { reply: fail(500, "internal server error"), fault: "server_error" };
    const failWith = area === "scim" ? scimError : fail;
    const parsed = this.parseJson(req);
    const reply = parsed
      ? dispatch(this.routes[area], parsed, sub, failWith)
      : failWith(400, "the body is not valid JSON");
    const lost = area === "rest" && WRITES.has(req.method) && this.roll(this.opts.lostResponseRate);
    return lost ? { reply, fault: "lost_response" } : { reply };
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

  /** REST takes OAuth tokens and the API key; SCIM only the SCIM token. Undefined means allowed. */
  private authenticate(
    area: "rest" | "scim",
    auth: string,
    credential: LoggedRequest["credential"],
  ): Reply | undefined {
    if (area === "scim") return credential === "scim" ? undefined : scimError(401, "a valid SCIM token is required");
    if (
      credential === "apikey" ||
      (credential === "bearer" && this.oauth.checkAccessToken(auth.split(/\s+/)[1]) === "valid")
    )
      return undefined;
    if (credential === "bearer")
      return json(401, { error: "access token expired" }, { "www-authenticate": 'Bearer error="invalid_token"' });
    if (credential === "scim") return fail(401, "the SCIM token is not valid on the REST API");
    return json(401, { error: "missing or invalid credentials" }, { "www-authenticate": "Bearer" });
  }

  /** Token bucket per credential: undefined when the request may pass, else the seconds until a token is free. */
  private takeToken(key: string): number | undefined {
    const rate = this.opts.rateLimit;
    if (!rate) return undefined;
    const burst = Math.max(1, rate);
    const now = performance.now();
    const bucket = this.buckets.get(key) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return (1 - bucket.tokens) / rate;
    bucket.tokens -= 1;
    return undefined;
  }

  private rateLimited(waitSeconds: number): Reply {
    if (!this.opts.rateLimitHeaders) return fail(429, "rate limited");
    // Retry-After is a delta in seconds; X-RateLimit-Reset an epoch time in seconds (GitHub's convention).
    return json(
      429,
      { error: "rate limited" },
      {
        "retry-after": String(Math.max(1, Math.ceil(waitSeconds))),
        "x-ratelimit-reset": String(Math.ceil(Date.now() / 1000 + waitSeconds)),
      },
    );
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
