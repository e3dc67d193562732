/**
 * Whom and what a child resource stands for, read from its inputs and, where they say too little (a
 * user still being created has no id yet), from its name with the Roster component's own naming
 * (`readChildName` in component.ts, the inverse of `childNames`). Resources of other programs, named
 * otherwise, fall back to their whole name or to the ids.
 */
import { readChildName } from "../component";
import { RESOURCE_KINDS, isResourceType } from "../../type-tokens";
import type { PlannedStep } from "./steps";

/**
 * The person a `GroupMembership` or `PolicyAssignment` belongs to: the User with that id, else the key
 * its name holds, else its name.
 *
 * @param step The membership's or assignment's step.
 * @param keyById Person keys by the TravelPerk user id their User resource had before the plan.
 */
export function ownerKey(step: PlannedStep, keyById: ReadonlyMap<string, string>): string {
  const userId = step.newInputs?.userId ?? step.oldInputs?.userId;
  const byId = typeof userId === "string" && userId !== "" ? keyById.get(userId) : undefined;
  const byName = isResourceType(step.type, RESOURCE_KINDS.groupMembership)
    ? readChildName.group(step.name)?.key
    : readChildName.policy(step.name);
  return byId ?? byName ?? step.name;
}

/**
 * A group as the summary names it: by its name where known, else by the label a Roster child's name
 * holds (`<key>/group/<label>`, `group/<label>`), else by its id.
 *
 * @param step A `GroupMembership` or `GroupMembers` step.
 * @param groupId The group's id, from the step's inputs.
 * @param labels Group names by id, when known.
 */
export function groupLabel(step: PlannedStep, groupId: string, labels: ReadonlyMap<string, string>): string {
  const byName = isResourceType(step.type, RESOURCE_KINDS.groupMembers)
    ? readChildName.groupMembers(step.name)
    : readChildName.group(step.name)?.label;
  return labels.get(groupId) ?? byName ?? groupId;
}
