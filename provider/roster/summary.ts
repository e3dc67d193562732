/**
 * The summary a reviewer reads in seconds: who is added, changed (each field old → new) and offboarded,
 * with membership and policy changes under the person, counts first and nothing about what did not
 * change; and the offboarding guard. Built from the engine's own step events (Automation API events,
 * `pulumi preview --event-log`) or from `pulumi preview --json`.
 */
import {
  DEFAULT_MIN_ADMINS,
  PROTECTED_KEYS_OUTPUT,
  isDemotion,
  upcoming,
  type DatedPerson,
  type RosterCalendar,
} from "./lifecycle";

/** One step the engine planned or applied, from whichever source. */
export interface PlannedStep {
  /** The engine's operation: `create`, `update`, `replace`, `delete`, `same`, … */
  op: string;
  /** The resource's URN. */
  urn: string;
  /** The resource's type token, e.g. `pulumi-nodejs:dynamic/travelperk:User` or `travelperk:index:Roster`. */
  type: string;
  /** The resource's name: the last segment of the URN. */
  name: string;
  /** The resource's id before the step, when it existed. */
  oldId?: string;
  /** The resource's inputs before the step, when it existed. */
  oldInputs?: Record<string, unknown>;
  /** The resource's outputs before the step, when it existed. */
  oldOutputs?: Record<string, unknown>;
  /** The resource's inputs after the step, unless it is deleted. */
  newInputs?: Record<string, unknown>;
  /** Top-level keys that differ, as the engine reports them. */
  diffs: string[];
}

type StateMetadata = {
  type?: string;
  id?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
};
type StepMetadata = {
  op: string;
  urn: string;
  type?: string;
  old?: StateMetadata;
  new?: StateMetadata;
  diffs?: string[];
};

const nameOf = (urn: string) => urn.split("::").slice(3).join("::");
const typeOf = (urn: string) => (urn.split("::")[2] ?? "").split("$").pop() ?? "";

function fromMetadata(m: StepMetadata): PlannedStep {
  return {
    op: m.op,
    urn: m.urn,
    type: m.type ?? typeOf(m.urn),
    name: nameOf(m.urn),
    oldId: m.old?.id,
    oldInputs: m.old?.inputs,
    oldOutputs: m.old?.outputs,
    newInputs: m.new?.inputs,
    diffs: m.diffs ?? [],
  };
}

/**
 * Steps from engine events (the Automation API's `onEvent`, or `--event-log` lines parsed as JSON).
 *
 * @param events Engine events; those without resource step metadata are skipped.
 */
export function stepsFromEngineEvents(events: readonly unknown[]): PlannedStep[] {
  const steps: PlannedStep[] = [];
  for (const event of events) {
    const metadata = (event as { resourcePreEvent?: { metadata?: StepMetadata } }).resourcePreEvent?.metadata;
    if (metadata?.urn) steps.push(fromMetadata(metadata));
  }
  return steps;
}

/**
 * Steps from the text of an `--event-log` file (one JSON engine event per line).
 *
 * @param text The file's text.
 */
export function stepsFromEventLog(text: string): PlannedStep[] {
  const events = text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as unknown);
  return stepsFromEngineEvents(events);
}

/**
 * Steps from `pulumi preview --json` output.
 *
 * @param json The output, parsed.
 */
export function stepsFromPreviewJson(json: unknown): PlannedStep[] {
  type JsonState = { type?: string; id?: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
  const steps =
    (
      json as {
        steps?: { op: string; urn: string; oldState?: JsonState; newState?: JsonState; diffReasons?: string[] }[];
      }
    ).steps ?? [];
  return steps.map((s) =>
    fromMetadata({
      op: s.op,
      urn: s.urn,
      type: s.newState?.type ?? s.oldState?.type,
      old: s.oldState,
      new: s.newState,
      diffs: s.diffReasons,
    }),
  );
}

/** What happens to one person. */
export interface PersonChange {
  /** The person's key: the name of their `User` resource. */
  key: string;
  /** The person's e-mail (the key when no e-mail is known). */
  email: string;
  /** Field changes of the user (changed people). */
  fields: {
    /** The field's name, e.g. `role`. */
    field: string;
    /** The value before the change; undefined when the field was not set. */
    from: unknown;
    /** The value after the change; undefined when the field is no longer set. */
    to: unknown;
  }[];
  /** Groups the person joins, by name where known, else by id. */
  joins: string[];
  /** Groups the person leaves, by name where known, else by id. */
  leaves: string[];
  /**
   * The travel policy change, by name where known, else by id; undefined when the policy does not change.
   *
   * @property __type.from The policy before; undefined when none was assigned.
   * @property __type.to The policy after; undefined when it is removed.
   */
  policy?: { from?: string; to?: string };
  /** For offboarded people: what the provider does to the account. */
  offboard?: "deactivated" | "deleted" | "retained";
  /** First and last name, when the inputs hold them. */
  name?: string;
  /** The role, when the inputs declare one. */
  role?: string;
  /**
   * For offboarded people, when the roster file is known: `endDate` (their last working day passed:
   * a scheduled offboarding) or `removed` (no longer in the file).
   */
  reason?: "endDate" | "removed";
  /** For a scheduled offboarding: the last working day that passed, `YYYY-MM-DD`. */
  endDate?: string;
  /** Whether the person is protected (`protect: true` in the file, or recorded so in the stack's state). */
  protected?: boolean;
}

/** What a preview or update does to the roster: who is added, changed and offboarded, each sorted by e-mail. */
export interface RosterSummary {
  /** People who get a new (or reactivated or adopted) account. */
  added: PersonChange[];
  /** People whose fields, groups or travel policy change. */
  changed: PersonChange[];
  /** People removed from the roster: deactivated, deleted or retained according to their `onDelete`. */
  offboarded: PersonChange[];
  /** People managed before this change (User resources in the old state). */
  peopleBefore: number;
  /** The day the roster's dates were applied on (`--today`), when the roster file is known. */
  today?: string;
  /** The zone the dates are read in (`defaults.timeZone`), when the roster file is known. */
  timeZone?: string;
  /** Days ahead `starting` and `leaving` look (`--horizon`, today+N included), when the roster file is known. */
  horizonDays?: number;
  /** People whose first working day is from today through today+horizonDays, by date. */
  starting?: DatedPerson[];
  /** People whose last working day is from today through today+horizonDays, by date. */
  leaving?: DatedPerson[];
}

const USER = "travelperk:User";
const ROSTER = "travelperk:index:Roster";
const MEMBERSHIP = "travelperk:GroupMembership";
const POLICY = "travelperk:PolicyAssignment";
const IGNORED_FIELDS = new Set(["__provider", "adoptExisting"]);
const CREATE_OPS = new Set(["create", "create-replacement"]);
const DELETE_OPS = new Set(["delete", "delete-replaced", "discard", "discard-replaced"]);
const CHANGE_OPS = new Set(["update", "replace"]);

/** The person a child resource belongs to: the User with that id, else the name's first segment (`key/…`). */
function ownerKey(step: PlannedStep, keyById: Map<string, string>): string {
  const userId = (step.newInputs?.userId ?? step.oldInputs?.userId) as string | undefined;
  return (userId && keyById.get(userId)) ?? step.name.split("/")[0];
}

/**
 * Builds the summary.
 *
 * @param steps The planned or applied steps, from one of the `stepsFrom…` functions.
 * @param labels Policy and group names by id, when known. Default: none (ids are shown).
 * @param calendar The roster file's dates and protection on the run's day ({@link rosterCalendar}), when
 *   known: offboardings then carry their reason, protected people are marked and people starting or
 *   leaving within the horizon are listed. Default: none (those parts are absent).
 */
export function summarize(
  steps: readonly PlannedStep[],
  labels: ReadonlyMap<string, string> = new Map(),
  calendar?: RosterCalendar,
): RosterSummary {
  return withCalendar(summarizeSteps(steps, labels), steps, calendar);
}

/** Keys the stack's state records as protected: the old outputs of each Roster component in the steps. */
function protectedInState(steps: readonly PlannedStep[]): Set<string> {
  const keys = new Set<string>();
  for (const step of steps) {
    if (!step.type.endsWith(ROSTER)) continue;
    const recorded = step.oldOutputs?.[PROTECTED_KEYS_OUTPUT];
    if (Array.isArray(recorded)) for (const key of recorded) if (typeof key === "string") keys.add(key.toLowerCase());
  }
  return keys;
}

/** Protection, offboarding reasons and the horizon lists, from the calendar and the state. */
function withCalendar(summary: RosterSummary, steps: readonly PlannedStep[], calendar?: RosterCalendar): RosterSummary {
  if (!calendar) return summary;
  const recorded = protectedInState(steps);
  const byKey = new Map(calendar.people.map((p) => [p.key, p]));
  const byEmail = new Map(calendar.people.map((p) => [p.email.toLowerCase(), p]));
  const inFile = (p: PersonChange) => byKey.get(p.key.toLowerCase()) ?? byEmail.get(p.email.toLowerCase());
  for (const p of [...summary.added, ...summary.changed, ...summary.offboarded]) {
    if (inFile(p)?.protect || recorded.has(p.key.toLowerCase())) p.protected = true;
  }
  for (const p of summary.offboarded) {
    const person = inFile(p);
    if (person?.tenure === "ended") {
      p.reason = "endDate";
      p.endDate = person.endDate;
    } else p.reason = "removed";
  }
  const { starting, leaving } = upcoming(calendar);
  return {
    ...summary,
    today: calendar.today,
    timeZone: calendar.timeZone,
    horizonDays: calendar.horizonDays,
    starting,
    leaving,
  };
}

function summarizeSteps(steps: readonly PlannedStep[], labels: ReadonlyMap<string, string>): RosterSummary {
  const label = (id: unknown) => (typeof id === "string" ? (labels.get(id) ?? id) : undefined);
  const people = new Map<string, PersonChange & { op?: string }>();
  const person = (key: string): PersonChange & { op?: string } => {
    let entry = people.get(key);
    if (!entry) people.set(key, (entry = { key, email: key, fields: [], joins: [], leaves: [] }));
    return entry;
  };
  const keyById = new Map<string, string>();
  let peopleBefore = 0;

  for (const step of steps) {
    if (!step.type.endsWith(USER)) continue;
    if (step.oldId) keyById.set(step.oldId, step.name);
    if (!CREATE_OPS.has(step.op)) peopleBefore += step.op === "delete-replaced" ? 0 : 1;
    if (step.op === "same" || step.op === "read" || step.op === "refresh") continue;
    const entry = person(step.name);
    entry.op = CREATE_OPS.has(step.op) ? "added" : DELETE_OPS.has(step.op) ? "offboarded" : "changed";
    const inputs = step.newInputs ?? step.oldInputs ?? {};
    const email = inputs.email ?? step.oldOutputs?.email;
    entry.email = typeof email === "string" ? email : step.name;
    entry.name = [inputs.firstName, inputs.lastName].filter(Boolean).join(" ") || undefined;
    entry.role = typeof inputs.role === "string" ? inputs.role : undefined;
    if (entry.op === "offboarded") {
      const onDelete = (step.oldOutputs?.onDelete ?? step.oldInputs?.onDelete ?? "deactivate") as string;
      entry.offboard = onDelete === "delete" ? "deleted" : onDelete === "retain" ? "retained" : "deactivated";
    }
    if (CHANGE_OPS.has(step.op)) {
      for (const field of step.diffs.length > 0 ? step.diffs : Object.keys(step.newInputs ?? {})) {
        if (IGNORED_FIELDS.has(field)) continue;
        const from = step.oldOutputs?.[field] ?? step.oldInputs?.[field];
        const to = step.newInputs?.[field];
        if (JSON.stringify(from) !== JSON.stringify(to)) entry.fields.push({ field, from, to });
      }
    }
  }

  for (const step of steps) {
    if (step.op === "same" || step.op === "read" || step.op === "refresh") continue;
    const isMembership = step.type.endsWith(MEMBERSHIP);
    const isPolicy = step.type.endsWith(POLICY);
    if (!isMembership && !isPolicy) continue;
    const entry = person(ownerKey(step, keyById));
    if (isMembership) {
      const groupId = step.newInputs?.groupId ?? step.oldInputs?.groupId;
      const known = typeof groupId === "string" ? labels.get(groupId) : undefined;
      // A Roster names memberships `key/group/<group name>`; other programs' names say less than the id.
      const group =
        known ?? (step.name.includes("/") ? step.name.slice(step.name.lastIndexOf("/") + 1) : String(groupId));
      if (CREATE_OPS.has(step.op)) entry.joins.push(group);
      else if (DELETE_OPS.has(step.op)) entry.leaves.push(group);
    } else {
      const from =
        DELETE_OPS.has(step.op) || CHANGE_OPS.has(step.op)
          ? label(step.oldOutputs?.policyId ?? step.oldInputs?.policyId)
          : undefined;
      const to = CREATE_OPS.has(step.op) || CHANGE_OPS.has(step.op) ? label(step.newInputs?.policyId) : undefined;
      if (from !== to) entry.policy = { from: entry.policy?.from ?? from, to: to ?? entry.policy?.to };
    }
  }

  const all = [...people.values()].map((entry) => {
    // A replaced membership (delete + create of the same group) is no change for the reader.
    const { joins, leaves } = entry;
    entry.joins = joins.filter((g) => !leaves.includes(g));
    entry.leaves = leaves.filter((g) => !joins.includes(g));
    return entry;
  });
  // A new key for the same e-mail is a new resource taking the account over from the old one: for the
  // reader that is one person whose key changed, not an onboarding plus an offboarding.
  for (const gone of all.filter((p) => p.op === "offboarded")) {
    const successor = all.find((p) => p.op === "added" && p.email.toLowerCase() === gone.email.toLowerCase());
    if (!successor) continue;
    successor.op = "changed";
    successor.fields.unshift({ field: "key", from: gone.key, to: successor.key });
    successor.leaves.push(...gone.leaves.filter((g) => !successor.joins.includes(g)));
    successor.joins = successor.joins.filter((g) => !gone.leaves.includes(g));
    if (successor.policy && successor.policy.from === undefined && successor.policy.to === gone.policy?.from) {
      successor.policy = undefined;
    }
    gone.op = "merged";
  }
  const byEmail = (a: PersonChange, b: PersonChange) => a.email.localeCompare(b.email);
  return {
    added: all.filter((p) => p.op === "added").sort(byEmail),
    changed: all
      .filter(
        (p) =>
          (p.op === undefined || p.op === "changed") &&
          (p.fields.length > 0 || p.joins.length > 0 || p.leaves.length > 0 || p.policy),
      )
      .sort(byEmail),
    offboarded: all.filter((p) => p.op === "offboarded").sort(byEmail),
    peopleBefore,
  };
}

/** A change to a protected person: offboarding, deleting or demoting them. */
export interface ProtectedChange {
  /** The person's e-mail. */
  email: string;
  /** The person's key. */
  key: string;
  /** What the plan does: `deactivated`, `deleted` or `demoted`. */
  change: "deactivated" | "deleted" | "demoted";
  /** Why, in words: e.g. `end date 2025-03-31 passed`, `removed from the roster`, `role company_admin → traveler`. */
  detail: string;
  /** Whether `--allow-protected` names the person, so the change passes. */
  allowed: boolean;
}

/** The admin floor: active company admins before and after the plan. */
export interface AdminFloor {
  /** The fewest active company admins the plan may leave (`--min-admins`). */
  min: number;
  /** Active company admins in the stack before the plan. */
  before: number;
  /** Active company admins the plan leaves. */
  remaining: number;
  /** E-mails of the company admins the plan demotes or offboards. */
  losing: string[];
  /** Whether the plan demotes or offboards an admin and leaves fewer than `min`. */
  tripped: boolean;
}

/**
 * The guard's verdict: the offboarding limit (`--max-offboard`, a count "5" or a share "10%" of the
 * people managed before), protected people and the admin floor.
 */
export interface GuardResult {
  /** Whether any check tripped (see `reasons`): the change should be refused. */
  tripped: boolean;
  /** The most people that may be offboarded, as computed from the rule; present with `--max-offboard`. */
  limit?: number;
  /** E-mails of the people being deactivated or deleted (retained people are not counted). */
  offboarding: string[];
  /** The `--max-offboard` rule as given, e.g. `5` or `10%`; present with `--max-offboard`. */
  rule?: string;
  /** Every reason the guard tripped, one sentence each; empty when it passed. */
  reasons: string[];
  /** Every change to a protected person, allowed or not. */
  protectedChanges: ProtectedChange[];
  /** The admin floor's count; absent when only the offboarding limit was checked ({@link offboardGuard}). */
  admins?: AdminFloor;
}

/** What {@link rosterGuard} checks. */
export interface GuardOptions {
  /** `--max-offboard`: a number of people (`"5"`) or a share of the people managed before (`"10%"`). Default: no limit. */
  maxOffboard?: string;
  /** `--min-admins`: fewest active company admins a plan that demotes or offboards one may leave. Default: 1. */
  minAdmins?: number;
  /** `--allow-protected`: e-mails (or keys) of protected people whose change in this plan was reviewed. Default: none. */
  allowProtected?: readonly string[];
}

/**
 * Parses and applies `--max-offboard`. Retained people are not offboarded: their accounts stay as they are.
 *
 * @param summary The summary to check.
 * @param max A number of people (`"5"`) or a share of the people managed before (`"10%"`).
 * @throws Error when `max` is neither.
 */
export function offboardGuard(summary: RosterSummary, max: string): GuardResult {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(max);
  if (!match)
    throw new Error(`--max-offboard must be a number of people (e.g. 3) or a percentage (e.g. 10%), got "${max}"`);
  const value = Number(match[1]);
  const limit = match[2] ? Math.floor((value / 100) * summary.peopleBefore) : Math.floor(value);
  const offboarding = summary.offboarded.filter((p) => p.offboard !== "retained").map((p) => p.email);
  const rule = max.trim();
  const tripped = offboarding.length > limit;
  const reasons = tripped
    ? [
        `${offboarding.length} people would be offboarded; the limit is ${limit} (--max-offboard ${rule}): ${offboarding.join(", ")}`,
      ]
    : [];
  return { tripped, limit, offboarding, rule, reasons, protectedChanges: [] };
}

/** Changes the plan makes to protected people (marked by {@link summarize}). */
function protectedChanges(summary: RosterSummary, allow: readonly string[]): ProtectedChange[] {
  const allowed = new Set(allow.map((who) => who.trim().toLowerCase()));
  const changes: ProtectedChange[] = [];
  const add = (p: PersonChange, change: ProtectedChange["change"], detail: string) =>
    changes.push({
      email: p.email,
      key: p.key,
      change,
      detail,
      allowed: allowed.has(p.email.toLowerCase()) || allowed.has(p.key.toLowerCase()),
    });
  for (const p of summary.offboarded) {
    if (!p.protected || p.offboard === "retained") continue;
    const why =
      p.reason === "endDate"
        ? `end date ${p.endDate ?? "?"} passed`
        : p.reason === "removed"
          ? "removed from the roster"
          : "no longer declared";
    add(p, p.offboard === "deleted" ? "deleted" : "deactivated", why);
  }
  for (const p of summary.changed) {
    if (!p.protected) continue;
    const role = p.fields.find((f) => f.field === "role");
    if (role && isDemotion(role.from, role.to)) add(p, "demoted", `role ${String(role.from)} → ${String(role.to)}`);
    const active = p.fields.find((f) => f.field === "isActive");
    if (active && active.from !== false && active.to === false) add(p, "deactivated", "isActive: false");
  }
  return changes.sort((a, b) => a.email.localeCompare(b.email));
}

/** Active company admins before and after the plan, from the User steps' old and new state (same steps included). */
function adminFloor(steps: readonly PlannedStep[], min: number): AdminFloor {
  const before = new Set<string>();
  const after = new Set<string>();
  const emails = new Map<string, string>();
  for (const step of steps) {
    if (!step.type.endsWith(USER)) continue;
    const email = step.newInputs?.email ?? step.oldInputs?.email ?? step.oldOutputs?.email;
    const who = typeof email === "string" ? email : step.name;
    // Per e-mail: a new key taking an account over is one person, not an admin lost and one gained.
    const id = who.toLowerCase();
    if (!emails.has(id)) emails.set(id, who);
    const existed = !CREATE_OPS.has(step.op) && (step.oldInputs !== undefined || step.oldOutputs !== undefined);
    const oldRole = step.oldOutputs?.role ?? step.oldInputs?.role;
    const wasActive = (step.oldOutputs?.isActive ?? step.oldInputs?.isActive) !== false;
    const wasAdmin = existed && oldRole === "company_admin" && wasActive;
    if (wasAdmin) before.add(id);
    if (DELETE_OPS.has(step.op)) {
      // A retained account stays as it is; a replaced one lives on in its replacement's step.
      const onDelete = step.oldOutputs?.onDelete ?? step.oldInputs?.onDelete;
      if (wasAdmin && step.op === "delete" && onDelete === "retain") after.add(id);
      continue;
    }
    if (step.newInputs === undefined) {
      if (wasAdmin) after.add(id);
      continue;
    }
    // A role no longer declared stays as TravelPerk holds it.
    const role = step.newInputs.role ?? (existed ? oldRole : undefined);
    if (role === "company_admin" && step.newInputs.isActive !== false) after.add(id);
  }
  const losing = [...before]
    .filter((id) => !after.has(id))
    .map((id) => emails.get(id) ?? id)
    .sort();
  return {
    min,
    before: before.size,
    remaining: after.size,
    losing,
    tripped: losing.length > 0 && after.size < min,
  };
}

/**
 * The whole guard: the offboarding limit (with `maxOffboard`), protected people (always) and the
 * admin floor (always; `minAdmins` default 1). A plan that demotes or offboards no admin never trips
 * the floor, whatever the count.
 *
 * @param summary The summary of the plan, built with the roster's calendar so protection is known.
 * @param steps The plan's steps, `same` steps included (the admins are counted from their state).
 * @param options The limits and the reviewed protected changes.
 * @throws Error when `maxOffboard` is neither a count nor a percentage, or `minAdmins` is not a whole number.
 */
export function rosterGuard(
  summary: RosterSummary,
  steps: readonly PlannedStep[],
  options: GuardOptions = {},
): GuardResult {
  const min = options.minAdmins ?? DEFAULT_MIN_ADMINS;
  if (!Number.isInteger(min) || min < 0) throw new Error(`--min-admins must be a whole number, got ${min}`);
  const offboard = options.maxOffboard === undefined ? undefined : offboardGuard(summary, options.maxOffboard);
  const changes = protectedChanges(summary, options.allowProtected ?? []);
  const admins = adminFloor(steps, min);
  const reasons = [...(offboard?.reasons ?? [])];
  for (const c of changes.filter((c) => !c.allowed))
    reasons.push(
      `protected person ${c.email} would be ${c.change} (${c.detail}); pass --allow-protected ${c.email} once the change is reviewed`,
    );
  if (admins.tripped)
    reasons.push(
      `${admins.losing.length} company_admin${admins.losing.length === 1 ? "" : "s"} would be demoted or offboarded (${admins.losing.join(", ")}); ${admins.remaining} would remain, fewer than --min-admins ${min}`,
    );
  return {
    tripped: reasons.length > 0,
    ...(offboard ? { limit: offboard.limit, rule: offboard.rule } : {}),
    offboarding: summary.offboarded.filter((p) => p.offboard !== "retained").map((p) => p.email),
    reasons,
    protectedChanges: changes,
    admins,
  };
}

const show = (value: unknown) =>
  value === undefined || value === null ? "(none)" : `\`${typeof value === "string" ? value : JSON.stringify(value)}\``;

function details(p: PersonChange): string[] {
  const lines: string[] = [];
  for (const f of p.fields) lines.push(`${f.field}: ${show(f.from)} → ${show(f.to)}`);
  if (p.policy)
    lines.push(
      p.policy.to === undefined
        ? `travel policy removed (was ${p.policy.from ?? "none"})`
        : p.policy.from === undefined
          ? `travel policy: ${p.policy.to}`
          : `travel policy: ${p.policy.from} → ${p.policy.to}`,
    );
  for (const g of p.joins) lines.push(`joins ${g}`);
  for (const g of p.leaves) lines.push(`leaves ${g}`);
  return lines;
}

/**
 * Renders the summary (and the guard's verdict) as Markdown for a pull-request comment.
 *
 * @param summary The summary to render.
 * @param guard The guard's verdict, when a guard was applied. Default: none.
 * @param title The heading's title. Default: `"TravelPerk roster"`.
 */
export function summaryMarkdown(summary: RosterSummary, guard?: GuardResult, title = "TravelPerk roster"): string {
  const { added, changed, offboarded } = summary;
  const scheduled = offboarded.filter((p) => p.reason === "endDate");
  const removed = offboarded.filter((p) => p.reason !== "endDate");
  const out: string[] = [
    `## ${title}: ${added.length} added, ${changed.length} changed, ${offboarded.length} offboarded` +
      (scheduled.length > 0 ? ` (${scheduled.length} end date passed)` : ""),
    "",
  ];
  if (added.length + changed.length + offboarded.length === 0) out.push("No change to the roster.", "");
  const section = (heading: string, people: PersonChange[], head: (p: PersonChange) => string, withDetails = true) => {
    if (people.length === 0) return;
    out.push(`### ${heading} (${people.length})`, "");
    for (const p of people) {
      out.push(`- **${p.email}**${p.protected ? " (protected)" : ""}${head(p)}`);
      if (withDetails) for (const line of details(p)) out.push(`  - ${line}`);
    }
    out.push("");
  };
  section("Added", added, (p) =>
    [p.name, p.role]
      .filter(Boolean)
      .map((s) => ` — ${s}`)
      .join(""),
  );
  section("Changed", changed, () => "");
  section("Offboarded", removed, (p) => ` — ${p.offboard ?? "deactivated"}`, false);
  section(
    "Offboarded: end date passed",
    scheduled,
    (p) => ` — ${p.offboard ?? "deactivated"} — last day ${p.endDate ?? "?"}`,
    false,
  );
  const when = (days: number) => (days === 0 ? "today" : days === 1 ? "tomorrow" : `in ${days} days`);
  const dated = (heading: string, people: DatedPerson[] | undefined, prefix: string) => {
    if (!people?.length) return;
    out.push(`### ${heading} within ${summary.horizonDays ?? 0} days (${people.length})`, "");
    for (const p of people) out.push(`- **${p.email}** — ${prefix}${p.date} (${when(p.inDays)})`);
    out.push("");
  };
  dated("Starting", summary.starting, "first day ");
  dated("Leaving", summary.leaving, "last day ");
  if (summary.today !== undefined) out.push(`Dates applied on ${summary.today} (${summary.timeZone ?? "UTC"}).`, "");
  if (guard) out.push(...guardLines(guard));
  return out.join("\n");
}

/** The guard's verdict as Markdown quotes: one line per check that has something to say. */
function guardLines(guard: GuardResult): string[] {
  const lines: string[] = [];
  if (guard.rule !== undefined && guard.limit !== undefined) {
    lines.push(
      guard.offboarding.length > guard.limit
        ? `> **Offboarding guard tripped:** ${guard.offboarding.length} people would be offboarded; the limit is ${guard.limit} (--max-offboard ${guard.rule}): ${guard.offboarding.join(", ")}`
        : `> Offboarding guard passed: ${guard.offboarding.length} offboarded, limit ${guard.limit} (--max-offboard ${guard.rule}).`,
    );
  }
  for (const c of guard.protectedChanges) {
    lines.push(
      c.allowed
        ? `> Protected change allowed (--allow-protected ${c.email}): ${c.email} ${c.change} (${c.detail}).`
        : `> **Protected person:** ${c.email} would be ${c.change} (${c.detail}); nothing is applied unless \`--allow-protected ${c.email}\` is given once the change is reviewed.`,
    );
  }
  const admins = guard.admins;
  if (admins && admins.losing.length > 0) {
    const who = `${admins.losing.length} company_admin${admins.losing.length === 1 ? "" : "s"}`;
    lines.push(
      admins.tripped
        ? `> **Admin floor tripped:** ${who} would be demoted or offboarded (${admins.losing.join(", ")}); ${admins.remaining} would remain, fewer than --min-admins ${admins.min}.`
        : `> Admin floor passed: ${who} demoted or offboarded (${admins.losing.join(", ")}); ${admins.remaining} remain (--min-admins ${admins.min}).`,
    );
  }
  if (guard.tripped)
    lines.push(
      `> **Guard tripped** (${guard.reasons.length} reason${guard.reasons.length === 1 ? "" : "s"}): nothing may be applied until each is resolved.`,
    );
  return lines.length > 0 ? lines.flatMap((line) => [line, ""]) : [];
}
