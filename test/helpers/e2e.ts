/**
 * End-to-end harness: the real `pulumi` CLI on a local file backend, the package installed as users
 * install it, a fresh sandbox per test file, and programs run inline through `pulumi-travelperk/runner`.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import type * as automation from "@pulumi/pulumi/automation";
import type * as Runner from "../../provider/runner";
import type { TeamIds, TeamOptions } from "../../examples/team/program";
import type { Team } from "../../examples/team/team";
import { startSandbox, type SandboxOptions, type SandboxServer } from "../../sandbox/server";

const ROOT = path.resolve(__dirname, "../..");
export const PASSPHRASE = "e2e-test-passphrase";
export const PROJECT = "tp-e2e";

/** A program folder: the example program's compiled files beside a node_modules with the packed package. */
export function makeProgramDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  fs.symlinkSync(path.join(process.env.TP_TEST_PROGRAM!, "node_modules"), path.join(dir, "node_modules"));
  for (const file of ["program.js", "team.js"])
    fs.copyFileSync(path.join(ROOT, "dist/examples/team", file), path.join(dir, file));
  return dir;
}

export interface E2E {
  sandbox: SandboxServer;
  dir: string;
  backendDir: string;
  runner: typeof Runner;
  /** Opens (or selects) the stack `dev` for a team, with the sandbox's config. */
  stack(team: Team, ids: TeamIds | undefined, stackName?: string, options?: TeamOptions): Promise<automation.Stack>;
  /** Runs the plain CLI in `cwd` (for commands that need no language host). */
  cli(args: string[], cwd?: string): Promise<{ stdout: string; stderr: string }>;
  /** The state file as the backend stores it. */
  stateFile(stackName?: string): string;
}

/** Registers beforeAll/afterAll hooks for one test file. */
export function useE2E(
  options: SandboxOptions = {},
  settings: (sandbox: SandboxServer) => Record<string, string> = (sandbox) => ({ "travelperk:apiUrl": sandbox.apiUrl }),
): () => E2E {
  let env: E2E | undefined;
  beforeAll(async () => {
    const sandbox = await startSandbox(options);
    const dir = makeProgramDir("tp-e2e");
    const backendDir = fs.mkdtempSync(path.join(os.tmpdir(), "tp-e2e-state-"));
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program folder's installed copy
    const runner = require(require.resolve("pulumi-travelperk/runner", { paths: [dir] })) as typeof Runner;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program folder's installed copy
    const programModule = require(path.join(dir, "program.js")) as typeof import("../../examples/team/program");
    const pulumiRoot = process.env.PULUMI_CLI_ROOT!;
    const cliEnv: NodeJS.ProcessEnv = Object.fromEntries(
      Object.entries({
        ...process.env,
        ...runner.cliEnvironment({ workDir: dir, passphrase: PASSPHRASE }),
        PULUMI_BACKEND_URL: `file://${backendDir}`,
      }).filter(([key]) => !key.startsWith("TRAVELPERK_")),
    );
    env = {
      sandbox,
      dir,
      backendDir,
      runner,
      stack: (team, ids, stackName = "dev", teamOptions) =>
        runner.openStack({
          projectName: PROJECT,
          stackName,
          program: programModule.teamProgram(team, ids, teamOptions),
          workDir: dir,
          backendUrl: `file://${backendDir}`,
          passphrase: PASSPHRASE,
          pulumiRoot,
          config: {
            ...Object.fromEntries(Object.entries(settings(sandbox)).map(([key, value]) => [key, { value }])),
            "travelperk:accessToken": { value: sandbox.accessToken, secret: true },
            "travelperk:retryBaseDelayMs": { value: "20" },
          },
        }),
      cli: async (args, cwd = dir) =>
        promisify(execFile)(path.join(pulumiRoot, "bin/pulumi"), [...args, "--non-interactive"], { cwd, env: cliEnv }),
      stateFile: (stackName = "dev") => path.join(backendDir, ".pulumi/stacks", PROJECT, `${stackName}.json`),
    };
  }, 120_000);
  afterAll(async () => {
    await env?.sandbox.stop();
  });
  return () => {
    if (!env) throw new Error("e2e environment not started");
    return env;
  };
}

/** The ids of the sandbox's seeded groups and policies, by name. */
export function seededIds(sandbox: SandboxServer): TeamIds {
  return {
    groups: Object.fromEntries(sandbox.listGroups().map((g) => [g.name, g.id])),
    policies: Object.fromEntries(sandbox.listPolicies().map((p) => [p.name, p.id])),
  };
}

/**
 * A teammate's copy of the project folder `dir` (its Pulumi.yaml, the `dev` stack's settings, the same
 * installed node_modules) in a new folder beside it, named with `prefix`.
 */
export function copyProject(dir: string, prefix: string): string {
  const copy = fs.mkdtempSync(path.join(path.dirname(dir), prefix));
  for (const file of ["Pulumi.yaml", "Pulumi.dev.yaml"]) fs.copyFileSync(path.join(dir, file), path.join(copy, file));
  fs.symlinkSync(fs.readlinkSync(path.join(dir, "node_modules")), path.join(copy, "node_modules"));
  return copy;
}
