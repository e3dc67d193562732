/**
 * Credentials and settings, read at run time inside the provider process.
 *
 * Stack config (delivered by the engine through `configure`) wins over environment variables.
 * Nothing here is ever captured into a serialized provider: resources only `require` the runtime
 * entry point by package name, and the runtime reads this module's state when a request is made.
 */

import { RATE_CONTROL, type RateControl } from "./client/scheduler";

/** Where the live API lives when nothing else is configured. */
export const DEFAULT_API_URL = "https://app.travelperk.com/api/v2";

/** A configuration value as the Pulumi config or environment spells it. */
interface Setting {
  /** The stack config key, e.g. `travelperk:apiUrl`. */
  configKey: string;
  /** The environment variable read when the stack config does not set the key. */
  envVar: string;
}

/**
 * Every setting the provider reads, in one table: the README's config table mirrors it. Each entry
 * names its stack config key (`configKey`) and its environment variable (`envVar`); stack config wins.
 *
 * @property __type.apiUrl Base URL of the TravelPerk API. Default: {@link DEFAULT_API_URL}.
 * @property __type.apiUrl.__type.configKey The stack config key, `travelperk:apiUrl`.
 * @property __type.apiUrl.__type.envVar The environment variable read when the stack config does not set the key.
 * @property __type.accessToken OAuth access token, sent as `Authorization: Bearer …` (secret). Default: none.
 * @property __type.accessToken.__type.configKey The stack config key, `travelperk:accessToken`.
 * @property __type.accessToken.__type.envVar The environment variable read when the stack config does not set the key.
 * @property __type.apiKey API key, sent as `Authorization: ApiKey …` (secret); used when no access token is set. Default: none.
 * @property __type.apiKey.__type.configKey The stack config key, `travelperk:apiKey`.
 * @property __type.apiKey.__type.envVar The environment variable read when the stack config does not set the key.
 * @property __type.maxRetries Retries of a failed request. Default: `8`.
 * @property __type.maxRetries.__type.configKey The stack config key, `travelperk:maxRetries`.
 * @property __type.maxRetries.__type.envVar The environment variable read when the stack config does not set the key.
 * @property __type.retryBaseDelayMs First backoff step, in milliseconds. Default: `500`.
 * @property __type.retryBaseDelayMs.__type.configKey The stack config key, `travelperk:retryBaseDelayMs`.
 * @property __type.retryBaseDelayMs.__type.envVar The environment variable read when the stack config does not set the key.
 * @property __type.requestTimeoutMs Timeout of each attempt, in milliseconds. Default: `30000`.
 * @property __type.requestTimeoutMs.__type.configKey The stack config key, `travelperk:requestTimeoutMs`.
 * @property __type.requestTimeoutMs.__type.envVar The environment variable read when the stack config does not set the key.
 * @property __type.maxConcurrentRequests Requests in flight at once, across all resources of the process. Default: `8`.
 * @property __type.maxConcurrentRequests.__type.configKey The stack config key, `travelperk:maxConcurrentRequests`.
 * @property __type.maxConcurrentRequests.__type.envVar The environment variable read when the stack config does not set the key.
 * @property __type.maxRequestsPerSecond A fixed ceiling of requests per second. Default: none (the pace is learned from 429 answers).
 * @property __type.maxRequestsPerSecond.__type.configKey The stack config key, `travelperk:maxRequestsPerSecond`.
 * @property __type.maxRequestsPerSecond.__type.envVar The environment variable read when the stack config does not set the key.
 * @property __type.rateControl Overrides of the pace's parameters (`RATE_CONTROL` in the client's scheduler), as a JSON object, e.g. `{"closeAfter": 4}`. Default: none (the documented defaults).
 * @property __type.rateControl.__type.configKey The stack config key, `travelperk:rateControl`.
 * @property __type.rateControl.__type.envVar The environment variable read when the stack config does not set the key.
 * @property __type.userApi Which API carries user and membership operations: `rest` (the guide's REST, default) or `scim` (SCIM 2.0 with TravelPerk's extension, as the live API runs).
 * @property __type.userApi.__type.configKey The stack config key, `travelperk:userApi`.
 * @property __type.userApi.__type.envVar The environment variable read when the stack config does not set the key.
 * @property __type.scimUrl Base URL of the SCIM API. Default: `<origin of apiUrl>/api/scim/v2` (the guide's layout; on the live host it is `<apiUrl>/scim`).
 * @property __type.scimUrl.__type.configKey The stack config key, `travelperk:scimUrl`.
 * @property __type.scimUrl.__type.envVar The environment variable read when the stack config does not set the key.
 * @property __type.scimToken A separate SCIM bearer token (secret). Default: none, SCIM requests carry the REST credential, as the live API does.
 * @property __type.scimToken.__type.configKey The stack config key, `travelperk:scimToken`.
 * @property __type.scimToken.__type.envVar The environment variable read when the stack config does not set the key.
 */
export const SETTINGS = {
  apiUrl: { configKey: "travelperk:apiUrl", envVar: "TRAVELPERK_API_URL" },
  accessToken: { configKey: "travelperk:accessToken", envVar: "TRAVELPERK_ACCESS_TOKEN" },
  apiKey: { configKey: "travelperk:apiKey", envVar: "TRAVELPERK_API_KEY" },
  maxRetries: { configKey: "travelperk:maxRetries", envVar: "TRAVELPERK_MAX_RETRIES" },
  retryBaseDelayMs: { configKey: "travelperk:retryBaseDelayMs", envVar: "TRAVELPERK_RETRY_BASE_DELAY_MS" },
  requestTimeoutMs: { configKey: "travelperk:requestTimeoutMs", envVar: "TRAVELPERK_REQUEST_TIMEOUT_MS" },
  maxConcurrentRequests: {
    configKey: "travelperk:maxConcurrentRequests",
    envVar: "TRAVELPERK_MAX_CONCURRENT_REQUESTS",
  },
  maxRequestsPerSecond: { configKey: "travelperk:maxRequestsPerSecond", envVar: "TRAVELPERK_MAX_REQUESTS_PER_SECOND" },
  rateControl: { configKey: "travelperk:rateControl", envVar: "TRAVELPERK_RATE_CONTROL" },
  userApi: { configKey: "travelperk:userApi", envVar: "TRAVELPERK_USER_API" },
  scimUrl: { configKey: "travelperk:scimUrl", envVar: "TRAVELPERK_SCIM_URL" },
  scimToken: { configKey: "travelperk:scimToken", envVar: "TRAVELPERK_SCIM_TOKEN" },
} as const satisfies Record<string, Setting>;

/** How the client authenticates. OAuth refresh will join this union. */
export type Credentials = { kind: "accessToken"; token: string } | { kind: "apiKey"; key: string };

/** The APIs that can carry user and membership operations. */
export const USER_APIS = ["rest", "scim"] as const;
/** `rest` (the guide's REST API) or `scim` (SCIM 2.0 with TravelPerk's extension). */
export type UserApiKind = (typeof USER_APIS)[number];

/** Settings the client needs, resolved from stack config and environment. */
export interface ResolvedSettings {
  apiUrl: string;
  credentials: Credentials;
  /** Which API carries user and membership operations. */
  userApi: UserApiKind;
  /** Base URL of the SCIM API. */
  scimUrl: string;
  /** What SCIM requests carry: the separate SCIM token when one is set, else the REST credential. */
  scimCredentials: Credentials;
  maxRetries: number;
  retryBaseDelayMs: number;
  requestTimeoutMs: number;
  /** Requests in flight at once, across all resources of the process. */
  maxConcurrentRequests: number;
  /** A fixed ceiling of requests per second; undefined means the pace is learned from 429s only. */
  maxRequestsPerSecond?: number;
  /** Overrides of the pace's parameters (`travelperk:rateControl`). */
  rateControl: Partial<RateControl>;
}

/** Raised when no credential is configured; names both ways to set one. */
export class MissingCredentialsError extends Error {
  /** Builds the error; its message names the stack config keys and environment variables to set. */
  constructor() {
    super(
      "TravelPerk credentials are missing: set the stack config `travelperk:accessToken` " +
        "(pulumi config set --secret travelperk:accessToken <token>) or `travelperk:apiKey`, " +
        "or the environment variable TRAVELPERK_ACCESS_TOKEN or TRAVELPERK_API_KEY.",
    );
    this.name = "MissingCredentialsError";
  }
}

/** Raised when a numeric setting does not hold a usable number. */
export class InvalidSettingError extends Error {
  constructor(setting: Setting, value: string) {
    super(`${setting.configKey} / ${setting.envVar} must be a non-negative number, got "${value}"`);
    this.name = "InvalidSettingError";
  }
}

/** Raised when a setting holds a value outside its choices. */
export class InvalidChoiceError extends Error {
  constructor(setting: Setting, value: string, choices: readonly string[]) {
    super(
      `${setting.configKey} / ${setting.envVar} must be one of ${choices.map((c) => `"${c}"`).join(", ")}, got "${value}"`,
    );
    this.name = "InvalidChoiceError";
  }
}

/** A source of config values: the engine's `configure` request or a plain map. */
export interface ConfigSource {
  get(key: string): string | undefined;
}

let stackConfig: ConfigSource | undefined;

/** Remembers the stack config the engine delivered; called from each provider's `configure`. */
export function setStackConfig(config: ConfigSource | undefined): void {
  stackConfig = config;
}

function read(setting: Setting, env: NodeJS.ProcessEnv): string | undefined {
  const fromStack = stackConfig?.get(setting.configKey);
  if (typeof fromStack === "string" && fromStack !== "") return fromStack;
  const fromEnv = env[setting.envVar];
  return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv;
}

function readNumber(setting: Setting, env: NodeJS.ProcessEnv, fallback: number): number {
  const raw = read(setting, env);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new InvalidSettingError(setting, raw);
  return value;
}

/** `travelperk:rateControl`: a JSON object whose keys are RATE_CONTROL's, each a non-negative number. */
function readRateControl(env: NodeJS.ProcessEnv): Partial<RateControl> {
  const raw = read(SETTINGS.rateControl, env);
  if (raw === undefined) return {};
  const fail = (why: string) =>
    new Error(`${SETTINGS.rateControl.configKey} / ${SETTINGS.rateControl.envVar}: ${why}, got ${JSON.stringify(raw)}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw fail("must be a JSON object");
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw fail("must be a JSON object");
  const overrides: Partial<Record<keyof RateControl, number>> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!Object.hasOwn(RATE_CONTROL, key))
      throw fail(`unknown parameter "${key}" (known: ${Object.keys(RATE_CONTROL).join(", ")})`);
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0)
      throw fail(`"${key}" must be a non-negative number`);
    overrides[key as keyof RateControl] = value;
  }
  return overrides;
}

/** The user API chosen (`travelperk:userApi`); needs no credential, so `check` can ask it. */
export function resolveUserApi(env: NodeJS.ProcessEnv = process.env): UserApiKind {
  const raw = read(SETTINGS.userApi, env)?.trim().toLowerCase() ?? "rest";
  if (!(USER_APIS as readonly string[]).includes(raw)) throw new InvalidChoiceError(SETTINGS.userApi, raw, USER_APIS);
  return raw as UserApiKind;
}

/** The SCIM base URL of the guide's layout: `<origin of apiUrl>/api/scim/v2`. */
export function defaultScimUrl(apiUrl: string): string {
  return `${new URL(apiUrl).origin}/api/scim/v2`;
}

/** Every stack config key and environment value the provider reads, as one string: equal settings, equal text. */
export function settingsFingerprint(env: NodeJS.ProcessEnv = process.env): string {
  return JSON.stringify(Object.values(SETTINGS).map((setting) => read(setting, env) ?? null));
}

/** Resolves the settings now (stack config, then environment); throws when no credential is set. */
export function resolveSettings(env: NodeJS.ProcessEnv = process.env): ResolvedSettings {
  const accessToken = read(SETTINGS.accessToken, env);
  const apiKey = read(SETTINGS.apiKey, env);
  let credentials: Credentials;
  if (accessToken !== undefined) credentials = { kind: "accessToken", token: accessToken };
  else if (apiKey !== undefined) credentials = { kind: "apiKey", key: apiKey };
  else throw new MissingCredentialsError();
  const apiUrl = (read(SETTINGS.apiUrl, env) ?? DEFAULT_API_URL).replace(/\/+$/, "");
  const scimToken = read(SETTINGS.scimToken, env);
  return {
    apiUrl,
    credentials,
    userApi: resolveUserApi(env),
    scimUrl: (read(SETTINGS.scimUrl, env) ?? defaultScimUrl(apiUrl)).replace(/\/+$/, ""),
    scimCredentials: scimToken === undefined ? credentials : { kind: "accessToken", token: scimToken },
    maxRetries: readNumber(SETTINGS.maxRetries, env, 8),
    retryBaseDelayMs: readNumber(SETTINGS.retryBaseDelayMs, env, 500),
    requestTimeoutMs: readNumber(SETTINGS.requestTimeoutMs, env, 30_000),
    maxConcurrentRequests: Math.max(1, Math.floor(readNumber(SETTINGS.maxConcurrentRequests, env, 8))),
    maxRequestsPerSecond:
      read(SETTINGS.maxRequestsPerSecond, env) === undefined
        ? undefined
        : readNumber(SETTINGS.maxRequestsPerSecond, env, 0) || undefined,
    rateControl: readRateControl(env),
  };
}
