/**
 * Credentials and settings, read at run time inside the provider process.
 *
 * Stack config (delivered by the engine through `configure`) wins over environment variables.
 * Nothing here is ever captured into a serialized provider: resources only `require` the runtime
 * entry point by package name, and the runtime reads this module's state when a request is made.
 *
 * This module assembles a connection's settings (`resolveSettings`) and checks every configured
 * connection (`validateConnections`); the pieces it uses are the settings table (settings.ts),
 * reading values (setting-values.ts), endpoints and the user API (endpoints.ts), credentials
 * (credential-settings.ts) and the defaults (defaults.ts). It re-exports what callers import from it.
 */

import * as os from "node:os";
import * as path from "node:path";
import { currentConnection } from "./connection";
import {
  MissingCredentialsError,
  resolveCredentials,
  resolveScimCredentials,
  type Credentials,
} from "./credential-settings";
import { DEFAULTS, type RateControl } from "./defaults";
import { resolveApiUrl, resolveOAuthEndpoints, resolveScimUrl, resolveUserApi, type UserApiKind } from "./endpoints";
import { configuredConnections, read, readNumber, readRateControl, type ConfigSource } from "./setting-values";
import { InvalidConnectionError, checkConnectionName, settingFor } from "./settings";

export {
  ConflictingCredentialsError,
  IncompleteCredentialsError,
  MissingCredentialsError,
  ScimTokenConfusionError,
  resolveCredentials,
  type Credentials,
} from "./credential-settings";
export { resolveApiUrl, resolveOAuthEndpoints, resolveUserApi, type UserApiKind } from "./endpoints";
export { configuredConnections, setStackConfig, settingsFingerprint, type ConfigSource } from "./setting-values";
export {
  CREDENTIAL_SETTINGS,
  InvalidConnectionError,
  SETTINGS,
  checkConnectionName,
  settingFor,
  type SettingName,
} from "./settings";

/** Where the live API lives when nothing else is configured. */
export const DEFAULT_API_URL = DEFAULTS.apiUrl;

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

/** The default token cache: `$XDG_CACHE_HOME/pulumi-travelperk/tokens.json` (else under `~/.cache`). */
export function defaultTokenCachePath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(base, ...DEFAULTS.tokenCacheFile);
}

/** The token cache file of a connection, and whether a setting named it. */
export function resolveTokenCache(
  env: NodeJS.ProcessEnv = process.env,
  connection = currentConnection(),
  source?: ConfigSource,
): { path: string; named: boolean } {
  const named = read("tokenCache", connection, env, source);
  return named === undefined
    ? { path: defaultTokenCachePath(env), named: false }
    : { path: path.resolve(named), named: true };
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

/** Resolves the connection's settings now (stack config, then environment); throws when no credential is set. */
export function resolveSettings(
  env: NodeJS.ProcessEnv = process.env,
  connection = currentConnection(),
): ResolvedSettings {
  const credentials = resolveCredentials(env, connection);
  if (!credentials) throw new MissingCredentialsError(connection);
  const apiUrl = resolveApiUrl(env, connection);
  const number = (name: Parameters<typeof readNumber>[0], fallback: number) =>
    readNumber(name, connection, env, fallback);
  return {
    connection,
    apiUrl,
    credentials,
    userApi: resolveUserApi(env, connection),
    scimUrl: resolveScimUrl(apiUrl, env, connection),
    scimCredentials: resolveScimCredentials(credentials, env, connection),
    ...resolveOAuthEndpoints(env, connection),
    tokenCache: resolveTokenCache(env, connection),
    maxRetries: number("maxRetries", DEFAULTS.retry.retries),
    retryBaseDelayMs: number("retryBaseDelayMs", DEFAULTS.retry.baseDelayMs),
    requestTimeoutMs: number("requestTimeoutMs", DEFAULTS.requestTimeoutMs),
    maxConcurrentRequests: Math.max(1, Math.floor(number("maxConcurrentRequests", DEFAULTS.maxConcurrentRequests))),
    maxRequestsPerSecond:
      read("maxRequestsPerSecond", connection, env) === undefined
        ? undefined
        : number("maxRequestsPerSecond", 0) || undefined,
    rateControl: readRateControl(connection, env),
  };
}
