/**
 * The summary a reviewer reads in seconds: who is added, changed (each field old → new) and offboarded,
 * with membership and policy changes under the person, counts first and nothing about what did not
 * change; and the offboarding guard. Built from the engine's own step events (Automation API events,
 * `pulumi preview --event-log`) or from `pulumi preview --json`.
 */

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
}

const USER = "travelperk:User";
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
 */
export function summarize(
  steps: readonly PlannedStep[],
  labels: ReadonlyMap<string, string> = new Map(),
): RosterSummary {
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

/** The offboarding guard: `max` is a count ("5") or a share of the people managed before ("10%"). */
export interface GuardResult {
  /** Whether more people are offboarded than the limit allows: the change should be refused. */
  tripped: boolean;
  /** The most people that may be offboarded, as computed from the rule. */
  limit: number;
  /** E-mails of the people being deactivated or deleted (retained people are not counted). */
  offboarding: string[];
  /** The rule as given, e.g. `5` or `10%`. */
  rule: string;
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
  return { tripped: offboarding.length > limit, limit, offboarding, rule: max.trim() };
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
  const out: string[] = [
    `## ${title}: ${added.length} added, ${changed.length} changed, ${offboarded.length} offboarded`,
    "",
  ];
  if (added.length + changed.length + offboarded.length === 0) out.push("No change to the roster.", "");
  const section = (heading: string, people: PersonChange[], head: (p: PersonChange) => string, withDetails = true) => {
    if (people.length === 0) return;
    out.push(`### ${heading} (${people.length})`, "");
    for (const p of people) {
      out.push(`- **${p.email}**${head(p)}`);
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
  section("Offboarded", offboarded, (p) => ` — ${p.offboard ?? "deactivated"}`, false);
  if (guard) {
    out.push(
      guard.tripped
        ? `> **Offboarding guard tripped:** ${guard.offboarding.length} people would be offboarded; the limit is ${guard.limit} (--max-offboard ${guard.rule}): ${guard.offboarding.join(", ")}`
        : `> Offboarding guard passed: ${guard.offboarding.length} offboarded, limit ${guard.limit} (--max-offboard ${guard.rule}).`,
      "",
    );
  }
  return out.join("\n");
}
