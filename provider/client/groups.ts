/**
 * Groups (departments) and their members, through the run's transport (REST members or SCIM Groups),
 * with what the run knows of each group's members in front. Membership is not part of the user object.
 */
import { resolveUserApi } from "../config";
import { groupKey } from "./knowledge";
import type { Group, MembershipApi } from "./memberships/api";
import { restMembershipApi } from "./memberships/rest";
import { scimMembershipApi } from "./memberships/scim";
import { currentRun } from "./run";

export type { Group } from "./memberships/api";

const APIS = { rest: restMembershipApi, scim: scimMembershipApi } as const;

/** The membership API of the settings in force. */
function membershipApi(): MembershipApi {
  return APIS[resolveUserApi()];
}

/** Every group, read now. */
export async function listGroups(): Promise<Group[]> {
  return membershipApi().listGroups();
}

/** The ids of a group's members, read now. */
export async function listGroupMembers(groupId: string): Promise<string[]> {
  const { knowledge } = currentRun();
  const seq = knowledge.readStarted();
  const members = await membershipApi().listMembers(groupId);
  knowledge.learnMembers(groupId, members, seq);
  return members;
}

const memberListings = new WeakMap<object, Map<string, Promise<string[]>>>();

/**
 * A group's members, listed once per group per run (single-flight) and then kept current by this
 * run's own membership changes (see knowledge.ts). For a refresh (`forCreate` false) a list that a
 * write may have outdated is read again; before adding a member, the last list is good enough.
 */
export async function groupMembers(groupId: string, forCreate = false): Promise<ReadonlySet<string>> {
  const run = currentRun();
  const { knowledge } = run;
  const known = knowledge.knownMembers(groupId) ?? (forCreate ? knowledge.lastListedMembers(groupId) : undefined);
  if (known) return known;
  let listings = memberListings.get(run);
  if (!listings) memberListings.set(run, (listings = new Map<string, Promise<string[]>>()));
  let listing = listings.get(groupId);
  if (!listing) {
    const inFlight = listings;
    listing = listGroupMembers(groupId).finally(() => inFlight.delete(groupId));
    listings.set(groupId, listing);
  }
  return knowledge.knownMembers(groupId) ?? new Set(await listing);
}

/** Adds a member; an existing membership is success. Returns false when the user was a member already. */
export async function addGroupMember(groupId: string, userId: string, subject?: string): Promise<boolean> {
  const { knowledge } = currentRun();
  const added = await knowledge.whileWriting(groupKey(groupId), () => membershipApi().add(groupId, userId, subject));
  knowledge.noteMembership(groupId, userId, true);
  return added;
}

/** Removes a member; returns false when it was not a member, which callers treat as done. */
export async function removeGroupMember(groupId: string, userId: string, subject?: string): Promise<boolean> {
  const { knowledge } = currentRun();
  const removed = await knowledge.whileWriting(groupKey(groupId), () =>
    membershipApi().remove(groupId, userId, subject),
  );
  knowledge.noteMembership(groupId, userId, false);
  return removed;
}
