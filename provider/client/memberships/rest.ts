/** Groups and members of the guide's REST API: `/groups` and `/groups/{id}/members`. */
import { z } from "zod";
import { ConflictError, NotFoundError } from "../errors";
import { listAll } from "../listing";
import { request } from "../request";
import { opaqueId, wireNamed } from "../wire";
import type { MembershipApi } from "./api";

const wireMember = z.object({ group_id: opaqueId.optional(), user_id: opaqueId }).transform((m) => m.user_id);
const membersPath = (groupId: string) => `/groups/${encodeURIComponent(groupId)}/members`;

/** The REST transport's groups. */
export const restMembershipApi: MembershipApi = {
  kind: "rest",

  listGroups: () => listAll("/groups", wireNamed, { operation: "list groups" }),

  listMembers: (groupId) =>
    listAll(membersPath(groupId), wireMember, { operation: "list group members", subject: `group ${groupId}` }),

  async add(groupId, userId, subject) {
    try {
      await request({
        method: "POST",
        path: membersPath(groupId),
        body: { user_id: userId },
        schema: z.unknown(),
        repeat: true, // a repeat answers 409
        context: { operation: `add member to group ${groupId}`, subject: subject ?? userId },
      });
      return true;
    } catch (error) {
      if (error instanceof ConflictError && error.status === 409) return false; // a member already
      throw error;
    }
  },

  async remove(groupId, userId, subject) {
    try {
      await request({
        method: "DELETE",
        path: `${membersPath(groupId)}/${encodeURIComponent(userId)}`,
        context: { operation: `remove member from group ${groupId}`, subject: subject ?? userId },
      });
      return true;
    } catch (error) {
      if (error instanceof NotFoundError) return false; // not a member
      throw error;
    }
  },
};
