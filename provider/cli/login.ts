/**
 * `login`: signs in to TravelPerk in the browser and keeps the refresh token. The OAuth 2.0
 * authorization-code flow (RFC 6749 §4.1) with PKCE S256 (RFC 7636) and a random `state`, both
 * always; the `redirect_uri` is a one-shot listener on 127.0.0.1 on a free port. The code is
 * exchanged at the token endpoint, and the refresh token is stored in the stack config as a secret
 * (in a Pulumi project) or written to a 0600 dotenv file (`--output FILE`).
 *
 * No token, code, verifier or client secret is ever printed or passed on a command line: the values
 * reach `pulumi config set` on its standard input.
 */
import { spawn } from "node:child_process";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { LocalWorkspace, type ConfigMap } from "@pulumi/pulumi/automation";
import { requestToken, type OAuthClient } from "../client/oauth";
import {
  DEFAULT_API_URL,
  checkConnectionName,
  resolveApiUrl,
  resolveOAuthEndpoints,
  resolveUserApi,
  setStackConfig,
  settingFor,
  type ConfigSource,
  type SettingName,
} from "../config";
import { DEFAULT_CONNECTION, connectionLabel } from "../connection";
import { cliEnvironment } from "../runner";
import { EXIT } from "./run";

/** The scopes asked for by default. */
export const DEFAULT_SCOPES = "users:read users:write companies:read";
/** Added to the default scopes when the connection's user API is SCIM (`travelperk:userApi: scim`). */
export const SCIM_SCOPES = "scim:read scim:write scim:delete";
/** How long login waits for the browser by default, in seconds. */
export const DEFAULT_TIMEOUT_SECONDS = 300;
/** The path of the listener's redirect_uri. */
export const CALLBACK_PATH = "/callback";

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

/** One key login stored: a stack config key or an environment variable name (never its value). */
export interface StoredKey {
  key: string;
  secret: boolean;
}

/** What login stored where. */
export type LoginResult = {
  /** The connection signed in ("" = the default). */
  connection: string;
  /** The scopes asked for. */
  scopes: string;
  /** The scopes the token endpoint granted, when it said. */
  grantedScopes?: string;
  tokenUrl: string;
  stored: StoredKey[];
} & ({ target: "stack"; stack: string } | { target: "file"; file: string });

/** A wrong or missing flag: exit code 2. */
export class LoginUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LoginUsageError";
  }
}

/** The sign-in did not complete (denied, timed out, refused by the token endpoint, not stored): exit code 1. */
export class LoginError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LoginError";
  }
}

/** Where login writes and how it opens the browser; the defaults are the process's own. */
export interface LoginIO {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Progress and warnings. */
  stderr: (text: string) => void;
  /** The authorize URL and the final report. */
  stdout: (text: string) => void;
  /** Tries to open `url` in a browser; errors are ignored. */
  openBrowser: (url: string) => void;
}

/** Starts the platform's URL opener, detached; a missing opener or a failure is ignored. */
export function openInBrowser(url: string): void {
  const windows = process.platform === "win32";
  const [command, args] =
    process.platform === "darwin"
      ? ["open", [url]]
      : windows
        ? ["cmd", ["/c", "start", '""', `"${url}"`]]
        : ["xdg-open", [url]];
  try {
    const child = spawn(command, args, { detached: true, stdio: "ignore", windowsVerbatimArguments: windows });
    child.on("error", () => undefined);
    child.unref();
  } catch {
    // No opener: the URL is printed as well.
  }
}

function defaultIO(): LoginIO {
  return {
    cwd: process.cwd(),
    env: process.env,
    stderr: (text) => process.stderr.write(text),
    stdout: (text) => process.stdout.write(text),
    openBrowser: openInBrowser,
  };
}

/** Whether `dir` holds a Pulumi project file. */
export function hasProjectFile(dir: string): boolean {
  return ["Pulumi.yaml", "Pulumi.yml"].some((file) => fs.existsSync(path.join(dir, file)));
}

/** The environment for the pulumi CLI: the project's own (cliEnvironment) where the package resolves from it. */
function pulumiEnvironment(workDir: string, env: NodeJS.ProcessEnv): Record<string, string> {
  try {
    return cliEnvironment({ workDir });
  } catch {
    // @pulumi/pulumi is not installed in the project (e.g. run through npx): config needs no plugin.
    return { PATH: env.PATH ?? "", PULUMI_SKIP_UPDATE_CHECK: "true" };
  }
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

/** A value and where it came from: a flag, the environment or the stack config. */
interface Picked {
  value: string;
  from: "flag" | "env" | "stack";
}

/** A key's value in a stack's config map, if it holds the key. */
const configValue = (config: ConfigMap, key: string): string | undefined =>
  Object.hasOwn(config, key) ? config[key].value : undefined;

/** Flag, else the connection's environment variable, else its stack config key. */
function pick(
  name: SettingName,
  connection: string,
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  config: ConfigMap,
): Picked | undefined {
  if (flag !== undefined && flag !== "") return { value: flag, from: "flag" };
  const setting = settingFor(name, connection);
  const fromEnv = env[setting.envVar];
  if (fromEnv !== undefined && fromEnv !== "") return { value: fromEnv, from: "env" };
  const fromStack = configValue(config, setting.configKey);
  if (fromStack !== undefined && fromStack !== "") return { value: fromStack, from: "stack" };
  return undefined;
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

function page(title: string, text: string): string {
  return (
    `<!doctype html><html><head><meta charset="utf-8"><title>pulumi-travelperk login: ${escapeHtml(title)}</title></head>` +
    `<body style="font-family: sans-serif; margin: 3em"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>\n`
  );
}

/** An OAuth error code as RFC 6749 §4.1.2.1 spells them; anything else is not quoted. */
const safeErrorCode = (code: string) => (/^[\w.-]{1,64}$/.test(code) ? code : "an unrecognised error");
/** An error description, reduced to printable text of reasonable length. */
const safeDescription = (text: string) =>
  text
    // eslint-disable-next-line no-control-regex -- control characters are what is removed
    .replace(/[\u0000-\u001f\u007f]/g, " ")
    .slice(0, 200)
    .trim();

function sameState(received: string, expected: string): boolean {
  const [a, b] = [Buffer.from(received), Buffer.from(expected)];
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The answer to the browser once the callback's work is done. */
interface Outcome<T> {
  value: T;
  /** The page's text. */
  message: string;
}

/**
 * The one-shot listener. Answers 404 to other paths and 400 to a callback whose `state` differs
 * (then keeps waiting: a stale tab or a forged request must not end a sign-in). The first callback
 * with the right state counts: with `error=` it fails, with `code=` it runs `onCode` and answers the
 * browser with its outcome. Then the listener closes.
 */
class CallbackListener {
  private readonly server = http.createServer((req, res) => {
    this.handle(req, res);
  });
  private settled = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly state: string,
    private readonly warn: (text: string) => void,
  ) {}

  /** Listens on 127.0.0.1 on a free port; answers the redirect_uri. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${CALLBACK_PATH}`;
  }

  private onCode?: (code: string) => Promise<Outcome<unknown>>;
  private resolve?: (value: unknown) => void;
  private reject?: (error: Error) => void;

  /** Waits for the first valid callback, at most `timeoutSeconds`. */
  wait<T>(timeoutSeconds: number, onCode: (code: string) => Promise<Outcome<T>>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.onCode = onCode;
      this.resolve = resolve as (value: unknown) => void;
      this.reject = reject;
      this.timer = setTimeout(() => {
        this.finish();
        reject(new LoginError(`no answer from the browser within ${timeoutSeconds} s; run login again`));
      }, timeoutSeconds * 1000);
    });
  }

  /** Stops listening (at once, or once the last answer is sent). */
  close(): void {
    this.finish();
  }

  private finish(): void {
    this.settled = true;
    if (this.timer) clearTimeout(this.timer);
    this.server.close();
    this.server.closeIdleConnections();
  }

  private answer(res: http.ServerResponse, status: number, title: string, text: string, last = false): void {
    res.writeHead(status, {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "referrer-policy": "no-referrer",
      ...(last ? { connection: "close" } : {}),
    });
    res.end(page(title, text), () => {
      if (last) this.finish();
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname !== CALLBACK_PATH) {
      this.answer(res, 404, "Not found", "This is the pulumi-travelperk login listener; nothing is here.");
      return;
    }
    if (req.method !== "GET") {
      this.answer(res, 405, "Method not allowed", "The sign-in answer arrives as a GET request.");
      return;
    }
    if (this.settled || !this.onCode) {
      this.answer(res, 409, "Already finished", "This sign-in is already finished; you can close this tab.");
      return;
    }
    const q = url.searchParams;
    const states = q.getAll("state");
    if (states.length !== 1 || !sameState(states[0], this.state)) {
      this.warn(
        "Refused an answer at the login listener whose state does not match this sign-in (a stale tab or a forged request); still waiting.\n",
      );
      this.answer(
        res,
        400,
        "Sign-in refused",
        "This answer does not belong to the sign-in that is waiting (its state differs). Start again from the URL the terminal shows.",
      );
      return;
    }
    const error = q.get("error");
    if (error !== null) {
      const code = safeErrorCode(error);
      const description = safeDescription(q.get("error_description") ?? "");
      const what = code === "access_denied" ? "the sign-in was denied" : "TravelPerk did not authorize the sign-in";
      const message = `${what}: OAuth error ${code}${description ? ` (${description})` : ""}`;
      this.answer(res, 400, "Sign-in failed", `${message}. Run login again in the terminal.`, true);
      this.reject?.(new LoginError(`${message}; run login again`));
      return;
    }
    const codes = q.getAll("code");
    if (codes.length !== 1 || codes[0] === "") {
      this.answer(res, 400, "Sign-in incomplete", "The answer carries neither a code nor an error; still waiting.");
      return;
    }
    // The first valid callback: nothing after it counts.
    this.settled = true;
    if (this.timer) clearTimeout(this.timer);
    this.onCode(codes[0]).then(
      (outcome) => {
        this.answer(res, 200, "Signed in", `${outcome.message} You can close this tab.`, true);
        this.resolve?.(outcome.value);
      },
      (failure: unknown) => {
        const message = failure instanceof Error ? failure.message : String(failure);
        this.answer(res, 502, "Sign-in failed", `${message}. Run login again in the terminal.`, true);
        this.reject?.(failure instanceof Error ? failure : new LoginError(message));
      },
    );
  }
}

/** Runs `pulumi config set [--secret|--plaintext] --stack S -- KEY` with the value on standard input. */
async function pulumiConfigSet(
  workDir: string,
  env: Record<string, string>,
  stack: string,
  key: string,
  value: string,
  secret: boolean,
): Promise<void> {
  const args = ["config", "set", secret ? "--secret" : "--plaintext", "--stack", stack, "--non-interactive", "--", key];
  await new Promise<void>((resolve, reject) => {
    const child = spawn("pulumi", args, {
      cwd: workDir,
      env: { ...process.env, ...env },
      stdio: ["pipe", "ignore", "pipe"],
    });
    let text = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      text += chunk;
    });
    child.on("error", (error) => {
      reject(new LoginError(`could not run the pulumi CLI (is it on PATH?): ${error.message}`));
    });
    child.on("close", (code) => {
      if (code === 0) resolve();
      else reject(new LoginError(`pulumi config set ${key} failed (exit ${String(code)}): ${text.trim()}`));
    });
    child.stdin.on("error", () => undefined); // an early exit is reported by "close"
    child.stdin.end(value);
  });
}

/** A dotenv value: bare when it is plain, else single-quoted. */
function dotenvValue(value: string): string {
  if (/^[\w.:/@%+=,~-]*$/.test(value)) return value;
  if (/['\r\n]/.test(value))
    throw new LoginError("the token endpoint answered a value that cannot be written to a dotenv file");
  return `'${value}'`;
}

/** A shell word for the printed commands. */
const shellWord = (text: string) => (/^[\w./:@%+=,~-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`);

/** Whether `file` lies inside a git work tree (a token file there could be committed). */
function insideGitWorkTree(file: string): string | undefined {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, ".git"))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** Writes `text` to `file`, created with mode 0600 (and set to 0600 if it already existed). */
export function writePrivateFile(file: string, text: string): void {
  const fd = fs.openSync(file, "w", 0o600);
  try {
    fs.fchmodSync(fd, 0o600);
    fs.writeSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Signs in and stores the refresh token: in the stack config when run in a Pulumi project (unless
 * `--output`), else in the `--output` file. Throws {@link LoginUsageError} for a flag problem and
 * {@link LoginError} (or the token endpoint's `OAuthGrantError`) when the sign-in fails.
 */
export async function login(opts: LoginOptions, io: LoginIO = defaultIO()): Promise<LoginResult> {
  const { env } = io;
  const connection = opts.connection ?? DEFAULT_CONNECTION;
  try {
    checkConnectionName(connection);
  } catch (error) {
    throw new LoginUsageError(`--connection: ${(error as Error).message}`);
  }
  const key = (name: SettingName) => settingFor(name, connection);
  const timeoutSeconds = parseTimeout(opts.timeout);
  const apiUrlFlag = opts.apiUrl === undefined ? undefined : parseApiUrl(opts.apiUrl);
  const workDir = io.cwd;
  const inProject = hasProjectFile(workDir);
  const output = opts.output === undefined ? undefined : path.resolve(workDir, opts.output);
  if (!inProject && output === undefined)
    throw new LoginUsageError(
      `no Pulumi project here (no Pulumi.yaml in ${workDir}): pass --output FILE to write the refresh token to a file (mode 0600), or run login inside the project to store it in the stack config`,
    );
  if (!inProject && opts.stack !== undefined)
    throw new LoginUsageError(
      `--stack needs a Pulumi project: run login where Pulumi.yaml is (no Pulumi.yaml in ${workDir})`,
    );
  if (output !== undefined) {
    if (fs.existsSync(output) && fs.statSync(output).isDirectory())
      throw new LoginUsageError(`--output ${opts.output ?? ""} is a folder; name a file`);
    try {
      fs.accessSync(path.dirname(output), fs.constants.W_OK);
    } catch {
      throw new LoginUsageError(`--output: cannot write in ${path.dirname(output)}`);
    }
  }

  // The stack's config, for the client and the endpoints (and where the token goes).
  const pulumiEnv = inProject ? pulumiEnvironment(workDir, env) : {};
  let stack: string | undefined;
  let config: ConfigMap = {};
  if (inProject) {
    const workspace = await LocalWorkspace.create({ workDir, envVars: pulumiEnv });
    stack = opts.stack ?? (await workspace.stack())?.name;
    if (stack === undefined && output === undefined)
      throw new LoginUsageError(
        "no stack selected: pass --stack NAME or run `pulumi stack select` (or pass --output FILE to write a file instead)",
      );
    if (stack !== undefined) config = await workspace.getAllConfig(stack);
  }
  const stackSource: ConfigSource = { get: (k) => configValue(config, k), keys: () => Object.keys(config) };
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

  const clientId = pick("clientId", connection, opts.clientId, env, config);
  const clientSecret = pick("clientSecret", connection, opts.clientSecret, env, config);
  const missing = [
    ...(clientId ? [] : [`--client-id (or ${key("clientId").envVar}, or ${key("clientId").configKey})`]),
    ...(clientSecret
      ? []
      : [`--client-secret (or ${key("clientSecret").envVar}, or ${key("clientSecret").configKey})`]),
  ];
  if (!clientId || !clientSecret)
    throw new LoginUsageError(`the OAuth client of your TravelPerk app is needed: pass ${missing.join(" and ")}`);

  const toStack = output === undefined && stack !== undefined;
  // Outside a project, or in one with --output or no stack, the file was required above.
  const outputFile = output ?? "";
  if (toStack) {
    for (const other of ["accessToken", "apiKey"] as const) {
      const otherKey = key(other).configKey;
      if (Object.hasOwn(config, otherKey))
        io.stderr(
          `warning: stack ${stack} also holds ${otherKey}; with a refresh token beside it the provider refuses to choose. ` +
            `Remove it once login is done: pulumi config rm --stack ${stack} ${otherKey}\n`,
        );
    }
  }
  if (output !== undefined) {
    const repository = insideGitWorkTree(output);
    if (repository)
      io.stderr(
        `warning: ${output} is inside the git work tree ${repository}: never commit it (add it to .gitignore).\n`,
      );
  }

  // PKCE (RFC 7636 §4.1-4.2): a 43-character verifier and its S256 challenge; a fresh random state.
  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier, "ascii").digest("base64url");
  const state = randomBytes(24).toString("base64url");
  const listener = new CallbackListener(state, io.stderr);
  const redirectUri = await listener.listen();
  const authorize = new URL(authorizeUrl);
  for (const [name, value] of Object.entries({
    response_type: "code",
    client_id: clientId.value,
    redirect_uri: redirectUri,
    scope: scopes,
    state,
    code_challenge: challenge,
    code_challenge_method: "S256",
  }))
    authorize.searchParams.set(name, value);

  const client: OAuthClient = { tokenUrl, clientId: clientId.value, clientSecret: clientSecret.value };
  const storedKeys: StoredKey[] = [];
  let grantedScopes: string | undefined;

  /** The code exchange, then the storing; what the browser is told when it is done. */
  const onCode = async (code: string): Promise<Outcome<undefined>> => {
    io.stderr("The browser answered; exchanging the code at the token endpoint…\n");
    const grant = await requestToken(client, "authorization_code", {
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    });
    if (!grant.refreshToken)
      throw new LoginError(
        `the token endpoint ${tokenUrl} answered without a refresh token, so there is nothing to keep; check that the app may use the refresh-token grant`,
      );
    grantedScopes = grant.scope;
    if (toStack && stack !== undefined) {
      const entries: { name: SettingName; value: string; secret: boolean }[] = [
        { name: "refreshToken", value: grant.refreshToken, secret: true },
        { name: "clientId", value: clientId.value, secret: false },
        ...(clientSecret.from === "stack"
          ? []
          : [{ name: "clientSecret" as const, value: clientSecret.value, secret: true }]),
        // The refresh token belongs to the token endpoint of this API: keep the stack pointed at it.
        ...(apiUrlFlag !== undefined && configValue(config, key("apiUrl").configKey) !== apiUrlFlag
          ? [{ name: "apiUrl" as const, value: apiUrlFlag, secret: false }]
          : []),
      ];
      io.stderr(`Storing the credentials in the config of stack ${stack}…\n`);
      for (const entry of entries) {
        await pulumiConfigSet(workDir, pulumiEnv, stack, key(entry.name).configKey, entry.value, entry.secret);
        storedKeys.push({ key: key(entry.name).configKey, secret: entry.secret });
      }
      return { value: undefined, message: `The refresh token is stored as a secret in stack ${stack}.` };
    }
    const defaults = { apiUrl: DEFAULT_API_URL, tokenUrl: `${new URL(DEFAULT_API_URL).origin}/oauth2/token` };
    const lines: [SettingName, string, boolean][] = [
      ["clientId", clientId.value, false],
      ["refreshToken", grant.refreshToken, true],
      ...(tokenUrl !== defaults.tokenUrl ? [["tokenUrl", tokenUrl, false] as [SettingName, string, boolean]] : []),
      ...(apiUrl !== defaults.apiUrl ? [["apiUrl", apiUrl, false] as [SettingName, string, boolean]] : []),
    ];
    const text =
      `# TravelPerk sign-in by \`pulumi-travelperk login\` (${connectionLabel(connection)}), ${new Date().toISOString()}.\n` +
      "# Keep this file private; never commit it.\n" +
      lines.map(([name, value]) => `${key(name).envVar}=${dotenvValue(value)}\n`).join("");
    writePrivateFile(outputFile, text);
    for (const [name, , secret] of lines) storedKeys.push({ key: key(name).envVar, secret });
    return { value: undefined, message: `The refresh token is written to ${outputFile}.` };
  };

  const waiting = listener.wait(timeoutSeconds, onCode);
  waiting.catch(() => undefined); // awaited below; no unhandled rejection while the URL is printed
  try {
    io.stderr(
      `Signing in to TravelPerk (${connectionLabel(connection)}) as OAuth client ${clientId.value}, scopes: ${scopes}.\n`,
    );
    if (opts.browser === false) {
      io.stderr("Open this URL in a browser and sign in:\n");
      io.stdout(`${authorize.toString()}\n`);
    } else {
      io.openBrowser(authorize.toString());
      io.stderr("Opening your browser to sign in. If no browser opened, visit:\n");
      io.stdout(`${authorize.toString()}\n`);
    }
    io.stderr(`Waiting for the browser at ${redirectUri} (up to ${timeoutSeconds} s)…\n`);
    await waiting;
  } finally {
    listener.close();
  }

  const common = { connection, scopes, grantedScopes, tokenUrl, stored: storedKeys };
  return toStack && stack !== undefined
    ? { ...common, target: "stack", stack }
    : { ...common, target: "file", file: outputFile };
}

/** The lines that say what was stored where, and for a file how to use it (names only, never a value). */
export function loginReport(result: LoginResult): string {
  const { connection } = result;
  const names = result.stored.map((s) => `${s.key}${s.secret ? " (secret)" : ""}`).join(", ");
  if (result.target === "stack")
    return `Signed in to TravelPerk (${connectionLabel(connection)}). Stored in the config of stack ${result.stack}: ${names}.\n`;
  const file = shellWord(result.file);
  const byEnv = new Map(
    (["refreshToken", "clientId", "tokenUrl", "apiUrl"] as const).map((name) => [
      settingFor(name, connection).envVar,
      name,
    ]),
  );
  const commands = result.stored.flatMap((s) => {
    const name = byEnv.get(s.key);
    if (name === undefined) return [];
    const configKey = settingFor(name, connection).configKey;
    return [
      `  pulumi config set${s.secret ? " --secret" : ""} ${configKey} < <(set -a; . ${file}; printf %s "$${s.key}")`,
    ];
  });
  return [
    `Signed in to TravelPerk (${connectionLabel(connection)}). Wrote ${names} to ${result.file} (mode 0600); the token is not shown.`,
    `Use it as environment variables (with ${settingFor("clientSecret", connection).envVar} set as well):`,
    `  set -a; . ${file}; set +a`,
    "or store it in a stack's config, in the project folder:",
    ...commands,
    `  pulumi config set --secret ${settingFor("clientSecret", connection).configKey}    # prompts for the client secret`,
    "",
  ].join("\n");
}

/** The `login` command: runs {@link login}, prints the report; answers the exit code (failures throw). */
export async function loginCommand(opts: LoginOptions, io: LoginIO = defaultIO()): Promise<number> {
  try {
    const result = await login(opts, io);
    io.stdout(loginReport(result));
    return EXIT.ok;
  } catch (error) {
    if (error instanceof LoginUsageError) {
      io.stderr(`pulumi-travelperk login: ${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  }
}
