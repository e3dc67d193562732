/**
 * The one request core every TravelPerk call goes through: base URL, auth header, retries,
 * error mapping and answer validation. It lives at module level inside the provider process, so all
 * resources of a run share it; nothing here is captured into state.
 */
import axios, { isAxiosError, type AxiosAdapter, type AxiosInstance, type AxiosRequestConfig } from "axios";
import axiosRetry from "axios-retry";
import { z } from "zod";
import { resolveSettings, type Credentials, type ResolvedSettings } from "../config";
import { MalformedResponseError, toTravelPerkError, type RequestContext } from "./errors";
import { isRetryable, retryDelayMs } from "./retry";
import { RequestScheduler } from "./scheduler";
import { packageVersion } from "../version";

/** One request, as the typed collection functions describe it. */
export interface RequestSpec<T> {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  path: string;
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
}

let client: Client | undefined;

function authorization(credentials: Credentials): string {
  return credentials.kind === "accessToken" ? `Bearer ${credentials.token}` : `ApiKey ${credentials.key}`;
}

const isRateLimited = (outcome: unknown): boolean => isAxiosError(outcome) && outcome.response?.status === 429;

function createClient(settings: ResolvedSettings, key: string): Client {
  const scheduler = new RequestScheduler({
    maxConcurrent: settings.maxConcurrentRequests,
    maxPerSecond: settings.maxRequestsPerSecond,
  });
  // Every attempt, retries included, passes the scheduler: the transport is wrapped, not the call.
  const transport = axios.getAdapter(axios.defaults.adapter);
  const scheduled: AxiosAdapter = (config) => scheduler.run(() => transport(config), isRateLimited);
  const http = axios.create({
    adapter: scheduled,
    baseURL: settings.apiUrl,
    timeout: settings.requestTimeoutMs,
    headers: { Accept: "application/json", "Api-Version": "1", "User-Agent": `pulumi-travelperk/${packageVersion()}` },
  });
  // The auth header is added per request (also per retry) from the current settings, so a refreshed
  // credential is picked up and the instance defaults never hold a token.
  http.interceptors.request.use((config) => {
    config.headers.set("Authorization", authorization(current().settings.credentials));
    return config;
  });
  axiosRetry(http, {
    retries: settings.maxRetries,
    retryCondition: (error) => isRetryable(error),
    retryDelay: (attempt, error) => retryDelayMs(attempt, error, settings.retryBaseDelayMs),
    shouldResetTimeout: true,
  });
  return { key, http, settings, scheduler };
}

/** The client for the settings in force now; rebuilt when they change (e.g. after `configure`). */
function current(): Client {
  const settings = resolveSettings();
  const key = JSON.stringify([
    settings.apiUrl,
    settings.maxRetries,
    settings.retryBaseDelayMs,
    settings.requestTimeoutMs,
    settings.maxConcurrentRequests,
    settings.maxRequestsPerSecond,
  ]);
  if (!client || client.key !== key) client = createClient(settings, key);
  else client.settings = settings;
  return client;
}

/** Drops the client and its scheduler (what the pace learned); the next request builds them afresh. */
export function resetClient(): void {
  client = undefined;
}

/** The scheduler's counters (requests sent, 429s seen, peak concurrency), for benchmarks and logs. */
export function schedulerStats(): RequestScheduler["stats"] | undefined {
  return client?.scheduler.stats;
}

/** Sends one request and returns its validated answer; every failure becomes a TravelPerkError. */
export async function request<T>(spec: RequestSpec<T>): Promise<T> {
  const { http } = current();
  const config: AxiosRequestConfig = { method: spec.method, url: spec.path, params: spec.params, data: spec.body };
  // axios-retry's per-request options: a POST marked idempotent may be repeated after a 5xx or lost answer.
  if (spec.idempotent) config["axios-retry"] = { retryCondition: (error) => isRetryable(error, true) };
  let data: unknown;
  try {
    data = (await http.request(config)).data;
  } catch (error) {
    throw toTravelPerkError(error, spec.context);
  }
  if (!spec.schema) return undefined as T;
  const parsed = spec.schema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues.at(0);
    const where = issue && issue.path.length > 0 ? issue.path.join(".") : "answer";
    const shape = typeof data === "string" ? "a text answer" : `${where}: ${issue?.message ?? "unexpected shape"}`;
    throw new MalformedResponseError(spec.context, 200, `malformed answer (${shape})`);
  }
  return parsed.data;
}

/** Largest page the API serves (the contract refuses a larger limit). */
export const PAGE_LIMIT = 200;

/**
 * Reads every item of a paged collection. Tolerant of the live API's habits: the list is under
 * `results` or the one array-valued key, `total` may be missing, so paging stops on a short page.
 */
export async function listAll<T>(path: string, item: z.ZodType<T>, context: RequestContext): Promise<T[]> {
  const items: T[] = [];
  for (let offset = 0; ;) {
    const page = await request<unknown>({
      method: "GET",
      path,
      params: { limit: PAGE_LIMIT, offset },
      schema: z.unknown(),
      context,
    });
    const { results, total } = readPage(page, context);
    for (const raw of results) {
      const parsed = item.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues.at(0);
        throw new MalformedResponseError(
          context,
          200,
          `malformed list item (${issue?.path.join(".") || "item"}: ${issue?.message ?? "unexpected shape"})`,
        );
      }
      items.push(parsed.data);
    }
    offset += results.length;
    if (results.length < PAGE_LIMIT || (total !== undefined && offset >= total)) return items;
  }
}

function readPage(page: unknown, context: RequestContext): { results: unknown[]; total?: number } {
  if (page && typeof page === "object" && !Array.isArray(page)) {
    const record = page as Record<string, unknown>;
    const total = typeof record.total === "number" ? record.total : undefined;
    if (Array.isArray(record.results)) return { results: record.results, total };
    const arrays = Object.values(record).filter(Array.isArray);
    if (arrays.length === 1) return { results: arrays[0] as unknown[], total };
  }
  throw new MalformedResponseError(context, 200, "malformed answer (expected a page with a results list)");
}
