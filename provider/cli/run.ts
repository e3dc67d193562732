/**
 * `preview` and `up` of a roster: the roster runs as an inline program in the current Pulumi project
 * (backend from the login or PULUMI_BACKEND_URL, config from Pulumi.<stack>.yaml, `pulumi` on PATH).
 */
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, type EngineEvent, type Stack } from "@pulumi/pulumi/automation";
import { cliEnvironment, openStack } from "../runner";
import { projectFile } from "../project-file";
import { isResourceType, RESOURCE_KINDS } from "../type-tokens";
import { cachedDirectory, cachedGroupMembers } from "../lookups";
import { Roster, ROSTER_TYPE } from "../roster/component";
import {
  comparePlans,
  loadPlan,
  makePlan,
  planDifferenceMarkdown,
  plansAgree,
  savePlan,
  type PlanDifference,
} from "../roster/plan";
import { readRosterFile } from "../roster/load";
import { rosterCalendar } from "../roster/lifecycle";
import {
  rosterGuard,
  stepsFromEngineEvents,
  summarize,
  summaryMarkdown,
  type GuardResult,
  type RosterSummary,
} from "../roster/summary";

/** Exit codes of the commands. */
export const EXIT = { ok: 0, failed: 1, usage: 2, guard: 3 } as const;

export interface RosterRunOptions {
  roster: string;
  stack?: string;
  name: string;
  maxOffboard?: string;
  summary?: string;
  json?: boolean;
  refresh?: boolean;
  skipCheckpoints?: boolean;
  /** The organisation's connection (`travelperk:<connection>.*`); default: the default connection. */
  connection?: string;
  /** `preview --save-plan FILE`: record the exact changes and the roster's hash. */
  savePlan?: string;
  /** `up --plan FILE`: apply only when a fresh preview plans exactly the changes saved there. */
  plan?: string;
  /** `--today YYYY-MM-DD`: the day the dates are applied on; default: today in the roster's time zone. */
  today?: string;
  /** `--horizon N`: days ahead the summary lists people starting or leaving; default 14. */
  horizon?: number;
  /** `--allow-protected EMAIL` (repeatable): protected people whose change in this plan was reviewed. */
  allowProtected?: string[];
  /** `--min-admins N`: fewest active company admins a plan demoting or offboarding one may leave; default 1. */
  minAdmins?: number;
}

interface RosterRunResult {
  summary: RosterSummary;
  guard?: GuardResult;
  markdown: string;
  /** Whether `up` applied the changes (false for preview, or when the guard tripped). */
  applied: boolean;
  /** With `up --plan`: whether the fresh preview agreed with the reviewed plan, and where not. */
  plan?: { file: string; agreed: boolean; difference: PlanDifference };
}

function projectName(workDir: string): string {
  const file = projectFile(workDir);
  const name = file === undefined ? undefined : /^name:\s*["']?([^"'\s#]+)/m.exec(fs.readFileSync(file, "utf8"))?.[1];
  if (name) return name;
  throw new Error(`no Pulumi project here (${workDir}): run the command where Pulumi.yaml is`);
}

async function selectedStack(workDir: string, env: Record<string, string>): Promise<string> {
  const workspace = await LocalWorkspace.create({ workDir, envVars: env });
  const current = await workspace.stack();
  if (!current) throw new Error("no stack selected: pass --stack NAME or run `pulumi stack select`");
  return current.name;
}

/**
 * The roster's part of the stack: resources it does not own (running only the roster would delete
 * them) and the keys of the people it holds (their `User` children).
 */
async function rosterState(stack: Stack, name: string): Promise<{ foreign: string[]; userKeys: string[] }> {
  const deployment = (await stack.exportStack()).deployment as {
    resources?: { urn: string; type: string; parent?: string }[];
  };
  const resources = deployment.resources ?? [];
  const rosterUrn = resources.find((r) => r.type === ROSTER_TYPE && r.urn.endsWith(`::${name}`))?.urn;
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const ownedByRoster = (urn: string | undefined): boolean => {
    for (let current = urn; current; current = byUrn.get(current)?.parent) if (current === rosterUrn) return true;
    return false;
  };
  const foreign = resources
    .filter((r) => r.type !== "pulumi:pulumi:Stack" && !r.type.startsWith("pulumi:providers:") && !ownedByRoster(r.urn))
    .map((r) => r.urn);
  const userKeys = resources
    .filter((r) => isResourceType(r.type, RESOURCE_KINDS.user) && r.parent === rosterUrn)
    .map((r) => r.urn.split("::").slice(3).join("::"));
  return { foreign, userKeys };
}

/** Labels for ids in the summary, from lists the run already fetched (no extra request). */
function labels(connection: string | undefined): Map<string, string> {
  const directory = cachedDirectory(connection);
  return new Map([...directory.policies, ...directory.groups].map((item) => [item.id, item.name]));
}

export async function previewOrUp(kind: "preview" | "up", opts: RosterRunOptions): Promise<RosterRunResult> {
  const workDir = process.cwd();
  const rosterFile = path.resolve(opts.roster);
  if (!fs.existsSync(rosterFile)) throw new Error(`roster file ${opts.roster} not found`);
  if (opts.plan !== undefined && kind !== "up")
    throw new Error("--plan is for up; preview writes one with --save-plan");
  // Read before anything runs: a plan that cannot be used stops the command at once.
  const reviewedPlan = opts.plan === undefined ? undefined : loadPlan(path.resolve(opts.plan));
  // The dates and protection, read before anything runs (an end date before its start date stops here).
  const calendar = rosterCalendar(readRosterFile(rosterFile), { today: opts.today, horizonDays: opts.horizon });
  let existingKeys: string[] = [];
  const env: Record<string, string> = opts.skipCheckpoints ? { PULUMI_SKIP_CHECKPOINTS: "true" } : {};
  const stackName = opts.stack ?? (await selectedStack(workDir, cliEnvironment({ workDir, env })));
  const stack = await openStack({
    projectName: projectName(workDir),
    stackName,
    workDir,
    env,
    program: async () => {
      await new Roster(opts.name, {
        file: rosterFile,
        connection: opts.connection,
        today: calendar.today,
        existingKeys,
      }).ready;
    },
  });

  const { foreign, userKeys } = await rosterState(stack, opts.name);
  existingKeys = userKeys;
  if (foreign.length > 0) {
    throw new Error(
      `stack ${stackName} holds resources outside the Roster "${opts.name}"; running only the roster would delete them:\n  ${foreign.join("\n  ")}\n` +
        "Use your own program with `pulumi preview --event-log FILE` and `pulumi-travelperk summarize --event-log FILE`.",
    );
  }

  const progress = (text: string) => process.stderr.write(text);
  const events: EngineEvent[] = [];
  const onEvent = (event: EngineEvent) => events.push(event);
  // A refresh configures the provider from the config stored in state unless the program runs: with
  // runProgram it uses the stack's current config (a rotated token, a new apiUrl).
  const refresh = opts.refresh ? { refresh: true, runProgram: true } : {};
  await stack.preview({ onEvent, onOutput: progress, ...refresh });
  const steps = stepsFromEngineEvents(events);
  let summary = summarize(steps, labels(opts.connection), calendar, cachedGroupMembers(opts.connection));
  // What was reviewed is what is applied: the fresh preview's changes against the saved plan.
  const fresh =
    opts.savePlan !== undefined || reviewedPlan !== undefined
      ? makePlan(steps, { stack: stackName, name: opts.name, rosterFile, refreshed: opts.refresh === true })
      : undefined;
  if (opts.savePlan !== undefined && fresh) savePlan(path.resolve(opts.savePlan), fresh);
  const planCheck =
    reviewedPlan && fresh && opts.plan !== undefined
      ? (() => {
          const difference = comparePlans(reviewedPlan, fresh);
          return { file: opts.plan, agreed: plansAgree(difference), difference };
        })()
      : undefined;
  const guard = rosterGuard(summary, steps, {
    maxOffboard: opts.maxOffboard,
    minAdmins: opts.minAdmins,
    allowProtected: opts.allowProtected,
  });

  let applied = false;
  if (kind === "up" && !guard.tripped && planCheck?.agreed !== false) {
    const applyEvents: EngineEvent[] = [];
    await stack.up({ onEvent: (event) => applyEvents.push(event), onOutput: progress, ...refresh });
    summary = summarize(
      stepsFromEngineEvents(applyEvents),
      labels(opts.connection),
      calendar,
      cachedGroupMembers(opts.connection),
    );
    applied = true;
  }
  const title =
    kind === "up"
      ? applied
        ? "TravelPerk roster applied"
        : "TravelPerk roster NOT applied"
      : "TravelPerk roster preview";
  const markdown =
    summaryMarkdown(summary, guard, title) +
    (planCheck && !planCheck.agreed ? `\n${planDifferenceMarkdown(planCheck.difference, planCheck.file)}` : "");
  return { summary, guard, markdown, applied, ...(planCheck ? { plan: planCheck } : {}) };
}
