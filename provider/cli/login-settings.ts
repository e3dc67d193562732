/**
 * What `login` needs before it opens the browser, from its flags, the environment and the stack's
 * config: the connection, where the token goes (a stack, or a `--output` file), the OAuth client,
 * the endpoints and the scopes. Every usage problem is found here, so that a sign-in never starts
 * that could not be stored.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { LocalWorkspace, type ConfigMap } from "@pulumi/pulumi/automation";
import {
  checkConnectionName,
  resolveApiUrl,
  resolveOAuthEndpoints,
  resolveUserApi,
  setStackConfig,
  settingFor,
  type ConfigSource,
  type SettingName,
} from "../config";
import { DEFAULT_CONNECTION } from "../connection";
import { hasProjectFile } from "../project-file";
import { configSource } from "../stack-credentials";
import { LoginUsageError } from "./login-errors";
import { pulumiEnvironment } from "./pulumi-config";

/** The scopes asked for by default. */
export const DEFAULT_SCOPES = "users:read users:write companies:read";
/** Added to the default scopes when the connection's user API is SCIM (`travelperk:userApi: scim`). */
export const SCIM_SCOPES = "scim:read scim:write scim:delete";
/** How long login waits for the browser by default, in seconds. */
export const DEFAULT_TIMEOUT_SECONDS = 300;

/** The flags of `pulumi-travelperk login`, as commander hands them over. */
export interface LoginOptions {
  clientId?: string;
  clientSecret?: string;
  apiUrl?: string;
  /** Space-separated scopes; default {@link DEFAULT_SCOPES} (plus {@link SCIM_SCOPES} for a SCIM connection). */
  scopes?: string;
  stack?: string;
  connection?: string;
  /** False with `--no-browser`: print the URL and wait. */
  browser?: boolean;
  /** A dotenv file to write instead of the stack config (required outside a Pulumi project). */
  output?: string;
  /** Seconds to wait for the browser; default {@link DEFAULT_TIMEOUT_SECONDS}. */
  timeout?: string | number;
}

/** Where the refresh token goes: a stack's config, or a dotenv file. */
export type LoginTarget = { target: "stack"; stack: string } | { target: "file"; file: string };

/** A value and where it came from: a flag, the environment or the stack config. */
interface Picked {
  value: string;
  from: "flag" | "env" | "stack";
}

/** Everything login resolved before the browser is asked. */
export interface LoginSettings {
  /** The connection signed in ("" = the default). */
  connection: string;
  workDir: string;
  /** The environment for the pulumi CLI (empty outside a project). */
  pulumiEnv: Record<string, string>;
  /** The stack's config ({} outside a project or without a stack). */
  config: ConfigMap;
  destination: LoginTarget;
  timeoutSeconds: number;
  /** `--api-url`, without trailing slashes. */
  apiUrlFlag?: string;
  apiUrl: string;
  authorizeUrl: string;
  tokenUrl: string;
  /** The scopes asked for, space-separated. */
  scopes: string;
  clientId: Picked;
  clientSecret: Picked;
}

function parseTimeout(raw: string | number | undefined): number {
  if (raw === undefined) return DEFAULT_TIMEOUT_SECONDS;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new LoginUsageError(`--timeout must be a positive number of seconds, got ${JSON.stringify(String(raw))}`);
  return seconds;
}

function parseApiUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new LoginUsageError(`--api-url must be an absolute http(s) URL, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new LoginUsageError(`--api-url must be an absolute http(s) URL, got ${JSON.stringify(raw)}`);
  return raw.replace(/\/+$/, "");
}

/** Flag, else the connection's environment variable, else its stack config key. */
function pick(
  name: SettingName,
  connection: string,
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  stack: ConfigSource,
): Picked | undefined {
  if (flag !== undefined && flag !== "") return { value: flag, from: "flag" };
  const setting = settingFor(name, connection);
  const fromEnv = env[setting.envVar];
  if (fromEnv !== undefined && fromEnv !== "") return { value: fromEnv, from: "env" };
  const fromStack = stack.get(setting.configKey);
  if (fromStack !== undefined && fromStack !== "") return { value: fromStack, from: "stack" };
  return undefined;
}

/** The resolved `--output` file, checked to be writable; undefined without the flag. */
function outputFile(workDir: string, flag: string | undefined): string | undefined {
  if (flag === undefined) return undefined;
  const output = path.resolve(workDir, flag);
  if (fs.existsSync(output) && fs.statSync(output).isDirectory())
    throw new LoginUsageError(`--output ${flag} is a folder; name a file`);
  try {
    fs.accessSync(path.dirname(output), fs.constants.W_OK);
  } catch {
    throw new LoginUsageError(`--output: cannot write in ${path.dirname(output)}`);
  }
  return output;
}

/**
 * Resolves the flags against the environment and the stack's config. Throws
 * {@link LoginUsageError} for a flag problem, before anything is asked of the browser.
 */
export async function loginSettings(
  opts: LoginOptions,
  workDir: string,
  env: NodeJS.ProcessEnv,
): Promise<LoginSettings> {
  const connection = opts.connection ?? DEFAULT_CONNECTION;
  try {
    checkConnectionName(connection);
  } catch (error) {
    throw new LoginUsageError(`--connection: ${(error as Error).message}`);
  }
  const key = (name: SettingName) => settingFor(name, connection);
  const timeoutSeconds = parseTimeout(opts.timeout);
  const apiUrlFlag = opts.apiUrl === undefined ? undefined : parseApiUrl(opts.apiUrl);
  const inProject = hasProjectFile(workDir);
  if (!inProject && opts.output === undefined)
    throw new LoginUsageError(
      `no Pulumi project here (no Pulumi.yaml in ${workDir}): pass --output FILE to write the refresh token to a file (mode 0600), or run login inside the project to store it in the stack config`,
    );
  if (!inProject && opts.stack !== undefined)
    throw new LoginUsageError(
      `--stack needs a Pulumi project: run login where Pulumi.yaml is (no Pulumi.yaml in ${workDir})`,
    );
  const output = outputFile(workDir, opts.output);

  // The stack's config, for the client and the endpoints (and where the token goes).
  const pulumiEnv = inProject ? pulumiEnvironment(workDir, env) : {};
  let stack: string | undefined;
  let config: ConfigMap = {};
  if (inProject) {
    const workspace = await LocalWorkspace.create({ workDir, envVars: pulumiEnv });
    stack = opts.stack ?? (await workspace.stack())?.name;
    if (stack !== undefined) config = await workspace.getAllConfig(stack);
  }
  // Outside a project, --output was required above; in one, --output or a stack is.
  let destination: LoginTarget;
  if (output !== undefined) destination = { target: "file", file: output };
  else if (stack !== undefined) destination = { target: "stack", stack };
  else
    throw new LoginUsageError(
      "no stack selected: pass --stack NAME or run `pulumi stack select` (or pass --output FILE to write a file instead)",
    );

  const stackSource = configSource(config);
  // --api-url wins over the stack's and the environment's apiUrl; authorize/token URL keys still win over it.
  const source: ConfigSource =
    apiUrlFlag === undefined
      ? stackSource
      : {
          get: (k) => (k === key("apiUrl").configKey ? apiUrlFlag : stackSource.get(k)),
          keys: () => Object.keys(config),
        };
  const apiUrl = resolveApiUrl(env, connection, source);
  const { authorizeUrl, tokenUrl } = resolveOAuthEndpoints(env, connection, source);
  setStackConfig(stackSource);
  let userApi;
  try {
    userApi = resolveUserApi(env, connection);
  } finally {
    setStackConfig(undefined);
  }
  const scopes = (opts.scopes ?? (userApi === "scim" ? `${DEFAULT_SCOPES} ${SCIM_SCOPES}` : DEFAULT_SCOPES))
    .split(/\s+/)
    .filter(Boolean)
    .join(" ");
  if (scopes === "") throw new LoginUsageError("--scopes is empty: name at least one scope, space-separated");

  const clientId = pick("clientId", connection, opts.clientId, env, stackSource);
  const clientSecret = pick("clientSecret", connection, opts.clientSecret, env, stackSource);
  const missing = [
    ...(clientId ? [] : [`--client-id (or ${key("clientId").envVar}, or ${key("clientId").configKey})`]),
    ...(clientSecret
      ? []
      : [`--client-secret (or ${key("clientSecret").envVar}, or ${key("clientSecret").configKey})`]),
  ];
  if (!clientId || !clientSecret)
    throw new LoginUsageError(`the OAuth client of your TravelPerk app is needed: pass ${missing.join(" and ")}`);

  return {
    connection,
    workDir,
    pulumiEnv,
    config,
    destination,
    timeoutSeconds,
    apiUrlFlag,
    apiUrl,
    authorizeUrl,
    tokenUrl,
    scopes,
    clientId,
    clientSecret,
  };
}
