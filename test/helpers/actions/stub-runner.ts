/**
 * Runs one job of a GitHub Actions workflow the way a Linux runner would, close enough to test the
 * example workflows: each `run:` script under `bash --noprofile --norc -eo pipefail` with the job's
 * `env:` filled in, `if:` conditions decided by the expression evaluator, step outputs and the job
 * summary read back from `$GITHUB_OUTPUT` and `$GITHUB_STEP_SUMMARY`, and `uses:` steps recorded (with
 * the file they would read) instead of run. npx (standing in for pulumi-travelperk), npm and gh are
 * stub scripts that answer from a {@link Scenario} and log every call, so a test sees exactly what
 * the workflow ran, with which arguments and secrets.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { evaluate, interpolate, type JobStatus, type Value } from "./expressions";

/** The parts of a workflow file the runner and the tests read. */
export interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}
export interface Job {
  "runs-on": string;
  env?: Record<string, unknown>;
  steps: Step[];
}
export interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress"?: boolean };
  defaults?: { run?: { shell?: string } };
  env?: Record<string, unknown>;
  jobs: Record<string, Job>;
}

/** What the stubs answer and which event started the run. */
export interface Scenario {
  /** What `npx pulumi-travelperk` does: exit code, Markdown summary (written to --summary; none when undefined), JSON, stderr. */
  exit: number;
  markdown?: string;
  json?: unknown;
  stderr?: string;
  /** Open issues `gh issue list` answers with. */
  issues?: { number: number; title: string }[];
  eventName: string;
  inputs?: Record<string, string>;
  /** The head branch of the pull request that merged the pushed commit ("" for none), as `gh api …/pulls` answers. */
  pullRequestBranch?: string;
  /** The id of that branch's last successful preview run ("" for none), as `gh run list` answers. */
  previewRun?: string;
}
/** One call of a stub: which tool, its arguments, and the secrets and settings it saw. */
export interface Call {
  tool: string;
  args: string[];
  env: Record<string, string | undefined>;
}
/** What a job run did. */
export interface JobRun {
  steps: { name: string; status: "success" | "failure" | "skipped"; output: string }[];
  failed: boolean;
  stepSummary: string;
  uses: { uses: string; with: Record<string, string>; file?: string }[];
  calls: Call[];
}

/** The repository secrets and variables the runner's context holds. */
export const SECRETS: Record<string, string> = {
  PULUMI_ACCESS_TOKEN: "pul-test-token",
  PULUMI_CONFIG_PASSPHRASE: "test-passphrase",
  TRAVELPERK_ACCESS_TOKEN: "tp-test-token",
};
export const VARS: Record<string, string> = { PULUMI_BACKEND_URL: "s3://state-bucket/pulumi" };

/** Node scripts standing in for npx (pulumi-travelperk), npm and gh; each call is logged as a JSON line. */
function writeStubs(dir: string): void {
  const stub = (name: string, body: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(
      file,
      `#!${process.execPath}
const fs = require("fs");
const args = process.argv.slice(2);
const keys = ["PULUMI_BACKEND_URL", "PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE", "TRAVELPERK_ACCESS_TOKEN", "GH_TOKEN", "GH_REPO"];
fs.appendFileSync(process.env.STUB_LOG, JSON.stringify({ tool: ${JSON.stringify(name)}, args, env: Object.fromEntries(keys.map((k) => [k, process.env[k]])) }) + "\\n");
const scenario = JSON.parse(process.env.STUB_SCENARIO);
${body}
`,
    );
    fs.chmodSync(file, 0o755);
  };
  stub(
    "npx",
    `if (args[0] !== "pulumi-travelperk") process.exit(127);
const at = args.indexOf("--summary");
if (at >= 0 && scenario.markdown !== undefined) fs.writeFileSync(args[at + 1], scenario.markdown);
const plan = args.indexOf("--save-plan");
if (plan >= 0 && scenario.exit === 0) fs.writeFileSync(args[plan + 1], "{}\\n");
process.stderr.write(scenario.stderr ?? "Previewing update (prod)\\n");
if (scenario.exit !== 1) process.stdout.write(args.includes("--json") ? JSON.stringify(scenario.json) : scenario.markdown);
process.exitCode = scenario.exit;`,
  );
  stub("npm", "");
  stub(
    "gh",
    `if (args[0] === "issue" && args[1] === "list") process.stdout.write(JSON.stringify(scenario.issues ?? []));
else if (args[0] === "issue" && args[1] === "create") process.stdout.write("https://github.com/acme/travel/issues/99\\n");
else if (args[0] === "api" && args[1].endsWith("/pulls")) process.stdout.write((scenario.pullRequestBranch ?? "") + "\\n");
else if (args[0] === "run" && args[1] === "list") process.stdout.write((scenario.previewRun ?? "") + "\\n");
else if (args[0] === "run" && args[1] === "download") fs.writeFileSync("roster-plan.json", "{}\\n");`,
  );
}

/** The `key=value` lines a step wrote to `$GITHUB_OUTPUT`. */
function readOutputs(file: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    const at = line.indexOf("=");
    if (at > 0) outputs[line.slice(0, at)] = line.slice(at + 1);
  }
  return outputs;
}

/** Runs the first job of a workflow in a fresh temporary folder with the stubs first on PATH. */
export function runJob(wf: Workflow, scenario: Scenario): JobRun {
  const job = Object.values(wf.jobs).at(0);
  if (!job) throw new Error("the workflow has no job");
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "tp-workflow-"));
  const stubs = path.join(work, ".stubs");
  fs.mkdirSync(stubs);
  writeStubs(stubs);
  const stubLog = path.join(work, ".stubs/calls.log");
  const stepSummaryFile = path.join(work, ".step-summary.md");
  fs.writeFileSync(stubLog, "");
  fs.writeFileSync(stepSummaryFile, "");

  const status: JobStatus = { failed: false };
  const steps: Record<string, Value> = {};
  const context: Record<string, Value> = {
    github: {
      token: "ghs_job_token",
      repository: "acme/travel",
      server_url: "https://github.com",
      run_id: "4242",
      sha: "abc123",
      event_name: scenario.eventName,
      event: { pull_request: { number: 7 } },
    },
    secrets: SECRETS,
    vars: VARS,
    inputs: scenario.inputs ?? {},
    steps,
  };
  const envOf = (...maps: (Record<string, unknown> | undefined)[]) =>
    Object.fromEntries(
      maps.flatMap((m) => Object.entries(m ?? {})).map(([k, v]) => [k, interpolate(v, context, status)]),
    );
  const result: JobRun = { steps: [], failed: false, stepSummary: "", uses: [], calls: [] };

  for (const [index, step] of job.steps.entries()) {
    const name = step.name ?? step.uses ?? String(step.run).split("\n").at(0) ?? "";
    const condition = step.if ?? "success()";
    const withStatus = /\b(success|failure|always|cancelled)\(/.test(condition)
      ? condition
      : `success() && (${condition})`;
    if (!evaluate(withStatus, context, status)) {
      result.steps.push({ name, status: "skipped", output: "" });
      continue;
    }
    if (step.uses !== undefined) {
      const inputs = envOf(step.with);
      const read = inputs.path || inputs["body-path"];
      const file = read ? fs.readFileSync(path.join(work, read), "utf8") : undefined;
      result.uses.push({ uses: step.uses, with: inputs, file });
      result.steps.push({ name, status: "success", output: "" });
      continue;
    }
    const outputFile = path.join(work, `.output-${String(index)}`);
    fs.writeFileSync(outputFile, "");
    const scriptFile = path.join(work, `.script-${String(index)}.sh`);
    fs.writeFileSync(scriptFile, String(step.run));
    const env: Record<string, string> = {
      PATH: [stubs, path.dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"].join(path.delimiter),
      HOME: work,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: stepSummaryFile,
      STUB_LOG: stubLog,
      STUB_SCENARIO: JSON.stringify(scenario),
      ...envOf(wf.env, job.env, step.env),
    };
    // `shell: bash` on a Linux runner: bash --noprofile --norc -eo pipefail {0}
    const ran = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", scriptFile], {
      cwd: work,
      env,
      encoding: "utf8",
    });
    const ok = ran.status === 0;
    if (!ok) status.failed = true;
    if (step.id) steps[step.id] = { outputs: readOutputs(outputFile), outcome: ok ? "success" : "failure" };
    result.steps.push({ name, status: ok ? "success" : "failure", output: ran.stdout + ran.stderr });
  }
  result.failed = status.failed;
  result.stepSummary = fs.readFileSync(stepSummaryFile, "utf8");
  result.calls = fs
    .readFileSync(stubLog, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Call);
  fs.rmSync(work, { recursive: true, force: true });
  return result;
}

/** The arguments of each `npx` call (pulumi-travelperk first) and of each `gh` call, in order. */
export const travelperkCalls = (run: JobRun) => run.calls.filter((c) => c.tool === "npx").map((c) => c.args);
export const ghCalls = (run: JobRun) => run.calls.filter((c) => c.tool === "gh").map((c) => c.args);
