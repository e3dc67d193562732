/**
 * The settings table: every setting the provider reads, by name, with the stack config key and the
 * environment variable that set it, and the keys of a named connection (`travelperk:emea.apiUrl`,
 * `TRAVELPERK_EMEA_API_URL`). Both spellings derive from the setting's name, so a new setting is one
 * line here; the README's Configuration table mirrors this one. Reading values is setting-values.ts.
 */
import { CONNECTION_NAME, DEFAULT_CONNECTION, currentConnection } from "./connection";

/** The two spellings of a setting: `apiUrl` is `travelperk:apiUrl` and `TRAVELPERK_API_URL`. */
function setting(name: string): {
  /** The stack config key, e.g. `travelperk:apiUrl`. */
  readonly configKey: string;
  /** The environment variable read when the stack config does not set the key, e.g. `TRAVELPERK_API_URL`. */
  readonly envVar: string;
} {
  return { configKey: `travelperk:${name}`, envVar: `TRAVELPERK_${name.replace(/[A-Z]/g, "_$&").toUpperCase()}` };
}

/** A configuration value as the Pulumi config or environment spells it. */
export type Setting = ReturnType<typeof setting>;

/**
 * Every setting the provider reads, in one table: the README's config table mirrors it. Each entry
 * names its stack config key (`configKey`) and its environment variable (`envVar`); stack config wins.
 * Defaults are in DEFAULTS (defaults.ts).
 */
export const SETTINGS = {
  /** Base URL of the TravelPerk API. Default: `https://app.travelperk.com/api/v2` (`DEFAULT_API_URL`). */
  apiUrl: setting("apiUrl"),
  /** OAuth access token, sent as `Authorization: Bearer …` (secret). Default: none. */
  accessToken: setting("accessToken"),
  /** API key, sent as `Authorization: ApiKey …` (secret); used when no access token is set. Default: none. */
  apiKey: setting("apiKey"),
  /**
   * OAuth client id of your TravelPerk app (not a secret); with `clientSecret` and `refreshToken` the
   * provider obtains access tokens itself. Default: none.
   */
  clientId: setting("clientId"),
  /** OAuth client secret of your TravelPerk app (secret). Default: none. */
  clientSecret: setting("clientSecret"),
  /** OAuth refresh token, as `npx pulumi-travelperk login` stores it (secret). Default: none. */
  refreshToken: setting("refreshToken"),
  /** OAuth authorize endpoint. Default: `<origin of apiUrl>/oauth2/authorize`. */
  authorizeUrl: setting("authorizeUrl"),
  /**
   * OAuth token endpoint. Default: `<origin of apiUrl>/oauth2/token` (public clients of the live API
   * use `https://app.travelperk.com/accounts/oauth2/token/`).
   */
  tokenUrl: setting("tokenUrl"),
  /**
   * File (mode 0600, outside the repository) where the processes of a command share the OAuth token
   * chain. Default: `~/.cache/pulumi-travelperk/tokens.json`, with a warning when a refresh token is rotated.
   */
  tokenCache: setting("tokenCache"),
  /** Retries of a failed request. Default: `8`. */
  maxRetries: setting("maxRetries"),
  /** First backoff step, in milliseconds. Default: `500`. */
  retryBaseDelayMs: setting("retryBaseDelayMs"),
  /** Timeout of each attempt, in milliseconds. Default: `30000`. */
  requestTimeoutMs: setting("requestTimeoutMs"),
  /** Requests in flight at once, across all resources of the process. Default: `8`. */
  maxConcurrentRequests: setting("maxConcurrentRequests"),
  /** A fixed ceiling of requests per second. Default: none (the pace is learned from 429 answers). */
  maxRequestsPerSecond: setting("maxRequestsPerSecond"),
  /**
   * Overrides of the pace's parameters (`RATE_CONTROL` in the client's scheduler), as a JSON object,
   * e.g. `{"closeAfter": 4}`. Default: none (the documented defaults).
   */
  rateControl: setting("rateControl"),
  /**
   * Which API carries user and membership operations: `rest` (the guide's REST, default) or `scim`
   * (SCIM 2.0 with TravelPerk's extension, as the live API runs).
   */
  userApi: setting("userApi"),
  /**
   * Base URL of the SCIM API. Default: `<origin of apiUrl>/api/scim/v2` (the guide's layout; on the
   * live host it is `<apiUrl>/scim`).
   */
  scimUrl: setting("scimUrl"),
  /**
   * A separate SCIM bearer token (secret). Default: none, SCIM requests carry the REST credential, as
   * the live API does.
   */
  scimToken: setting("scimToken"),
};

/** A setting's name, e.g. `apiUrl`. */
export type SettingName = keyof typeof SETTINGS;

/**
 * Settings of the machine or the run rather than of an organisation: a connection that does not set
 * its own value uses the default connection's. Everything else (URLs, credentials, the transport) is
 * read for the connection only, so nothing of one organisation is ever used for another.
 */
export const SHARED_SETTINGS: ReadonlySet<SettingName> = new Set<SettingName>([
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
  /**
   * Names the connection and what is wrong with it.
   *
   * @param name - the connection name as given
   * @param reason - the message, when it is not the default "not a valid connection name"
   */
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
