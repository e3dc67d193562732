/**
 * The sandbox's in-memory organisation: users, travel policies, groups and memberships, plus the
 * validation the REST API applies to user bodies. No HTTP here; REST, SCIM and the admin API share it.
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
};

/** The whole state, as the persistence file and `GET /_sandbox/state` hold it. */
export interface Snapshot {
  users: SandboxUser[];
  policies: Named[];
  groups: Named[];
  members: Record<string, string[]>;
}

/** Policy and group ids deliberately do not look like user UUIDs, so nobody comes to rely on an id shape. */
const shortId = (prefix: string) => `${prefix}_${randomBytes(4).toString("hex")}`;
const copy = <T>(value: T): T => structuredClone(value);
const sameEmail = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export class Store {
  private users = new Map<string, SandboxUser>(); // a Map iterates in insertion order = creation order
  private policies = new Map<string, Named>();
  private groups = new Map<string, Named>();
  private members = new Map<string, string[]>(); // group id -> user ids, in order of joining

  /** `onChange` runs after every mutation (the server persists on it). */
  constructor(private readonly onChange: () => void = () => {}) {}

  seed(withData: boolean): void {
    this.load({ users: [], policies: [], groups: [], members: {} });
    if (withData) {
      ["Standard", "Executive", "Sales Team"].forEach((name) => this.addPolicy(name));
      ["Engineering", "Sales", "Marketing", "Operations"].forEach((name) => this.addGroup(name));
    }
    this.onChange();
  }

  snapshot(): Snapshot {
    return {
      users: this.listUsers(),
      policies: this.listPolicies(),
      groups: this.listGroups(),
      members: copy(Object.fromEntries(this.members)),
    };
  }

  load(s: Snapshot): void {
    this.users = new Map(s.users.map((u) => [u.id, copy(u)]));
    this.policies = new Map(s.policies.map((p) => [p.id, { ...p }]));
    this.groups = new Map(s.groups.map((g) => [g.id, { ...g }]));
    this.members = new Map(s.groups.map((g) => [g.id, [...(s.members[g.id] ?? [])]]));
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

  /** Stores the given fields as they are: no defaults, no validation beyond unique id and e-mail. */
  insertUser(u: Partial<SandboxUser> & { email: string }): SandboxUser {
    const { id = randomUUID(), ...rest } = copy(u);
    if (this.users.has(id)) throw new Error(`user id ${id} already exists`);
    if (this.emailTaken(rest.email)) throw new Error(`e-mail ${rest.email} already exists`);
    const user = { id, ...rest };
    this.users.set(id, user);
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
    this.onChange();
    return copy(user);
  }

  deleteUser(id: string): void {
    if (!this.users.delete(id)) throw new Error(`no user ${id}`);
    for (const [gid, ids] of this.members)
      this.members.set(
        gid,
        ids.filter((u) => u !== id),
      );
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
  addGroup(name: string): Named {
    return this.add(this.groups, { id: shortId("grp"), name });
  }
  renameGroup(id: string, name: string): void {
    const group = this.groups.get(id);
    if (!group) throw new Error(`no group ${id}`);
    group.name = name;
    this.onChange();
  }
  deleteGroup(id: string): boolean {
    const existed = this.members.delete(id) && this.groups.delete(id);
    this.onChange();
    return existed;
  }
  groupMembers(groupId: string): string[] {
    return [...(this.members.get(groupId) ?? [])];
  }
  setMembers(groupId: string, userIds: string[]): void {
    this.members.set(groupId, [...new Set(userIds)]);
    this.onChange();
  }

  private add(into: Map<string, Named>, item: Named): Named {
    if (into === this.groups) this.members.set(item.id, []); // a new group has no members
    into.set(item.id, item);
    this.onChange();
    return { ...item };
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

const validDate: Check = (v) => {
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

/** The full user a create makes: optional scalars null, no invoicing profiles, no policy, active. */
export function newUser({ email, ...fields }: Record<string, unknown> & { email: string }): SandboxUser {
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
  return { id: randomUUID(), email, ...blank, ...fields };
}
