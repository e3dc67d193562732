/**
 * How the sandbox store names what it creates. The contract's ids: UUIDs for users, short prefixed ids
 * for policies, groups and cost centres (deliberately unlike user UUIDs, so nobody comes to rely on an
 * id shape). The live surface's: numbers per kind, "1", "2", ..., never reused, even past an explicit
 * id or a deleted record.
 */
import { randomBytes, randomUUID } from "node:crypto";

export type IdKind = "user" | "group" | "costCenter";
/** The next number of each kind (numeric ids only). */
export type NextIds = Record<IdKind, number>;

const SHORT_PREFIX: Record<Exclude<IdKind, "user">, string> = { group: "grp", costCenter: "cc" };
const isNumeric = (id: string) => /^\d+$/.test(id);

export class Ids {
  private next: NextIds = { user: 1, group: 1, costCenter: 1 };

  /** `taken` says whether an id of that kind is in use: a fresh number skips it. */
  constructor(
    readonly numeric: boolean,
    private readonly taken: (kind: IdKind, id: string) => boolean,
  ) {}

  /** A prefixed short id, whatever the mode: travel policies have no numeric ids. */
  static short(prefix: string): string {
    return `${prefix}_${randomBytes(4).toString("hex")}`;
  }

  /** A fresh id of this kind: the next number in numeric mode, else a UUID (users) or a short id. */
  fresh(kind: IdKind): string {
    if (!this.numeric) return kind === "user" ? randomUUID() : Ids.short(SHORT_PREFIX[kind]);
    while (this.taken(kind, String(this.next[kind]))) this.next[kind]++;
    return String(this.next[kind]++);
  }

  /** An explicit numeric id moves the counter past it, so it is never handed out again. */
  claim(kind: IdKind, id: string): void {
    if (isNumeric(id)) this.next[kind] = Math.max(this.next[kind], Number(id) + 1);
  }

  /** The counters, for the state file. */
  counters(): NextIds {
    return { ...this.next };
  }

  /** Restores the counters of a state file, past every numeric id in `existing` (older files have no counters). */
  restore(saved: Partial<NextIds> | undefined, existing: Record<IdKind, Iterable<string>>): void {
    const after = (ids: Iterable<string>) => Math.max(0, ...[...ids].filter(isNumeric).map(Number)) + 1;
    this.next = {
      user: Math.max(saved?.user ?? 1, after(existing.user)),
      group: Math.max(saved?.group ?? 1, after(existing.group)),
      costCenter: Math.max(saved?.costCenter ?? 1, after(existing.costCenter)),
    };
  }
}
