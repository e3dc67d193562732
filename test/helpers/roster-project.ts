/**
 * A Pulumi project folder as a team has it (Pulumi.yaml, a stack whose config points at the sandbox,
 * node_modules with the packed package), and the commands run in it as child processes: the
 * `pulumi-travelperk` bin of the installed package and the real `pulumi` CLI.
 */
import { execFile, spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import type { SandboxServer } from "../../sandbox/server";
import { entry } from "./at";
import { PASSPHRASE } from "./e2e";

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The installed package's `pulumi-travelperk` bin. */
export function cliPath(program = process.env.TP_TEST_PROGRAM ?? ""): string {
  const pkgDir = path.join(program, "node_modules/pulumi-travelperk");
  const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8")) as { bin: Record<string, string> };
  return path.join(pkgDir, entry(pkg.bin, "pulumi-travelperk"));
}

/** The groups and travel policies {@link generatedRoster} deals out. */
export const ROSTER_GROUPS = ["Engineering", "Sales", "Marketing", "Operations"];
export const ROSTER_POLICIES = ["Standard", "Executive", "Sales Team"];

/**
 * A roster.yaml of `n` people with the given e-mail prefix, in teams of 10 under the first of each,
 * cost centers, travel policies and groups taken in turn from small fixed lists.
 */
export function generatedRoster(prefix: string, n: number): string {
  const lines = ["people:"];
  for (let i = 0; i < n; i++) {
    lines.push(
      `  - email: ${prefix}${String(i)}@example.com`,
      `    firstName: Person`,
      `    lastName: "${prefix} ${String(i)}"`,
      `    costCenter: CC-${String(i % 7)}`,
      `    travelPolicy: ${ROSTER_POLICIES[i % ROSTER_POLICIES.length] ?? ""}`,
      `    groups: [${ROSTER_GROUPS[i % ROSTER_GROUPS.length] ?? ""}]`,
    );
    if (i % 10 !== 0) lines.push(`    manager: ${prefix}${String(i - (i % 10))}@example.com`);
  }
  return `${lines.join("\n")}\n`;
}

export class RosterProject {
  /** The file backend's directory (used unless the constructor is given a backend URL). */
  readonly backend = fs.mkdtempSync(path.join(os.tmpdir(), "tp-project-state-"));

  /** `backendUrl`: the state backend (PULUMI_BACKEND_URL), e.g. `postgres://…`; default `file://` + `backend`. */
  constructor(
    private readonly sandbox: SandboxServer,
    readonly backendUrl?: string,
  ) {}

  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("TRAVELPERK_")));
    return {
      ...base,
      PATH: `${process.env.PULUMI_CLI_ROOT ?? ""}/bin${path.delimiter}${process.env.PATH ?? ""}`,
      PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
      PULUMI_BACKEND_URL: this.backendUrl ?? `file://${this.backend}`,
      PULUMI_SKIP_UPDATE_CHECK: "true",
      ...extra,
    };
  }

  async run(cmd: string, args: string[], cwd: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
    try {
      const { stdout, stderr } = await promisify(execFile)(cmd, args, {
        cwd,
        env: this.env(extraEnv),
        maxBuffer: 64 << 20,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
    }
  }

  /** `pulumi-travelperk <args>` in `cwd`. */
  tp(args: string[], cwd: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
    return this.run(process.execPath, [cliPath(), ...args], cwd, extraEnv);
  }

  /** The same, started in the background (to be killed midway). */
  spawnTp(args: string[], cwd: string, extraEnv: NodeJS.ProcessEnv = {}): ChildProcess {
    return spawn(process.execPath, [cliPath(), ...args], {
      cwd,
      env: this.env(extraEnv),
      stdio: ["ignore", "pipe", "pipe"],
    });
  }

  /** The plain `pulumi` CLI in `cwd`. */
  pulumi(args: string[], cwd: string): Promise<Run> {
    return this.run(path.join(process.env.PULUMI_CLI_ROOT ?? "", "bin/pulumi"), [...args, "--non-interactive"], cwd);
  }

  /**
   * A project folder with a stack whose config points at the sandbox; `secrets` are set with
   * --secret (default: the sandbox's access token as travelperk:accessToken).
   */
  async create(
    name: string,
    stack: string,
    config: Record<string, string> = {},
    secrets: Record<string, string> = { "travelperk:accessToken": this.sandbox.accessToken },
  ): Promise<string> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tp-roster-${name}-`));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${name}\nruntime: nodejs\n`);
    fs.symlinkSync(path.join(process.env.TP_TEST_PROGRAM ?? "", "node_modules"), path.join(dir, "node_modules"));
    const settings = { "travelperk:apiUrl": this.sandbox.apiUrl, "travelperk:retryBaseDelayMs": "20", ...config };
    const steps = [
      ["stack", "init", stack],
      ...Object.entries(settings).map(([key, value]) => ["config", "set", key, value]),
      ...Object.entries(secrets).map(([key, value]) => ["config", "set", "--secret", key, value]),
    ];
    for (const args of steps) {
      const result = await this.pulumi(args, dir);
      if (result.code !== 0) throw new Error(`pulumi ${args.join(" ")}: ${result.stderr}`);
    }
    return dir;
  }
}
