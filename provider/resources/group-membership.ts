/**
 * `travelperk:GroupMembership`: one user in one department group. Either input changing means a
 * different membership: the resource is replaced (the new one added before the old one is removed).
 */
import * as pulumi from "@pulumi/pulumi";
import { NotFoundError } from "../client/errors";
import { addGroupMember, groupMembers, removeGroupMember } from "../client/groups";
import { currentRun } from "../client/run";
import membershipProvider from "../entry/group-membership";
import { opaqueIdInput } from "../input-schemas";
import { DYNAMIC_MODULE, RESOURCE_KINDS, resourceLabel } from "../type-tokens";
import type { ConnectionArgs, ResourceProviderImpl } from "./connection";
import { namingUser } from "./subject";
import { changedKeys, schemaCheck } from "./validation";
import { z } from "zod";

/** Arguments of a {@link GroupMembership}. */
export interface GroupMembershipArgs extends ConnectionArgs {
  /** TravelPerk id of the group (department), e.g. from `getGroup`. Changing it replaces the membership. */
  groupId: pulumi.Input<string>;
  /** TravelPerk id of the user, e.g. a `User`'s `id`. Changing it replaces the membership. */
  userId: pulumi.Input<string>;
}

const membershipSchema = z.object({ groupId: opaqueIdInput, userId: opaqueIdInput });

/** Inputs and outputs are the same two ids. */
export type GroupMembershipState = z.infer<typeof membershipSchema>;

/** The GroupMembership provider; served by `pulumi-travelperk/runtime` inside the provider process. */
export const groupMembershipProviderImpl: ResourceProviderImpl<GroupMembershipState, GroupMembershipState> = {
  check: schemaCheck(membershipSchema, RESOURCE_KINDS.groupMembership),

  diff(_id, olds, news) {
    const replaces = changedKeys(olds, news, ["groupId", "userId"]);
    return Promise.resolve({ changes: replaces.length > 0, replaces, deleteBeforeReplace: false });
  },

  async create({ groupId, userId }) {
    // The group's member list is read once per process: an adopted user already in it costs no write.
    // When it cannot be read, the POST below reports why (404 for an unknown group, naming the user).
    const members = await groupMembers(groupId, true).catch(() => undefined);
    // 409 (already a member) counts as success inside addGroupMember.
    const added = !members?.has(userId) && (await namingUser(userId, () => addGroupMember(groupId, userId)));
    if (!added) currentRun().knowledge.noteFoundInPlace(`membership:${groupId}:${userId}`);
    return { id: `${groupId}:${userId}`, outs: { groupId, userId } };
  },

  async read(id, props) {
    // A refresh reads with the state's outputs, the two ids; a membership has no other way to be found.
    if (!props)
      throw new Error(`${resourceLabel(RESOURCE_KINDS.groupMembership)} ${id} can only be read from its state`);
    const { groupId, userId } = props;
    let members: ReadonlySet<string>;
    try {
      members = await groupMembers(groupId);
    } catch (error) {
      if (error instanceof NotFoundError) return {}; // the group is gone, and the membership with it
      throw error;
    }
    return members.has(userId) ? { id, props: { groupId, userId }, inputs: { groupId, userId } } : {};
  },

  update(_id, _olds, { groupId, userId }) {
    // Unreachable in practice: every change of inputs is a replacement (see diff).
    return Promise.resolve({ outs: { groupId, userId } });
  },

  async delete(_id, { groupId, userId }) {
    // Another resource of this run took this membership over (found it in place): it is not removed.
    if (currentRun().knowledge.wasFoundInPlace(`membership:${groupId}:${userId}`)) return;
    // Not a member any more (404) counts as done.
    await namingUser(userId, () => removeGroupMember(groupId, userId));
  },
};

/** A user's membership of a TravelPerk group (department). Removing the resource removes the membership. */
export class GroupMembership extends pulumi.dynamic.Resource {
  /** The group's TravelPerk id. */
  declare readonly groupId: pulumi.Output<string>;
  /** The user's TravelPerk id. */
  declare readonly userId: pulumi.Output<string>;

  /**
   * Declares a membership.
   *
   * @param name The resource's unique name in the Pulumi program.
   * @param args The group and the user.
   * @param opts Pulumi resource options (`parent`, `dependsOn`, `protect`, …). Default: none.
   */
  constructor(name: string, args: GroupMembershipArgs, opts?: pulumi.CustomResourceOptions) {
    super(membershipProvider, name, { ...args }, opts, DYNAMIC_MODULE, RESOURCE_KINDS.groupMembership);
  }
}
