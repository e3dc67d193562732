/** `/groups` (departments) and their members. Membership is not part of the user object. */
import { z } from "zod";
import { ConflictError, NotFoundError } from "./errors";
import { listAll, request } from "./request";
import { opaqueId } from "./users";

export interface Group {
  id: string;
  name: string;
}

const wireGroup = z.object({
  id: opaqueId,
  name: z
    .string()
    .nullish()
    .transform((n) => n ?? ""),
});
const wireMember = z.object({ group_id: opaqueId.optional(), user_id: opaqueId }).transform((m) => m.user_id);

export async function listGroups(): Promise<Group[]> {
  return listAll("/groups", wireGroup, { operation: "list groups" });
}

/** The ids of a group's members. */
export async function listGroupMembers(groupId: string): Promise<string[]> {
  return listAll(`/groups/${encodeURIComponent(groupId)}/members`, wireMember, {
    operation: "list group members",
    subject: `group ${groupId}`,
  });
}

/** Adds a member; an existing membership (409) is success. Safe to retry: a repeat answers 409. */
export async function addGroupMember(groupId: string, userId: string, subject?: string): Promise<void> {
  try {
    await request({
      method: "POST",
      path: `/groups/${encodeURIComponent(groupId)}/members`,
      body: { user_id: userId },
      schema: z.unknown(),
      idempotent: true,
      context: { operation: `add member to group ${groupId}`, subject: subject ?? userId },
    });
  } catch (error) {
    if (error instanceof ConflictError && error.status === 409) return;
    throw error;
  }
}

/** Removes a member; returns false when it was not a member (404), which callers treat as done. */
export async function removeGroupMember(groupId: string, userId: string, subject?: string): Promise<boolean> {
  try {
    await request({
      method: "DELETE",
      path: `/groups/${encodeURIComponent(groupId)}/members/${encodeURIComponent(userId)}`,
      context: { operation: `remove member from group ${groupId}`, subject: subject ?? userId },
    });
    return true;
  } catch (error) {
    if (error instanceof NotFoundError) return false;
    throw error;
  }
}
