/**
 * The one request core every TravelPerk call goes through: base URL, auth header, retries,
 * error mapping and answer validation. It lives at module level inside the provider process, so all
 * resources of a run share it; nothing here is captured into state.
 */
import axios, { isAxiosError, type AxiosAdapter, type AxiosInstance, type AxiosRequestConfig } from "axios";
import axiosRetry from "axios-retry";
import { z } from "zod";
import { createHash } from "node:crypto";
import { resolveSettings, settingFor, type ResolvedSettings } from "../config";
import { CredentialError, OAuthSession, credentialSource, type CredentialSource, type OAuthStats } from "./credentials";
import { AuthenticationError, MalformedResponseError, toTravelPerkError, type RequestContext } from "./errors";
import { isCredentialRejected, isRetryable, retryDelayMs, serverRequestedDelayMs } from "./retry";
import { currentRun } from "./run";
import { RequestScheduler, type Outcome } from "./scheduler";
import { packageVersion } from "../version";

/** Which API a request goes to: the REST base URL (`apiUrl`) or the SCIM base URL (`scimUrl`). */
export type Surface = "rest" | "scim";

/** One request, as the typed collection functions describe it. */
export interface RequestSpec<T> {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  /** Default `rest`. SCIM requests carry the SCIM credential and SCIM's media type. */
  surface?: Surface;
  /** Extra request headers (e.g. `If-Match`); never a credential. */
  headers?: Record<string, string>;
  params?: Record<string, string | number>;
  body?: unknown;
  /** Validates the answer; omit for answers without a body (204). */
  schema?: z.ZodType<T>;
  context: RequestContext;
  /** A POST that is safe to repeat after a 5xx or a lost connection. */
  idempotent?: boolean;
}

interface Client {
  key: string;
  http: AxiosInstance;
  settings: ResolvedSettings;
  scheduler: RequestScheduler;
  /** What REST and SCIM attempts carry (one source when SCIM carries the REST credential). */
  credentials: Record<Surface, CredentialSource>;
}

/** The media type of SCIM bodies (RFC 7644 §3.1). */
const SCIM_MEDIA_TYPE = "application/scim+json";

/** A 429, and the wait it asked for: the scheduler holds the request (retries are not spent). */
function rateLimitOutcome(outcome: unknown): Outcome {
  if (!isAxiosError(outcome) || outcome.response?.status !== 429) return { rateLimited: false };
  return { rateLimited: true, serverDelayMs: serverRequestedDelayMs(outcome) };
}

function createClient(settings: ResolvedSettings, key: string): Client {
  const scheduler = new RequestScheduler({
    maxConcurrent: settings.maxConcurrentRequests,
    maxPerSecond: settings.maxRequestsPerSecond,
    control: settings.rateControl,
  });
  const oauth = {
    cacheFile: settings.tokenCache.path,
    cacheNamed: settings.tokenCache.named,
    cacheKey: settingFor("tokenCache", settings.connection).configKey,
    connection: settings.connection,
    timeoutMs: settings.requestTimeoutMs,
  };
  const rest = credentialSource(settings.credentials, oauth);
  const credentials: Record<Surface, CredentialSource> = {
    rest,
    scim: settings.scimCredentials === settings.credentials ? rest : credentialSource(settings.scimCredentials, oauth),
  };
  const transport = axios.getAdapter(axios.defaults.adapter);
  // Every attempt, retries included, passes the scheduler: the transport is wrapped, not the call.
  // The credential is attached when the scheduler lets the attempt leave, never before a wait, so an
  // attempt held back by a rate limit does not leave with a token that expired meanwhile.
  const scheduled: AxiosAdapter = async (config) => {
    const source = credentials[config.baseURL === settings.scimUrl ? "scim" : "rest"];
    let sent = "";
    const attempt = async () => {
      sent = await source.authorization();
      config.headers.set("Authorization", sent);
      return transport(config);
    };
    try {
      return await scheduler.run(attempt, rateLimitOutcome);
    } catch (error) {
      // A 401 to a credential that can be renewed: renew it once and send the request once more.
      if (!isCredentialRejected(error) || !(await source.renew(sent))) throw error;
      return scheduler.run(attempt, rateLimitOutcome);
    }
  };
  const http = axios.create({
    adapter: scheduled,
    baseURL: settings.apiUrl,
    timeout: settings.requestTimeoutMs,
    headers: { Accept: "application/json", "Api-Version": "1", "User-Agent": `pulumi-travelperk/${packageVersion()}` },
  });
  axiosRetry(http, {
    retries: settings.maxRetries,
    retryCondition: (error) => isRetryable(error),
    retryDelay: (attempt, error) => retryDelayMs(attempt, error, settings.retryBaseDelayMs),
    shouldResetTimeout: true,
  });
  return { key, http, settings, scheduler, credentials };
}

/** A credential's identity without its value: a changed credential builds a new client. */
function credentialIdentity(settings: ResolvedSettings): string {
  return createHash("sha256")
    .update(JSON.stringify([settings.credentials, settings.scimCredentials]))
    .digest("hex");
}

/** The client of the run in force, for the settings in force now; rebuilt when they change. */
function current(): Client {
  const settings = resolveSettings();
  const run = currentRun();
  const client = run.http as Client | undefined;
  const key = JSON.stringify([
    settings.apiUrl,
    settings.scimUrl,
    credentialIdentity(settings),
    settings.tokenCache,
    settings.maxRetries,
    settings.retryBaseDelayMs,
    settings.requestTimeoutMs,
    settings.maxConcurrentRequests,
    settings.maxRequestsPerSecond,
    settings.rateControl,
  ]);
  if (!client || client.key !== key) {
    const fresh = createClient(settings, key);
    run.http = fresh;
    return fresh;
  }
  client.settings = settings;
  return client;
}

/** The scheduler's counters (requests sent, 429s seen, peak concurrency), for benchmarks and logs. */
export function schedulerStats(): RequestScheduler["stats"] | undefined {
  return (currentRun().http as Client | undefined)?.scheduler.stats;
}

/** The OAuth session's counters (grants, adoptions, renewals after 401, rotations), when the connection uses OAuth. */
export function credentialStats(): OAuthStats | undefined {
  const source = (currentRun().http as Client | undefined)?.credentials.rest;
  return source instanceof OAuthSession ? source.stats : undefined;
}

/** A validated answer with what the transports read beside the body. */
export interface Answer<T> {
  data: T;
  status: number;
  /** The `ETag` header, when the server sent one. */
  etag?: string;
}

/** Sends one request and returns its validated answer; every failure becomes a TravelPerkError. */
export async function request<T>(spec: RequestSpec<T>): Promise<T> {
  return (await send(spec)).data;
}

/** Like {@link request}, with the answer's status and ETag. */
export async function send<T>(spec: RequestSpec<T>): Promise<Answer<T>> {
  const { http, settings, credentials } = current();
  const scim = spec.surface === "scim";
  const config: AxiosRequestConfig = {
    method: spec.method,
    url: spec.path,
    baseURL: scim ? settings.scimUrl : settings.apiUrl,
    params: spec.params,
    data: spec.body,
    headers: {
      ...(scim && { Accept: `${SCIM_MEDIA_TYPE}, application/json` }),
      ...(scim && spec.body !== undefined && { "Content-Type": SCIM_MEDIA_TYPE }),
      ...spec.headers,
    },
  };
  // axios-retry's per-request options: a POST marked idempotent may be repeated after a 5xx or lost answer.
  if (spec.idempotent) config["axios-retry"] = { retryCondition: (error) => isRetryable(error, true) };
  let data: unknown;
  let status: number;
  let etag: string | undefined;
  try {
    const response = await http.request(config);
    data = response.data;
    status = response.status;
    const header: unknown = response.headers.etag;
    etag = typeof header === "string" && header !== "" ? header : undefined;
  } catch (error) {
    if (error instanceof CredentialError) throw new AuthenticationError(spec.context, error.status, error.message);
    throw toTravelPerkError(error, spec.context, credentialHint(scim ? "scim" : "rest", settings, credentials));
  }
  if (!spec.schema) return { data: undefined as T, status, etag };
  const parsed = spec.schema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues.at(0);
    const where = issue && issue.path.length > 0 ? issue.path.join(".") : "answer";
    const shape = typeof data === "string" ? "a text answer" : `${where}: ${issue?.message ?? "unexpected shape"}`;
    throw new MalformedResponseError(spec.context, status, `malformed answer (${shape})`);
  }
  return { data: parsed.data, status, etag };
}

/**
 * What a 401 means on each surface, naming the credential that was sent (never its value): the SCIM
 * token and the REST credential are the classic mix-up.
 */
function credentialHint(
  surface: Surface,
  settings: ResolvedSettings,
  credentials: Record<Surface, CredentialSource>,
): string {
  const sent = credentials[surface].description;
  const scimKey = settingFor("scimToken", settings.connection).configKey;
  if (surface === "scim")
    return (
      `SCIM refused ${sent}. SCIM needs the SCIM token from TravelPerk's Settings › Integrations › SCIM (set it as ${scimKey}) ` +
      `or, where the organisation uses one credential for both APIs, the REST credential (leave ${scimKey} unset).`
    );
  const oauth = settings.credentials.kind === "oauth";
  return (
    `REST refused ${sent}${oauth ? " even after renewing it (does the app have the scopes users:read users:write companies:read?)" : ""}. ` +
    `A SCIM token (Settings › Integrations › SCIM) does not work on REST: it belongs in ${scimKey}; ` +
    "REST needs an OAuth credential (npx pulumi-travelperk login) or an API key."
  );
}

/** Largest page the API serves (the contract refuses a larger limit). */
export const PAGE_LIMIT = 200;

/** Parses each item of a page, or fails naming the first malformed one. */
function parseItems<T>(raw: unknown[], item: z.ZodType<T>, context: RequestContext): T[] {
  return raw.map((value) => {
    const parsed = item.safeParse(value);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues.at(0);
    throw new MalformedResponseError(
      context,
      200,
      `malformed list item (${issue?.path.join(".") || "item"}: ${issue?.message ?? "unexpected shape"})`,
    );
  });
}

/**
 * Reads every item of a paged REST collection. Tolerant of the live API's habits: the list is under
 * `results` or the one array-valued key, and a server may serve fewer items per page than asked
 * without saying so. Paging continues while `total` says more remain; without a total it stops only
 * on an empty page, or on a page shorter than a `limit` the server answered below the one asked.
 * An answer with no paging field at all that comes back the same for the next offset is an
 * unpaged collection, read whole.
 */
export async function listAll<T>(path: string, item: z.ZodType<T>, context: RequestContext): Promise<T[]> {
  const items: T[] = [];
  let previous: string | undefined;
  for (let offset = 0; ;) {
    const page = await request<unknown>({
      method: "GET",
      path,
      params: { limit: PAGE_LIMIT, offset },
      schema: z.unknown(),
      context,
    });
    const { results, total, limit, paged } = readPage(page, context);
    // A server that ignores `offset` answers the same page forever. Without any paging field the
    // answer is an unpaged collection, already read whole; one that claims paging is an error.
    const text = JSON.stringify(results);
    if (offset > 0 && text === previous) {
      if (!paged) return items;
      throw new MalformedResponseError(context, 200, "the server answered the same page again (is offset ignored?)");
    }
    previous = text;
    items.push(...parseItems(results, item, context));
    offset += results.length;
    if (results.length === 0) return items;
    // Without a total, a short page ends the listing only when the server said it lowered the limit;
    // a server that caps pages silently echoes the limit asked, so only an empty page is the end.
    if (total !== undefined ? offset >= total : limit !== undefined && limit < PAGE_LIMIT && results.length < limit)
      return items;
  }
}

function readPage(
  page: unknown,
  context: RequestContext,
): { results: unknown[]; total?: number; limit?: number; paged: boolean } {
  if (Array.isArray(page)) return { results: page, paged: false };
  if (page && typeof page === "object") {
    const record = page as Record<string, unknown>;
    const total = typeof record.total === "number" ? record.total : undefined;
    const limit = typeof record.limit === "number" && record.limit > 0 ? record.limit : undefined;
    const paged = ["total", "limit", "offset"].some((key) => key in record);
    if (Array.isArray(record.results)) return { results: record.results, total, limit, paged };
    const arrays = Object.values(record).filter(Array.isArray);
    if (arrays.length === 1) return { results: arrays[0] as unknown[], total, limit, paged };
  }
  throw new MalformedResponseError(context, 200, "malformed answer (expected a page with a results list)");
}

const scimListResponse = z.object({
  totalResults: z.coerce.number().int().nonnegative().optional(),
  Resources: z.array(z.unknown()).optional(),
});

/**
 * Reads every resource of a SCIM collection (RFC 7644 §3.4.2.4): 1-based `startIndex`/`count` pages
 * until `totalResults` is reached, whatever `itemsPerPage` says (servers cap pages silently).
 */
export async function listAllScim<T>(
  path: string,
  item: z.ZodType<T>,
  context: RequestContext,
  params: Record<string, string> = {},
): Promise<T[]> {
  const items: T[] = [];
  for (;;) {
    const page = await request({
      method: "GET",
      path,
      surface: "scim",
      params: { ...params, startIndex: items.length + 1, count: PAGE_LIMIT },
      schema: scimListResponse,
      context,
    });
    const resources = page.Resources ?? [];
    items.push(...parseItems(resources, item, context));
    // totalResults is required by the RFC; a server that omits it is read until an empty page.
    if (resources.length === 0 || (page.totalResults !== undefined && items.length >= page.totalResults)) return items;
  }
}
