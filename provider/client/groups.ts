/** `/groups` (departments) and their members. Membership is not part of the user object. */
import { z } from "zod";
import { ConflictError, NotFoundError } from "./errors";
import {
  groupKey,
  knownMembers,
  lastListedMembers,
  learnMembers,
  noteMembership,
  readStarted,
  whileWriting,
} from "./knowledge";
import { listAll, request } from "./request";
import { opaqueId, wireNamed } from "./users";

/** A TravelPerk group (a department), as {@link getGroup} returns it. */
export interface Group {
  /** The group's TravelPerk id. */
  id: string;
  /** The group's name; an empty string when TravelPerk has none. */
  name: string;
}

const wireMember = z.object({ group_id: opaqueId.optional(), user_id: opaqueId }).transform((m) => m.user_id);

export async function listGroups(): Promise<Group[]> {
  return listAll("/groups", wireNamed, { operation: "list groups" });
}

/** The ids of a group's members. */
export async function listGroupMembers(groupId: string): Promise<string[]> {
  const seq = readStarted();
  const members = await listAll(`/groups/${encodeURIComponent(groupId)}/members`, wireMember, {
    operation: "list group members",
    subject: `group ${groupId}`,
  });
  learnMembers(groupId, members, seq);
  return members;
}

const memberListings = new Map<string, Promise<string[]>>();

/**
 * A group's members, listed once per group per process (single-flight) and then kept current by this
 * process's own membership changes (see knowledge.ts). For a refresh (`forCreate` false) a list that a
 * write may have outdated is read again; before adding a member, the last list is good enough.
 */
export async function groupMembers(groupId: string, forCreate = false): Promise<ReadonlySet<string>> {
  const known = knownMembers(groupId) ?? (forCreate ? lastListedMembers(groupId) : undefined);
  if (known) return known;
  let listing = memberListings.get(groupId);
  if (!listing) {
    listing = listGroupMembers(groupId).finally(() => memberListings.delete(groupId));
    memberListings.set(groupId, listing);
  }
  return knownMembers(groupId) ?? new Set(await listing);
}

/**
 * Adds a member; an existing membership (409) is success. Safe to retry: a repeat answers 409.
 * Returns false when the user was a member already.
 */
export async function addGroupMember(groupId: string, userId: string, subject?: string): Promise<boolean> {
  let added = true;
  try {
    await whileWriting(groupKey(groupId), () =>
      request({
        method: "POST",
        path: `/groups/${encodeURIComponent(groupId)}/members`,
        body: { user_id: userId },
        schema: z.unknown(),
        idempotent: true,
        context: { operation: `add member to group ${groupId}`, subject: subject ?? userId },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConflictError && error.status === 409)) throw error;
    added = false;
  }
  noteMembership(groupId, userId, true);
  return added;
}

/** Removes a member; returns false when it was not a member (404), which callers treat as done. */
export async function removeGroupMember(groupId: string, userId: string, subject?: string): Promise<boolean> {
  try {
    await whileWriting(groupKey(groupId), () =>
      request({
        method: "DELETE",
        path: `/groups/${encodeURIComponent(groupId)}/members/${encodeURIComponent(userId)}`,
        context: { operation: `remove member from group ${groupId}`, subject: subject ?? userId },
      }),
    );
    noteMembership(groupId, userId, false);
    return true;
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    noteMembership(groupId, userId, false);
    return false;
  }
}
