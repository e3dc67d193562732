/**
 * A reviewed plan: the exact set of changes a roster preview showed (per resource, per field) and
 * the hash of the roster file it was made from. `preview --save-plan FILE` writes one; `up --plan
 * FILE` previews afresh, compares, and applies only when the two are identical, so what was
 * reviewed is what is applied. The comparison is ours, not Pulumi's experimental update plans:
 * those are enforced step by step during the update, so a stale plan could be half-applied before
 * it is refused.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import { RESOURCE_KINDS, isResourceType } from "../type-tokens";
import { QUIET_OPS, type PlannedStep } from "./summary/steps";

/** The format version; a plan of another version is refused. */
const PLAN_VERSION = 1;

/** One field a step changes: its value before and after (`null` when unset). */
interface PlannedField {
  field: string;
  from: unknown;
  to: unknown;
}

/** One step of the plan: what happens to one resource. */
interface PlannedChange {
  /** The engine's operation: create, update, replace, delete, … */
  op: string;
  /** The resource's type token and name (the URN without project and stack). */
  type: string;
  name: string;
  /** The person (e-mail) the resource belongs to, where known: for reading, not compared. */
  email?: string;
  /** Changed fields, sorted by name. */
  fields: PlannedField[];
}

/** A saved plan. */
export interface RosterPlan {
  version: number;
  /** The stack and the component the plan was made for. */
  stack: string;
  name: string;
  /** sha256 of the roster file's bytes. */
  rosterHash: string;
  /** The day the plan was made for (`--today`); for reading: a date crossed shows in the changes. */
  today?: string;
  /** Whether the preview refreshed from TravelPerk first. */
  refreshed: boolean;
  /** When the plan was saved (ISO); for reading, not compared. */
  createdAt: string;
  /** The changes, sorted by type and name. */
  changes: PlannedChange[];
}

/** Why a saved plan and a fresh one differ; empty when they agree. */
export interface PlanDifference {
  /** The roster file is not the one reviewed. */
  rosterChanged?: { reviewed: string; now: string };
  /** Made for another stack or component. */
  context: string[];
  /** Changes the fresh plan has and the reviewed one does not (someone merged another change, or TravelPerk changed). */
  added: PlannedChange[];
  /** Reviewed changes the fresh plan no longer has. */
  removed: PlannedChange[];
  /** The same resource and operation with different fields. */
  altered: { reviewed: PlannedChange; now: PlannedChange }[];
}

/** Raised when a plan file cannot be used; the message says why. */
class PlanFileError extends Error {
  constructor(file: string, reason: string) {
    super(`plan ${file}: ${reason}`);
    this.name = "PlanFileError";
  }
}

/** sha256 of a file's bytes, hex. */
function fileHash(file: string): string {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

/** Inputs that say nothing about what happens in TravelPerk. */
const IGNORED = new Set(["__provider"]);

/** A value as stored in the plan: `null` for unset, so that JSON keeps the key. */
const stored = (value: unknown): unknown => (value === undefined ? null : value);

/** The changes of a preview, in the plan's words (stable order, no engine noise). */
function plannedChanges(steps: readonly PlannedStep[]): PlannedChange[] {
  const emailById = new Map<string, string>();
  for (const step of steps) {
    const email = step.newInputs?.email ?? step.oldInputs?.email ?? step.oldOutputs?.email;
    if (isResourceType(step.type, RESOURCE_KINDS.user) && step.oldId && typeof email === "string")
      emailById.set(step.oldId, email);
  }
  const changes = steps
    .filter((step) => !QUIET_OPS.has(step.op) && step.type !== "pulumi:pulumi:Stack")
    .map((step): PlannedChange => {
      const before = { ...(step.oldInputs ?? {}), ...(step.oldOutputs ?? {}) };
      const after = step.newInputs ?? {};
      const keys =
        step.op === "delete" || step.op === "delete-replaced"
          ? []
          : [...new Set([...Object.keys(after), ...(step.diffs.length > 0 ? step.diffs : [])])];
      const fields = keys
        .filter((field) => !IGNORED.has(field))
        .map((field) => ({
          field,
          from: stored(step.oldInputs === undefined ? undefined : before[field]),
          to: stored(after[field]),
        }))
        .filter((f) => JSON.stringify(f.from) !== JSON.stringify(f.to))
        .sort((a, b) => a.field.localeCompare(b.field));
      const email = step.newInputs?.email ?? step.oldInputs?.email ?? step.oldOutputs?.email;
      const userId = step.newInputs?.userId ?? step.oldInputs?.userId;
      const owner = typeof email === "string" ? email : typeof userId === "string" ? emailById.get(userId) : undefined;
      return { op: step.op, type: step.type, name: step.name, ...(owner ? { email: owner } : {}), fields };
    });
  return changes.sort((a, b) => `${a.type}::${a.name}::${a.op}`.localeCompare(`${b.type}::${b.name}::${b.op}`));
}

/** A new plan from a preview's steps. */
export function makePlan(
  steps: readonly PlannedStep[],
  context: { stack: string; name: string; rosterFile: string; today?: string; refreshed: boolean },
): RosterPlan {
  return {
    version: PLAN_VERSION,
    stack: context.stack,
    name: context.name,
    rosterHash: fileHash(context.rosterFile),
    ...(context.today ? { today: context.today } : {}),
    refreshed: context.refreshed,
    createdAt: new Date().toISOString(),
    changes: plannedChanges(steps),
  };
}

/** Writes a plan as JSON. */
export function savePlan(file: string, plan: RosterPlan): void {
  fs.writeFileSync(file, `${JSON.stringify(plan, null, 2)}\n`);
}

/** Reads a plan file, refusing one that is not a plan of this version. */
export function loadPlan(file: string): RosterPlan {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new PlanFileError(file, `cannot be read as JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const plan = (typeof parsed === "object" && parsed !== null ? parsed : {}) as Partial<RosterPlan>;
  if (!Array.isArray(plan.changes) || typeof plan.rosterHash !== "string")
    throw new PlanFileError(file, "is not a plan written by `pulumi-travelperk preview --save-plan`");
  if (plan.version !== PLAN_VERSION)
    throw new PlanFileError(file, `has version ${String(plan.version)}; this version reads ${String(PLAN_VERSION)}`);
  return plan as RosterPlan;
}

const changeKey = (c: PlannedChange) => `${c.type}::${c.name}::${c.op}`;
const sameFields = (a: PlannedChange, b: PlannedChange) => JSON.stringify(a.fields) === JSON.stringify(b.fields);

/** Where a saved plan and a fresh one differ. */
export function comparePlans(reviewed: RosterPlan, now: RosterPlan): PlanDifference {
  const context: string[] = [];
  if (reviewed.stack !== now.stack) context.push(`made for stack ${reviewed.stack}, applied to ${now.stack}`);
  if (reviewed.name !== now.name) context.push(`made for the component ${reviewed.name}, not ${now.name}`);
  const before = new Map(reviewed.changes.map((c) => [changeKey(c), c]));
  const after = new Map(now.changes.map((c) => [changeKey(c), c]));
  return {
    ...(reviewed.rosterHash !== now.rosterHash
      ? { rosterChanged: { reviewed: reviewed.rosterHash, now: now.rosterHash } }
      : {}),
    context,
    added: now.changes.filter((c) => !before.has(changeKey(c))),
    removed: reviewed.changes.filter((c) => !after.has(changeKey(c))),
    altered: now.changes.flatMap((c) => {
      const old = before.get(changeKey(c));
      return old && !sameFields(old, c) ? [{ reviewed: old, now: c }] : [];
    }),
  };
}

/** Whether the plans agree: same roster, same context, same changes field for field. */
export function plansAgree(difference: PlanDifference): boolean {
  return (
    difference.rosterChanged === undefined &&
    difference.context.length === 0 &&
    difference.added.length + difference.removed.length + difference.altered.length === 0
  );
}

const showValue = (value: unknown) => (value === null ? "(none)" : JSON.stringify(value));
const describe = (c: PlannedChange) => `${c.op} ${c.type.split(":").pop() ?? c.type} ${c.name}`;
const fieldList = (c: PlannedChange) =>
  c.fields.map((f) => `${f.field} ${showValue(f.from)} → ${showValue(f.to)}`).join(", ");

/** The Markdown that says why an `up --plan` applied nothing. */
export function planDifferenceMarkdown(difference: PlanDifference, file: string): string {
  const out = [
    `> **Plan mismatch:** the fresh preview differs from the reviewed plan ${file}; nothing was applied.`,
    "",
  ];
  if (difference.rosterChanged)
    out.push(
      `- the roster file differs from the reviewed one (sha256 ${difference.rosterChanged.reviewed.slice(0, 12)}… reviewed, ${difference.rosterChanged.now.slice(0, 12)}… now): someone merged another change`,
    );
  for (const line of difference.context) out.push(`- ${line}`);
  for (const c of difference.added)
    out.push(
      `- not reviewed: ${describe(c)}${c.email ? ` (${c.email})` : ""}${c.fields.length ? `: ${fieldList(c)}` : ""}`,
    );
  for (const c of difference.removed)
    out.push(`- reviewed but no longer planned: ${describe(c)}${c.email ? ` (${c.email})` : ""}`);
  for (const { reviewed, now } of difference.altered)
    out.push(
      `- ${describe(now)}${now.email ? ` (${now.email})` : ""}: reviewed ${fieldList(reviewed) || "(no field)"}; now ${fieldList(now) || "(no field)"}`,
    );
  if (difference.added.length + difference.removed.length + difference.altered.length > 0 && !difference.rosterChanged)
    out.push("- the roster file is the reviewed one, so TravelPerk or the stack changed since the review");
  out.push("", "Preview again (`preview --save-plan`), review, and apply the new plan.", "");
  return out.join("\n");
}
