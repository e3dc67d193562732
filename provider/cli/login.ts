/**
 * `login`: signs in to TravelPerk in the browser and keeps the refresh token. The OAuth 2.0
 * authorization-code flow (RFC 6749 §4.1) with PKCE S256 (RFC 7636) and a random `state`, both
 * always; the `redirect_uri` is a one-shot listener on 127.0.0.1 on a free port (oauth-callback.ts).
 * The code is exchanged at the token endpoint, and the refresh token is stored in the stack config
 * as a secret (in a Pulumi project) or written to a 0600 dotenv file (`--output FILE`; login-store.ts).
 * The flags are resolved, and every usage problem found, first (login-settings.ts).
 *
 * No token, code, verifier or client secret is ever printed or passed on a command line: the values
 * reach `pulumi config set` on its standard input.
 */
import { requestToken, type OAuthClient } from "../client/oauth";
import { settingFor } from "../config";
import { connectionLabel } from "../connection";
import { openInBrowser } from "./browser";
import { LoginError, LoginUsageError } from "./login-errors";
import { loginSettings, type LoginOptions, type LoginTarget } from "./login-settings";
import { storeRefreshToken, warnBeforeStoring, type StoredKey } from "./login-store";
import { authorizeRequestUrl, CallbackListener, newAuthorizationSecrets, type Outcome } from "./oauth-callback";
import { EXIT } from "./run";

/** What login stored where. */
type LoginResult = {
  /** The connection signed in ("" = the default). */
  connection: string;
  /** The scopes asked for. */
  scopes: string;
  /** The scopes the token endpoint granted, when it said. */
  grantedScopes?: string;
  tokenUrl: string;
  stored: StoredKey[];
} & LoginTarget;

/** Where login writes and how it opens the browser; the defaults are the process's own. */
interface LoginIO {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Progress and warnings. */
  stderr: (text: string) => void;
  /** The authorize URL and the final report. */
  stdout: (text: string) => void;
  /** Tries to open `url` in a browser; errors are ignored. */
  openBrowser: (url: string) => void;
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

/** A shell word for the printed commands. */
const shellWord = (text: string) => (/^[\w./:@%+=,~-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`);

/**
 * Signs in and stores the refresh token: in the stack config when run in a Pulumi project (unless
 * `--output`), else in the `--output` file. Throws {@link LoginUsageError} for a flag problem and
 * {@link LoginError} (or the token endpoint's `OAuthGrantError`) when the sign-in fails.
 */
async function login(opts: LoginOptions, io: LoginIO): Promise<LoginResult> {
  const settings = await loginSettings(opts, io.cwd, io.env);
  const { connection, scopes, tokenUrl, clientId, timeoutSeconds } = settings;
  warnBeforeStoring(settings, io.stderr);

  const secrets = newAuthorizationSecrets();
  const listener = new CallbackListener(secrets.state, io.stderr);
  const redirectUri = await listener.listen();
  const authorize = authorizeRequestUrl(settings.authorizeUrl, {
    clientId: clientId.value,
    redirectUri,
    scopes,
    secrets,
  });

  const client: OAuthClient = { tokenUrl, clientId: clientId.value, clientSecret: settings.clientSecret.value };
  const storedKeys: StoredKey[] = [];
  let grantedScopes: string | undefined;

  /** The code exchange, then the storing; what the browser is told when it is done. */
  const onCode = async (code: string): Promise<Outcome<undefined>> => {
    io.stderr("The browser answered; exchanging the code at the token endpoint…\n");
    const grant = await requestToken(client, "authorization_code", {
      code,
      redirect_uri: redirectUri,
      code_verifier: secrets.verifier,
    });
    if (!grant.refreshToken)
      throw new LoginError(
        `the token endpoint ${tokenUrl} answered without a refresh token, so there is nothing to keep; check that the app may use the refresh-token grant`,
      );
    grantedScopes = grant.scope;
    const { stored, message } = await storeRefreshToken(settings, grant.refreshToken, io.stderr);
    storedKeys.push(...stored);
    return { value: undefined, message };
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

  return { connection, scopes, grantedScopes, tokenUrl, stored: storedKeys, ...settings.destination };
}

/** The lines that say what was stored where, and for a file how to use it (names only, never a value). */
function loginReport(result: LoginResult): string {
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
