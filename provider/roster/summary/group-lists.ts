/**
 * What the authoritative groups' lists (`GroupMembers`) do to people: roster people who join or leave
 * a group through a list show under the person; members who are no people of the roster and are
 * removed show apart (`removedFromGroups`). Also which `group:user` memberships a list takes over from
 * a `GroupMembership` (or hands back), so the person's summary does not show them as a leave and a join.
 */
import { RESOURCE_KINDS, isResourceType } from "../../type-tokens";
import { hasChanges, type GroupRemoval, type LiveMembers, type PersonChange, type RosterSummary } from "./model";
import { groupLabel } from "./names";
import { CREATE_OPS, DELETE_OPS, type PlannedStep } from "./steps";

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
export function listFacts(
  steps: readonly PlannedStep[],
  memberships = false,
): { kept: Set<string>; dropped: Set<string> } {
  const kept = new Set<string>();
  const dropped = new Set<string>();
  for (const step of steps) {
    const isList = isResourceType(step.type, RESOURCE_KINDS.groupMembers);
    if (!isList && !(memberships && isResourceType(step.type, RESOURCE_KINDS.groupMembership))) continue;
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
 * `summary` with what the group lists change: people who join or leave through them (a person only
 * the lists touch becomes a changed person) and the members removed who are no roster people. A list
 * being created takes the group as `live` says it is now; a stored list changes from its state.
 */
export function withGroupLists(
  summary: RosterSummary,
  steps: readonly PlannedStep[],
  labels: ReadonlyMap<string, string>,
  live: LiveMembers,
): RosterSummary {
  const users = new Map<string, { key: string; email: string; gone: boolean }>();
  const arriving = new Set<string>();
  for (const step of steps) {
    if (!isResourceType(step.type, RESOURCE_KINDS.user)) continue;
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
      !isResourceType(step.type, RESOURCE_KINDS.groupMembers) ||
      !(CREATE_OPS.has(step.op) || DELETE_OPS.has(step.op) || step.op === "update")
    )
      continue;
    const gone = DELETE_OPS.has(step.op);
    const groupId = gone ? (step.oldOutputs?.groupId ?? step.oldInputs?.groupId) : step.newInputs?.groupId;
    if (typeof groupId !== "string") continue;
    const group = groupLabel(step, groupId, labels);
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
    changed: changed.filter(hasChanges).sort(byEmail),
    removedFromGroups: removed.sort((a, b) => a.group.localeCompare(b.group) || name(a).localeCompare(name(b))),
  };
}
