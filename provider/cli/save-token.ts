/**
 * `save-token`: stores the newest refresh token of a rotated chain without printing it. A plain
 * program (`pulumi up` without the roster commands or the runner) cannot write the stack config,
 * so the provider keeps the rotated token in the token cache and warns; this command copies it from
 * there into the stack config as a secret, or into a 0600 dotenv file (`--output FILE`) for a token
 * that lives in an environment (CI secrets, Pulumi ESC).
 */
import * as path from "node:path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { checkConnectionName, settingFor, type ConfigSource } from "../config";
import { DEFAULT_CONNECTION, connectionLabel } from "../connection";
import { cliEnvironment } from "../runner";
import { configSource, rotatedRefreshToken, rotationMessage, saveRotatedRefreshTokens } from "../stack-credentials";
import { hasProjectFile } from "../project-file";
import { writePrivateFile } from "./private-file";
import { EXIT } from "./run";

/** The flags of `pulumi-travelperk save-token`. */
export interface SaveTokenOptions {
  stack?: string;
  connection?: string;
  /** A dotenv file (mode 0600) to write the newest refresh token to, instead of the stack config. */
  output?: string;
}

/** Runs the command; answers the exit code (0 stored or nothing to store, 2 usage). */
export async function saveTokenCommand(
  opts: SaveTokenOptions,
  io: { cwd: string; env: NodeJS.ProcessEnv; stdout: (t: string) => void; stderr: (t: string) => void } = {
    cwd: process.cwd(),
    env: process.env,
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
  },
): Promise<number> {
  const connection = opts.connection ?? DEFAULT_CONNECTION;
  try {
    checkConnectionName(connection);
  } catch (error) {
    io.stderr(`pulumi-travelperk save-token: --connection: ${(error as Error).message}\n`);
    return EXIT.usage;
  }
  const inProject = hasProjectFile(io.cwd);
  if (!inProject && opts.output === undefined) {
    io.stderr(
      `pulumi-travelperk save-token: no Pulumi project here (no Pulumi.yaml in ${io.cwd}): pass --output FILE to write the newest refresh token to a file (mode 0600)\n`,
    );
    return EXIT.usage;
  }

  let source: ConfigSource = { get: () => undefined, keys: () => [] };
  let store: Parameters<typeof saveRotatedRefreshTokens>[0] | undefined;
  if (inProject) {
    const workspace = await LocalWorkspace.create({ workDir: io.cwd, envVars: cliEnvironment({ workDir: io.cwd }) });
    const stack = opts.stack ?? (await workspace.stack())?.name;
    if (stack === undefined && opts.output === undefined) {
      io.stderr("pulumi-travelperk save-token: no stack selected: pass --stack NAME or run `pulumi stack select`\n");
      return EXIT.usage;
    }
    if (stack !== undefined) {
      source = configSource(await workspace.getAllConfig(stack));
      store = {
        name: stack,
        getAllConfig: () => workspace.getAllConfig(stack),
        setConfig: (key, value) => workspace.setConfig(stack, key, value),
      };
    }
  }

  const rotated = rotatedRefreshToken(io.env, connection, source);
  if (!rotated) {
    io.stdout(
      `Nothing to store for ${connectionLabel(connection)}: the configured refresh token is the newest the token cache knows.\n`,
    );
    return EXIT.ok;
  }
  if (opts.output !== undefined) {
    const file = path.resolve(io.cwd, opts.output);
    const variable = settingFor("refreshToken", connection).envVar;
    writePrivateFile(
      file,
      `# The newest TravelPerk refresh token (${connectionLabel(connection)}), by \`pulumi-travelperk save-token\`.\n` +
        `# Keep this file private; never commit it.\n${variable}=${rotated.newest}\n`,
    );
    io.stdout(
      `Wrote ${variable} to ${file} (mode 0600); the token is not shown. Set ${rotated.from} from it where it is kept.\n`,
    );
    return EXIT.ok;
  }
  if (store === undefined) return EXIT.usage; // unreachable: a file or a stack was required above
  for (const report of await saveRotatedRefreshTokens(store, io.env, [connection]))
    io.stdout(`${rotationMessage(store.name, report)}\n`);
  return EXIT.ok;
}
