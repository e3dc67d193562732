/**
 * The example GitHub Actions workflows (examples/github-actions): valid against the Actions workflow
 * schema (@action-validator/core), with a broken copy as a control; every TravelPerk step is
 * `npx pulumi-travelperk <command>` with flags the real CLI defines; and the steps' shell scripts run
 * under bash as the runner runs them (`shell: bash`), with stubs for npx, npm and gh, to check exit codes,
 * comments, job summaries and the drift pull request.
 */
import * as fs from "fs";
import * as path from "path";
import { validateWorkflow, type ValidationError, type ValidationState } from "@action-validator/core";
import { parse, stringify } from "yaml";
import { buildCli } from "../provider/cli/main";
import { at, entry } from "./helpers/at";
import { EXPRESSION, evaluate } from "./helpers/actions/expressions";
import { shellCommands } from "./helpers/actions/shell";
import {
  ghCalls,
  runJob as runWorkflowJob,
  SECRETS,
  travelperkCalls,
  VARS,
  type Job,
  type JobRun,
  type Scenario,
  type Workflow,
} from "./helpers/actions/stub-runner";

const DIR = path.resolve(__dirname, "../examples/github-actions");
const FILES = ["roster-preview.yml", "roster-apply.yml", "roster-drift.yml", "roster-daily.yml"] as const;
type File = (typeof FILES)[number];

const source = (file: File) => fs.readFileSync(path.join(DIR, file), "utf8");
const workflow = (file: File) => parse(source(file)) as Workflow;
const allSteps = (wf: Workflow) => Object.values(wf.jobs).flatMap((job) => job.steps);

/** Validates, keeping the validator's console warnings (it cannot check `paths` globs) out of the output. */
function validate(text: string): { state: ValidationState; warnings: string[] } {
  const warnings: string[] = [];
  const spy = jest.spyOn(console, "warn").mockImplementation((...args: unknown[]) => {
    warnings.push(args.map(String).join(" "));
  });
  try {
    return { state: validateWorkflow(text), warnings };
  } finally {
    spy.mockRestore();
  }
}

/** Every error path, including those nested in one_of states. */
function errorPaths(errors: ValidationError[]): string[] {
  return errors.flatMap((e) => [
    ...("path" in e ? [e.path] : []),
    ...("states" in e && e.states ? e.states.flatMap((s) => errorPaths(s.errors)) : []),
  ]);
}

/** Checks one `pulumi-travelperk` invocation against the real CLI; returns the problems. */
function checkInvocation(args: string[]): string[] {
  const [name = "(none)", ...rest] = args;
  const command = buildCli().commands.find((c) => c.name() === name);
  const known = ["preview", "up", "summarize", "export"];
  if (!command || !known.includes(name)) return [`unknown command ${name}`];
  const problems: string[] = [];
  const queue = [...rest];
  for (let arg = queue.shift(); arg !== undefined; arg = queue.shift()) {
    const eq = arg.indexOf("=");
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    if (!flag.startsWith("--")) {
      problems.push(`${name}: unexpected argument ${flag}`);
      continue;
    }
    const option = command.options.find((o) => o.long === flag);
    if (!option) {
      problems.push(`${name}: ${flag} is not an option of the CLI`);
    } else if (option.required && inline === undefined) {
      const value = queue.shift();
      if (value === undefined || value.startsWith("--")) problems.push(`${name}: ${flag} needs a value`);
    } else if (!option.required && !option.optional && inline !== undefined) {
      problems.push(`${name}: ${flag} takes no value`);
    }
  }
  return problems;
}

/** The `npx pulumi-travelperk` invocations of a workflow, and any other way the steps reach TravelPerk or Pulumi. */
function travelperkWork(wf: Workflow): { invocations: string[][]; violations: string[] } {
  const invocations: string[][] = [];
  const violations: string[] = [];
  for (const step of allSteps(wf)) {
    if (step.run === undefined) continue;
    for (const words of shellCommands(step.run).commands) {
      const [program = "", first] = words;
      if (program === "npx" && first === "pulumi-travelperk") invocations.push(words.slice(2));
      else if (program === "npx" && /pulumi|travelperk/i.test(words.slice(1).join(" ")))
        violations.push(`npx without pulumi-travelperk first: ${words.join(" ")}`);
      else if (program === "pulumi-travelperk" || program.endsWith("/pulumi-travelperk"))
        violations.push(`pulumi-travelperk not run through npx: ${words.join(" ")}`);
      else if (program === "pulumi" || program.endsWith("/pulumi"))
        violations.push(`the plain Pulumi CLI: ${words.join(" ")}`);
      else if (["curl", "wget", "http", "node"].includes(program) && /travelperk|pulumi/i.test(words.join(" ")))
        violations.push(`TravelPerk or Pulumi reached another way: ${words.join(" ")}`);
    }
  }
  return { invocations, violations };
}

/** An argument list written as one line: `words("up --stack prod")`. */
const words = (line: string) => line.split(" ");

/** Runs the first job of one of the example workflows under bash with the stubs. */
const runJob = (file: File, scenario: Scenario): JobRun => runWorkflowJob(workflow(file), scenario);

// ---------------------------------------------------------------------------------------------------

describe("schema", () => {
  test.each(FILES)("%s is a valid workflow", (file) => {
    const { state, warnings } = validate(source(file));
    expect(state.actionType).toBe("workflow");
    expect(state.errors).toEqual([]);
    // The validator only says it cannot check `paths` globs; those are the literal roster file.
    for (const warning of warnings) expect(warning).toMatch(/^WARNING: Glob validation is not yet supported/);
    for (const trigger of Object.values(workflow(file).on)) {
      const paths = (trigger as { paths?: string[] } | null)?.paths;
      if (paths) expect(paths).toEqual(["roster.yaml"]);
    }
  });

  test("control: broken copies of a workflow are reported", () => {
    const broken = (mutate: (wf: Workflow) => void) => {
      const wf = workflow("roster-preview.yml");
      mutate(wf);
      return errorPaths(validate(stringify(wf)).state.errors);
    };
    expect(
      broken((wf) => {
        delete (wf as Partial<Workflow>).on;
      }),
    ).toContain("/on");
    expect(
      broken((wf) => {
        delete (wf.jobs.preview as Partial<Job>)["runs-on"];
      }),
    ).toContain("/jobs/preview/runs-on");
    expect(
      broken((wf) => {
        at(entry(wf.jobs, "preview").steps, 2).uses = "actions/cache@v4"; // step 2 is `run: npm ci`
      }),
    ).toContain("/jobs/preview/steps/2");
    expect(
      broken((wf) => {
        wf.permissions["pull-requests"] = "admin";
      }),
    ).not.toEqual([]);
  });

  test.each(FILES)(
    "%s: expressions parse, none inside a run script, bash everywhere, pipefail where piping",
    (file) => {
      const text = source(file);
      const wf = workflow(file);
      expect(text.split("${{").length).toBe(text.split("}}").length);
      const noop = { failed: false };
      for (const [, expr = ""] of text.matchAll(EXPRESSION)) expect(() => evaluate(expr, {}, noop)).not.toThrow();
      expect(wf.defaults?.run?.shell).toBe("bash");
      for (const step of allSteps(wf)) {
        if (step.if !== undefined) expect(() => evaluate(step.if!, {}, noop)).not.toThrow();
        if (step.run === undefined) continue;
        expect(step.uses).toBeUndefined();
        // Values reach scripts through env, never spliced into the script text.
        expect(step.run).not.toContain("${{");
        if (shellCommands(step.run).operators.includes("|")) expect(step.run).toMatch(/^\s*set -o pipefail$/m);
      }
    },
  );
});

describe("TravelPerk steps call npx pulumi-travelperk with the CLI's own commands and flags", () => {
  test("the checker knows the real CLI and refuses what it does not define", () => {
    expect(checkInvocation(["preview", "--stack", "prod", "--max-offboard", "5%", "--json"])).toEqual([]);
    expect(checkInvocation(["export", "--output=roster.yaml"])).toEqual([]);
    expect(checkInvocation(["export", "--update", "roster.yaml", "--check"])).toEqual([]);
    expect(checkInvocation(["export", "--update"])).toEqual(["export: --update needs a value"]);
    expect(checkInvocation(["apply", "--stack", "prod"])).toEqual(["unknown command apply"]);
    expect(checkInvocation(["up", "--stack", "prod", "--yes"])).toEqual(["up: --yes is not an option of the CLI"]);
    expect(checkInvocation(["preview", "--stack"])).toEqual(["preview: --stack needs a value"]);
    expect(checkInvocation(["preview", "prod"])).toEqual(["preview: unexpected argument prod"]);
    expect(checkInvocation(["export", "--refresh"])).toEqual(["export: --refresh is not an option of the CLI"]);
    const { violations } = travelperkWork({
      on: {},
      permissions: {},
      jobs: {
        j: {
          "runs-on": "x",
          steps: [{ run: "pulumi up --yes\nnode_modules/.bin/pulumi-travelperk up\nnpx pulumi preview" }],
        },
      },
    });
    expect(violations).toHaveLength(3);
  });

  const expected: Record<File, string[][]> = {
    "roster-preview.yml": [
      words("preview --stack prod --refresh --max-offboard 5% --summary summary.md --save-plan roster-plan.json"),
    ],
    "roster-apply.yml": [
      words("up --stack prod --refresh --max-offboard $MAX_OFFBOARD --summary summary.md --plan $PLAN"),
      ["up", "--stack", "prod", "--max-offboard", "$MAX_OFFBOARD", "--summary", "summary.md"],
    ],
    "roster-drift.yml": [["export", "--update", "roster.yaml", "--stack", "prod"]],
    "roster-daily.yml": [
      words("up --stack prod --max-offboard $MAX_OFFBOARD --allow-protected $ALLOW_PROTECTED --summary summary.md"),
      ["up", "--stack", "prod", "--max-offboard", "$MAX_OFFBOARD", "--summary", "summary.md"],
    ],
  };
  test.each(FILES)("%s", (file) => {
    const { invocations, violations } = travelperkWork(workflow(file));
    expect(violations).toEqual([]);
    expect(invocations).toEqual(expected[file]);
    for (const args of invocations) expect(checkInvocation(args)).toEqual([]);
  });
});

describe("triggers and permissions", () => {
  test("preview: pull requests touching roster.yaml; reads contents, writes pull-request comments", () => {
    const wf = workflow("roster-preview.yml");
    expect(Object.keys(wf.on)).toEqual(["pull_request"]);
    expect(wf.permissions).toEqual({ contents: "read", "pull-requests": "write" });
    const uses = allSteps(wf).map((s) => s.uses);
    expect(uses).toEqual(
      expect.arrayContaining([
        "actions/checkout@v4",
        "actions/setup-node@v4",
        "pulumi/actions@v6",
        "marocchino/sticky-pull-request-comment@v2",
      ]),
    );
    const pulumiStep = allSteps(wf).find((s) => s.uses?.startsWith("pulumi/actions@"));
    expect(pulumiStep?.with?.command).toBeUndefined(); // installs the CLI only
    expect(allSteps(wf).find((s) => s.uses?.startsWith("actions/setup-node@"))?.with).toEqual({
      "node-version": 20,
      cache: "npm",
    });
  });

  test("apply: pushes to main touching roster.yaml and by hand; never two at once", () => {
    const wf = workflow("roster-apply.yml");
    expect(wf.on).toMatchObject({ push: { branches: ["main"], paths: ["roster.yaml"] } });
    expect(Object.keys(wf.on).sort()).toEqual(["push", "workflow_dispatch"]);
    // Reading pull requests and actions: to find the merged pull request's preview and its plan.
    expect(wf.permissions).toEqual({ contents: "read", "pull-requests": "read", actions: "read" });
    expect(wf.concurrency).toEqual({ group: expect.any(String) as string, "cancel-in-progress": false });
    expect(wf.concurrency?.group).not.toContain("${{"); // one group for every run, not one per ref
    expect(wf.concurrency?.group).toMatch(/-prod$/); // one per stack
  });

  test("daily: a daily schedule and by hand; reads contents; one group with the apply, never cancelled", () => {
    const wf = workflow("roster-daily.yml");
    expect(Object.keys(wf.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
    expect(at(wf.on.schedule as { cron: string }[], 0).cron).toMatch(/^\d+ \d+ \* \* \*$/);
    expect(wf.permissions).toEqual({ contents: "read" });
    expect(wf.concurrency).toEqual(workflow("roster-apply.yml").concurrency);
  });

  test("drift: daily schedule and by hand; pushes the drift branch, writes its pull request", () => {
    const wf = workflow("roster-drift.yml");
    expect(Object.keys(wf.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
    expect(at(wf.on.schedule as { cron: string }[], 0).cron).toMatch(/^\d+ \d+ \* \* \*$/);
    expect(wf.permissions).toEqual({ contents: "write", "pull-requests": "write" });
    const pr = allSteps(wf).find((s) => s.uses?.startsWith("peter-evans/create-pull-request@"));
    expect(pr?.uses).toBe("peter-evans/create-pull-request@v7");
    // A fixed branch, so each day updates the one pull request instead of opening another; only the roster is committed.
    expect(pr?.with).toMatchObject({ branch: "travelperk/drift", "add-paths": "roster.yaml", "delete-branch": true });
    expect(String(pr?.with?.branch)).not.toContain("${{");
  });
});

describe("the steps, run under bash with stubs", () => {
  const summary = (title: string) =>
    `## ${title}: 1 added, 0 changed, 0 offboarded\n\n### Added (1)\n\n- **new@example.com**\n`;
  /** The job failed, its summary is the CLI's Markdown, and the failing step says why. */
  const expectFailedWithSummary = (run: JobRun, markdown: string, message: string) => {
    expect(run.failed).toBe(true);
    expect(run.stepSummary).toBe(markdown);
    expect(run.steps.find((s) => s.status === "failure")?.output).toContain(message);
  };
  /** The apply job on a push whose merged pull request ("hr/x") has a successful preview (run 9). */
  const applyOnPush = (exit: number, markdown: string) =>
    runJob("roster-apply.yml", { eventName: "push", exit, markdown, pullRequestBranch: "hr/x", previewRun: "9" });
  /** The apply job started by hand with these inputs; the CLI succeeds. */
  const applyByHand = (inputs: Record<string, string>) =>
    runJob("roster-apply.yml", { eventName: "workflow_dispatch", inputs, exit: 0, markdown: summary("applied") });

  test("preview, no guard trip: comment and job summary, job passes; secrets reach the command", () => {
    const run = runJob("roster-preview.yml", { eventName: "pull_request", exit: 0, markdown: summary("preview") });
    expect(run.failed).toBe(false);
    expect(travelperkCalls(run)).toEqual([
      words(
        "pulumi-travelperk preview --stack prod --refresh --max-offboard 5% --summary summary.md --save-plan roster-plan.json",
      ),
    ]);
    // The reviewed plan is uploaded for the apply after the merge.
    expect(run.uses.find((u) => u.uses.startsWith("actions/upload-artifact@"))?.with).toMatchObject({
      name: "roster-plan",
      path: "roster-plan.json",
    });
    expect(run.calls.find((c) => c.tool === "npx")?.env).toMatchObject({
      PULUMI_BACKEND_URL: VARS.PULUMI_BACKEND_URL,
      ...SECRETS,
    });
    const comment = run.uses.find((u) => u.uses.startsWith("marocchino/sticky-pull-request-comment@"));
    expect(comment).toMatchObject({ with: { path: "summary.md" }, file: summary("preview") });
    expect(run.stepSummary).toBe(summary("preview"));
    expect(run.steps.at(-1)?.status).toBe("skipped");
  });

  test("preview, guard tripped (exit 3): the comment is still posted, then the job fails", () => {
    const markdown = `${summary("preview")}\n> **Offboarding guard tripped:** 9 people would be offboarded\n`;
    const run = runJob("roster-preview.yml", { eventName: "pull_request", exit: 3, markdown });
    expect(run.uses.find((u) => u.uses.startsWith("marocchino/"))?.file).toBe(markdown);
    expect(run.stepSummary).toBe(markdown);
    expect(run.failed).toBe(true);
    expect(run.steps.filter((s) => s.status === "failure").map((s) => s.name)).toEqual([
      "Fail when the preview failed or the offboarding guard tripped",
    ]);
    expect(run.steps.at(-1)?.output).toContain("Offboarding guard tripped");
  });

  test("preview failed (exit 1, no summary): the comment says so with the end of the output; the job fails", () => {
    const run = runJob("roster-preview.yml", {
      eventName: "pull_request",
      exit: 1,
      stderr: "pulumi-travelperk: roster.yaml:4:email: must be a valid e-mail address\n",
    });
    const comment = run.uses.find((u) => u.uses.startsWith("marocchino/"))?.file;
    expect(comment).toMatch(/preview failed/);
    expect(comment).toContain("exited with code 1");
    expect(comment).toContain("roster.yaml:4:email: must be a valid e-mail address");
    expect(run.failed).toBe(true);
    expect(run.steps.at(-1)).toMatchObject({ status: "failure" });
  });

  test("apply on push: the merged pull request's reviewed plan is downloaded and applied with up --plan", () => {
    const run = runJob("roster-apply.yml", {
      eventName: "push",
      exit: 0,
      markdown: summary("applied"),
      pullRequestBranch: "hr/new-hires",
      previewRun: "777",
    });
    expect(run.failed).toBe(false);
    expect(ghCalls(run)).toEqual([
      ["api", "repos/acme/travel/commits/abc123/pulls", "--jq", ".[0].head.ref // empty"],
      [
        "run",
        "list",
        "--workflow",
        "roster-preview.yml",
        "--branch",
        "hr/new-hires",
        "--status",
        "success",
        "--limit",
        "1",
        "--json",
        "databaseId",
        "--jq",
        ".[0].databaseId // empty",
      ],
      ["run", "download", "777", "--name", "roster-plan", "--dir", "."],
    ]);
    expect(travelperkCalls(run)).toEqual([
      words(
        "pulumi-travelperk up --stack prod --refresh --max-offboard 5% --summary summary.md --plan roster-plan.json",
      ),
    ]);
    expect(run.stepSummary).toBe(summary("applied"));
  });

  test("apply on push with no reviewed plan (no pull request, or no successful preview): fails, applies nothing", () => {
    for (const scenario of [{ pullRequestBranch: "" }, { pullRequestBranch: "hr/x", previewRun: "" }]) {
      const run = runJob("roster-apply.yml", { eventName: "push", exit: 0, markdown: summary("applied"), ...scenario });
      expect(run.failed).toBe(true);
      expect(travelperkCalls(run)).toEqual([]);
      expect(run.steps.find((s) => s.status === "failure")?.output).toContain("No reviewed plan");
    }
  });

  test("apply on push, the reviewed plan stale (exit 3): the job fails with the summary, nothing applied", () => {
    const markdown = "## TravelPerk roster NOT applied: 0 added, 1 changed, 0 offboarded\n\n> **Plan mismatch:** …\n";
    const run = applyOnPush(3, markdown);
    expectFailedWithSummary(run, markdown, "reviewed plan is stale");
  });

  test("apply by hand: no plan to download, up with the given limit", () => {
    const run = applyByHand({ "max-offboard": "20%" });
    expect(ghCalls(run)).toEqual([]);
    expect(travelperkCalls(run)).toEqual([
      ["pulumi-travelperk", "up", "--stack", "prod", "--max-offboard", "20%", "--summary", "summary.md"],
    ]);
  });

  test("apply by hand with a higher limit passes it to --max-offboard", () => {
    const run = applyByHand({ "max-offboard": "20%" });
    expect(travelperkCalls(run)[0]).toEqual(expect.arrayContaining(["--max-offboard", "20%"]));
  });

  test("apply, guard tripped (exit 3): the job fails with the summary", () => {
    const markdown = "## TravelPerk roster NOT applied: 0 added, 0 changed, 9 offboarded\n";
    const run = applyOnPush(3, markdown);
    expectFailedWithSummary(run, markdown, "offboarding guard tripped");
  });

  test("daily on schedule: up with the 5% guard and no protected allowance, summary in the job summary", () => {
    const run = runJob("roster-daily.yml", { eventName: "schedule", exit: 0, markdown: summary("applied") });
    expect(run.failed).toBe(false);
    expect(travelperkCalls(run)).toEqual([
      ["pulumi-travelperk", "up", "--stack", "prod", "--max-offboard", "5%", "--summary", "summary.md"],
    ]);
    expect(run.stepSummary).toBe(summary("applied"));
  });

  test("daily by hand with allow-protected passes it to --allow-protected", () => {
    const run = runJob("roster-daily.yml", {
      eventName: "workflow_dispatch",
      inputs: { "max-offboard": "2", "allow-protected": "dora@example.com" },
      exit: 0,
      markdown: summary("applied"),
    });
    expect(travelperkCalls(run)).toEqual([
      words(
        "pulumi-travelperk up --stack prod --max-offboard 2 --allow-protected dora@example.com --summary summary.md",
      ),
    ]);
  });

  test("daily, guard tripped (exit 3): the job fails with the summary", () => {
    const markdown =
      "## TravelPerk roster NOT applied: 0 added, 0 changed, 1 offboarded (1 end date passed)\n\n> **Protected person:** dora@example.com would be deactivated\n";
    const run = runJob("roster-daily.yml", { eventName: "schedule", exit: 3, markdown });
    expectFailedWithSummary(run, markdown, "Roster guard tripped");
  });

  describe("drift", () => {
    const drift = [
      "roster.yaml: 3 changes from TravelPerk",
      "",
      "- jonas.weber@example.com: costCenter ENG-200 → ENG-300",
      "- noah.jensen@example.com: isActive true → false",
      "- new: kai.berg@example.com (adoptExisting)",
      "",
    ].join("\n");
    const none = "roster.yaml agrees with TravelPerk: no change.\n";
    const pullRequest = (run: JobRun) => run.uses.find((u) => u.uses.startsWith("peter-evans/create-pull-request@"));

    test("drift: export --update writes roster.yaml; the change list goes to the job summary and the pull request", () => {
      const run = runJob("roster-drift.yml", { eventName: "schedule", exit: 0, markdown: drift });
      expect(run.failed).toBe(false);
      expect(travelperkCalls(run)).toEqual([
        ["pulumi-travelperk", "export", "--update", "roster.yaml", "--stack", "prod"],
      ]);
      expect(run.calls.find((c) => c.tool === "npx")?.env).toMatchObject({
        PULUMI_BACKEND_URL: VARS.PULUMI_BACKEND_URL,
        ...SECRETS,
      });
      expect(run.stepSummary).toBe(drift);
      expect(pullRequest(run)).toEqual({
        uses: "peter-evans/create-pull-request@v7",
        with: {
          branch: "travelperk/drift",
          "delete-branch": "true",
          "add-paths": "roster.yaml",
          "commit-message": "roster.yaml: drift from TravelPerk",
          title: "TravelPerk roster drift",
          "body-path": "drift.md",
        },
        file: drift,
      });
      expect(ghCalls(run)).toEqual([]); // no issue any more
    });

    test("no drift: the pull request step runs all the same (it closes an open drift pull request)", () => {
      const run = runJob("roster-drift.yml", { eventName: "workflow_dispatch", exit: 0, markdown: none });
      expect(run.failed).toBe(false);
      expect(run.stepSummary).toBe(none);
      expect(pullRequest(run)).toMatchObject({
        with: { branch: "travelperk/drift", "delete-branch": "true" },
        file: none,
      });
    });

    test("a failed export fails the job and opens no pull request", () => {
      const run = runJob("roster-drift.yml", { eventName: "schedule", exit: 1, stderr: "401 Unauthorized\n" });
      expect(run.failed).toBe(true);
      expect(pullRequest(run)).toBeUndefined();
      expect(run.steps.at(-1)).toMatchObject({ name: "Open or update the drift pull request", status: "skipped" });
    });
  });
});
