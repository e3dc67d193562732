/**
 * Where `login` keeps what the sign-in gave: the refresh token (with the client and, where they are
 * not the defaults, the endpoints) as secrets in the stack config through `pulumi config set`, or in
 * a 0600 dotenv file. Also the warnings given before the browser is asked, about what would stand
 * beside the token.
 */
import { DEFAULT_API_URL, settingFor, type SettingName } from "../config";
import { connectionLabel } from "../connection";
import { configSource } from "../stack-credentials";
import { LoginError } from "./login-errors";
import type { LoginSettings } from "./login-settings";
import { insideGitWorkTree, writePrivateFile } from "./private-file";
import { pulumiConfigSet } from "./pulumi-config";

/** One key login stored: a stack config key or an environment variable name (never its value). */
export interface StoredKey {
  key: string;
  secret: boolean;
}

/** A dotenv value: bare when it is plain, else single-quoted. */
function dotenvValue(value: string): string {
  if (/^[\w.:/@%+=,~-]*$/.test(value)) return value;
  if (/['\r\n]/.test(value))
    throw new LoginError("the token endpoint answered a value that cannot be written to a dotenv file");
  return `'${value}'`;
}

/** Warns about a credential key beside the token in the stack, or a token file git could commit. */
export function warnBeforeStoring(settings: LoginSettings, warn: (text: string) => void): void {
  const { destination, config } = settings;
  if (destination.target === "stack") {
    const { stack } = destination;
    for (const other of ["accessToken", "apiKey"] as const) {
      const otherKey = settingFor(other, settings.connection).configKey;
      if (Object.hasOwn(config, otherKey))
        warn(
          `warning: stack ${stack} also holds ${otherKey}; with a refresh token beside it the provider refuses to choose. ` +
            `Remove it once login is done: pulumi config rm --stack ${stack} ${otherKey}\n`,
        );
    }
  } else {
    const repository = insideGitWorkTree(destination.file);
    if (repository)
      warn(
        `warning: ${destination.file} is inside the git work tree ${repository}: never commit it (add it to .gitignore).\n`,
      );
  }
}

/** Stores the refresh token where {@link LoginSettings.destination} says; answers the keys and the browser's message. */
export async function storeRefreshToken(
  settings: LoginSettings,
  refreshToken: string,
  progress: (text: string) => void,
): Promise<{ stored: StoredKey[]; message: string }> {
  const { connection, destination, clientId, clientSecret, apiUrlFlag, tokenUrl, apiUrl } = settings;
  const key = (name: SettingName) => settingFor(name, connection);
  const stored: StoredKey[] = [];
  if (destination.target === "stack") {
    const { stack } = destination;
    const entries: { name: SettingName; value: string; secret: boolean }[] = [
      { name: "refreshToken", value: refreshToken, secret: true },
      { name: "clientId", value: clientId.value, secret: false },
      ...(clientSecret.from === "stack"
        ? []
        : [{ name: "clientSecret" as const, value: clientSecret.value, secret: true }]),
      // The refresh token belongs to the token endpoint of this API: keep the stack pointed at it.
      ...(apiUrlFlag !== undefined && configSource(settings.config).get(key("apiUrl").configKey) !== apiUrlFlag
        ? [{ name: "apiUrl" as const, value: apiUrlFlag, secret: false }]
        : []),
    ];
    progress(`Storing the credentials in the config of stack ${stack}…\n`);
    for (const entry of entries) {
      const configKey = key(entry.name).configKey;
      await pulumiConfigSet(settings.workDir, settings.pulumiEnv, stack, configKey, entry.value, entry.secret);
      stored.push({ key: configKey, secret: entry.secret });
    }
    return { stored, message: `The refresh token is stored as a secret in stack ${stack}.` };
  }
  const defaults = { apiUrl: DEFAULT_API_URL, tokenUrl: `${new URL(DEFAULT_API_URL).origin}/oauth2/token` };
  const lines: [SettingName, string, boolean][] = [
    ["clientId", clientId.value, false],
    ["refreshToken", refreshToken, true],
    ...(tokenUrl !== defaults.tokenUrl ? [["tokenUrl", tokenUrl, false] as [SettingName, string, boolean]] : []),
    ...(apiUrl !== defaults.apiUrl ? [["apiUrl", apiUrl, false] as [SettingName, string, boolean]] : []),
  ];
  const text =
    `# TravelPerk sign-in by \`pulumi-travelperk login\` (${connectionLabel(connection)}), ${new Date().toISOString()}.\n` +
    "# Keep this file private; never commit it.\n" +
    lines.map(([name, value]) => `${key(name).envVar}=${dotenvValue(value)}\n`).join("");
  writePrivateFile(destination.file, text);
  for (const [name, , secret] of lines) stored.push({ key: key(name).envVar, secret });
  return { stored, message: `The refresh token is written to ${destination.file}.` };
}
