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
import {
  AuthenticationError,
  MalformedResponseError,
  describeIssue,
  requestIdOf,
  toTravelPerkError,
  type RequestContext,
  type RequestTarget,
} from "./errors";
import {
  clientRetryOptions,
  isCredentialRejected,
  postRetryOptions,
  serverRequestedDelayMs,
  type PostRepeat,
} from "./retry";
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
  /** How a POST may be repeated after a 5xx or a lost connection (retry.ts); by default it is not. */
  repeat?: PostRepeat;
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
  axiosRetry(http, clientRetryOptions(settings.maxRetries, settings.retryBaseDelayMs));
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
  /** Where the request went, for errors about its answer. */
  target: RequestTarget;
  /** The server's id of the request, when the answer carried one. */
  requestId?: string;
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
  if (spec.repeat !== undefined) config["axios-retry"] = postRetryOptions(spec.repeat);
  const target = requestTarget(config);
  let data: unknown;
  let status: number;
  let etag: string | undefined;
  let requestId: string | undefined;
  try {
    const response = await http.request(config);
    data = response.data;
    status = response.status;
    const header: unknown = response.headers.etag;
    etag = typeof header === "string" && header !== "" ? header : undefined;
    requestId = requestIdOf(response.headers);
  } catch (error) {
    if (error instanceof CredentialError)
      throw new AuthenticationError(spec.context, error.status, { detail: error.message, target, cause: error });
    const hint = credentialHint(scim ? "scim" : "rest", settings, credentials);
    throw toTravelPerkError(error, spec.context, { target, hint });
  }
  if (!spec.schema) return { data: undefined as T, status, etag, target, requestId };
  const parsed = spec.schema.safeParse(data);
  if (!parsed.success) {
    const shape = typeof data === "string" ? "a text answer" : describeIssue(parsed.error, "answer");
    throw new MalformedResponseError(spec.context, status, {
      detail: `malformed answer (${shape})`,
      target,
      requestId,
      cause: parsed.error,
    });
  }
  return { data: parsed.data, status, etag, target, requestId };
}

/** The method and the path a request goes to (base URL's path included), without host or query string. */
function requestTarget(config: AxiosRequestConfig): RequestTarget {
  const method = String(config.method).toUpperCase();
  try {
    return { method, path: new URL(axios.getUri({ baseURL: config.baseURL, url: config.url })).pathname };
  } catch {
    // A base URL that is no URL fails the request itself; the error still names the path asked for.
    return { method, path: String(config.url) };
  }
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
