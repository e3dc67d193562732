/**
 * Where a connection's requests go and which API carries them: the REST base URL, the OAuth
 * endpoints under its origin, the user API (REST or SCIM) and the SCIM base URL. None of these needs
 * a credential, so `check` and `login` can ask them before anything is configured.
 */
import { currentConnection } from "./connection";
import { DEFAULTS } from "./defaults";
import { read, readChoice, type ConfigSource } from "./setting-values";

/** The APIs that can carry user and membership operations. */
const USER_APIS = ["rest", "scim"] as const;
/** `rest` (the guide's REST API) or `scim` (SCIM 2.0 with TravelPerk's extension). */
export type UserApiKind = (typeof USER_APIS)[number];

/** The user API chosen (`travelperk:userApi`); needs no credential, so `check` can ask it. */
export function resolveUserApi(env: NodeJS.ProcessEnv = process.env, connection = currentConnection()): UserApiKind {
  return readChoice("userApi", connection, env, USER_APIS, DEFAULTS.userApi);
}

/** The connection's API base URL (no trailing slash). */
export function resolveApiUrl(
  env: NodeJS.ProcessEnv = process.env,
  connection = currentConnection(),
  source?: ConfigSource,
): string {
  return (read("apiUrl", connection, env, source) ?? DEFAULTS.apiUrl).replace(/\/+$/, "");
}

/** The SCIM base URL (no trailing slash); the guide's layout, `<origin of apiUrl>/api/scim/v2`, unless set. */
export function resolveScimUrl(apiUrl: string, env: NodeJS.ProcessEnv, connection: string): string {
  return (read("scimUrl", connection, env) ?? `${new URL(apiUrl).origin}${DEFAULTS.scimPath}`).replace(/\/+$/, "");
}

/** The OAuth endpoints: `<origin of apiUrl>/oauth2/authorize` and `/oauth2/token` unless set. */
export function resolveOAuthEndpoints(
  env: NodeJS.ProcessEnv = process.env,
  connection = currentConnection(),
  source?: ConfigSource,
): { authorizeUrl: string; tokenUrl: string } {
  const origin = new URL(resolveApiUrl(env, connection, source)).origin;
  return {
    authorizeUrl: read("authorizeUrl", connection, env, source) ?? `${origin}${DEFAULTS.authorizePath}`,
    tokenUrl: read("tokenUrl", connection, env, source) ?? `${origin}${DEFAULTS.tokenPath}`,
  };
}
