/**
 * The sandbox's in-memory organisation: users, travel policies, groups and memberships, with SCIM meta
 * and ids. No HTTP and no validation here (user-fields.ts validates REST bodies); REST, SCIM and the
 * admin API share it. The live surface adds cost centres (derived from users' `cost_center`), invoice
 * profiles, numeric ids and the SCIM attributes that have no REST field (`SandboxUser.scim`).
 */
import { randomUUID } from "node:crypto";
import { type IdKind, Ids } from "./ids";
import type { CostCenter, InvoiceProfile, Meta, Named, SandboxUser, Snapshot } from "./records";
import { SEED_COST_CENTERS, SEED_GROUPS, SEED_POLICIES, SEED_PROFILES } from "./seed";

export type { Named, SandboxUser, Snapshot } from "./records"; // the types tests name from here

export interface StoreOptions {
  /** "uuid" (the contract's; groups and policies get prefixed short ids) or "numeric" ("1", "2", ...). */
  ids?: "uuid" | "numeric";
  /** Keep cost centres and invoice profiles (the live surface). */
  live?: boolean;
}

const copy = <T>(value: T): T => structuredClone(value);
/** Shallow copies of a map's records, in insertion order. */
const copies = <T extends object>(records: Map<string, T>): T[] => [...records.values()].map((r) => ({ ...r }));
/** A shallow copy of one record of a map; undefined when there is none. */
const copyOf = <T extends object>(records: Map<string, T>, id: string): T | undefined => {
  const r = records.get(id);
  return r && { ...r };
};
const sameEmail = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const newMeta = (): Meta => {
  const now = new Date().toISOString();
  return { created: now, lastModified: now, version: 1 };
};

export class Store {
  private users = new Map<string, SandboxUser>(); // a Map iterates in insertion order = creation order
  private policies = new Map<string, Named>();
  private groups = new Map<string, Named>();
  private members = new Map<string, string[]>(); // group id -> user ids, in order of joining
  private userMeta = new Map<string, Meta>();
  private groupMeta = new Map<string, Meta>();
  private groupScim = new Map<string, Record<string, unknown>>();
  private costCenters = new Map<string, CostCenter>();
  private profiles: InvoiceProfile[] = [];
  private readonly ids: Ids;
  private readonly live: boolean;

  /** `onChange` runs after every mutation (the server persists on it). */
  constructor(
    private readonly onChange: () => void = () => {},
    options: StoreOptions = {},
  ) {
    this.ids = new Ids(options.ids === "numeric", (kind, id) => this.taken(kind, id));
    this.live = options.live === true;
  }

  seed(withData: boolean): void {
    this.load({ users: [], policies: [], groups: [], members: {} });
    if (withData) {
      SEED_POLICIES.forEach((name) => this.addPolicy(name));
      SEED_GROUPS.forEach((name) => this.addGroup(name));
      if (this.live) {
        SEED_COST_CENTERS.forEach((name) => this.addCostCenter(name));
        this.profiles = SEED_PROFILES.map((p) => ({ id: randomUUID(), ...structuredClone(p) }));
      }
    }
    this.onChange();
  }

  snapshot(): Snapshot {
    return {
      users: this.listUsers(),
      policies: this.listPolicies(),
      groups: this.listGroups(),
      members: copy(Object.fromEntries(this.members)),
      meta: copy({ users: Object.fromEntries(this.userMeta), groups: Object.fromEntries(this.groupMeta) }),
      ...(this.groupScim.size && { groupScim: copy(Object.fromEntries(this.groupScim)) }),
      ...(this.live && { costCenters: this.listCostCenters(), profiles: this.listProfiles() }),
      ...(this.ids.numeric && { next: this.ids.counters() }),
    };
  }

  load(s: Snapshot): void {
    this.users = new Map(s.users.map((u) => [u.id, copy(u)]));
    this.policies = new Map(s.policies.map((p) => [p.id, { ...p }]));
    this.groups = new Map(s.groups.map((g) => [g.id, { ...g }]));
    this.members = new Map(s.groups.map((g) => [g.id, [...(s.members[g.id] ?? [])]]));
    // Files written before meta existed get it now.
    const metaOf = (ids: Iterable<string>, saved: Partial<Record<string, Meta>> = {}) =>
      new Map([...ids].map((id) => [id, { ...(saved[id] ?? newMeta()) }]));
    this.userMeta = metaOf(this.users.keys(), s.meta?.users);
    this.groupMeta = metaOf(this.groups.keys(), s.meta?.groups);
    this.groupScim = new Map(Object.entries(copy(s.groupScim ?? {})).filter(([id]) => this.groups.has(id)));
    this.costCenters = new Map((s.costCenters ?? []).map((c) => [c.id, { ...c }]));
    this.profiles = (s.profiles ?? []).map((p) => structuredClone(p));
    this.ids.restore(s.next, {
      user: this.users.keys(),
      group: this.groups.keys(),
      costCenter: this.costCenters.keys(),
    });
    for (const u of this.users.values()) this.ensureCostCenter(u.cost_center);
  }

  // ---- users: every read is a copy, so callers never edit the store by accident ----
  listUsers(): SandboxUser[] {
    return [...this.users.values()].map(copy);
  }
  getUser(id: string): SandboxUser | undefined {
    const u = this.users.get(id);
    return u && copy(u);
  }
  findUserByEmail(email: string): SandboxUser | undefined {
    return this.listUsers().find((u) => sameEmail(u.email, email));
  }
  /** True when a user other than `exceptId` has this e-mail; uniqueness is case-insensitive. */
  emailTaken(email: string, exceptId?: string): boolean {
    return [...this.users.values()].some((u) => u.id !== exceptId && sameEmail(u.email, email));
  }
  userMetaOf(id: string): Meta | undefined {
    return copyOf(this.userMeta, id);
  }

  /** Stores the given fields as they are: no defaults, no validation beyond unique id and e-mail. */
  insertUser(u: Partial<SandboxUser> & { email: string }): SandboxUser {
    const { id = this.ids.fresh("user"), ...rest } = copy(u);
    if (this.users.has(id)) throw new Error(`user id ${id} already exists`);
    if (this.emailTaken(rest.email)) throw new Error(`e-mail ${rest.email} already exists`);
    this.ids.claim("user", id);
    const user = { id, ...rest };
    this.users.set(id, user);
    this.userMeta.set(id, newMeta());
    this.ensureCostCenter(user.cost_center);
    this.onChange();
    return copy(user);
  }

  /** Merges `patch` into the user; a key set to `undefined` is removed (the field becomes absent). */
  updateUser(id: string, patch: Partial<SandboxUser>): SandboxUser {
    const user = this.users.get(id);
    if (!user) throw new Error(`no user ${id}`);
    if (patch.email !== undefined && this.emailTaken(patch.email, id))
      throw new Error(`e-mail ${patch.email} already exists`);
    const fields: Record<string, unknown> = user;
    for (const [key, value] of Object.entries<unknown>(copy(patch))) {
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- a wire record, not a map: the field becomes absent
      if (value === undefined) delete fields[key];
      else if (key !== "id") fields[key] = value;
    }
    this.touch(this.userMeta, id);
    this.ensureCostCenter(user.cost_center);
    this.onChange();
    return copy(user);
  }

  deleteUser(id: string): void {
    if (!this.users.delete(id)) throw new Error(`no user ${id}`);
    this.userMeta.delete(id);
    for (const [gid, ids] of this.members)
      if (ids.includes(id)) {
        this.members.set(
          gid,
          ids.filter((u) => u !== id),
        );
        this.touch(this.groupMeta, gid);
      }
    this.onChange();
  }

  // ---- policies, groups, memberships ----
  listPolicies(): Named[] {
    return copies(this.policies);
  }
  getPolicy(id: string): Named | undefined {
    return copyOf(this.policies, id);
  }
  addPolicy(name: string): Named {
    return this.add(this.policies, { id: Ids.short("pol"), name });
  }
  listGroups(): Named[] {
    return copies(this.groups);
  }
  getGroup(id: string): Named | undefined {
    return copyOf(this.groups, id);
  }
  groupMetaOf(id: string): Meta | undefined {
    return copyOf(this.groupMeta, id);
  }
  /** The group's SCIM attributes with no field in Named (externalId); empty when none. */
  groupScimOf(id: string): Record<string, unknown> {
    return copy(this.groupScim.get(id) ?? {});
  }
  /**
   * Creates (no `id`) or replaces a group with its name, members and SCIM attributes in one write:
   * one version step, as SCIM sees it.
   */
  writeGroup(id: string | undefined, group: { name: string; members: string[]; scim: Record<string, unknown> }): Named {
    const target = id === undefined ? undefined : this.groups.get(id);
    if (id !== undefined && !target) throw new Error(`no group ${id}`);
    const saved = target ?? this.add(this.groups, { id: this.ids.fresh("group"), name: group.name });
    const gid = saved.id;
    this.groups.set(gid, { id: gid, name: group.name });
    this.members.set(gid, [...new Set(group.members)]);
    if (Object.keys(group.scim).length) this.groupScim.set(gid, copy(group.scim));
    else this.groupScim.delete(gid);
    if (target) this.touch(this.groupMeta, gid);
    else this.groupMeta.set(gid, newMeta());
    this.onChange();
    return { id: gid, name: group.name };
  }
  addGroup(name: string): Named {
    const group = this.add(this.groups, { id: this.ids.fresh("group"), name });
    this.groupMeta.set(group.id, newMeta());
    return group;
  }
  deleteGroup(id: string): boolean {
    const existed = this.members.delete(id) && this.groups.delete(id);
    this.groupMeta.delete(id);
    this.groupScim.delete(id);
    this.onChange();
    return existed;
  }
  groupMembers(groupId: string): string[] {
    return [...(this.members.get(groupId) ?? [])];
  }
  setMembers(groupId: string, userIds: string[]): void {
    this.members.set(groupId, [...new Set(userIds)]);
    this.touch(this.groupMeta, groupId);
    this.onChange();
  }

  // ---- live surface: cost centres and invoice profiles ----
  listCostCenters(): CostCenter[] {
    return copies(this.costCenters);
  }
  getCostCenter(id: string): CostCenter | undefined {
    return copyOf(this.costCenters, id);
  }
  addCostCenter(name: string): CostCenter {
    const center = { id: this.ids.fresh("costCenter"), name, archived: false };
    this.costCenters.set(center.id, center);
    this.onChange();
    return { ...center };
  }
  /** The ids of the users whose `cost_center` is this cost centre's name, in creation order. */
  costCenterMembers(id: string): string[] {
    const name = this.costCenters.get(id)?.name;
    return [...this.users.values()].filter((u) => name !== undefined && u.cost_center === name).map((u) => u.id);
  }
  /** Makes exactly these users the members: they get its name as `cost_center`, former members lose theirs. */
  setCostCenterMembers(id: string, userIds: string[]): void {
    const center = this.costCenters.get(id);
    if (!center) throw new Error(`no cost centre ${id}`);
    const wanted = new Set(userIds);
    for (const user of this.users.values()) {
      const was = user.cost_center === center.name;
      if (was === wanted.has(user.id)) continue;
      user.cost_center = was ? null : center.name;
      this.touch(this.userMeta, user.id);
    }
    this.onChange();
  }
  listProfiles(): InvoiceProfile[] {
    return this.profiles.map((p) => structuredClone(p));
  }

  private ensureCostCenter(name: string | null | undefined): void {
    if (!this.live || typeof name !== "string" || name === "") return;
    if (![...this.costCenters.values()].some((c) => c.name === name)) this.addCostCenter(name);
  }

  private add(into: Map<string, Named>, item: Named): Named {
    if (into === this.groups) this.members.set(item.id, []); // a new group has no members
    into.set(item.id, item);
    this.onChange();
    return { ...item };
  }

  private touch(metas: Map<string, Meta>, id: string): void {
    const meta = metas.get(id) ?? newMeta();
    metas.set(id, { ...meta, lastModified: new Date().toISOString(), version: meta.version + 1 });
  }

  private taken(kind: IdKind, id: string): boolean {
    return (kind === "user" ? this.users : kind === "group" ? this.groups : this.costCenters).has(id);
  }
}
