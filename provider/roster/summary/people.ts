/**
 * The changes per person: each User step gives the person's status and field changes, and each
 * `GroupMembership` and `PolicyAssignment` step is put under the person it belongs to. A replaced
 * membership, a membership an authoritative list takes over, and a new key taking over the same
 * e-mail's account are no change for the reader and are folded away here.
 */
import { RESOURCE_KINDS, isResourceType } from "../../type-tokens";
import { listFacts } from "./group-lists";
import { hasChanges, type PersonChange, type RosterSummary } from "./model";
import { groupLabel, ownerKey } from "./names";
import { CHANGE_OPS, CREATE_OPS, DELETE_OPS, QUIET_OPS, type PlannedStep } from "./steps";

/** The statuses a reader sees, each the name of one list of the summary. */
type ShownStatus = "added" | "changed" | "offboarded";
/**
 * The hidden status: the old key of a person whom a new key takes over (same e-mail). The reader sees
 * one changed person under the new key (field `key`: old → new), so the old key's offboarding is in no
 * list, and the guard does not count it.
 */
type HiddenStatus = "merged";
/** What the plan does to a person; see {@link ShownStatus} and {@link HiddenStatus}. */
type PersonStatus = ShownStatus | HiddenStatus;

/**
 * A person's entry while it is built. The status rides on the entry (so `--json` shows it as `op`); it
 * is absent when the User itself is untouched and only the person's groups or policy change.
 */
type Entry = PersonChange & { op?: PersonStatus };

/** Inputs that say nothing about the person. */
const IGNORED_FIELDS = new Set(["__provider", "adoptExisting"]);

const statusOf = (op: string): ShownStatus =>
  CREATE_OPS.has(op) ? "added" : DELETE_OPS.has(op) ? "offboarded" : "changed";

const onDeleteResult = (onDelete: unknown): NonNullable<PersonChange["offboard"]> =>
  onDelete === "delete" ? "deleted" : onDelete === "retain" ? "retained" : "deactivated";

/** Reads the User steps: each person's status, name, role and field changes; and who was managed before. */
function readUsers(steps: readonly PlannedStep[], person: (key: string) => Entry) {
  const keyById = new Map<string, string>();
  let peopleBefore = 0;
  for (const step of steps) {
    if (!isResourceType(step.type, RESOURCE_KINDS.user)) continue;
    if (step.oldId) keyById.set(step.oldId, step.name);
    if (!CREATE_OPS.has(step.op)) peopleBefore += step.op === "delete-replaced" ? 0 : 1;
    if (QUIET_OPS.has(step.op)) continue;
    const entry = person(step.name);
    entry.op = statusOf(step.op);
    const inputs = step.newInputs ?? step.oldInputs ?? {};
    const email = inputs.email ?? step.oldOutputs?.email;
    entry.email = typeof email === "string" ? email : step.name;
    entry.name = [inputs.firstName, inputs.lastName].filter(Boolean).join(" ") || undefined;
    entry.role = typeof inputs.role === "string" ? inputs.role : undefined;
    if (entry.op === "offboarded")
      entry.offboard = onDeleteResult(step.oldOutputs?.onDelete ?? step.oldInputs?.onDelete);
    if (CHANGE_OPS.has(step.op)) {
      for (const field of step.diffs.length > 0 ? step.diffs : Object.keys(step.newInputs ?? {})) {
        if (IGNORED_FIELDS.has(field)) continue;
        const from = step.oldOutputs?.[field] ?? step.oldInputs?.[field];
        const to = step.newInputs?.[field];
        if (JSON.stringify(from) !== JSON.stringify(to)) entry.fields.push({ field, from, to });
      }
    }
  }
  return { keyById, peopleBefore };
}

/** Reads the membership and policy steps into their owners' joins, leaves and policy change. */
function readChildren(
  steps: readonly PlannedStep[],
  person: (key: string) => Entry,
  keyById: ReadonlyMap<string, string>,
  labels: ReadonlyMap<string, string>,
): void {
  const label = (id: unknown) => (typeof id === "string" ? (labels.get(id) ?? id) : undefined);
  const lists = listFacts(steps);
  for (const step of steps) {
    if (QUIET_OPS.has(step.op)) continue;
    const isMembership = isResourceType(step.type, RESOURCE_KINDS.groupMembership);
    if (!isMembership && !isResourceType(step.type, RESOURCE_KINDS.policyAssignment)) continue;
    const entry = person(ownerKey(step, keyById));
    if (isMembership) {
      const groupId = step.newInputs?.groupId ?? step.oldInputs?.groupId;
      // A membership an authoritative group's list takes over (or hands back) stays: no join, no leave.
      const fact = `${String(groupId)}:${String(step.newInputs?.userId ?? step.oldInputs?.userId)}`;
      if ((DELETE_OPS.has(step.op) && lists.kept.has(fact)) || (CREATE_OPS.has(step.op) && lists.dropped.has(fact)))
        continue;
      const group = groupLabel(step, String(groupId), labels);
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
}

/**
 * A new key for the same e-mail is a new resource taking the account over from the old one: for the
 * reader that is one person whose key changed, not an onboarding plus an offboarding. The old key's
 * entry becomes {@link HiddenStatus}.
 */
function mergeKeyChanges(all: Entry[]): void {
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
}

/**
 * The summary of the User, membership and policy steps, each list sorted by e-mail (the group lists'
 * changes are added by `withGroupLists`).
 *
 * @param steps The planned or applied steps.
 * @param labels Policy and group names by id, when known.
 */
export function summarizePeople(steps: readonly PlannedStep[], labels: ReadonlyMap<string, string>): RosterSummary {
  const people = new Map<string, Entry>();
  const person = (key: string): Entry => {
    let entry = people.get(key);
    if (!entry) people.set(key, (entry = { key, email: key, fields: [], joins: [], leaves: [] }));
    return entry;
  };
  const { keyById, peopleBefore } = readUsers(steps, person);
  readChildren(steps, person, keyById, labels);
  const all = [...people.values()].map((entry) => {
    // A replaced membership (delete + create of the same group) is no change for the reader.
    const { joins, leaves } = entry;
    entry.joins = joins.filter((g) => !leaves.includes(g));
    entry.leaves = leaves.filter((g) => !joins.includes(g));
    return entry;
  });
  mergeKeyChanges(all);
  const listed = (status: ShownStatus) => all.filter((p) => (p.op ?? "changed") === status);
  const byEmail = (a: PersonChange, b: PersonChange) => a.email.localeCompare(b.email);
  return {
    added: listed("added").sort(byEmail),
    changed: listed("changed").filter(hasChanges).sort(byEmail),
    offboarded: listed("offboarded").sort(byEmail),
    peopleBefore,
    removedFromGroups: [], // see withGroupLists
  };
}
