/** Groups and members through SCIM `Groups`: members are read from the group, changed by PatchOp. */
import { z } from "zod";
import { listAllScim } from "../listing";
import { request } from "../request";
import { SCIM_PATCH_OP, opaqueId } from "../wire";
import type { MembershipApi } from "./api";

const scimGroup = z
  .looseObject({ id: opaqueId, displayName: z.string().nullish() })
  .transform((g) => ({ id: g.id, name: g.displayName ?? "" }));
const groupWithMembers = z.looseObject({
  members: z.array(z.looseObject({ value: opaqueId })).nullish(),
});
const groupPath = (groupId: string) => `/Groups/${encodeURIComponent(groupId)}`;

function patchGroup(groupId: string, operation: object, name: string, subject: string) {
  return request({
    method: "PATCH",
    path: groupPath(groupId),
    surface: "scim",
    body: { schemas: [SCIM_PATCH_OP], Operations: [operation] },
    schema: z.unknown(),
    context: { operation: name, subject },
  });
}

/** The SCIM transport's groups. */
export const scimMembershipApi: MembershipApi = {
  kind: "scim",

  // Members are left out of the listing: a group's members are read once, when needed.
  listGroups: () => listAllScim("/Groups", scimGroup, { operation: "list groups" }, { excludedAttributes: "members" }),

  async listMembers(groupId) {
    const group = await request({
      method: "GET",
      path: groupPath(groupId),
      surface: "scim",
      schema: groupWithMembers,
      context: { operation: "list group members", subject: `group ${groupId}` },
    });
    return (group.members ?? []).map((member) => member.value);
  },

  async add(groupId, userId, subject) {
    // Adding a member twice is no error in SCIM (RFC 7644 §3.5.2.1): the caller knows from the list.
    const value = [{ value: userId }];
    await patchGroup(
      groupId,
      { op: "add", path: "members", value },
      `add member to group ${groupId}`,
      subject ?? userId,
    );
    return true;
  },

  async remove(groupId, userId, subject) {
    const path = `members[value eq ${JSON.stringify(userId)}]`;
    await patchGroup(groupId, { op: "remove", path }, `remove member from group ${groupId}`, subject ?? userId);
    return true;
  },
};
