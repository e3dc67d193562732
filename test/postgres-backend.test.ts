/**
 * The roster stack as a team runs it: state in PostgreSQL (Pulumi's postgres:// self-managed backend,
 * password authentication, a password that needs URL-escaping), two checkouts of the same project (two
 * CI runners) against one stack, runs killed midway. Through the roster commands and the real CLI,
 * against the sandbox. The database is TP_TEST_POSTGRES_URL (`.ci/run` starts it with
 * scripts/postgres.sh); outside CI, without it, the suite starts a cluster of its own with that script.
 *
 * The second checkout signs in with the sandbox's API key instead of the access token, so the sandbox's
 * log tells the two runners' requests apart (`credential`).
 */
import { execFileSync, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { startSandbox, type LoggedRequest, type SandboxServer } from "../sandbox/server";
import { postgresBackend, type PostgresBackend } from "./helpers/postgres";
import { generatedRoster, RosterProject, type Run } from "./helpers/roster-project";
import { writes } from "./helpers/sandbox";

jest.setTimeout(300_000);

let pg: PostgresBackend;
let sandbox: SandboxServer;
let projects: RosterProject;
/** Everything the commands printed, for the password scan. */
const printed: string[] = [];

beforeAll(async () => {
  pg = await postgresBackend();
  console.log(`PostgreSQL backend from ${pg.source}, table ${pg.table}`);
  sandbox = await startSandbox();
  projects = new RosterProject(sandbox, pg.url);
});
afterAll(async () => {
  // After a failed beforeAll, either may be missing.
  await (sandbox as SandboxServer | undefined)?.stop();
  await (pg as PostgresBackend | undefined)?.close();
});

function keep(run: Run): Run {
  printed.push(run.stdout, run.stderr);
  return run;
}
const tp = async (args: string[], cwd: string): Promise<Run> => keep(await projects.tp(args, cwd));
const pulumi = async (args: string[], cwd: string): Promise<Run> => keep(await projects.pulumi(args, cwd));

/** A project with stack `dev` (on PostgreSQL) and a roster of `n` people. */
async function project(prefix: string, n: number, config: Record<string, string> = {}): Promise<string> {
  const dir = await projects.create(prefix, "dev", config);
  fs.writeFileSync(path.join(dir, "roster.yaml"), generatedRoster(prefix, n));
  return dir;
}

/**
 * A second checkout of the same project (another CI runner): the same files, the same stack on the same
 * backend, signed in with the API key instead of the access token.
 */
async function secondCheckout(dir: string): Promise<string> {
  const other = fs.mkdtempSync(path.join(os.tmpdir(), "tp-roster-checkout-"));
  for (const file of ["Pulumi.yaml", "Pulumi.dev.yaml", "roster.yaml"])
    fs.copyFileSync(path.join(dir, file), path.join(other, file));
  fs.symlinkSync(path.join(process.env.TP_TEST_PROGRAM ?? "", "node_modules"), path.join(other, "node_modules"));
  for (const args of [
    ["config", "rm", "travelperk:accessToken", "--stack", "dev"],
    ["config", "set", "--secret", "travelperk:apiKey", sandbox.apiKey, "--stack", "dev"],
  ]) {
    const result = await projects.pulumi(args, other);
    if (result.code !== 0) throw new Error(`pulumi ${args.join(" ")}: ${result.stderr}`);
  }
  return other;
}

const byCredential = (log: LoggedRequest[], credential: LoggedRequest["credential"]) =>
  log.filter((r) => r.credential === credential);

/** The stack's users in state: key → id. */
async function stateUsers(dir: string): Promise<Map<string, string>> {
  const exported = await projects.pulumi(["stack", "export", "--stack", "dev"], dir);
  expect(exported.code).toBe(0);
  const resources =
    (JSON.parse(exported.stdout) as { deployment: { resources?: { urn: string; type: string; id?: string }[] } })
      .deployment.resources ?? [];
  return new Map(
    resources.filter((r) => r.type.endsWith("travelperk:User")).map((r) => [r.urn.split("::").pop()!, r.id ?? ""]),
  );
}

/** The sandbox's accounts with this prefix: exactly `n`, none twice, and the same ids as the state's users. */
async function expectAgree(prefix: string, n: number, dir: string): Promise<void> {
  const ours = sandbox.listUsers().filter((u) => u.email.startsWith(prefix));
  const emails = ours.map((u) => u.email.toLowerCase());
  expect(new Set(emails).size).toBe(emails.length); // no duplicate account
  expect(emails.length).toBe(n);
  const state = await stateUsers(dir);
  expect(state.size).toBe(n);
  expect([...state.values()].sort()).toEqual(ours.map((u) => u.id).sort());
}

async function until(predicate: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface Background {
  child: ChildProcess;
  done: Promise<Run>;
}

/** `pulumi-travelperk <args>` in the background, its output collected. */
function background(args: string[], cwd: string): Background {
  const child = projects.spawnTp(args, cwd);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<Run>((resolve) => {
    child.once("close", (code) => {
      resolve(keep({ code: code ?? 137, stdout, stderr })); // killed: no exit code, as a shell's 128 + 9
    });
  });
  return { child, done };
}

/** SIGKILL for the command and everything it started (the pulumi CLI, the provider): a runner killed. */
function killTree(root: number): number {
  const tree = execFileSync("ps", ["-eo", "pid=,ppid="], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((line) => line.trim().split(/\s+/).map(Number));
  const doomed = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid = -1, ppid = -1] of tree) if (doomed.has(ppid) && !doomed.has(pid)) grew = Boolean(doomed.add(pid));
  }
  for (const pid of doomed) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
  return doomed.size;
}

const LOCKED =
  /another update of stack dev is running \(locked by [^)]+\); wait for it, or run `pulumi cancel` if it was killed/;

test("preview, up, refresh and destroy of a roster with its state in PostgreSQL", async () => {
  const dir = await project("pg", 20);

  sandbox.clearLog();
  const preview = await tp(["preview", "--stack", "dev"], dir);
  expect(preview.code).toBe(0);
  expect(preview.stdout).toMatch(/20 added, 0 changed, 0 offboarded/);
  expect(writes(sandbox.requests)).toEqual([]);

  const up = await tp(["up", "--stack", "dev"], dir);
  expect(up.code).toBe(0);
  expect(up.stdout).toMatch(/20 added, 0 changed, 0 offboarded/);
  await expectAgree("pg", 20, dir);
  // The state is rows of the table: the stack's checkpoint (and its history), no lock left.
  const rows = await pg.keys("%/pg/%");
  console.log(`state rows after up: ${rows.length} (${rows.filter((k) => k.includes("/stacks/")).join(", ")})`);
  expect(rows.some((key) => key.endsWith(".pulumi/stacks/pg/dev.json"))).toBe(true);
  expect(await pg.keys("%.pulumi/locks/%")).toEqual([]);

  // Drift made in TravelPerk: `pulumi refresh` (it takes the lock, like an update) records it, the
  // roster's preview then plans to undo it, and up does.
  const jonas = sandbox.findUserByEmail("pg3@example.com")!;
  sandbox.updateUser(jonas.id, { cost_center: "DRIFT-1" });
  const refresh = await pulumi(["refresh", "--yes", "--stack", "dev"], dir);
  expect(refresh.code).toBe(0);
  const drift = await tp(["preview", "--stack", "dev", "--json"], dir);
  expect(drift.code).toBe(0);
  const { summary } = JSON.parse(drift.stdout) as { summary: { changed: { email: string; fields: unknown[] }[] } };
  expect(summary.changed).toEqual([
    expect.objectContaining({
      email: "pg3@example.com",
      fields: [{ field: "costCenter", from: "DRIFT-1", to: "CC-3" }],
    }),
  ]);
  const fix = await tp(["up", "--stack", "dev"], dir);
  expect(fix.code).toBe(0);
  expect(sandbox.findUserByEmail("pg3@example.com")?.cost_center).toBe("CC-3");

  const destroy = await pulumi(["destroy", "--yes", "--stack", "dev"], dir);
  expect(destroy.code).toBe(0);
  expect((await stateUsers(dir)).size).toBe(0);
  const left = sandbox.listUsers().filter((u) => u.email.startsWith("pg"));
  expect(left.every((u) => u.is_active === false)).toBe(true); // onDelete: deactivate (the default)
});

test("two runners: while one up runs, a preview proceeds and a second up is refused, changing nothing", async () => {
  const n = 60;
  // Two requests at a time (the second checkout copies that too; its requests are few and sequential).
  const dir = await project("race", n, { "travelperk:maxConcurrentRequests": "2" });
  const other = await secondCheckout(dir);
  sandbox.clearLog();
  const first = background(["up", "--stack", "dev"], dir);
  let preview: Run;
  let second: Run;
  let firstStillRunning: boolean;
  try {
    // Once the first runner writes, its update holds the stack's lock. From then on every answer takes
    // 1.5 s: the first runner's remaining ~170 writes, two at a time, need minutes, the second runner's
    // handful of reads seconds, so the first is still writing whatever the machine's load.
    await until(() => sandbox.listUsers().filter((u) => u.email.startsWith("race")).length >= 3, 120_000, "writes");
    sandbox.setOptions({ latencyMs: 1500 });
    preview = await tp(["preview", "--stack", "dev"], other);
    const startedSecond = Date.now();
    second = await tp(["up", "--stack", "dev"], other);
    firstStillRunning = first.child.exitCode === null;
    console.log(
      `second up refused after ${Date.now() - startedSecond} ms, the first still running: ${firstStillRunning}; ` +
        `${sandbox.listUsers().filter((u) => u.email.startsWith("race")).length} of ${n} accounts existed`,
    );
  } finally {
    sandbox.setOptions({ latencyMs: 0 });
  }
  const firstRun = await first.done;
  expect(firstStillRunning).toBe(true);

  // The preview takes no lock: it ran, and planned from the last checkpoint the first runner had saved.
  expect(preview.code).toBe(0);
  const [, added = NaN, changed = NaN] = (/(\d+) added, (\d+) changed, 0 offboarded/.exec(preview.stdout) ?? []).map(
    Number,
  );
  console.log(`preview during the up: ${added} added, ${changed} changed of ${n} (the state mid-update)`);
  expect(added).toBeLessThan(n); // some creates had reached the state…
  expect(added + changed).toBeGreaterThan(0); // …not all of them: a plan from a half-applied state

  // The second up is refused with a sentence saying what to do, and exits non-zero.
  expect(second.code).toBe(1);
  expect(second.stderr).toMatch(LOCKED);
  expect(second.stdout).not.toContain("TravelPerk roster applied");
  console.log(`refusal: ${second.stderr.split("\n").find((l) => LOCKED.test(l))}`);
  // The second runner changed nothing in TravelPerk: all its requests (the API key's) were reads.
  const log = sandbox.requests;
  expect(byCredential(log, "apikey").length).toBeGreaterThan(0);
  expect(writes(byCredential(log, "apikey"))).toEqual([]);

  expect(firstRun.code).toBe(0);
  expect(firstRun.stdout).toMatch(new RegExp(`${n} added, 0 changed, 0 offboarded`));
  await expectAgree("race", n, dir);
  // Afterwards the second runner sees the stack as the first left it: nothing to do.
  const after = await tp(["up", "--stack", "dev"], other);
  expect(after.code).toBe(0);
  expect(after.stdout).toMatch(/0 added, 0 changed, 0 offboarded/);
  await expectAgree("race", n, other);
});

test("a runner killed mid-up leaves the lock; pulumi cancel clears it and the next up converges", async () => {
  const n = 40;
  const dir = await project("killed", n);
  sandbox.setOptions({ latencyMs: 40 });
  const run = background(["up", "--stack", "dev"], dir);
  let processes: number;
  try {
    await until(() => sandbox.listUsers().filter((u) => u.email.startsWith("killed")).length >= 10, 120_000, "writes");
    processes = killTree(run.child.pid!);
  } finally {
    sandbox.setOptions({ latencyMs: 0 });
  }
  const killed = await run.done;
  expect(killed.code).not.toBe(0);
  const existed = sandbox.listUsers().filter((u) => u.email.startsWith("killed")).length;
  const locks = await pg.keys("%.pulumi/locks/%/killed/dev/%");
  console.log(`killed ${processes} processes after ${existed} of ${n} accounts existed; locks left: ${locks.length}`);
  expect(locks).toHaveLength(1);

  const locked = await tp(["up", "--stack", "dev"], dir);
  expect(locked.code).toBe(1);
  expect(locked.stderr).toMatch(LOCKED);
  expect((await pulumi(["cancel", "--yes", "--stack", "dev"], dir)).code).toBe(0);
  expect(await pg.keys("%.pulumi/locks/%/killed/dev/%")).toEqual([]);

  const again = await tp(["up", "--stack", "dev"], dir);
  expect(again.code).toBe(0);
  await expectAgree("killed", n, dir);
  const output = again.stdout + again.stderr;
  const pending = output.split("\n").find((line) => /pending operation/i.test(line));
  const adopted = output.split("\n").filter((line) => /already existed with exactly the declared fields/.test(line));
  console.log(
    `next up: ${pending?.trim().slice(0, 300) ?? "no pending operations reported"}; ${adopted.length} adoption warnings`,
  );
  const noop = await tp(["preview", "--stack", "dev"], dir);
  expect(noop.stdout).toMatch(/0 added, 0 changed, 0 offboarded/);
});

test("the database password appears in no output, escaped or not", () => {
  const forms = [pg.password, encodeURIComponent(pg.password)];
  const hits = printed.filter((text) => forms.some((form) => text.includes(form))).length;
  console.log(`password scan: ${printed.length} outputs, ${hits} with the password`);
  expect(printed.length).toBeGreaterThan(0);
  expect(hits).toBe(0);
});
