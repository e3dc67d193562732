/**
 * Credentials and settings, read at run time inside the provider process.
 *
 * Stack config (delivered by the engine through `configure`) wins over environment variables.
 * Nothing here is ever captured into a serialized provider: resources only `require` the runtime
 * entry point by package name, and the runtime reads this module's state when a request is made.
 */

import * as os from "node:os";
import * as path from "node:path";
import { DEFAULTS, type RateControl } from "./defaults";
import { CONNECTION_NAME, DEFAULT_CONNECTION, connectionLabel, currentConnection } from "./connection";

/** Where the live API lives when nothing else is configured. */
export const DEFAULT_API_URL = DEFAULTS.apiUrl;

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
 * @property __type.clientId OAuth client id of your TravelPerk app (not a secret); with `clientSecret` and `refreshToken` the provider obtains access tokens itself. Default: none.
 * @property __type.clientId.__type.configKey The stack config key, `travelperk:clientId`.
 * @property __type.clientId.__type.envVar The environment variable read when the stack config does not set the key.
 * @property __type.clientSecret OAuth client secret of your TravelPerk app (secret). Default: none.
 * @property __type.clientSecret.__type.configKey The stack config key, `travelperk:clientSecret`.
 * @property __type.clientSecret.__type.envVar The environment variable read when the stack config does not set the key.
 * @property __type.refreshToken OAuth refresh token, as `npx pulumi-travelperk login` stores it (secret). Default: none.
 * @property __type.refreshToken.__type.configKey The stack config key, `travelperk:refreshToken`.
 * @property __type.refreshToken.__type.envVar The environment variable read when the stack config does not set the key.
 * @property __type.authorizeUrl OAuth authorize endpoint. Default: `<origin of apiUrl>/oauth2/authorize`.
 * @property __type.authorizeUrl.__type.configKey The stack config key, `travelperk:authorizeUrl`.
 * @property __type.authorizeUrl.__type.envVar The environment variable read when the stack config does not set the key.
 * @property __type.tokenUrl OAuth token endpoint. Default: `<origin of apiUrl>/oauth2/token` (public clients of the live API use `https://app.travelperk.com/accounts/oauth2/token/`).
 * @property __type.tokenUrl.__type.configKey The stack config key, `travelperk:tokenUrl`.
 * @property __type.tokenUrl.__type.envVar The environment variable read when the stack config does not set the key.
 * @property __type.tokenCache File (mode 0600, outside the repository) where the processes of a command share the OAuth token chain. Default: `~/.cache/pulumi-travelperk/tokens.json`, with a warning when a refresh token is rotated.
 * @property __type.tokenCache.__type.configKey The stack config key, `travelperk:tokenCache`.
 * @property __type.tokenCache.__type.envVar The environment variable read when the stack config does not set the key.
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
  clientId: { configKey: "travelperk:clientId", envVar: "TRAVELPERK_CLIENT_ID" },
  clientSecret: { configKey: "travelperk:clientSecret", envVar: "TRAVELPERK_CLIENT_SECRET" },
  refreshToken: { configKey: "travelperk:refreshToken", envVar: "TRAVELPERK_REFRESH_TOKEN" },
  authorizeUrl: { configKey: "travelperk:authorizeUrl", envVar: "TRAVELPERK_AUTHORIZE_URL" },
  tokenUrl: { configKey: "travelperk:tokenUrl", envVar: "TRAVELPERK_TOKEN_URL" },
  tokenCache: { configKey: "travelperk:tokenCache", envVar: "TRAVELPERK_TOKEN_CACHE" },
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

/** A setting's name, e.g. `apiUrl`. */
export type SettingName = keyof typeof SETTINGS;

/**
 * Settings of the machine or the run rather than of an organisation: a connection that does not set
 * its own value uses the default connection's. Everything else (URLs, credentials, the transport) is
 * read for the connection only, so nothing of one organisation is ever used for another.
 */
const SHARED_SETTINGS: ReadonlySet<SettingName> = new Set<SettingName>([
  "tokenCache",
  "maxRetries",
  "retryBaseDelayMs",
  "requestTimeoutMs",
  "maxConcurrentRequests",
  "maxRequestsPerSecond",
  "rateControl",
]);

/** Keys that hold a credential: stored with `--secret` or not at all (`clientId` is not a secret). */
export const CREDENTIAL_SETTINGS = ["accessToken", "apiKey", "clientSecret", "refreshToken", "scimToken"] as const;

/** Raised for a connection name that cannot be a config key segment. */
export class InvalidConnectionError extends Error {
  constructor(name: string, reason?: string) {
    super(
      reason ??
        `connection ${JSON.stringify(name)} is not a valid connection name: use lower-case letters and digits, words joined by "-" or "_" (e.g. "emea")`,
    );
    this.name = "InvalidConnectionError";
  }
}

/** Throws unless `connection` is "" (the default) or a valid name. */
export function checkConnectionName(connection: string): void {
  if (connection !== DEFAULT_CONNECTION && !CONNECTION_NAME.test(connection))
    throw new InvalidConnectionError(connection);
}

/** The keys of a setting for a connection: `travelperk:emea.apiUrl` and `TRAVELPERK_EMEA_API_URL`. */
export function settingFor(name: SettingName, connection: string = currentConnection()): Setting {
  const base = SETTINGS[name];
  if (connection === DEFAULT_CONNECTION) return base;
  checkConnectionName(connection);
  return {
    configKey: base.configKey.replace("travelperk:", `travelperk:${connection}.`),
    envVar: base.envVar.replace("TRAVELPERK_", `TRAVELPERK_${connection.toUpperCase().replace(/-/g, "_")}_`),
  };
}

/** How the client authenticates; `from` names the key or variable the credential came from (never its value). */
export type Credentials =
  | { kind: "oauth"; clientId: string; clientSecret: string; refreshToken: string; tokenUrl: string; from: string }
  | { kind: "accessToken"; token: string; from: string }
  | { kind: "apiKey"; key: string; from: string }
  | { kind: "scimToken"; token: string; from: string };

/** The APIs that can carry user and membership operations. */
export const USER_APIS = ["rest", "scim"] as const;
/** `rest` (the guide's REST API) or `scim` (SCIM 2.0 with TravelPerk's extension). */
export type UserApiKind = (typeof USER_APIS)[number];

/** Settings the client needs, resolved from stack config and environment for one connection. */
export interface ResolvedSettings {
  /** The connection these settings are for ("" = the default). */
  connection: string;
  apiUrl: string;
  credentials: Credentials;
  /** Which API carries user and membership operations. */
  userApi: UserApiKind;
  /** Base URL of the SCIM API. */
  scimUrl: string;
  /** What SCIM requests carry: the separate SCIM token when one is set, else the REST credential. */
  scimCredentials: Credentials;
  /** The OAuth endpoints (login uses both; the provider only the token endpoint). */
  authorizeUrl: string;
  tokenUrl: string;
  /** Where the processes of a command share the token chain; `named` when a setting chose the file. */
  tokenCache: { path: string; named: boolean };
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

/** Every way to give a connection a credential, as a sentence. */
function waysToSetCredentials(connection: string): string {
  const key = (name: SettingName) => settingFor(name, connection).configKey;
  const env = (name: SettingName) => settingFor(name, connection).envVar;
  const stackFlag = connection === DEFAULT_CONNECTION ? "" : ` --connection ${connection}`;
  return (
    `run \`npx pulumi-travelperk login${stackFlag}\` (stores ${key("clientId")}, ${key("clientSecret")} and ${key("refreshToken")}), ` +
    `or set ${env("clientId")}, ${env("clientSecret")} and ${env("refreshToken")}; ` +
    `or an access token: pulumi config set --secret ${key("accessToken")} … (or ${env("accessToken")}); ` +
    `or an API key: pulumi config set --secret ${key("apiKey")} … (or ${env("apiKey")})`
  );
}

/** Raised when no credential is configured; names every way to set one. */
export class MissingCredentialsError extends Error {
  /**
   * Builds the error for one connection.
   *
   * @param connection - the connection without credentials (default: the default connection, "")
   */
  constructor(connection: string = DEFAULT_CONNECTION) {
    super(
      `TravelPerk credentials are missing for ${connectionLabel(connection)}: ${waysToSetCredentials(connection)}.`,
    );
    this.name = "MissingCredentialsError";
  }
}

/** Raised when a connection has more than one kind of credential; names the keys, never the values. */
export class ConflictingCredentialsError extends Error {
  constructor(connection: string, sources: string[]) {
    super(
      `TravelPerk credentials conflict for ${connectionLabel(connection)}: ${sources.join(" and ")} are both set; ` +
        "set one kind only (an OAuth refresh token with its client, an access token, or an API key) and unset the other.",
    );
    this.name = "ConflictingCredentialsError";
  }
}

/** Raised when a refresh token is set without the client that can use it. */
export class IncompleteCredentialsError extends Error {
  constructor(from: string, missing: string[]) {
    super(
      `${from} is set but ${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not: a refresh token is exchanged by its OAuth client.`,
    );
    this.name = "IncompleteCredentialsError";
  }
}

/** Raised when the SCIM token holds the value of the REST credential: the classic token mix-up. */
export class ScimTokenConfusionError extends Error {
  constructor(scimFrom: string, restFrom: string) {
    super(
      `${scimFrom} holds the same value as ${restFrom}. The SCIM token is a separate credential (TravelPerk Settings › Integrations › SCIM); ` +
        `where the organisation uses one credential for both APIs, leave ${scimFrom} unset and SCIM requests carry the REST credential.`,
    );
    this.name = "ScimTokenConfusionError";
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
  /** Every key, where the source can list them (to find the connections a stack configures). */
  keys?(): Iterable<string>;
}

let stackConfig: ConfigSource | undefined;

/** Remembers the stack config the engine delivered; called from each provider's `configure`. */
export function setStackConfig(config: ConfigSource | undefined): void {
  stackConfig = config;
}

/** A value and the key or variable it came from (messages name the source, never the value). */
interface Found {
  value: string;
  from: string;
}

function lookup(
  name: SettingName,
  connection: string,
  env: NodeJS.ProcessEnv,
  source: ConfigSource | undefined = stackConfig,
): Found | undefined {
  const setting = settingFor(name, connection);
  const fromStack = source?.get(setting.configKey);
  if (typeof fromStack === "string" && fromStack !== "") return { value: fromStack, from: setting.configKey };
  const fromEnv = env[setting.envVar];
  if (fromEnv !== undefined && fromEnv !== "") return { value: fromEnv, from: setting.envVar };
  if (connection !== DEFAULT_CONNECTION && SHARED_SETTINGS.has(name))
    return lookup(name, DEFAULT_CONNECTION, env, source);
  return undefined;
}

function read(
  name: SettingName,
  connection: string,
  env: NodeJS.ProcessEnv,
  source: ConfigSource | undefined = stackConfig,
): string | undefined {
  return lookup(name, connection, env, source)?.value;
}

function readNumber(name: SettingName, connection: string, env: NodeJS.ProcessEnv, fallback: number): number {
  const raw = read(name, connection, env);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new InvalidSettingError(settingFor(name, connection), raw);
  return value;
}

/** `travelperk:rateControl`: a JSON object whose keys are RATE_CONTROL's, each a non-negative number. */
function readRateControl(connection: string, env: NodeJS.ProcessEnv): Partial<RateControl> {
  const raw = read("rateControl", connection, env);
  if (raw === undefined) return {};
  const setting = settingFor("rateControl", connection);
  const fail = (why: string) =>
    new Error(`${setting.configKey} / ${setting.envVar}: ${why}, got ${JSON.stringify(raw)}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw fail("must be a JSON object");
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw fail("must be a JSON object");
  const overrides: Partial<Record<keyof RateControl, number>> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!Object.hasOwn(DEFAULTS.pace, key))
      throw fail(`unknown parameter "${key}" (known: ${Object.keys(DEFAULTS.pace).join(", ")})`);
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0)
      throw fail(`"${key}" must be a non-negative number`);
    overrides[key as keyof RateControl] = value;
  }
  return overrides;
}

/** The user API chosen (`travelperk:userApi`); needs no credential, so `check` can ask it. */
export function resolveUserApi(env: NodeJS.ProcessEnv = process.env, connection = currentConnection()): UserApiKind {
  const raw = read("userApi", connection, env)?.trim().toLowerCase() ?? DEFAULTS.userApi;
  if (!(USER_APIS as readonly string[]).includes(raw))
    throw new InvalidChoiceError(settingFor("userApi", connection), raw, USER_APIS);
  return raw as UserApiKind;
}

/** The SCIM base URL of the guide's layout: `<origin of apiUrl>/api/scim/v2`. */
export function defaultScimUrl(apiUrl: string): string {
  return `${new URL(apiUrl).origin}${DEFAULTS.scimPath}`;
}

/** The connection's API base URL (no trailing slash). */
export function resolveApiUrl(
  env: NodeJS.ProcessEnv = process.env,
  connection = currentConnection(),
  source: ConfigSource | undefined = stackConfig,
): string {
  return (read("apiUrl", connection, env, source) ?? DEFAULT_API_URL).replace(/\/+$/, "");
}

/** The OAuth endpoints: `<origin of apiUrl>/oauth2/authorize` and `/oauth2/token` unless set. */
export function resolveOAuthEndpoints(
  env: NodeJS.ProcessEnv = process.env,
  connection = currentConnection(),
  source: ConfigSource | undefined = stackConfig,
): { authorizeUrl: string; tokenUrl: string } {
  const origin = new URL(resolveApiUrl(env, connection, source)).origin;
  return {
    authorizeUrl: read("authorizeUrl", connection, env, source) ?? `${origin}${DEFAULTS.authorizePath}`,
    tokenUrl: read("tokenUrl", connection, env, source) ?? `${origin}${DEFAULTS.tokenPath}`,
  };
}

/** The default token cache: `$XDG_CACHE_HOME/pulumi-travelperk/tokens.json` (else under `~/.cache`). */
export function defaultTokenCachePath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(base, ...DEFAULTS.tokenCacheFile);
}

/** The token cache file of a connection, and whether a setting named it. */
export function resolveTokenCache(
  env: NodeJS.ProcessEnv = process.env,
  connection = currentConnection(),
  source: ConfigSource | undefined = stackConfig,
): { path: string; named: boolean } {
  const named = read("tokenCache", connection, env, source);
  return named === undefined
    ? { path: defaultTokenCachePath(env), named: false }
    : { path: path.resolve(named), named: true };
}

/**
 * The connection's REST credential, or undefined when none is set. Throws when two kinds are set,
 * when a refresh token lacks its client, or when the SCIM token repeats a REST credential.
 */
export function resolveCredentials(
  env: NodeJS.ProcessEnv = process.env,
  connection = currentConnection(),
  source: ConfigSource | undefined = stackConfig,
): Credentials | undefined {
  const found = (name: SettingName) => lookup(name, connection, env, source);
  const [refreshToken, accessToken, apiKey] = [found("refreshToken"), found("accessToken"), found("apiKey")];
  const set = [refreshToken, accessToken, apiKey].filter((f): f is Found => f !== undefined);
  if (set.length > 1)
    throw new ConflictingCredentialsError(
      connection,
      set.map((f) => f.from),
    );
  const scimToken = found("scimToken");
  if (scimToken) {
    for (const rest of [...set, found("clientSecret")])
      if (rest && rest.value === scimToken.value) throw new ScimTokenConfusionError(scimToken.from, rest.from);
  }
  if (refreshToken) {
    const [clientId, clientSecret] = [found("clientId"), found("clientSecret")];
    const missing = [
      ...(clientId ? [] : [settingFor("clientId", connection)]),
      ...(clientSecret ? [] : [settingFor("clientSecret", connection)]),
    ].map((setting) => `${setting.configKey} (or ${setting.envVar})`);
    if (!clientId || !clientSecret) throw new IncompleteCredentialsError(refreshToken.from, missing);
    return {
      kind: "oauth",
      clientId: clientId.value,
      clientSecret: clientSecret.value,
      refreshToken: refreshToken.value,
      tokenUrl: resolveOAuthEndpoints(env, connection, source).tokenUrl,
      from: refreshToken.from,
    };
  }
  if (accessToken) return { kind: "accessToken", token: accessToken.value, from: accessToken.from };
  if (apiKey) return { kind: "apiKey", key: apiKey.value, from: apiKey.from };
  return undefined;
}

/** The connections a config source names (`travelperk:<connection>.<setting>` keys), the default first. */
export function configuredConnections(source: ConfigSource | undefined = stackConfig): string[] {
  const names = new Set<string>([DEFAULT_CONNECTION]);
  const settingNames = new Set(Object.keys(SETTINGS));
  for (const key of source?.keys?.() ?? []) {
    const match = /^travelperk:([^.:]+)\.([A-Za-z]+)$/.exec(key);
    if (match && settingNames.has(match[2])) names.add(match[1]);
  }
  return [...names];
}

/**
 * What `configure` refuses before anything is sent: a bad connection name, two credential kinds, a
 * refresh token without its client, a SCIM token equal to a REST credential. A missing credential is
 * not refused here (a connection may be unused); the first request reports it.
 */
export function validateConnections(env: NodeJS.ProcessEnv = process.env): void {
  const byVariablePrefix = new Map<string, string>();
  for (const connection of configuredConnections()) {
    checkConnectionName(connection);
    // "us-west" and "us_west" would read the same TRAVELPERK_US_WEST_* variables.
    const prefix = settingFor("apiUrl", connection).envVar;
    const other = byVariablePrefix.get(prefix);
    if (other !== undefined)
      throw new InvalidConnectionError(
        connection,
        `connections ${JSON.stringify(other)} and ${JSON.stringify(connection)} share the environment variables ${prefix.replace(/API_URL$/, "*")}: name one of them differently`,
      );
    byVariablePrefix.set(prefix, connection);
    resolveCredentials(env, connection);
  }
}

/** Every stack config key and environment value a connection reads, as one string: equal settings, equal text. */
export function settingsFingerprint(env: NodeJS.ProcessEnv = process.env, connection = currentConnection()): string {
  return JSON.stringify((Object.keys(SETTINGS) as SettingName[]).map((name) => read(name, connection, env) ?? null));
}

/** Resolves the connection's settings now (stack config, then environment); throws when no credential is set. */
export function resolveSettings(
  env: NodeJS.ProcessEnv = process.env,
  connection = currentConnection(),
): ResolvedSettings {
  const credentials = resolveCredentials(env, connection);
  if (!credentials) throw new MissingCredentialsError(connection);
  const apiUrl = resolveApiUrl(env, connection);
  const scimToken = lookup("scimToken", connection, env);
  const maxPerSecond = read("maxRequestsPerSecond", connection, env);
  return {
    connection,
    apiUrl,
    credentials,
    userApi: resolveUserApi(env, connection),
    scimUrl: (read("scimUrl", connection, env) ?? defaultScimUrl(apiUrl)).replace(/\/+$/, ""),
    scimCredentials:
      scimToken === undefined ? credentials : { kind: "scimToken", token: scimToken.value, from: scimToken.from },
    ...resolveOAuthEndpoints(env, connection),
    tokenCache: resolveTokenCache(env, connection),
    maxRetries: readNumber("maxRetries", connection, env, DEFAULTS.retry.retries),
    retryBaseDelayMs: readNumber("retryBaseDelayMs", connection, env, DEFAULTS.retry.baseDelayMs),
    requestTimeoutMs: readNumber("requestTimeoutMs", connection, env, DEFAULTS.requestTimeoutMs),
    maxConcurrentRequests: Math.max(
      1,
      Math.floor(readNumber("maxConcurrentRequests", connection, env, DEFAULTS.maxConcurrentRequests)),
    ),
    maxRequestsPerSecond:
      maxPerSecond === undefined ? undefined : readNumber("maxRequestsPerSecond", connection, env, 0) || undefined,
    rateControl: readRateControl(connection, env),
  };
}
