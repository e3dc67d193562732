/**
 * What this provider process knows about users and group members, so that a refresh of N users costs
 * one listing (pages of 200) instead of N GETs, and so that writes that would change nothing are not
 * sent. It belongs to the run (see run.ts): a new command starts with nothing known.
 *
 * Freshness is by sequence: every read and every write gets a tick when it starts or ends. A fact is
 * trusted only when it was read after the last write to that user (or group) had finished, and while
 * no write to it is in flight. The create path never asks this cache whether an e-mail exists: after a
 * 422 or a lost answer it reads afresh (`findUserByEmail` in users/index.ts).
 */
import type { User } from "./users/model";

interface Known<T> {
  value: T;
  seq: number;
}

/** The key of a group's member list among the facts. */
export const groupKey = (groupId: string) => `group:${groupId}`;

/** What one run knows about users and group members, and how fresh each fact is. */
export class Knowledge {
  private clock = 0;
  private readonly users = new Map<string, Known<User>>();
  private readonly groups = new Map<string, Known<Set<string>>>();
  private readonly writtenAt = new Map<string, number>();
  private readonly writesInFlight = new Map<string, number>();
  /** Set once every user has been listed in this run. */
  private snapshot: Promise<void> | undefined;
  /**
   * Memberships and policy assignments that a create of this run found already in place, and the
   * members a `GroupMembers` of this run's program lists (its check notes them). When the same run then
   * deletes another resource holding the same fact (a roster key changed, a resource was renamed, a
   * group switched between additive and authoritative), that delete must not undo what a resource
   * still in the program now owns.
   */
  private readonly foundInPlace = new Set<string>();

  private tick(): number {
    return ++this.clock;
  }

  private trusted<T>(key: string, entry: Known<T> | undefined): T | undefined {
    if (!entry || (this.writesInFlight.get(key) ?? 0) > 0) return undefined;
    return entry.seq > (this.writtenAt.get(key) ?? 0) ? entry.value : undefined;
  }

  /** Marks the start of a read; pass the result to `learnUsers`/`learnMembers`. */
  readStarted(): number {
    return this.tick();
  }

  /** Records users read by a request that started at `seq`. */
  learnUsers(list: readonly User[], seq: number): void {
    for (const user of list) {
      const existing = this.users.get(user.id);
      if (!existing || existing.seq < seq) this.users.set(user.id, { value: user, seq });
    }
  }

  /** Records a group's members read by a request that started at `seq`. */
  learnMembers(groupId: string, members: readonly string[], seq: number): void {
    const existing = this.groups.get(groupKey(groupId));
    if (!existing || existing.seq < seq) this.groups.set(groupKey(groupId), { value: new Set(members), seq });
  }

  /** Runs a write to `key` (a user id, or `groupKey(id)`); facts about it are untrusted until it ends. */
  async whileWriting<T>(key: string, write: () => Promise<T>): Promise<T> {
    this.writesInFlight.set(key, (this.writesInFlight.get(key) ?? 0) + 1);
    try {
      return await write();
    } finally {
      this.writesInFlight.set(key, (this.writesInFlight.get(key) ?? 1) - 1);
      this.writtenAt.set(key, this.tick());
    }
  }

  /** A user as last read, if that read is still trustworthy. */
  knownUser(id: string): User | undefined {
    return this.trusted(id, this.users.get(id));
  }

  /** A group's members as last read, if still trustworthy. */
  knownMembers(groupId: string): ReadonlySet<string> | undefined {
    return this.trusted(groupKey(groupId), this.groups.get(groupKey(groupId)));
  }

  /**
   * A group's members as last read and kept by this run's own changes, even while other membership
   * writes to the group are in flight. Good enough to skip adding someone who is already a member (a
   * wrong answer costs one write answered "already a member"); never used to answer a refresh.
   */
  lastListedMembers(groupId: string): ReadonlySet<string> | undefined {
    return this.groups.get(groupKey(groupId))?.value;
  }

  /** After a membership change succeeded (call it once the write has ended): the known members follow. */
  noteMembership(groupId: string, userId: string, member: boolean): void {
    const entry = this.groups.get(groupKey(groupId));
    if (!entry) return;
    if (member) entry.value.add(userId);
    else entry.value.delete(userId);
    entry.seq = this.tick();
  }

  /** Loads every user once per run (single-flight); reads are then served from what it learned. */
  ensureSnapshot(listAll: () => Promise<unknown>): Promise<void> {
    this.snapshot ??= listAll().then(
      () => undefined,
      (error: unknown) => {
        this.snapshot = undefined; // a failed listing may be tried again
        throw error;
      },
    );
    return this.snapshot;
  }

  /** Records that a create found `fact` (e.g. `membership:<group>:<user>`) already true. */
  noteFoundInPlace(fact: string): void {
    this.foundInPlace.add(fact);
  }

  /** Whether a create of this run found `fact` already true (and so owns it now). */
  wasFoundInPlace(fact: string): boolean {
    return this.foundInPlace.has(fact);
  }
}
