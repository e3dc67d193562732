/**
 * Which credential a connection authenticates with, resolved from its settings: an OAuth refresh
 * token with its client, an access token, or an API key (one kind only), and what SCIM requests
 * carry. The errors say which keys or variables to set or unset, never a value.
 */
import { DEFAULT_CONNECTION, connectionLabel, currentConnection } from "./connection";
import { resolveOAuthEndpoints } from "./endpoints";
import { lookup, type ConfigSource, type Found } from "./setting-values";
import { settingFor, type SettingName } from "./settings";

/** How the client authenticates; `from` names the key or variable the credential came from (never its value). */
export type Credentials =
  | { kind: "oauth"; clientId: string; clientSecret: string; refreshToken: string; tokenUrl: string; from: string }
  | { kind: "accessToken"; token: string; from: string }
  | { kind: "apiKey"; key: string; from: string }
  | { kind: "scimToken"; token: string; from: string };

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
  /**
   * Names the connection and the settings that each hold a credential.
   *
   * @param connection - the connection ("" for the default one)
   * @param sources - where each credential was found (config keys or environment variables)
   */
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
  /**
   * Names the refresh token's setting and the client settings it lacks.
   *
   * @param from - where the refresh token was found
   * @param missing - the settings of its client that are not set
   */
  constructor(from: string, missing: string[]) {
    super(
      `${from} is set but ${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not: a refresh token is exchanged by its OAuth client.`,
    );
    this.name = "IncompleteCredentialsError";
  }
}

/** Raised when the SCIM token holds the value of the REST credential: the classic token mix-up. */
export class ScimTokenConfusionError extends Error {
  /**
   * Names both settings, never their value.
   *
   * @param scimFrom - where the SCIM token was found
   * @param restFrom - where the REST credential with the same value was found
   */
  constructor(scimFrom: string, restFrom: string) {
    super(
      `${scimFrom} holds the same value as ${restFrom}. The SCIM token is a separate credential (TravelPerk Settings › Integrations › SCIM); ` +
        `where the organisation uses one credential for both APIs, leave ${scimFrom} unset and SCIM requests carry the REST credential.`,
    );
    this.name = "ScimTokenConfusionError";
  }
}

/**
 * The connection's REST credential, or undefined when none is set. Throws when two kinds are set,
 * when a refresh token lacks its client, or when the SCIM token repeats a REST credential.
 */
export function resolveCredentials(
  env: NodeJS.ProcessEnv = process.env,
  connection = currentConnection(),
  source?: ConfigSource,
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

/** What SCIM requests carry: the separate SCIM token when one is set, else the REST credential. */
export function resolveScimCredentials(rest: Credentials, env: NodeJS.ProcessEnv, connection: string): Credentials {
  const scimToken = lookup("scimToken", connection, env);
  return scimToken === undefined ? rest : { kind: "scimToken", token: scimToken.value, from: scimToken.from };
}
