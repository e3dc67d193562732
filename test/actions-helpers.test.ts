/**
 * The GitHub Actions helpers that test/workflows.test.ts leans on (test/helpers/actions): the shell
 * reader finds the commands of a script through quoting, escapes, comments, redirections and
 * operators; the expression evaluator follows GitHub's operators, literals, contexts and status
 * functions; the stub runner runs `run:` steps under bash, skips by `if:`, passes step outputs on,
 * and records `uses:` steps and every stub call.
 */
import { evaluate, interpolate, type Value } from "./helpers/actions/expressions";
import { shellCommands } from "./helpers/actions/shell";
import { ghCalls, runJob, SECRETS, travelperkCalls, type Workflow } from "./helpers/actions/stub-runner";

describe("shellCommands", () => {
  test("splits commands on newlines and operators, keeping the operators", () => {
    expect(shellCommands("a 1 | b && c || d; e &\nf")).toEqual({
      commands: [["a", "1"], ["b"], ["c"], ["d"], ["e"], ["f"]],
      operators: ["|", "&&", "||", ";", "&"],
    });
  });

  test("unquotes single and double quotes and backslash escapes; joins continued lines", () => {
    const { commands } = shellCommands(`echo 'a "b" $c' "d \\"e\\" \\$f \\g" h\\ i \\\n  j`);
    expect(commands).toEqual([["echo", 'a "b" $c', 'd "e" $f \\g', "h i", "j"]]);
  });

  test("leaves out keywords, leading assignments, comments and redirection targets", () => {
    const script = [
      "# a comment",
      'if [ -n "$X" ]; then',
      "  A=1 B=2 npx pulumi-travelperk up > out.txt 2>&1 # trailing",
      "fi",
      "cat < in.txt 2> err.txt >> log.txt",
    ].join("\n");
    expect(shellCommands(script).commands).toEqual([
      ["[", "-n", "$X", "]"],
      ["npx", "pulumi-travelperk", "up"],
      ["cat"],
    ]);
  });

  test("an unquoted command substitution starts a command of its own; a quoted one stays one word", () => {
    expect(shellCommands("PLAN=$(gh run list)")).toEqual({ commands: [["gh", "run", "list"]], operators: ["$(", ")"] });
    expect(shellCommands('echo "$(gh run list)"').commands).toEqual([["echo", "$(gh run list)"]]);
  });

  test("refuses what it cannot read", () => {
    expect(() => shellCommands("echo 'open")).toThrow("unterminated '");
    expect(() => shellCommands('echo "open')).toThrow('unterminated "');
    expect(() => shellCommands("cat <<EOF\nx\nEOF")).toThrow("here-documents");
  });
});

describe("evaluate and interpolate", () => {
  const context: Record<string, Value> = {
    github: { event_name: "push", event: { pull_request: { number: 7 } } },
    inputs: { limit: "" },
    steps: { plan: { outputs: { found: "true" }, outcome: "failure" } },
  };
  const ok = { failed: false };
  const value = (expr: string, status = ok) => evaluate(expr, context, status);

  test("literals", () => {
    expect(value("'it''s'")).toBe("it's");
    expect(value("42")).toBe(42);
    expect(value("1.5")).toBe(1.5);
    expect(value("true")).toBe(true);
    expect(value("null")).toBeNull();
  });

  test("contexts: nested keys, unknown names and keys are null, never inherited properties", () => {
    expect(value("github.event.pull_request.number")).toBe(7);
    expect(value("steps.plan.outputs.found")).toBe("true");
    expect(value("steps.missing.outputs.found")).toBeNull();
    expect(value("nothing")).toBeNull();
    expect(value("github.constructor")).toBeNull();
  });

  test("operators: == and != ignore the case of strings, && and || yield an operand, ! and parentheses", () => {
    expect(value("github.event_name == 'PUSH'")).toBe(true);
    expect(value("github.event_name != 'push'")).toBe(false);
    expect(value("1 == '1'")).toBe(false);
    expect(value("inputs.limit || '5%'")).toBe("5%");
    expect(value("github.event_name && 'yes'")).toBe("yes");
    expect(value("inputs.limit && 'yes'")).toBe("");
    expect(value("!inputs.limit")).toBe(true);
    expect(value("!(true && false) && (false || 1)")).toBe(1);
  });

  test("status functions answer from the job's status", () => {
    const failed = { failed: true };
    expect([value("success()"), value("failure()"), value("always()"), value("cancelled()")]).toEqual([
      true,
      false,
      true,
      false,
    ]);
    expect([value("success()", failed), value("failure()", failed)]).toEqual([false, true]);
    expect(value("failure() && steps.plan.outcome == 'failure'", failed)).toBe(true);
  });

  test("refuses what it does not know", () => {
    expect(() => value("contains(github.event_name, 'p')")).toThrow();
    expect(() => value("hashFiles()")).toThrow("function hashFiles() is not supported here");
    expect(() => value("toString()")).toThrow("not supported");
    expect(() => value("(true")).toThrow("expected )");
    expect(() => value("true false")).toThrow("unexpected false");
  });

  test("interpolate fills every ${{ }}: null as empty, objects as JSON", () => {
    expect(interpolate("event ${{ github.event_name }}, pr ${{ github.event.pull_request.number }}", context, ok)).toBe(
      "event push, pr 7",
    );
    expect(interpolate("[${{ nothing }}]", context, ok)).toBe("[]");
    expect(interpolate("${{ github.event.pull_request }}", context, ok)).toBe('{"number":7}');
    expect(interpolate(5, context, ok)).toBe("5");
  });
});

describe("runJob", () => {
  const job = (steps: Workflow["jobs"][string]["steps"], env?: Record<string, unknown>): Workflow => ({
    on: {},
    permissions: {},
    env,
    jobs: { only: { "runs-on": "ubuntu-latest", steps } },
  });

  test("runs scripts under bash with the job's env, passes outputs on, skips by if:, records uses: steps", () => {
    const run = runJob(
      job(
        [
          { uses: "actions/checkout@v4" },
          {
            id: "plan",
            name: "plan",
            run: 'npx pulumi-travelperk preview --summary summary.md\necho "found=yes" >> "$GITHUB_OUTPUT"\necho "# $GREETING" >> "$GITHUB_STEP_SUMMARY"',
            env: { GREETING: "hello ${{ github.event_name }}" },
          },
          { name: "only on pull requests", if: "github.event_name == 'pull_request'", run: "exit 1" },
          {
            name: "comment",
            uses: "x/comment@v1",
            with: { path: "summary.md", tag: "${{ steps.plan.outputs.found }}" },
          },
          { name: "gh", run: "gh issue list" },
        ],
        { PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}" },
      ),
      { eventName: "push", exit: 0, markdown: "## summary\n" },
    );
    expect(run.failed).toBe(false);
    expect(run.steps.map((s) => [s.name, s.status])).toEqual([
      ["actions/checkout@v4", "success"],
      ["plan", "success"],
      ["only on pull requests", "skipped"],
      ["comment", "success"],
      ["gh", "success"],
    ]);
    expect(run.stepSummary).toBe("# hello push\n");
    expect(run.uses).toEqual([
      { uses: "actions/checkout@v4", with: {}, file: undefined },
      { uses: "x/comment@v1", with: { path: "summary.md", tag: "yes" }, file: "## summary\n" },
    ]);
    expect(travelperkCalls(run)).toEqual([["pulumi-travelperk", "preview", "--summary", "summary.md"]]);
    expect(ghCalls(run)).toEqual([["issue", "list"]]);
    expect(run.calls[0]?.env.PULUMI_ACCESS_TOKEN).toBe(SECRETS.PULUMI_ACCESS_TOKEN);
  });

  test("a failing step fails the job: later steps are skipped unless their if: asks for failure() or always()", () => {
    const run = runJob(
      job([
        { name: "fails", run: "npx pulumi-travelperk up" },
        { name: "next", run: "true" },
        { name: "on failure", if: "failure()", run: "true" },
        { name: "always", if: "always()", run: "false" },
      ]),
      { eventName: "schedule", exit: 3, stderr: "guard tripped\n" },
    );
    expect(run.failed).toBe(true);
    expect(run.steps.map((s) => [s.name, s.status])).toEqual([
      ["fails", "failure"],
      ["next", "skipped"],
      ["on failure", "success"],
      ["always", "failure"],
    ]);
    expect(run.steps[0]?.output).toContain("guard tripped");
  });

  test("pipefail: a failing command before a pipe fails the step", () => {
    const run = runJob(job([{ name: "pipe", run: "false | cat" }]), { eventName: "push", exit: 0 });
    expect(run.steps[0]?.status).toBe("failure");
  });
});
