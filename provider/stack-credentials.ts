/**
 * The stack's credentials as the roster commands and `pulumi-travelperk/runner` handle them, in one
 * place: a credential stored without `--secret` is refused before anything runs (the default
 * provider resource would copy it into state in clear), the command's processes are pointed at one
 * token cache, and a refresh token that TravelPerk rotated during the run is written back to the
 * stack config as a secret at its end.
 */
import type { ConfigMap, ConfigValue } from "@pulumi/pulumi/automation";
import {
  CREDENTIAL_SETTINGS,
  configuredConnections,
  resolveCredentials,
  resolveTokenCache,
  settingFor,
  type ConfigSource,
} from "./config";
import { TokenCache, fingerprint } from "./client/token-cache";

/** The part of a stack (or a workspace bound to one) that these functions use. */
export interface StackConfigStore {
  /** The stack's name, for the commands messages give. */
  readonly name: string;
  getAllConfig(): Promise<ConfigMap>;
  setConfig(key: string, value: ConfigValue): Promise<void>;
}

/** Raised when a credential sits in the stack config in clear; its message holds the commands that fix it. */
export class InsecureCredentialsError extends Error {
  constructor(stack: string, keys: string[]) {
    const fixes = keys.map(
      (key) => `  pulumi config set --secret --stack ${stack} ${key} "$(pulumi config get --stack ${stack} ${key})"`,
    );
    super(
      `stack ${stack} holds ${keys.join(", ")} in clear: Pulumi would copy ${keys.length > 1 ? "them" : "it"} into the state in clear. ` +
        `Encrypt ${keys.length > 1 ? "them" : "it"} first (the value is not printed):\n${fixes.join("\n")}`,
    );
    this.name = "InsecureCredentialsError";
  }
}

/** The entry of `key` in a config map (its own keys only). */
function configEntry(config: ConfigMap, key: string): ConfigValue | undefined {
  return Object.hasOwn(config, key) ? config[key] : undefined;
}

/** A ConfigSource over an Automation API config map. */
export function configSource(config: ConfigMap): ConfigSource {
  return {
    get: (key) => configEntry(config, key)?.value,
    keys: () => Object.keys(config),
  };
}

/** The credential keys (`travelperk:[<connection>.]accessToken`, …) that the stack holds without `--secret`. */
function insecureCredentialKeys(config: ConfigMap): string[] {
  const source = configSource(config);
  return configuredConnections(source).flatMap((connection) =>
    CREDENTIAL_SETTINGS.map((name) => settingFor(name, connection).configKey).filter((key) => {
      const entry = configEntry(config, key);
      return entry !== undefined && entry.secret !== true;
    }),
  );
}

/** Refuses to go on when a credential is stored in clear. */
export async function assertCredentialsSecret(stack: StackConfigStore): Promise<void> {
  const keys = insecureCredentialKeys(await stack.getAllConfig());
  if (keys.length > 0) throw new InsecureCredentialsError(stack.name, keys);
}

/** What {@link saveRotatedRefreshTokens} did for one connection. */
interface RotationReport {
  /** The key that held the spent token (a config key, or an environment variable that could not be written). */
  key: string;
  /** True when the newest token was stored in the stack config; false for a variable, which must be updated by hand. */
  stored: boolean;
}

/** A refresh token that TravelPerk rotated: where the spent one is set, and the newest of its chain. */
interface RotatedRefreshToken {
  connection: string;
  /** The key that holds the spent token: a stack config key, or an environment variable. */
  from: string;
  /** The newest refresh token of the chain (a secret: never print it). */
  newest: string;
}

/**
 * The newest refresh token of `connection`'s chain in the token cache, when it differs from the
 * configured one (TravelPerk rotated it); undefined when the connection uses no refresh token, its
 * credentials are refused (elsewhere, with their own message) or nothing was rotated.
 */
export function rotatedRefreshToken(
  env: NodeJS.ProcessEnv,
  connection: string,
  source: ConfigSource,
): RotatedRefreshToken | undefined {
  let credentials;
  try {
    credentials = resolveCredentials(env, connection, source);
  } catch {
    return undefined;
  }
  if (credentials?.kind !== "oauth") return undefined;
  const cache = new TokenCache(resolveTokenCache(env, connection, source).path);
  const chain = cache.find(fingerprint(credentials.tokenUrl, credentials.clientId), credentials.refreshToken);
  if (!chain || chain.head === credentials.refreshToken) return undefined;
  return { connection, from: credentials.from, newest: chain.head };
}

/**
 * For every connection (or those named) whose refresh token TravelPerk rotated during the run:
 * stores the newest token of its chain (from the token cache) in the stack config as a secret. A
 * token that came from the environment cannot be written back; it is reported (never printed) so
 * the caller can say so.
 */
export async function saveRotatedRefreshTokens(
  stack: StackConfigStore,
  env: NodeJS.ProcessEnv = process.env,
  connections?: string[],
): Promise<RotationReport[]> {
  const source = configSource(await stack.getAllConfig());
  const reports: RotationReport[] = [];
  for (const connection of connections ?? configuredConnections(source)) {
    const rotated = rotatedRefreshToken(env, connection, source);
    if (!rotated) continue;
    const key = settingFor("refreshToken", connection).configKey;
    if (rotated.from === key) {
      await stack.setConfig(key, { value: rotated.newest, secret: true });
      reports.push({ key, stored: true });
    } else reports.push({ key: rotated.from, stored: false });
  }
  return reports;
}

/** The sentence a command prints for each report (no token in it). */
export function rotationMessage(stack: string, report: RotationReport): string {
  return report.stored
    ? `TravelPerk rotated the refresh token: the new one is stored as a secret in ${report.key} of stack ${stack}.`
    : `TravelPerk rotated the refresh token from ${report.key}: the value there is spent. Update it where it is set ` +
        `(e.g. your Pulumi ESC environment) from the token cache: npx pulumi-travelperk save-token --stack ${stack} --output FILE`;
}
