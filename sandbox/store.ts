/**
 * The sandbox's in-memory organisation: users, travel policies, groups and memberships, plus the
 * validation the REST API applies to user bodies. No HTTP here; REST, SCIM and the admin API share it.
 * The live surface adds cost centres (derived from users' `cost_center`), invoice profiles, numeric
 * ids and the SCIM attributes that have no REST field (`SandboxUser.scim`).
 */
import { randomBytes, randomUUID } from "node:crypto";

export type Role = "traveler" | "travel_manager" | "company_admin";
export type Gender = "male" | "female" | "other";
export interface Named {
  id: string;
  name: string;
}

/** A user as the wire shows it. Only `id` and `email` are guaranteed: odd accounts lack the rest. */
export type SandboxUser = {
  id: string;
  email: string;
  first_name?: string | null;
  last_name?: string | null;
  role?: Role | null;
  gender?: Gender | null;
  phone_number?: string | null;
  language?: string | null;
  date_of_birth?: string | null;
  nationality?: string | null;
  invoicing_profiles?: { id: string }[] | null;
  travel_policy?: Named | null;
  manager_id?: string | null;
  cost_center?: string | null;
  is_active?: boolean | null;
  /**
   * The SCIM attributes a client sent that have no field above (externalId, displayName, title,
   * name.middleName, other e-mails, enterprise department, the emergency contact...), as a SCIM
   * document fragment; absent when there are none. Never shown by the contract's REST API.
   */
  scim?: Record<string, unknown>;
};

/** SCIM `meta` of a user or group: set on creation, `lastModified` and `version` move on every write. */
export interface Meta {
  created: string;
  lastModified: string;
  version: number;
}

/** A cost centre of the live surface; its members are the users whose `cost_center` is its name. */
export interface CostCenter {
  id: string;
  name: string;
  archived: boolean;
}

/** An invoice profile of the live surface, with the billing fields the public clients record. */
export interface InvoiceProfile extends Named {
  payment_method_type: "automatic" | "manual";
  billing_period: "instant" | "weekly" | "biweekly" | "monthly";
  currency: string;
  billing_information: {
    legal_name: string;
    vat_number: string | null;
    address_line_1: string;
    address_line_2: string | null;
    city: string;
    postal_code: string;
    country_name: string;
  };
}

const SEED_PROFILES: Omit<InvoiceProfile, "id">[] = [
  {
    name: "Acme Europe S.L.",
    payment_method_type: "automatic",
    billing_period: "instant",
    currency: "EUR",
    billing_information: {
      legal_name: "Acme Europe S.L.",
      vat_number: "ESB00000000",
      address_line_1: "Calle Ejemplo 1",
      address_line_2: "Planta 2",
      city: "Barcelona",
      postal_code: "08001",
      country_name: "Spain",
    },
  },
  {
    name: "Acme Inc.",
    payment_method_type: "manual",
    billing_period: "monthly",
    currency: "USD",
    billing_information: {
      legal_name: "Acme Inc.",
      vat_number: "US000000000",
      address_line_1: "1 Example Avenue",
      address_line_2: "Suite 100",
      city: "New York",
      postal_code: "10001",
      country_name: "United States",
    },
  },
];

/** The whole state, as the persistence file and `GET /_sandbox/state` hold it. */
export interface Snapshot {
  users: SandboxUser[];
  policies: Named[];
  groups: Named[];
  members: Record<string, string[]>;
  meta?: { users: Record<string, Meta>; groups: Record<string, Meta> };
  /** SCIM attributes of groups with no field in `groups` (externalId). */
  groupScim?: Record<string, Record<string, unknown>>;
  /** Live mode only. */
  costCenters?: CostCenter[];
  /** Live mode only: invoice profiles. */
  profiles?: InvoiceProfile[];
  /** Numeric ids only: the next id of each kind (ids are never reused). */
  next?: { user: number; group: number; costCenter: number };
}

export interface StoreOptions {
  /** "uuid" (the contract's; groups and policies get prefixed short ids) or "numeric" ("1", "2", ...). */
  ids?: "uuid" | "numeric";
  /** Keep cost centres and invoice profiles (the live surface). */
  live?: boolean;
}

/** Policy and group ids deliberately do not look like user UUIDs, so nobody comes to rely on an id shape. */
const shortId = (prefix: string) => `${prefix}_${randomBytes(4).toString("hex")}`;
const copy = <T>(value: T): T => structuredClone(value);
const sameEmail = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const newMeta = (): Meta => {
  const now = new Date().toISOString();
  return { created: now, lastModified: now, version: 1 };
};
type Kind = "user" | "group" | "costCenter";

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
  private next = { user: 1, group: 1, costCenter: 1 };
  private readonly numeric: boolean;
  private readonly live: boolean;

  /** `onChange` runs after every mutation (the server persists on it). */
  constructor(
    private readonly onChange: () => void = () => {},
    options: StoreOptions = {},
  ) {
    this.numeric = options.ids === "numeric";
    this.live = options.live === true;
  }

  seed(withData: boolean): void {
    this.load({ users: [], policies: [], groups: [], members: {} });
    if (withData) {
      ["Standard", "Executive", "Sales Team"].forEach((name) => this.addPolicy(name));
      ["Engineering", "Sales", "Marketing", "Operations"].forEach((name) => this.addGroup(name));
      if (this.live) {
        ["ENG", "SALES", "OPS"].forEach((name) => this.addCostCenter(name));
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
      ...(this.numeric && { next: { ...this.next } }),
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
    const after = (ids: Iterable<string>) => Math.max(0, ...[...ids].filter((id) => /^\d+$/.test(id)).map(Number)) + 1;
    this.next = {
      user: Math.max(s.next?.user ?? 1, after(this.users.keys())),
      group: Math.max(s.next?.group ?? 1, after(this.groups.keys())),
      costCenter: Math.max(s.next?.costCenter ?? 1, after(this.costCenters.keys())),
    };
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
    const m = this.userMeta.get(id);
    return m && { ...m };
  }

  /** Stores the given fields as they are: no defaults, no validation beyond unique id and e-mail. */
  insertUser(u: Partial<SandboxUser> & { email: string }): SandboxUser {
    const { id = this.newId("user"), ...rest } = copy(u);
    if (this.users.has(id)) throw new Error(`user id ${id} already exists`);
    if (this.emailTaken(rest.email)) throw new Error(`e-mail ${rest.email} already exists`);
    this.claim("user", id);
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
    return [...this.policies.values()].map((p) => ({ ...p }));
  }
  getPolicy(id: string): Named | undefined {
    const p = this.policies.get(id);
    return p && { ...p };
  }
  addPolicy(name: string): Named {
    return this.add(this.policies, { id: shortId("pol"), name });
  }
  listGroups(): Named[] {
    return [...this.groups.values()].map((g) => ({ ...g }));
  }
  getGroup(id: string): Named | undefined {
    const g = this.groups.get(id);
    return g && { ...g };
  }
  groupMetaOf(id: string): Meta | undefined {
    const m = this.groupMeta.get(id);
    return m && { ...m };
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
    const saved =
      target ?? this.add(this.groups, { id: this.numeric ? this.newId("group") : shortId("grp"), name: group.name });
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
    const group = this.add(this.groups, { id: this.numeric ? this.newId("group") : shortId("grp"), name });
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
    return [...this.costCenters.values()].map((c) => ({ ...c }));
  }
  getCostCenter(id: string): CostCenter | undefined {
    const c = this.costCenters.get(id);
    return c && { ...c };
  }
  addCostCenter(name: string): CostCenter {
    const center = { id: this.numeric ? this.newId("costCenter") : shortId("cc"), name, archived: false };
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

  /** A fresh id of this kind: the next number in numeric mode, else a UUID (users) or a short id. */
  private newId(kind: Kind): string {
    if (!this.numeric) return randomUUID();
    while (this.taken(kind, String(this.next[kind]))) this.next[kind]++;
    return String(this.next[kind]++);
  }
  private taken(kind: Kind, id: string): boolean {
    return (kind === "user" ? this.users : kind === "group" ? this.groups : this.costCenters).has(id);
  }
  /** An explicit numeric id moves the counter past it, so it is never handed out again. */
  private claim(kind: Kind, id: string): void {
    if (/^\d+$/.test(id)) this.next[kind] = Math.max(this.next[kind], Number(id) + 1);
  }
}

// ---- validation of REST user bodies ----

/** Field name -> why it is invalid. */
export type FieldErrors = Record<string, string>;
type Check = (value: unknown, store: Store, selfId?: string) => string | undefined;

export const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const isNonEmpty = (v: unknown): v is string => typeof v === "string" && v.trim() !== "";
const nonEmpty: Check = (v) => (isNonEmpty(v) ? undefined : "must be a non-empty string");
const pattern =
  (re: RegExp, reason: string): Check =>
  (v) =>
    typeof v === "string" && re.test(v) ? undefined : reason;
const oneOf =
  (...allowed: string[]): Check =>
  (v) =>
    allowed.includes(v as string) ? undefined : `must be one of: ${allowed.join(", ")}`;
/** A reference is exactly `{id}`: extra keys are refused like unknown fields. */
const isRef = (v: unknown): v is { id: string } =>
  typeof v === "object" && v !== null && Object.keys(v).length === 1 && isNonEmpty((v as { id?: unknown }).id);

export const validDate: Check = (v) => {
  if (typeof v !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(v)) return "must be a date YYYY-MM-DD";
  const date = new Date(`${v}T00:00:00Z`); // a calendar check: 2001-02-30 would come back as March
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(v) ? undefined : "is not a calendar date";
};

/** Every writable field and its check; a body key outside this table is refused. */
const FIELDS: Record<string, Check> = {
  first_name: nonEmpty,
  last_name: nonEmpty,
  email: pattern(EMAIL, "must be a valid e-mail address"),
  role: oneOf("traveler", "travel_manager", "company_admin"),
  phone_number: pattern(/^\+[1-9]\d{1,14}$/, "must be an E.164 number, e.g. +34600000000"),
  language: pattern(/^[a-z]{2}$/, "must be an ISO 639-1 code (two lowercase letters)"),
  gender: oneOf("male", "female", "other"),
  date_of_birth: validDate,
  nationality: pattern(/^[A-Z]{2}$/, "must be an ISO 3166-1 alpha-2 code (two uppercase letters)"),
  invoicing_profiles: (v) => (Array.isArray(v) && v.every(isRef) ? undefined : "must be an array of {id}"),
  travel_policy: (v, store) =>
    !isRef(v) ? "must be {id} or null" : store.getPolicy(v.id) ? undefined : `no travel policy ${v.id}`,
  manager_id: (v, store, selfId) =>
    !isNonEmpty(v)
      ? "must be a user id"
      : v === selfId
        ? "cannot be the user's own id"
        : store.getUser(v)
          ? undefined
          : `no user ${v}`,
  cost_center: (v) => (typeof v === "string" ? undefined : "must be a string"),
  is_active: (v) => (typeof v === "boolean" ? undefined : "must be a boolean"),
};
const REQUIRED = ["first_name", "last_name", "email"];
/** Optional fields that accept `null`, meaning "unset". */
const NULLABLE = [
  "role",
  "phone_number",
  "language",
  "gender",
  "date_of_birth",
  "nationality",
  "travel_policy",
  "manager_id",
  "cost_center",
];

/**
 * Validates a POST body (`selfId` undefined) or a PATCH body. Strict where the contract allows it:
 * unknown keys are refused, and so is `travel_policy` on create ("may not be settable atomically").
 */
export function validateUserBody(body: Record<string, unknown>, store: Store, selfId?: string): FieldErrors {
  const errors: FieldErrors = {};
  for (const [key, value] of Object.entries(body)) {
    const reason =
      key === "id"
        ? "is read-only"
        : !Object.hasOwn(FIELDS, key)
          ? "unknown field"
          : selfId === undefined && key === "travel_policy"
            ? "cannot be set on create: PATCH it after creation"
            : value === null && NULLABLE.includes(key)
              ? undefined
              : FIELDS[key](value, store, selfId);
    if (reason) errors[key] = reason;
  }
  if (selfId === undefined) for (const key of REQUIRED) if (!(key in body)) errors[key] = "is required";
  return errors;
}

/** The full user a create makes (the store gives the id): optional scalars null, no profiles, no policy, active. */
export function newUser({ email, ...fields }: Record<string, unknown> & { email: string }): Omit<SandboxUser, "id"> {
  const blank = {
    first_name: null,
    last_name: null,
    role: null,
    phone_number: null,
    language: null,
    gender: null,
    date_of_birth: null,
    nationality: null,
    invoicing_profiles: [],
    travel_policy: null,
    manager_id: null,
    cost_center: null,
    is_active: true,
  };
  return { email, ...blank, ...fields };
}
