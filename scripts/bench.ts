/**
 * `npm run bench`: how pulumi-travelperk scales under the real Pulumi CLI, next to the engine's own floor.
 *
 * For each roster size N it runs, through `pulumi-travelperk/runner` (inline program, local file
 * backend, a fresh in-process sandbox on loopback): `up`, a no-op `preview`, `refresh` and `destroy`
 * of the examples/team program for N generated people; the same four operations of a program of
 * no-op dynamic resources with the same resource graph (the floor); an extra `up` with
 * PULUMI_SKIP_CHECKPOINTS (and its floor); and an `up` against a rate-limited sandbox. It measures
 * (requests, 429s, wall time, state bytes, peak provider RSS), prints a Markdown table on stdout and
 * writes every raw number as JSON. It never asserts a time. Progress goes to stderr.
 *
 *   npm run bench -- --sizes 200,1000 --rate-limit 50 --out bench/results.json [--skip-throttled] [--skip-floor]
 *
 * With --limiters it runs the limiter rows instead (and only them: the size options do not apply and are
 * refused): for each limiter shape of scripts/bench-limiters.ts, a real `up` of N people against a fresh
 * sandbox started with that limit (the provider is not told), reporting requests, accepted requests,
 * 429s, the span of the sandbox's request log, the floor the limit sets, span ÷ floor and whether the
 * target is met; plus the same up with 30 % random 429s (vs. without) and with no limit at all (vs. the
 * engine's floor). N is 100 (--limiter-people) for the per-second rows and ≈ 300 requests' worth for the
 * per-minute row, which alone takes over 2 minutes; the whole run takes several minutes.
 *
 *   npm run bench -- --limiters [--limiter-people 100] [--out bench/results.json] [--retry-base-delay-ms MS]
 *
 * With --backend postgres it runs the backend rows instead (and only them): for each size N, the same
 * `up` of N people on the local file backend and on Pulumi's PostgreSQL backend (postgres://…, a fresh
 * table per run), each with and without PULUMI_SKIP_CHECKPOINTS, reporting wall time, PostgreSQL ÷
 * file and skip ÷ checkpoints. The database is --postgres-url URL, else TP_TEST_POSTGRES_URL, else a
 * cluster scripts/postgres.sh starts for the run (and stops after it).
 *
 *   npm run bench -- --backend postgres [--sizes 200,1000] [--postgres-url URL] [--out bench/results.json]
 */
import { execFile, execFileSync } from "child_process";
import * as fs from "fs";
import { createRequire } from "module";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { parseArgs, promisify } from "util";
import type * as PulumiSdk from "@pulumi/pulumi";
import type * as automation from "@pulumi/pulumi/automation";
import type * as TeamProgram from "../examples/team/program";
import type { TeamIds } from "../examples/team/program";
import type { TeamMember } from "../examples/team/team";
import type * as Runner from "../provider/runner";
import { startSandbox, type LoggedRequest, type SandboxOptions, type SandboxServer } from "../sandbox/server";
import {
  LIMITER_SHAPES,
  limiterReport,
  perMinutePeople,
  runLimiters,
  type LimiterBench,
  type LimiterRow,
} from "./bench-limiters";
import { installPackedPackage } from "./pack-install";

const ROOT = path.resolve(__dirname, "../..");
const PASSPHRASE = "bench-passphrase";
const STACK = "bench";
const PROJECT = "tp-bench";
const FLOOR_PROJECT = "tp-bench-floor";
const POLL_MS = 200;
/** Resources per person in the team program: the User, one GroupMembership, one PolicyAssignment. */
const RESOURCES_PER_PERSON = 3;
const run = promisify(execFile);
const startLoad = os.loadavg();

function progress(text: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
}

// ---- options --------------------------------------------------------------------------------------

interface Options {
  sizes: number[];
  rateLimit: number;
  out: string;
  skipThrottled: boolean;
  skipFloor: boolean;
  /** `travelperk:retryBaseDelayMs`; undefined leaves the provider's default (500 ms). */
  retryBaseDelayMs?: number;
  /** --limiters: run the limiter rows only, the per-second ones with `limiterPeople` people. */
  limiters: boolean;
  limiterPeople: number;
  /** --backend postgres: run the backend rows only (file vs PostgreSQL); "file" is the ordinary bench. */
  backend: "file" | "postgres";
  /** --postgres-url: the database for --backend postgres (default: TP_TEST_POSTGRES_URL, else one started). */
  postgresUrl?: string;
}

/** The issue's scenario: "a 100-person up". */
const LIMITER_PEOPLE = 100;

function positiveInteger(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer, got "${raw}"`);
  return value;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      sizes: { type: "string" },
      "rate-limit": { type: "string" },
      out: { type: "string", default: "bench/results.json" },
      "skip-throttled": { type: "boolean" },
      "skip-floor": { type: "boolean" },
      "retry-base-delay-ms": { type: "string" },
      limiters: { type: "boolean", default: false },
      "limiter-people": { type: "string" },
      backend: { type: "string", default: "file" },
      "postgres-url": { type: "string" },
    },
  });
  const backend = values.backend;
  if (backend !== "file" && backend !== "postgres")
    throw new Error(`--backend must be file or postgres, got "${backend}"`);
  if (backend === "postgres") {
    const other = (["rate-limit", "skip-throttled", "skip-floor", "limiters", "limiter-people"] as const).filter(
      (k) => values[k] !== undefined && values[k] !== false,
    );
    if (other.length)
      throw new Error(
        `--backend postgres runs the backend rows only: ${other.map((k) => `--${k}`).join(", ")} do not apply`,
      );
  } else if (values["postgres-url"] !== undefined) throw new Error("--postgres-url needs --backend postgres");
  const sizeOptions = (["sizes", "rate-limit", "skip-throttled", "skip-floor"] as const).filter(
    (k) => values[k] !== undefined,
  );
  if (values.limiters && sizeOptions.length)
    throw new Error(
      `--limiters runs the limiter rows only: ${sizeOptions.map((k) => `--${k}`).join(", ")} do not apply`,
    );
  if (!values.limiters && values["limiter-people"] !== undefined) throw new Error("--limiter-people needs --limiters");
  const sizes = (values.sizes ?? "200,1000")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((s) => positiveInteger("sizes", s));
  if (sizes.length === 0) throw new Error("--sizes needs at least one size");
  const retry = values["retry-base-delay-ms"];
  return {
    sizes: [...new Set(sizes)].sort((a, b) => a - b),
    rateLimit: positiveInteger("rate-limit", values["rate-limit"] ?? "50"),
    out: path.resolve(values.out),
    skipThrottled: values["skip-throttled"] ?? false,
    skipFloor: values["skip-floor"] ?? false,
    retryBaseDelayMs: retry === undefined ? undefined : positiveInteger("retry-base-delay-ms", retry),
    limiters: values.limiters,
    limiterPeople: positiveInteger("limiter-people", values["limiter-people"] ?? String(LIMITER_PEOPLE)),
    backend,
    ...(values["postgres-url"] !== undefined && { postgresUrl: values["postgres-url"] }),
  };
}

// ---- the roster -----------------------------------------------------------------------------------

const FIRST = ["Ada", "Alan", "Grace", "Katherine", "Edsger", "Barbara", "Donald", "Frances", "John", "Radia"];
const LAST = ["Lovelace", "Turing", "Hopper", "Johnson", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus", "Perlman"];
const COST_CENTRES = ["ENG", "SALES", "MKT", "OPS", "FIN"];

/** The element at `i`, counting round the list again and again; throws on an empty list. */
function cyclic<T>(list: readonly T[], i: number): T {
  const value = list[i % list.length];
  if (value === undefined) throw new Error("cyclic: the list is empty");
  return value;
}

/** N people, each in one seeded group and under one seeded policy (by name; the program gets the ids). */
function roster(n: number, ids: TeamIds): TeamMember[] {
  const groups = Object.keys(ids.groups).sort();
  const policies = Object.keys(ids.policies).sort();
  return Array.from({ length: n }, (_, i): TeamMember => {
    const first = cyclic(FIRST, i);
    const last = cyclic(LAST, Math.floor(i / FIRST.length));
    return {
      email: `${first}.${last}.${String(i).padStart(5, "0")}@bench.example.com`.toLowerCase(),
      firstName: first,
      lastName: last,
      role: i % 50 === 0 ? "company_admin" : i % 10 === 0 ? "travel_manager" : "traveler",
      costCenter: cyclic(COST_CENTRES, i),
      groups: [cyclic(groups, i)],
      policy: cyclic(policies, i),
    };
  });
}

function seededIds(sandbox: SandboxServer): TeamIds {
  return {
    groups: Object.fromEntries(sandbox.listGroups().map((g) => [g.name, g.id])),
    policies: Object.fromEntries(sandbox.listPolicies().map((p) => [p.name, p.id])),
  };
}

// ---- the floor: no-op dynamic resources, the same graph ---------------------------------------------

/**
 * The engine's floor for N people: per person a no-op "user" and two no-op resources that take its id,
 * like the membership and the policy assignment. The provider is serialized by value into state.
 */
function floorProgram(pulumi: typeof PulumiSdk, n: number): automation.PulumiFn {
  const noop: PulumiSdk.dynamic.ResourceProvider = {
    create: (inputs: { i: number }) => Promise.resolve({ id: String(inputs.i), outs: {} }),
  };
  class Noop extends pulumi.dynamic.Resource {
    constructor(name: string, props: PulumiSdk.Inputs) {
      super(noop, name, props, undefined, "bench", "Noop");
    }
  }
  return () => {
    const ids: Record<string, PulumiSdk.Output<string>> = {};
    for (let i = 0; i < n; i++) {
      const user = new Noop(`p${String(i)}`, { i: 3 * i });
      new Noop(`p${String(i)}/group`, { i: 3 * i + 1, userId: user.id });
      new Noop(`p${String(i)}/policy`, { i: 3 * i + 2, userId: user.id });
      ids[`p${String(i)}`] = user.id;
    }
    return Promise.resolve({ users: ids });
  };
}

// ---- measuring ------------------------------------------------------------------------------------

/** Max RSS (KB) of our descendant processes by kind, and request-log timing, sampled every POLL_MS. */
class Sampler {
  peakProviderKb = 0;
  peakCliKb = 0;
  peakSelfKb = 0;
  providerPids = new Set<number>();
  firstRequestMs?: number;
  lastRequestMs?: number;
  samples = 0;
  private seenRequests = 0;
  private running = true;
  private readonly done: Promise<void>;

  constructor(
    private readonly t0: number,
    private readonly sandbox?: SandboxServer,
  ) {
    this.done = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      await this.sample();
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  private async sample(): Promise<void> {
    this.samples++;
    this.peakSelfKb = Math.max(this.peakSelfKb, Math.round(process.memoryUsage().rss / 1024));
    const count = this.sandbox?.requests.length ?? 0;
    const now = performance.now() - this.t0;
    if (count > this.seenRequests) {
      this.firstRequestMs ??= now;
      this.lastRequestMs = now;
      this.seenRequests = count;
    }
    let out: string;
    try {
      out = (await run("ps", ["-ww", "-eo", "pid,ppid,rss,args"], { maxBuffer: 64 << 20 })).stdout;
    } catch {
      return;
    }
    const procs = out
      .split("\n")
      .slice(1)
      .map((line) => /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), rss: Number(m[3]), args: m.at(4) ?? "" }));
    // Only our own descendants: other runs on the machine (tests, demos) are not ours to measure.
    const ours = new Set([process.pid]);
    for (let grew = true; grew;) {
      grew = false;
      for (const p of procs)
        if (!ours.has(p.pid) && ours.has(p.ppid)) {
          ours.add(p.pid);
          grew = true;
        }
    }
    for (const p of procs) {
      if (!ours.has(p.pid) || p.pid === process.pid) continue;
      // The plugin shim also runs `node -e "…require.resolve('@pulumi/pulumi/cmd/dynamic-provider')…"` for a moment.
      if (p.args.includes("dynamic-provider") && !p.args.includes("require.resolve")) {
        this.providerPids.add(p.pid);
        this.peakProviderKb = Math.max(this.peakProviderKb, p.rss);
      } else if (/(^|\/)pulumi(\s|$)/.test(p.args)) {
        this.peakCliKb = Math.max(this.peakCliKb, p.rss);
      }
    }
  }
}

interface Measurement {
  label: string;
  n: number;
  resources: number;
  ok: boolean;
  error?: string;
  wallMs: number;
  /** Opening the stack (workspace, stack select, config): not part of wallMs. */
  openMs: number;
  requests: number;
  reads: number;
  writes: number;
  rateLimited: number;
  accepted: number;
  serverErrors: number;
  /** Requests by "METHOD /route" (ids replaced by :id). */
  byRoute: Record<string, number>;
  byStatus: Record<string, number>;
  /** Sum of the sandbox's own handling time, ms. */
  sandboxMs: number;
  /** Engine steps by op (create, same, delete, refresh…), all resource types. */
  steps: Record<string, number>;
  /** From the start of the command: first engine resource event, last one, first and last request seen (±POLL_MS). */
  timeline: {
    firstResourceEventMs?: number;
    lastResourceEventMs?: number;
    firstRequestMs?: number;
    lastRequestMs?: number;
  };
  peakProviderRssKb: number;
  providerProcesses: number;
  peakCliRssKb: number;
  /** The bench process: inline program, Automation API and sandbox. */
  peakBenchRssKb: number;
  state?: StateSize;
}

interface StateSize {
  fileBytes: number;
  resources: number;
  /** Compact JSON bytes of the program's resources (User + memberships + policy, or the no-op trio) ÷ N. */
  bytesPerPerson: number;
  /** Where those bytes are: per resource type, and per top-level field of a state resource (inputs, outputs, urn…). */
  bytesByType: Record<string, { resources: number; bytes: number }>;
  bytesByField: Record<string, number>;
  /** Bytes of the `__provider` values (inputs and outputs) among them. */
  providerBytes: number;
}

const routeOf = (r: LoggedRequest) =>
  `${r.method} ${r.path
    .replace(/^\/api\/v2/, "")
    .replace(/\/users\/[^/]+/, "/users/:id")
    .replace(/\/groups\/[^/]+\/members\/[^/]+/, "/groups/:id/members/:id")
    .replace(/\/groups\/[^/]+\/members$/, "/groups/:id/members")}`;

function tally<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

function stateSize(store: StateStore, project: string, n: number, ofProgram: (type: string) => boolean): StateSize {
  const text = store.read(project);
  type StateResource = { type: string } & Record<string, unknown>;
  const state = JSON.parse(text) as { checkpoint?: { latest?: { resources?: StateResource[] } } };
  const resources = (state.checkpoint?.latest?.resources ?? []).filter((r) => ofProgram(r.type));
  const size = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
  const bytesByType: StateSize["bytesByType"] = {};
  const bytesByField: Record<string, number> = {};
  let bytes = 0;
  let providerBytes = 0;
  for (const r of resources) {
    const b = size(r);
    bytes += b;
    const t = (bytesByType[r.type] ??= { resources: 0, bytes: 0 });
    t.resources++;
    t.bytes += b;
    for (const [field, value] of Object.entries(r)) bytesByField[field] = (bytesByField[field] ?? 0) + size(value);
    for (const bag of [r.inputs, r.outputs]) {
      const provider = (bag as Record<string, unknown> | undefined)?.__provider;
      if (provider !== undefined) providerBytes += size(provider);
    }
  }
  return {
    fileBytes: Buffer.byteLength(text),
    resources: resources.length,
    bytesPerPerson: bytes / n,
    bytesByType,
    bytesByField,
    providerBytes,
  };
}

type Operation = "up" | "preview" | "refresh" | "destroy";

interface Target {
  label: string;
  n: number;
  open: () => Promise<automation.Stack>;
  sandbox?: SandboxServer;
  state?: () => StateSize;
}

async function measure(target: Target, op: Operation, label: string): Promise<Measurement> {
  progress(`${label} (N=${String(target.n)}): opening the stack`);
  const opened = performance.now();
  const stack = await target.open();
  const openMs = performance.now() - opened;
  target.sandbox?.clearLog();
  const steps: Record<string, number> = {};
  const timeline: Measurement["timeline"] = {};
  const t0 = performance.now();
  const onEvent = (event: automation.EngineEvent) => {
    const pre = event.resourcePreEvent?.metadata;
    const outs = event.resOutputsEvent?.metadata;
    if (pre) steps[pre.op] = (steps[pre.op] ?? 0) + 1;
    if (pre || outs) {
      const at = performance.now() - t0;
      timeline.firstResourceEventMs ??= at;
      timeline.lastResourceEventMs = at;
    }
  };
  const sampler = new Sampler(t0, target.sandbox);
  progress(`${label} (N=${String(target.n)}): running`);
  let error: string | undefined;
  try {
    if (op === "up") await stack.up({ onEvent });
    else if (op === "preview") await stack.preview({ onEvent });
    else if (op === "refresh") await stack.refresh({ onEvent });
    else await stack.destroy({ onEvent });
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  const wallMs = performance.now() - t0;
  await sampler.stop();
  const log = [...(target.sandbox?.requests ?? [])];
  const rateLimited = log.filter((r) => r.status === 429).length;
  let state: StateSize | undefined;
  if ((op === "up" || op === "refresh") && target.state) {
    try {
      state = target.state();
    } catch {
      state = undefined;
    }
  }
  const m: Measurement = {
    label,
    n: target.n,
    resources: target.n * RESOURCES_PER_PERSON,
    ok: error === undefined,
    ...(error !== undefined && { error: error.slice(-4000) }),
    wallMs,
    openMs,
    requests: log.length,
    reads: log.filter((r) => r.method === "GET").length,
    writes: log.filter((r) => r.method !== "GET").length,
    rateLimited,
    accepted: log.length - rateLimited,
    serverErrors: log.filter((r) => r.status >= 500).length,
    byRoute: tally(log, routeOf),
    byStatus: tally(log, (r) => String(r.status)),
    sandboxMs: Math.round(log.reduce((sum, r) => sum + r.ms, 0)),
    steps,
    timeline: { ...timeline, firstRequestMs: sampler.firstRequestMs, lastRequestMs: sampler.lastRequestMs },
    peakProviderRssKb: sampler.peakProviderKb,
    providerProcesses: sampler.providerPids.size,
    peakCliRssKb: sampler.peakCliKb,
    peakBenchRssKb: sampler.peakSelfKb,
    ...(state && { state }),
  };
  progress(
    `${label} (N=${String(target.n)}): ${error === undefined ? "ok" : `FAILED: ${error.split("\n")[0]}`} in ` +
      `${(wallMs / 1000).toFixed(1)} s, ${String(m.requests)} requests (${String(m.writes)} writes, ` +
      `${String(rateLimited)} × 429), provider peak ${(m.peakProviderRssKb / 1024).toFixed(0)} MB`,
  );
  return m;
}

// ---- the environment: CLI, program folders, backends ----------------------------------------------

interface Env {
  pulumiRoot: string;
  pulumiVersion: string;
  parallelDefault?: number;
  installed: string;
  runner: typeof Runner;
  pulumi: typeof PulumiSdk;
  teamProgram: typeof TeamProgram.teamProgram;
  scratch: string;
  options: Options;
}

/** A project folder: the compiled example program beside node_modules holding the packed package. */
function programDir(env: Pick<Env, "installed" | "scratch">, name: string): string {
  const dir = fs.mkdtempSync(path.join(env.scratch, `${name}-`));
  fs.symlinkSync(path.join(env.installed, "node_modules"), path.join(dir, "node_modules"));
  for (const file of ["program.js", "team.js"])
    fs.copyFileSync(path.join(ROOT, "dist/examples/team", file), path.join(dir, file));
  return dir;
}

/** Where a run's state goes (PULUMI_BACKEND_URL), and how to read the stack's checkpoint back. */
interface StateStore {
  url: string;
  /** The checkpoint of stack STACK of `project`, as the backend stores it. */
  read: (project: string) => string;
}

/** A fresh directory of the file backend (the default). */
function fileStore(env: Env, name: string): StateStore {
  const dir = fs.mkdtempSync(path.join(env.scratch, `${name}-state-`));
  return {
    url: `file://${dir}`,
    read: (project) => fs.readFileSync(path.join(dir, ".pulumi/stacks", project, `${STACK}.json`), "utf8"),
  };
}

const PSQL = path.join(process.env.TP_POSTGRES_BIN ?? "/usr/lib/postgresql/15/bin", "psql");

/** A PostgreSQL database for --backend postgres: each run gets a table of its own. */
interface BenchPostgres {
  /** The database URL (postgres://user:password@host:port/db?sslmode=…), without `table`. */
  url: string;
  source: string;
  tables: string[];
  close: () => void;
}

function psql(databaseUrl: string, sql: string): string {
  return execFileSync(PSQL, ["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql, databaseUrl], {
    encoding: "utf8",
    maxBuffer: 1 << 30,
  });
}

function startPostgres(options: Options): BenchPostgres {
  const given = options.postgresUrl ?? process.env.TP_TEST_POSTGRES_URL;
  const tables: string[] = [];
  if (given)
    return {
      url: given,
      source: options.postgresUrl ? "--postgres-url" : "TP_TEST_POSTGRES_URL",
      tables,
      // Not our database: drop the tables we made, nothing else.
      close: () => {
        for (const table of tables) psql(given, `DROP TABLE IF EXISTS ${table}`);
      },
    };
  const script = path.join(ROOT, "scripts/postgres.sh");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tp-bench-postgres-"));
  const env = { ...process.env, TP_POSTGRES_DIR: dir };
  progress(`starting PostgreSQL (scripts/postgres.sh, in ${dir})`);
  const url = execFileSync("bash", [script, "start"], {
    env,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
  return {
    url,
    source: "scripts/postgres.sh",
    tables,
    close: () => {
      execFileSync("bash", [script, "stop"], { env, stdio: ["ignore", "ignore", "inherit"] });
    },
  };
}

/** A fresh table of the database: the backend URL gets `table=`, which Pulumi creates on first use. */
function postgresStore(pg: BenchPostgres, name: string): StateStore {
  const table = `tp_bench_${name.replace(/[^a-z0-9]+/gi, "_").toLowerCase()}_${String(pg.tables.length)}`;
  pg.tables.push(table);
  const url = new URL(pg.url);
  url.searchParams.set("table", table);
  return {
    url: url.toString(),
    // The backend stores each object as {"data": "<base64>"} in a JSON column: the checkpoint is its decoding.
    read: (project) =>
      Buffer.from(
        psql(
          pg.url,
          `SELECT data->>'data' FROM ${table} WHERE key LIKE '%.pulumi/stacks/${project}/${STACK}.json'`,
        ).trim(),
        "base64",
      ).toString("utf8"),
  };
}

function providerConfig(env: Env, sandbox: SandboxServer): automation.ConfigMap {
  return {
    "travelperk:apiUrl": { value: sandbox.apiUrl },
    "travelperk:accessToken": { value: sandbox.accessToken, secret: true },
    ...(env.options.retryBaseDelayMs !== undefined && {
      "travelperk:retryBaseDelayMs": { value: String(env.options.retryBaseDelayMs) },
    }),
  };
}

/** Our program for N people on a fresh sandbox, backend and project folder. */
async function oursTarget(
  env: Env,
  n: number,
  label: string,
  sandboxOptions: SandboxOptions = {},
  extraEnv: Record<string, string> = {},
  store: StateStore = fileStore(env, label),
): Promise<Target> {
  const sandbox = await startSandbox(sandboxOptions);
  const ids = seededIds(sandbox);
  const program = env.teamProgram({ people: roster(n, ids) }, ids);
  const dir = programDir(env, label);
  let stack: automation.Stack | undefined;
  return {
    label,
    n,
    sandbox,
    open: async () =>
      (stack ??= await env.runner.openStack({
        projectName: PROJECT,
        stackName: STACK,
        program,
        workDir: dir,
        backendUrl: store.url,
        passphrase: PASSPHRASE,
        pulumiRoot: env.pulumiRoot,
        config: providerConfig(env, sandbox),
        env: extraEnv,
      })),
    state: () => stateSize(store, PROJECT, n, (type) => type.includes(":dynamic/travelperk:")),
  };
}

function floorTarget(env: Env, n: number, label: string, extraEnv: Record<string, string> = {}): Target {
  const dir = programDir(env, label);
  const store = fileStore(env, label);
  let stack: automation.Stack | undefined;
  return {
    label,
    n,
    open: async () =>
      (stack ??= await env.runner.openStack({
        projectName: FLOOR_PROJECT,
        stackName: STACK,
        program: floorProgram(env.pulumi, n),
        workDir: dir,
        backendUrl: store.url,
        passphrase: PASSPHRASE,
        pulumiRoot: env.pulumiRoot,
        env: extraEnv,
      })),
    state: () => stateSize(store, FLOOR_PROJECT, n, (type) => type.includes(":dynamic/bench:")),
  };
}

// ---- one size -------------------------------------------------------------------------------------

interface SizeResult {
  n: number;
  ours: Partial<Record<Operation, Measurement>>;
  floor: Partial<Record<Operation, Measurement>>;
  skipCheckpoints?: { ours: Measurement; floor?: Measurement };
  /** `up` against a rate-limited sandbox: with checkpoints, then with PULUMI_SKIP_CHECKPOINTS. */
  throttled: Throttled[];
}

interface Throttled {
  label: string;
  rateLimit: number;
  skipCheckpoints: boolean;
  up: Measurement;
  /** Accepted requests ÷ rate: the least time the limit allows. */
  limitFloorMs: number;
  /** Wall time ÷ limitFloorMs. */
  ratio: number;
  /** 429s ÷ accepted requests. */
  rateLimitedShare: number;
}

const OPERATIONS: Operation[] = ["up", "preview", "refresh", "destroy"];

async function throttledUp(env: Env, n: number, skipCheckpoints: boolean): Promise<Throttled> {
  const rate = env.options.rateLimit;
  const label = `up (throttled ${String(rate)}/s${skipCheckpoints ? ", skip checkpoints" : ""})`;
  const target = await oursTarget(
    env,
    n,
    `ours-throttled${skipCheckpoints ? "-skip" : ""}-${String(n)}`,
    { rateLimit: rate },
    skipCheckpoints ? { PULUMI_SKIP_CHECKPOINTS: "true" } : {},
  );
  try {
    const up = await measure(target, "up", label);
    const limitFloorMs = (up.accepted / rate) * 1000;
    return {
      label,
      rateLimit: rate,
      skipCheckpoints,
      up,
      limitFloorMs,
      ratio: up.wallMs / limitFloorMs,
      rateLimitedShare: up.accepted === 0 ? 0 : up.rateLimited / up.accepted,
    };
  } finally {
    await target.sandbox?.stop();
  }
}

async function benchSize(env: Env, n: number): Promise<SizeResult> {
  const result: SizeResult = { n, ours: {}, floor: {}, throttled: [] };
  const ours = await oursTarget(env, n, `ours-${String(n)}`);
  try {
    for (const op of OPERATIONS) result.ours[op] = await measure(ours, op, op);
  } finally {
    await ours.sandbox?.stop();
  }
  if (!env.options.skipFloor) {
    const floor = floorTarget(env, n, `floor-${String(n)}`);
    for (const op of OPERATIONS) result.floor[op] = await measure(floor, op, `floor ${op}`);
  }

  const skip = { PULUMI_SKIP_CHECKPOINTS: "true" };
  const oursSkip = await oursTarget(env, n, `ours-skip-${String(n)}`, {}, skip);
  try {
    result.skipCheckpoints = { ours: await measure(oursSkip, "up", "up (skip checkpoints)") };
  } finally {
    await oursSkip.sandbox?.stop();
  }
  if (!env.options.skipFloor)
    result.skipCheckpoints.floor = await measure(
      floorTarget(env, n, `floor-skip-${String(n)}`, skip),
      "up",
      "floor up (skip checkpoints)",
    );

  if (!env.options.skipThrottled) {
    // With checkpoints the engine may pace the run below the limit; without them the limit is what binds.
    result.throttled.push(await throttledUp(env, n, false));
    result.throttled.push(await throttledUp(env, n, true));
  }
  return result;
}

// ---- the backend rows (--backend postgres) ----------------------------------------------------------

type BackendName = "file" | "postgres";

interface BackendRow {
  backend: BackendName;
  skipCheckpoints: boolean;
  up: Measurement;
}

/**
 * `up` of N people on each backend, with checkpoints and without, each on a fresh sandbox and a fresh
 * store; interleaved (file, postgres, file, postgres) so a change in the machine's load hits both alike.
 */
async function backendRows(env: Env, pg: BenchPostgres, n: number): Promise<BackendRow[]> {
  const rows: BackendRow[] = [];
  for (const skipCheckpoints of [false, true])
    for (const backend of ["file", "postgres"] as const) {
      const key = `${backend}${skipCheckpoints ? "-skip" : ""}-${String(n)}`;
      const label = `up on ${backend}${skipCheckpoints ? " (skip checkpoints)" : ""}`;
      const store = backend === "file" ? fileStore(env, key) : postgresStore(pg, key);
      const target = await oursTarget(
        env,
        n,
        `backend-${key}`,
        {},
        skipCheckpoints ? { PULUMI_SKIP_CHECKPOINTS: "true" } : {},
        store,
      );
      try {
        rows.push({ backend, skipCheckpoints, up: await measure(target, "up", label) });
      } finally {
        await target.sandbox?.stop();
      }
    }
  return rows;
}

function backendReport(sizes: { n: number; rows: BackendRow[] }[]): string {
  const header = [
    "up of N people",
    "N",
    "checkpoints",
    "wall s",
    "postgres ÷ file",
    "skip ÷ checkpoints",
    "requests",
    "state KB",
    "peak CLI RSS MB",
  ];
  const lines = [row(header), row(header.map((h, i) => (i < 1 ? "---" : i === 2 ? ":---" : "---:")))];
  for (const { n, rows } of sizes) {
    const find = (backend: BackendName, skip: boolean) =>
      rows.find((r) => r.backend === backend && r.skipCheckpoints === skip)?.up;
    for (const r of rows) {
      const m = r.up;
      const file = find("file", r.skipCheckpoints);
      const withCheckpoints = find(r.backend, false);
      lines.push(
        row([
          m.ok ? r.backend : `${r.backend} (FAILED)`,
          n,
          r.skipCheckpoints ? "skipped" : "every step",
          seconds(m.wallMs),
          r.backend === "file" ? "" : ratioText(m.wallMs, file?.wallMs),
          r.skipCheckpoints ? ratioText(m.wallMs, withCheckpoints?.wallMs) : "",
          m.requests,
          m.state ? (m.state.fileBytes / 1024).toFixed(0) : "—",
          mb(m.peakCliRssKb),
        ]),
      );
    }
  }
  lines.push(
    "",
    "postgres ÷ file: wall time on PostgreSQL ÷ on the file backend, same N and checkpoint mode; skip ÷ checkpoints: " +
      "with PULUMI_SKIP_CHECKPOINTS ÷ without, same backend. state KB: the stack's checkpoint (PostgreSQL stores it " +
      "base64-encoded in a JSON column, 4/3 as many bytes).",
  );
  return lines.join("\n") + "\n";
}

// ---- the limiter rows (--limiters) ----------------------------------------------------------------

/** The limiter rows' runs: each an `up` like the throttled one (oursTarget + measure), on a fresh sandbox. */
function limiterBench(env: Env): LimiterBench<Measurement> {
  return {
    up: async (key, label, n, sandboxOptions) => {
      const target = await oursTarget(env, n, `limiter-${key}-${String(n)}`, sandboxOptions);
      try {
        const up = await measure(target, "up", label);
        return { up, log: [...(target.sandbox?.requests ?? [])] };
      } finally {
        await target.sandbox?.stop();
      }
    },
    floorUp: (n) => measure(floorTarget(env, n, `floor-limiters-${String(n)}`), "up", "floor up"),
    progress,
  };
}

/** The seeded groups of a fresh sandbox: each is listed once by an up, so they count towards its requests. */
async function seededGroupCount(): Promise<number> {
  const sandbox = await startSandbox();
  try {
    return sandbox.listGroups().length;
  } finally {
    await sandbox.stop();
  }
}

// ---- report ---------------------------------------------------------------------------------------

const seconds = (ms: number | undefined) => (ms === undefined ? "—" : (ms / 1000).toFixed(1));
const mb = (kb: number) => (kb === 0 ? "—" : (kb / 1024).toFixed(0));
const ratioText = (a: number, b: number | undefined) => (b === undefined || b === 0 ? "—" : `${(a / b).toFixed(2)}×`);

function row(cells: (string | number)[]): string {
  return `| ${cells.map(String).join(" | ")} |`;
}

function report(sizes: SizeResult[], options: Options): string {
  const lines: string[] = [];
  const header = [
    "operation",
    "N",
    "requests",
    "reads",
    "writes",
    "429s",
    "wall s",
    "floor s",
    "ratio",
    "bytes/person",
    "peak provider RSS MB",
  ];
  lines.push(row(header), row(header.map((h, i) => (i < 1 ? "---" : "---:"))));
  const line = (label: string, m: Measurement, floorMs: number | undefined) =>
    row([
      m.ok ? label : `${label} (FAILED)`,
      m.n,
      m.requests,
      m.reads,
      m.writes,
      m.rateLimited,
      seconds(m.wallMs),
      seconds(floorMs),
      ratioText(m.wallMs, floorMs),
      m.state ? Math.round(m.state.bytesPerPerson) : "—",
      mb(m.peakProviderRssKb),
    ]);
  for (const size of sizes) {
    for (const op of OPERATIONS) {
      const m = size.ours[op];
      if (m) lines.push(line(op === "preview" ? "preview (no-op)" : op, m, size.floor[op]?.wallMs));
    }
    if (size.skipCheckpoints)
      lines.push(line("up (skip checkpoints)", size.skipCheckpoints.ours, size.skipCheckpoints.floor?.wallMs));
    for (const t of size.throttled) lines.push(line(`${t.label}¹`, t.up, t.limitFloorMs));
  }
  lines.push(
    "",
    "floor s / ratio: the same operation on the engine's floor (no-op dynamic resources, same graph, same CLI); " +
      "¹ for the throttled up, the floor set by the limit (accepted requests ÷ rate).",
  );

  if (!options.skipFloor) {
    const fh = ["floor operation", "N", "resources", "wall s", "ms/resource", "bytes/person", "peak provider RSS MB"];
    lines.push("", row(fh), row(fh.map((h, i) => (i < 1 ? "---" : "---:"))));
    for (const size of sizes) {
      const floors: [string, Measurement | undefined][] = [
        ...OPERATIONS.map((op): [string, Measurement | undefined] => [op, size.floor[op]]),
        ["up (skip checkpoints)", size.skipCheckpoints?.floor],
      ];
      for (const [label, m] of floors)
        if (m)
          lines.push(
            row([
              m.ok ? label : `${label} (FAILED)`,
              m.n,
              m.resources,
              seconds(m.wallMs),
              (m.wallMs / m.resources).toFixed(1),
              m.state ? Math.round(m.state.bytesPerPerson) : "—",
              mb(m.peakProviderRssKb),
            ]),
          );
    }
  }

  const throttled = sizes.flatMap((s) => s.throttled);
  if (throttled.length) lines.push("");
  for (const t of throttled) {
    lines.push(
      `${t.label}, N=${String(t.up.n)}: ${seconds(t.up.wallMs)} s for ${String(t.up.accepted)} accepted requests ` +
        `(limit floor ${seconds(t.limitFloorMs)} s, ratio ${t.ratio.toFixed(2)}×); ${String(t.up.rateLimited)} × 429 = ` +
        `${(t.rateLimitedShare * 100).toFixed(1)}% of accepted requests.`,
    );
  }

  const small = sizes.at(0);
  const large = sizes.at(-1);
  if (small && large && sizes.length > 1) {
    lines.push("", `Time per person (ms), N=${String(small.n)} → N=${String(large.n)}:`, "");
    const sh = ["operation", `N=${String(small.n)}`, `N=${String(large.n)}`, "per-person ratio", "marginal ms/person"];
    lines.push(row(sh), row(sh.map((h, i) => (i < 1 ? "---" : "---:"))));
    const pairs: [string, Measurement | undefined, Measurement | undefined][] = [
      ...OPERATIONS.map((op): [string, Measurement | undefined, Measurement | undefined] => [
        op,
        small.ours[op],
        large.ours[op],
      ]),
      ["up (skip checkpoints)", small.skipCheckpoints?.ours, large.skipCheckpoints?.ours],
      ...OPERATIONS.map((op): [string, Measurement | undefined, Measurement | undefined] => [
        `floor ${op}`,
        small.floor[op],
        large.floor[op],
      ]),
      ...small.throttled.map((t, i): [string, Measurement | undefined, Measurement | undefined] => [
        t.label,
        t.up,
        large.throttled[i]?.up,
      ]),
    ];
    for (const [label, a, b] of pairs) {
      if (!a || !b) continue;
      const pa = a.wallMs / a.n;
      const pb = b.wallMs / b.n;
      lines.push(
        row([
          label,
          pa.toFixed(1),
          pb.toFixed(1),
          `${(pb / pa).toFixed(2)}×`,
          ((b.wallMs - a.wallMs) / (b.n - a.n)).toFixed(1),
        ]),
      );
    }
    lines.push(
      "",
      "per-person ratio: (wall/N at the largest size) ÷ (wall/N at the smallest); 1× is linear, below 1× means a fixed " +
        "start-up cost is being spread, above 1× means cost grows faster than the roster. marginal: extra ms per extra person.",
    );
  }
  return lines.join("\n") + "\n";
}

// ---- main -----------------------------------------------------------------------------------------

function pulumiVersionOf(root: string): string {
  return execFileSync(path.join(root, "bin/pulumi"), ["version"], {
    encoding: "utf8",
    env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
  }).trim();
}

function parallelDefaultOf(root: string): number | undefined {
  try {
    const help = execFileSync(path.join(root, "bin/pulumi"), ["up", "--help"], {
      encoding: "utf8",
      env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
    });
    const match = /--parallel\b.*\(default (\d+)\)/.exec(help);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const options = parseOptions();
  const started = new Date();
  const wallStart = performance.now();

  // Measurements must not depend on the caller's shell: provider settings come from stack config only,
  // and checkpoints are skipped only in the runs labelled so.
  const clearedEnv = Object.keys(process.env).filter(
    (k) =>
      k.startsWith("TRAVELPERK_") ||
      k === "PULUMI_SKIP_CHECKPOINTS" ||
      k === "PULUMI_PARALLEL" ||
      // It would win over each run's own backend (the CLI prefers it to the project's backend.url).
      k === "PULUMI_BACKEND_URL",
  );
  // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- delete is how an environment variable is unset
  for (const key of clearedEnv) delete process.env[key];

  progress("making sure the Pulumi CLI is available (a first run on a new machine builds it: a few minutes)");
  const pulumiRoot = execFileSync("bash", [path.join(ROOT, "scripts/ensure-pulumi.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
  const pulumiVersion = pulumiVersionOf(pulumiRoot);

  progress("installing pulumi-travelperk into a program folder as users do (npm pack, npm install; cached)");
  const installed = installPackedPackage();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "tp-bench-"));
  // Runner, SDK and program from the program folder's node_modules, so the inline program and the
  // Automation API share one @pulumi/pulumi. (A plain require.resolve from here would resolve
  // "pulumi-travelperk" to this repository itself, by package self-reference, with its own SDK copy.)
  const fromProgram = createRequire(path.join(installed, "package.json"));
  const env: Env = {
    pulumiRoot,
    pulumiVersion,
    parallelDefault: parallelDefaultOf(pulumiRoot),
    installed,
    runner: fromProgram("pulumi-travelperk/runner") as typeof Runner,
    pulumi: fromProgram("@pulumi/pulumi") as typeof PulumiSdk,
    teamProgram: (
      fromProgram(path.join(programDir({ installed, scratch }, "program"), "program.js")) as typeof TeamProgram
    ).teamProgram,
    scratch,
    options,
  };
  const sdkVersion = (fromProgram("@pulumi/pulumi/package.json") as { version: string }).version;
  progress(
    `pulumi ${pulumiVersion} (${pulumiRoot}), @pulumi/pulumi ${sdkVersion}, engine --parallel default ` +
      `${String(env.parallelDefault ?? "?")}, ${String(os.cpus().length)} CPUs, load ${(os.loadavg()[0] ?? 0).toFixed(2)}`,
  );

  const sizes: SizeResult[] = [];
  let limiters: LimiterRow<Measurement>[] | undefined;
  let minutePeople: number | undefined;
  let backends: { n: number; rows: BackendRow[] }[] | undefined;
  let postgresSource: string | undefined;
  try {
    if (options.backend === "postgres") {
      const pg = startPostgres(options);
      postgresSource = pg.source;
      backends = [];
      try {
        for (const n of options.sizes) {
          progress(`=== N=${String(n)}: file and PostgreSQL backends ===`);
          backends.push({ n, rows: await backendRows(env, pg, n) });
        }
      } finally {
        pg.close();
      }
    } else if (options.limiters) {
      minutePeople = perMinutePeople(await seededGroupCount());
      progress(
        `limiter rows: N=${String(options.limiterPeople)} for the per-second rows, N=${String(minutePeople)} ` +
          "(≈ 300 requests) for the per-minute row; several minutes in all",
      );
      limiters = await runLimiters(limiterBench(env), options.limiterPeople, minutePeople);
    } else
      for (const n of options.sizes) {
        progress(`=== N=${String(n)} ===`);
        sizes.push(await benchSize(env, n));
      }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }

  const table = backends ? backendReport(backends) : limiters ? limiterReport(limiters) : report(sizes, options);
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    totalMemoryMb: Math.round(os.totalmem() / 2 ** 20),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    pulumi: pulumiVersion,
    pulumiSdk: sdkVersion,
    loadAverageAtStart: startLoad,
    loadAverageAtEnd: os.loadavg(),
  };
  const provider = {
    retryBaseDelayMs: options.retryBaseDelayMs ?? "provider default (500)",
    maxRetries: "provider default (8)",
    maxConcurrentRequests: "provider default (8)",
    maxRequestsPerSecond: "provider default (none: learned from 429s)",
  };
  const settings = backends
    ? {
        mode: "backends",
        sizes: options.sizes,
        backends: ["file", "postgres"],
        postgres: `${String(postgresSource)}; a fresh table per run (table=…), sslmode as in the URL`,
        sandbox: "in-process, 127.0.0.1, no latency, no faults; a fresh one per run",
        checkpoints: "each backend with checkpoints (the CLI's default) and with PULUMI_SKIP_CHECKPOINTS",
        provider,
        engineParallel: env.parallelDefault ?? "CLI default",
        resourcesPerPerson: RESOURCES_PER_PERSON,
        environmentCleared: clearedEnv,
        pollIntervalMs: POLL_MS,
      }
    : limiters
      ? {
          mode: "limiters",
          people: options.limiterPeople,
          perMinutePeople: minutePeople,
          shapes: LIMITER_SHAPES.map(({ key, label, sandbox, floorFormula, maxRatio }) => ({
            key,
            label,
            sandbox,
            floorFormula,
            maxRatio,
          })),
          sandbox: "in-process, 127.0.0.1, no latency; a fresh one per up, started with the row's options",
          checkpoints: "on (the CLI's default)",
          provider,
          engineParallel: env.parallelDefault ?? "CLI default",
          resourcesPerPerson: RESOURCES_PER_PERSON,
          environmentCleared: clearedEnv,
        }
      : {
          sizes: options.sizes,
          rateLimit: options.rateLimit,
          skipThrottled: options.skipThrottled,
          skipFloor: options.skipFloor,
          sandbox: "in-process, 127.0.0.1, no latency, no faults; a fresh one per run of our program",
          provider,
          engineParallel: env.parallelDefault ?? "CLI default",
          resourcesPerPerson: RESOURCES_PER_PERSON,
          floor:
            "per person a no-op dynamic resource and two that take its id (same graph as ours), provider serialized by value",
          environmentCleared: clearedEnv,
          pollIntervalMs: POLL_MS,
        };
  const results = {
    startedAt: started.toISOString(),
    totalWallMs: performance.now() - wallStart,
    machine,
    settings,
    ...(backends ? { backends } : limiters ? { limiters } : { sizes }),
  };
  fs.mkdirSync(path.dirname(options.out), { recursive: true });
  fs.writeFileSync(options.out, JSON.stringify(results, null, 2) + "\n");
  process.stdout.write(`\n${table}\nRaw numbers: ${path.relative(process.cwd(), options.out) || options.out}\n`);
  progress(`done in ${seconds(results.totalWallMs)} s`);
}

main().catch((error: unknown) => {
  process.stderr.write(`\nbench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
