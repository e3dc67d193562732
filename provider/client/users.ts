/**
 * `/users`: typed calls and the one place where user fields are mapped between the wire
 * (snake_case, lenient) and the provider's model (camelCase).
 */
import { z } from "zod";
import { ensureSnapshot, knownUser, learnUsers, readStarted, whileWriting } from "./knowledge";
import { listAll, request } from "./request";

/** Roles TravelPerk knows. */
export const ROLES = ["traveler", "travel_manager", "company_admin"] as const;
/** A TravelPerk role: `traveler`, `travel_manager` or `company_admin`. */
export type Role = (typeof ROLES)[number];
/** Genders TravelPerk knows. */
export const GENDERS = ["male", "female", "other"] as const;
/** A gender as TravelPerk records it: `male`, `female` or `other`. */
export type Gender = (typeof GENDERS)[number];

/** The writable user fields, in the provider's words. `null` clears a field on PATCH. */
export interface UserFields {
  /** E-mail address, the user's login. */
  email: string;
  /** Given name. */
  firstName: string;
  /** Family name. */
  lastName: string;
  /** The user's role. */
  role: Role;
  /** Phone number in E.164 form, e.g. `+34600123456`. */
  phoneNumber: string;
  /** ISO 639-1 language code, e.g. `en`. */
  language: string;
  /** Gender. */
  gender: Gender;
  /** Date of birth, `YYYY-MM-DD`. */
  dateOfBirth: string;
  /** ISO 3166-1 alpha-2 country code, e.g. `ES`. */
  nationality: string;
  /** Ids of the invoicing profiles the user may book on. */
  invoicingProfiles: string[];
  /** Cost centre, free text. */
  costCenter: string;
  /** TravelPerk id of the user's manager. */
  managerId: string;
  /** Whether the account is active. */
  isActive: boolean;
}

/**
 * A user as read from the API: only `id` and `email` are guaranteed, anything else may be null.
 *
 * @interface
 * @property id The user's TravelPerk id.
 * @property email E-mail address, the user's login.
 * @property travelPolicyId The id of the user's travel policy, or null.
 * @property firstName Given name.
 * @property lastName Family name.
 * @property role The user's role.
 * @property phoneNumber Phone number in E.164 form, e.g. `+34600123456`.
 * @property language ISO 639-1 language code, e.g. `en`.
 * @property gender Gender.
 * @property dateOfBirth Date of birth, `YYYY-MM-DD`.
 * @property nationality ISO 3166-1 alpha-2 country code, e.g. `ES`.
 * @property invoicingProfiles Ids of the invoicing profiles the user may book on.
 * @property costCenter Cost centre, free text.
 * @property managerId TravelPerk id of the user's manager.
 * @property isActive Whether the account is active.
 */
export type User = { id: string; email: string; travelPolicyId: string | null } & {
  [K in Exclude<keyof UserFields, "email">]: UserFields[K] | null;
};

/** Model field → wire field. Adding a field means one line here (plus its validation in the resource). */
export const WIRE_FIELDS = {
  email: "email",
  firstName: "first_name",
  lastName: "last_name",
  role: "role",
  phoneNumber: "phone_number",
  language: "language",
  gender: "gender",
  dateOfBirth: "date_of_birth",
  nationality: "nationality",
  invoicingProfiles: "invoicing_profiles",
  costCenter: "cost_center",
  managerId: "manager_id",
  isActive: "is_active",
} as const satisfies Record<keyof UserFields, string>;

export type UserField = keyof typeof WIRE_FIELDS;
export const USER_FIELDS = Object.keys(WIRE_FIELDS) as UserField[];

/** Ids are opaque: UUIDs in the docs, numeric strings (or numbers) in the wild. */
export const opaqueId = z.union([z.string().min(1), z.number()]).transform(String);

/** A named object on the wire (a group, a travel policy): an opaque id and a name, "" when absent. */
export const wireNamed = z.object({
  id: opaqueId,
  name: z
    .string()
    .nullish()
    .transform((n) => n ?? ""),
});
const text = z.string().nullish();

/** A user on the wire, read leniently (see the contract: accounts made elsewhere lack fields). */
export const wireUser = z.object({
  id: opaqueId,
  email: z.string(),
  first_name: text,
  last_name: text,
  role: text,
  phone_number: text,
  language: text,
  gender: text,
  date_of_birth: text,
  nationality: text,
  invoicing_profiles: z.array(z.union([z.object({ id: opaqueId }).transform((p) => p.id), opaqueId])).nullish(),
  travel_policy: z.object({ id: opaqueId }).nullish(),
  cost_center: text,
  manager_id: opaqueId.nullish(),
  is_active: z.boolean().nullish(),
});
type WireUser = z.infer<typeof wireUser>;

/** Wire → model. */
export function fromWire(wire: WireUser): User {
  return {
    id: wire.id,
    email: wire.email,
    firstName: wire.first_name ?? null,
    lastName: wire.last_name ?? null,
    role: (wire.role ?? null) as Role | null,
    phoneNumber: wire.phone_number ?? null,
    language: wire.language ?? null,
    gender: (wire.gender ?? null) as Gender | null,
    dateOfBirth: wire.date_of_birth ?? null,
    nationality: wire.nationality ?? null,
    invoicingProfiles: wire.invoicing_profiles ?? null,
    costCenter: wire.cost_center ?? null,
    managerId: wire.manager_id ?? null,
    isActive: wire.is_active ?? null,
    travelPolicyId: wire.travel_policy?.id ?? null,
  };
}

/** Model → wire body: only the keys given; `null` is sent to clear a field. */
export function toWire(fields: Partial<{ [K in UserField]: UserFields[K] | null }>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const field of USER_FIELDS) {
    const value = fields[field];
    if (value === undefined) continue;
    body[WIRE_FIELDS[field]] =
      field === "invoicingProfiles" && Array.isArray(value) ? value.map((id) => ({ id })) : value;
  }
  return body;
}

/** A PATCH answer may hold only the changed fields: it is checked to be an object, never used as the user. */
const patchAnswer = z.record(z.string(), z.unknown());

export async function getUser(id: string, subject?: string): Promise<User> {
  const seq = readStarted();
  const wire = await request({
    method: "GET",
    path: `/users/${encodeURIComponent(id)}`,
    schema: wireUser,
    context: { operation: "read user", subject: subject ?? id },
  });
  const user = fromWire(wire);
  learnUsers([user], seq);
  return user;
}

/** Every user, in pages of 200. What it reads is remembered for this process (see knowledge.ts). */
export async function listUsers(): Promise<User[]> {
  const seq = readStarted();
  const users = (await listAll("/users", wireUser, { operation: "list users" })).map(fromWire);
  learnUsers(users, seq);
  return users;
}

/**
 * A user for a refresh: the first call lists every user once (single-flight), later calls are served
 * from that listing unless the user was written since; a user missing from it is asked for directly.
 */
export async function readUser(id: string, subject?: string): Promise<User> {
  await ensureSnapshot(listUsers);
  return knownUser(id) ?? getUser(id, subject);
}

let latestListing: { startedAt: number; users: Promise<User[]> } | undefined;

/**
 * Finds a user by e-mail (case-insensitive) by paging: the API has no server-side filter. The listing
 * is always one that started after this call (never remembered facts), but concurrent callers share it.
 */
export async function findUserByEmail(email: string): Promise<User | undefined> {
  const askedAt = readStarted();
  if (!latestListing || latestListing.startedAt < askedAt) {
    latestListing = { startedAt: readStarted(), users: listUsers() };
  }
  const wanted = email.toLowerCase();
  return (await latestListing.users).find((user) => user.email.toLowerCase() === wanted);
}

/** POST /users. Never retried blindly after a 5xx or lost answer: see `resources/user.ts` create. */
export async function createUser(fields: Partial<UserFields> & Pick<UserFields, "email">): Promise<User> {
  const seq = readStarted();
  const wire = await request({
    method: "POST",
    path: "/users",
    body: toWire(fields),
    schema: wireUser,
    context: { operation: "create user", subject: fields.email },
  });
  const user = fromWire(wire);
  learnUsers([user], seq);
  return user;
}

/** PATCH /users/{id}: only the given fields change. The answer is not the full user. */
export async function updateUser(id: string, fields: Parameters<typeof toWire>[0], subject?: string): Promise<void> {
  await whileWriting(id, () =>
    request({
      method: "PATCH",
      path: `/users/${encodeURIComponent(id)}`,
      body: toWire(fields),
      schema: patchAnswer,
      context: { operation: "update user", subject: subject ?? id },
    }),
  );
}

/** PATCH is_active=false: offboarding that keeps the audit trail. */
export async function deactivateUser(id: string, subject?: string): Promise<void> {
  await whileWriting(id, () =>
    request({
      method: "PATCH",
      path: `/users/${encodeURIComponent(id)}`,
      body: { is_active: false },
      schema: patchAnswer,
      context: { operation: "deactivate user", subject: subject ?? id },
    }),
  );
}

/** DELETE /users/{id}: permanent and irreversible. */
export async function deleteUser(id: string, subject?: string): Promise<void> {
  await whileWriting(id, () =>
    request({
      method: "DELETE",
      path: `/users/${encodeURIComponent(id)}`,
      context: { operation: "delete user", subject: subject ?? id },
    }),
  );
}
