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

/**
 * A member an authoritative group's list (`GroupMembers`) removes who is no person of the roster: someone
 * added to the group in TravelPerk directly. (People of the roster who leave such a group show under
 * the person, as `leaves`.)
 */
export interface GroupRemoval {
  /** The group, by name where known, else by id. */
  group: string;
  /** The member's TravelPerk user id. */
  userId: string;
  /** The member's e-mail, where known (the roster commands read the users for it). */
  email?: string;
}

/**
 * What was read of TravelPerk before the plan, for what the steps cannot tell: state holds no member
 * list for a group a `GroupMembers` is about to take over. The roster commands pass what the Roster
 * read (see `loadGroupMembers` in lookups.ts).
 */
export interface LiveMembers {
  /** Each group's members now, by group id. */
  groupMembers?: ReadonlyMap<string, readonly string[]>;
  /** Users' e-mails by user id. */
  emails?: ReadonlyMap<string, string>;
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
  /** Members removed from authoritative groups who are not people of the roster, by group then e-mail (or id). */
  removedFromGroups: GroupRemoval[];
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
const GROUP_MEMBERS = "travelperk:GroupMembers";
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
 * @param live The members of the groups a `GroupMembers` takes over, and users' e-mails, as read
 *   before the plan. Default: none (a takeover's removals are not known; changes of a stored list are).
 */
export function summarize(
  steps: readonly PlannedStep[],
  labels: ReadonlyMap<string, string> = new Map(),
  calendar?: RosterCalendar,
  live: LiveMembers = {},
): RosterSummary {
  return withCalendar(withGroupLists(summarizeSteps(steps, labels), steps, labels, live), steps, calendar);
}

/** How the engine writes a value it does not know yet (an id of a user still being created) in step events. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Ids in a stored or planned list; ids Pulumi does not know yet (users being created) are left out. */
function knownIds(value: unknown): string[] {
  return Array.isArray(value)
    ? value.filter((id): id is string => typeof id === "string" && id !== UNKNOWN && id !== "")
    : [];
}

/**
 * `group:user` memberships that resources staying in the program hold after the plan (`kept`), and
 * those that resources the plan deletes held (`dropped`): of group lists, and with `memberships` of
 * `GroupMembership`s too.
 */
function listFacts(steps: readonly PlannedStep[], memberships = false): { kept: Set<string>; dropped: Set<string> } {
  const kept = new Set<string>();
  const dropped = new Set<string>();
  for (const step of steps) {
    const isList = step.type.endsWith(GROUP_MEMBERS);
    if (!isList && !(memberships && step.type.endsWith(MEMBERSHIP))) continue;
    const gone = DELETE_OPS.has(step.op);
    const inputs = gone ? (step.oldOutputs ?? step.oldInputs) : step.newInputs;
    const groupId = inputs?.groupId;
    if (typeof groupId !== "string") continue;
    const userIds = isList ? knownIds(inputs?.userIds) : knownIds([inputs?.userId]);
    for (const userId of userIds) (gone ? dropped : kept).add(`${groupId}:${userId}`);
  }
  return { kept, dropped };
}

/**
 * What the authoritative groups' lists (`GroupMembers`) change: roster people who join or leave (under
 * the person), and members who are no roster people and are removed (`removedFromGroups`). A list
 * being created takes the group as `live` says it is now; a stored list changes from its state.
 */
function withGroupLists(
  summary: RosterSummary,
  steps: readonly PlannedStep[],
  labels: ReadonlyMap<string, string>,
  live: LiveMembers,
): RosterSummary {
  const users = new Map<string, { key: string; email: string; gone: boolean }>();
  const arriving = new Set<string>();
  for (const step of steps) {
    if (!step.type.endsWith(USER)) continue;
    const email = step.newInputs?.email ?? step.oldOutputs?.email ?? step.oldInputs?.email;
    const who = { key: step.name, email: typeof email === "string" ? email : step.name, gone: DELETE_OPS.has(step.op) };
    if (step.oldId && step.op !== "delete-replaced") users.set(step.oldId, who);
    if (CREATE_OPS.has(step.op)) arriving.add(who.email.toLowerCase());
  }
  const { kept } = listFacts(steps, true);
  const everyone = [...summary.added, ...summary.changed, ...summary.offboarded];
  const changed = [...summary.changed];
  const entry = (key: string, email: string): PersonChange => {
    let found = everyone.find((p) => p.key === key);
    if (!found) {
      found = { key, email, fields: [], joins: [], leaves: [] };
      everyone.push(found);
      changed.push(found);
    }
    return found;
  };
  const removed: GroupRemoval[] = [];
  for (const step of steps) {
    if (
      !step.type.endsWith(GROUP_MEMBERS) ||
      !(CREATE_OPS.has(step.op) || DELETE_OPS.has(step.op) || step.op === "update")
    )
      continue;
    const gone = DELETE_OPS.has(step.op);
    const groupId = gone ? (step.oldOutputs?.groupId ?? step.oldInputs?.groupId) : step.newInputs?.groupId;
    if (typeof groupId !== "string") continue;
    const group = labels.get(groupId) ?? (step.name.startsWith("group/") ? step.name.slice("group/".length) : groupId);
    const before = CREATE_OPS.has(step.op)
      ? [...(live.groupMembers?.get(groupId) ?? [])]
      : knownIds(step.oldOutputs?.userIds ?? step.oldInputs?.userIds);
    const after = new Set(gone ? [] : knownIds(step.newInputs?.userIds));
    const was = new Set(before);
    // A list being deleted leaves the members another resource now holds (the group is additive now).
    for (const userId of before.filter((id) => !after.has(id) && !(gone && kept.has(`${groupId}:${id}`)))) {
      const person = users.get(userId);
      const email = person?.email ?? live.emails?.get(userId);
      if (person) {
        if (!person.gone) entry(person.key, person.email).leaves.push(group); // an offboarding says it all
      } else if (!(email && arriving.has(email.toLowerCase()))) {
        // (Someone the plan adopts is in the new list under an id not known yet.)
        removed.push({ group, userId, ...(email ? { email } : {}) });
      }
    }
    for (const userId of after) {
      const person = users.get(userId);
      if (person && !person.gone && !was.has(userId)) entry(person.key, person.email).joins.push(group);
    }
  }
  const byEmail = (a: PersonChange, b: PersonChange) => a.email.localeCompare(b.email);
  const name = (r: GroupRemoval) => r.email ?? r.userId;
  return {
    ...summary,
    changed: changed
      .filter((p) => p.fields.length > 0 || p.joins.length > 0 || p.leaves.length > 0 || p.policy)
      .sort(byEmail),
    removedFromGroups: removed.sort((a, b) => a.group.localeCompare(b.group) || name(a).localeCompare(name(b))),
  };
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
  const lists = listFacts(steps);

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
      // A membership an authoritative group's list takes over (or hands back) stays: no join, no leave.
      const fact = `${String(groupId)}:${String(step.newInputs?.userId ?? step.oldInputs?.userId)}`;
      if ((DELETE_OPS.has(step.op) && lists.kept.has(fact)) || (CREATE_OPS.has(step.op) && lists.dropped.has(fact)))
        continue;
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
    removedFromGroups: [], // see withGroupLists
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
  /** Members removed from authoritative groups who are not people of the roster, one per person as `e-mail (group, …)` (the id where no e-mail is known); counted against `--max-offboard` with `offboarding`. */
  removedFromGroups: string[];
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
  const removedFromGroups = groupRemovals(summary);
  const count = offboarding.length + removedFromGroups.length;
  const tripped = count > limit;
  const reasons = tripped
    ? [
        `${count} people would be offboarded${removedFromGroups.length > 0 ? " or removed from authoritative groups" : ""}; the limit is ${limit} (--max-offboard ${rule}): ${[...offboarding, ...removedFromGroups].join(", ")}`,
      ]
    : [];
  return { tripped, limit, offboarding, removedFromGroups, rule, reasons, protectedChanges: [] };
}

/** The members authoritative groups lose who are no roster people, one entry per person: `e-mail (group, …)`. */
function groupRemovals(summary: RosterSummary): string[] {
  const byUser = new Map<string, { who: string; groups: string[] }>();
  for (const r of summary.removedFromGroups) {
    const entry = byUser.get(r.userId) ?? { who: r.email ?? r.userId, groups: [] };
    entry.groups.push(r.group);
    byUser.set(r.userId, entry);
  }
  return [...byUser.values()].map(({ who, groups }) => `${who} (${groups.join(", ")})`);
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
    removedFromGroups: groupRemovals(summary),
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
      (scheduled.length > 0 ? ` (${scheduled.length} end date passed)` : "") +
      (summary.removedFromGroups.length > 0
        ? `, ${summary.removedFromGroups.length} removed from authoritative groups`
        : ""),
    "",
  ];
  if (added.length + changed.length + offboarded.length + summary.removedFromGroups.length === 0)
    out.push("No change to the roster.", "");
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
  if (summary.removedFromGroups.length > 0) {
    // Members the roster does not list, added to an authoritative group in TravelPerk directly.
    out.push(`### Removed from authoritative groups (${summary.removedFromGroups.length})`, "");
    for (const r of summary.removedFromGroups)
      out.push(`- **${r.email ?? r.userId}** — leaves ${r.group} (not in the roster)`);
    out.push("");
  }
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
    // Members removed from authoritative groups count with the offboarded (one entry per person).
    const removed = guard.removedFromGroups;
    const count = guard.offboarding.length + removed.length;
    const also = removed.length > 0 ? " or removed from authoritative groups" : "";
    lines.push(
      count > guard.limit
        ? `> **Offboarding guard tripped:** ${count} people would be offboarded${also}; the limit is ${guard.limit} (--max-offboard ${guard.rule}): ${[...guard.offboarding, ...removed].join(", ")}`
        : `> Offboarding guard passed: ${guard.offboarding.length} offboarded${removed.length > 0 ? `, ${removed.length} removed from authoritative groups` : ""}, limit ${guard.limit} (--max-offboard ${guard.rule}).`,
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
