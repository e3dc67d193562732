/**
 * What this provider process knows about users and group members, so that a refresh of N users costs
 * one listing (pages of 200) instead of N GETs, and so that writes that would change nothing are not
 * sent. The engine starts one provider process per command, so this knowledge lives for one command.
 *
 * Freshness is by sequence: every read and every write gets a tick when it starts or ends. A fact is
 * trusted only when it was read after the last write to that user (or group) had finished, and while
 * no write to it is in flight. The create path never asks this cache whether an e-mail exists: after a
 * 422 it lists users afresh (see `freshUserListing`).
 */
import type { User } from "./users";

let clock = 0;
const tick = () => ++clock;

interface Known<T> {
  value: T;
  seq: number;
}

const users = new Map<string, Known<User>>();
const groups = new Map<string, Known<Set<string>>>();
const writtenAt = new Map<string, number>();
const writesInFlight = new Map<string, number>();

function trusted<T>(key: string, entry: Known<T> | undefined): T | undefined {
  if (!entry || (writesInFlight.get(key) ?? 0) > 0) return undefined;
  return entry.seq > (writtenAt.get(key) ?? 0) ? entry.value : undefined;
}

/** Marks the start of a read; pass the result to `learnUsers`/`learnMembers`. */
export function readStarted(): number {
  return tick();
}

/** Records users read by a request that started at `seq`. */
export function learnUsers(list: readonly User[], seq: number): void {
  for (const user of list) {
    const existing = users.get(user.id);
    if (!existing || existing.seq < seq) users.set(user.id, { value: user, seq });
  }
}

/** Records a group's members read by a request that started at `seq`. */
export function learnMembers(groupId: string, members: readonly string[], seq: number): void {
  const existing = groups.get(groupKey(groupId));
  if (!existing || existing.seq < seq) groups.set(groupKey(groupId), { value: new Set(members), seq });
}

/** The key of a group's member list among the facts. */
export const groupKey = (groupId: string) => `group:${groupId}`;

/** Runs a write to `key` (a user id, or `groupKey(id)`); facts about it are untrusted until it ends. */
export async function whileWriting<T>(key: string, write: () => Promise<T>): Promise<T> {
  writesInFlight.set(key, (writesInFlight.get(key) ?? 0) + 1);
  try {
    return await write();
  } finally {
    writesInFlight.set(key, (writesInFlight.get(key) ?? 1) - 1);
    writtenAt.set(key, tick());
  }
}

/** A user as last read, if that read is still trustworthy. */
export function knownUser(id: string): User | undefined {
  return trusted(id, users.get(id));
}

/** A group's members as last read, if still trustworthy. */
export function knownMembers(groupId: string): ReadonlySet<string> | undefined {
  return trusted(groupKey(groupId), groups.get(groupKey(groupId)));
}

/**
 * A group's members as last read and kept by this process's own changes, even while other membership
 * writes to the group are in flight. Good enough to skip adding someone who is already a member (a
 * wrong answer costs one POST answered 409); never used to answer a refresh.
 */
export function lastListedMembers(groupId: string): ReadonlySet<string> | undefined {
  return groups.get(groupKey(groupId))?.value;
}

/** After a membership change succeeded (call it once the write has ended): the known members follow. */
export function noteMembership(groupId: string, userId: string, member: boolean): void {
  const entry = groups.get(groupKey(groupId));
  if (!entry) return;
  if (member) entry.value.add(userId);
  else entry.value.delete(userId);
  entry.seq = tick();
}

/** Set once every user has been listed in this process. */
let snapshot: Promise<void> | undefined;

/** Loads every user once per process (single-flight); reads are then served from what it learned. */
export function ensureSnapshot(listAll: () => Promise<unknown>): Promise<void> {
  snapshot ??= listAll().then(
    () => undefined,
    (error: unknown) => {
      snapshot = undefined; // a failed listing may be tried again
      throw error;
    },
  );
  return snapshot;
}

/**
 * Memberships and policy assignments that a create of this process found already in place. When the
 * same run then deletes another resource holding the same fact (a roster key changed, a resource was
 * renamed), that delete must not undo what the new resource now owns.
 */
const foundInPlace = new Set<string>();

/** Records that a create found `fact` (e.g. `membership:<group>:<user>`) already true. */
export function noteFoundInPlace(fact: string): void {
  foundInPlace.add(fact);
}

/** Whether a create of this process found `fact` already true (and so owns it now). */
export function wasFoundInPlace(fact: string): boolean {
  return foundInPlace.has(fact);
}

/** Forgets everything (tests; a new credential). */
export function forgetAll(): void {
  foundInPlace.clear();
  users.clear();
  groups.clear();
  writtenAt.clear();
  writesInFlight.clear();
  snapshot = undefined;
}
