/**
 * `travelperk:GroupMembers`: the whole member list of one department group. The resource owns the
 * group's members: whoever TravelPerk holds in the group and the list does not name is removed.
 * `GroupMembership` is the additive counterpart (one member, others left alone); use one or the other
 * for a group, never both, and never two `GroupMembers` for one group.
 *
 * Order of this file: public args → validated inputs and outputs → provider (check, diff, create,
 * read, update, delete) → the resource class.
 *
 * Requests: a refresh lists the group once (shared with every `GroupMembership` of the group); a create
 * lists it once and then writes one add per missing member and one removal per extra member; an update
 * writes only the differences between the stored list and the new one (no listing); a delete removes
 * the members the resource listed. Adding and removing members are the only writes: the group itself
 * is never created, renamed or deleted. Every write may be repeated: adding a member twice is success
 * (409, "already a member"), removing a non-member too (404).
 */
import * as pulumi from "@pulumi/pulumi";
import { NotFoundError } from "../client/errors";
import { addGroupMember, groupMembers, removeGroupMember } from "../client/groups";
import { currentRun } from "../client/run";
import groupMembersProvider from "../entry/group-members";
import { opaqueIdInput } from "../input-schemas";
import { DYNAMIC_MODULE, RESOURCE_KINDS, resourceLabel } from "../type-tokens";
import type { ConnectionArgs, ResourceProviderImpl } from "./connection";
import { namingUser } from "./subject";
import { changedKeys, checkInputs, containsUnknown } from "./validation";
import { z } from "zod";

/** Arguments of a {@link GroupMembers}. */
export interface GroupMembersArgs extends ConnectionArgs {
  /** TravelPerk id of the group (department), e.g. from `getGroup`. Changing it replaces the resource (the new group is filled before the old one is emptied). */
  groupId: pulumi.Input<string>;
  /** TravelPerk ids of every member the group should have, e.g. `User` ids; order does not matter, each id once. Members not listed are removed. An empty list empties the group. */
  userIds: pulumi.Input<pulumi.Input<string>[]>;
}

const groupMembersSchema = z.object({
  groupId: opaqueIdInput,
  userIds: z.array(opaqueIdInput, { error: "must be a list of user ids" }),
});

/** Inputs as `check` returns them: the group and its members' ids, sorted. */
export type GroupMembersInputs = z.infer<typeof groupMembersSchema>;

/** Outputs: the group and the ids of its members (sorted), as last written or read. */
export type GroupMembersOutputs = GroupMembersInputs;

const RESOURCE_TYPE = resourceLabel(RESOURCE_KINDS.groupMembers);

// ---- provider ---------------------------------------------------------------------------------

/** The fact a membership's resources share (see knowledge.ts): another resource's delete must not undo it. */
const membershipFact = (groupId: string, userId: string) => `membership:${groupId}:${userId}`;

/** Sorted, so that the stored list and every diff ignore the order the program gave. */
const sorted = (ids: readonly string[]): string[] => [...ids].sort();

/**
 * Check failures of the member list that the schema cannot give: an id listed twice (naming both
 * places) and, in a list holding ids Pulumi does not know yet (preview), each known id that is not one.
 */
function listFailures(userIds: unknown): pulumi.dynamic.CheckFailure[] {
  if (!Array.isArray(userIds)) return [];
  const partlyUnknown = containsUnknown(userIds);
  const failures: pulumi.dynamic.CheckFailure[] = [];
  const firstAt = new Map<string, number>();
  userIds.forEach((value: unknown, i) => {
    if (containsUnknown(value)) return;
    const parsed = opaqueIdInput.safeParse(value);
    if (!parsed.success) {
      // A fully known list had its ids checked by the schema already.
      if (partlyUnknown) failures.push({ property: `userIds[${i}]`, reason: "must be an id (a non-empty string)" });
      return;
    }
    const first = firstAt.get(parsed.data);
    if (first === undefined) firstAt.set(parsed.data, i);
    else
      failures.push({
        property: `userIds[${i}]`,
        reason: `user ${parsed.data} is listed twice (also userIds[${first}])`,
      });
  });
  return failures;
}

/** The changes that bring `before` to `after`: members to add and members to remove. */
function differences(before: ReadonlySet<string>, after: readonly string[]): { add: string[]; remove: string[] } {
  const wanted = new Set(after);
  return { add: after.filter((id) => !before.has(id)), remove: [...before].filter((id) => !wanted.has(id)) };
}

/**
 * Sends the adds and removals (the run's scheduler paces them) and waits for all of them, so one
 * refused write does not leave the others unsent; then rethrows the first failure. Nothing is lost by
 * failing: every write may be repeated, and the next run computes what is still missing.
 */
async function applyChanges(groupId: string, changes: { add: string[]; remove: string[] }): Promise<void> {
  const results = await Promise.allSettled([
    // addGroupMember treats 409 (already a member) as success, removeGroupMember 404 (not a member).
    ...changes.add.map((userId) => namingUser(userId, () => addGroupMember(groupId, userId))),
    ...changes.remove.map((userId) => namingUser(userId, () => removeGroupMember(groupId, userId))),
  ]);
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
  const firstFailed = failed.at(0);
  if (!firstFailed) return;
  const first: unknown = firstFailed.reason;
  const others = failed.length - 1;
  if (others === 0 || !(first instanceof Error)) throw first;
  first.message = `${first.message} (and ${others} more membership change${others === 1 ? "" : "s"} of group ${groupId} failed)`;
  throw first;
}

/** The GroupMembers provider; served by `pulumi-travelperk/runtime` inside the provider process. */
export const groupMembersProviderImpl: ResourceProviderImpl<GroupMembersInputs, GroupMembersOutputs> = {
  check(_olds, news) {
    // The program's values, unvalidated: `userIds` may be anything until the schema says otherwise.
    const result = checkInputs(groupMembersSchema, RESOURCE_TYPE, news);
    const failures = [...(result.failures ?? []), ...listFailures(Reflect.get(news, "userIds"))];
    const inputs = result.inputs;
    if (failures.length > 0 || !inputs) return Promise.resolve({ failures });
    // The members this program declares: a resource of the same run that leaves the program (the
    // memberships of a group switched to authoritative, this group under its old name) must not remove
    // them. Deletes of resources gone from the program run after every check.
    if (!containsUnknown(inputs.groupId) && Array.isArray(inputs.userIds)) {
      const { knowledge } = currentRun();
      for (const userId of inputs.userIds)
        if (!containsUnknown(userId)) knowledge.noteFoundInPlace(membershipFact(inputs.groupId, userId));
    }
    // Ids of users still being created (preview) pass as they are; they are checked once known.
    const userIds = containsUnknown(inputs.userIds) ? inputs.userIds : sorted(inputs.userIds);
    return Promise.resolve({ inputs: { ...inputs, userIds } });
  },

  diff(_id, olds, news) {
    const replaces = changedKeys(olds, news, ["groupId"]);
    // Set semantics: the same members in another order are no change.
    const membersChanged =
      containsUnknown(news.userIds) || JSON.stringify(sorted(olds.userIds)) !== JSON.stringify(sorted(news.userIds));
    return Promise.resolve({
      changes: replaces.length > 0 || membersChanged,
      replaces,
      deleteBeforeReplace: false,
    });
  },

  async create(inputs) {
    const { groupId, userIds } = inputs;
    // The group is taken over as it is now: one listing (404 names an unknown group), then only the
    // differences are written; members the list does not name are removed.
    const current = await groupMembers(groupId);
    await applyChanges(groupId, differences(current, userIds));
    const { knowledge } = currentRun();
    for (const userId of userIds) knowledge.noteFoundInPlace(membershipFact(groupId, userId));
    return { id: groupId, outs: { groupId, userIds: sorted(userIds) } };
  },

  async read(id, props) {
    const groupId = props?.groupId ?? id;
    let members: ReadonlySet<string>;
    try {
      members = await groupMembers(groupId);
    } catch (error) {
      if (error instanceof NotFoundError) return {}; // the group is gone, and its member list with it
      throw error;
    }
    // Members added or removed outside Pulumi show as drift; the next `up` restores the list.
    const current = { groupId, userIds: sorted([...members]) };
    return { id, props: current, inputs: current };
  },

  async update(_id, olds, news) {
    const { groupId, userIds } = news;
    // Exactly what the plan showed: the stored list against the new one. Members who joined outside
    // Pulumi since the last refresh show (and go) after the next refresh.
    const { add, remove } = differences(new Set(olds.userIds), userIds);
    // What this run already knows of the group saves writes that would change nothing (no listing here).
    const known = currentRun().knowledge.knownMembers(groupId);
    await applyChanges(groupId, {
      add: add.filter((userId) => !known?.has(userId)),
      remove: remove.filter((userId) => !known || known.has(userId)),
    });
    return { outs: { groupId, userIds: sorted(userIds) } };
  },

  async delete(_id, props) {
    const { groupId } = props;
    const { knowledge } = currentRun();
    // Only the members this resource listed are removed (never the group). A member another resource of
    // this run declares (the group is additive now, or named anew) stays.
    const owned = props.userIds.filter((userId) => !knowledge.wasFoundInPlace(membershipFact(groupId, userId)));
    try {
      await applyChanges(groupId, { add: [], remove: owned });
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error; // the group is gone: nothing to remove
    }
  },
};

// ---- resource ---------------------------------------------------------------------------------

/**
 * The whole member list of a TravelPerk group (department). Creating it takes the group over: members
 * it does not list are removed. Refresh shows members changed outside Pulumi; `up` restores the list.
 * Deleting the resource removes the members it listed and leaves the group itself in place.
 */
export class GroupMembers extends pulumi.dynamic.Resource {
  /** The group's TravelPerk id. */
  declare readonly groupId: pulumi.Output<string>;
  /** The TravelPerk ids of the group's members, sorted. */
  declare readonly userIds: pulumi.Output<string[]>;

  /**
   * Declares a group's member list.
   *
   * @param name The resource's unique name in the Pulumi program.
   * @param args The group and every member it should have.
   * @param opts Pulumi resource options (`parent`, `dependsOn`, `protect`, …). Default: none.
   */
  constructor(name: string, args: GroupMembersArgs, opts?: pulumi.CustomResourceOptions) {
    super(groupMembersProvider, name, { ...args }, opts, DYNAMIC_MODULE, RESOURCE_KINDS.groupMembers);
  }
}
