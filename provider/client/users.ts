/**
 * `/users`: typed calls and the one place where user fields are mapped between the wire
 * (snake_case, lenient) and the provider's model (camelCase).
 */
import { z } from "zod";
import { listAll, request } from "./request";

/** Roles TravelPerk knows. */
export const ROLES = ["traveler", "travel_manager", "company_admin"] as const;
export type Role = (typeof ROLES)[number];
/** Genders TravelPerk knows. */
export const GENDERS = ["male", "female", "other"] as const;
export type Gender = (typeof GENDERS)[number];

/** The writable user fields, in the provider's words. `null` clears a field on PATCH. */
export interface UserFields {
  email: string;
  firstName: string;
  lastName: string;
  role: Role;
  phoneNumber: string;
  language: string;
  gender: Gender;
  dateOfBirth: string;
  nationality: string;
  invoicingProfiles: string[];
  costCenter: string;
  managerId: string;
  isActive: boolean;
}

/** A user as read from the API: only `id` and `email` are guaranteed, anything else may be null. */
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
  const wire = await request({
    method: "GET",
    path: `/users/${encodeURIComponent(id)}`,
    schema: wireUser,
    context: { operation: "read user", subject: subject ?? id },
  });
  return fromWire(wire);
}

export async function listUsers(): Promise<User[]> {
  return (await listAll("/users", wireUser, { operation: "list users" })).map(fromWire);
}

/** Finds a user by e-mail (case-insensitive) by paging: the API has no server-side filter. */
export async function findUserByEmail(email: string): Promise<User | undefined> {
  const wanted = email.toLowerCase();
  return (await listUsers()).find((user) => user.email.toLowerCase() === wanted);
}

/** POST /users. Never retried blindly after a 5xx or lost answer: see `resources/user.ts` create. */
export async function createUser(fields: Partial<UserFields> & Pick<UserFields, "email">): Promise<User> {
  const wire = await request({
    method: "POST",
    path: "/users",
    body: toWire(fields),
    schema: wireUser,
    context: { operation: "create user", subject: fields.email },
  });
  return fromWire(wire);
}

/** PATCH /users/{id}: only the given fields change. The answer is not the full user. */
export async function updateUser(id: string, fields: Parameters<typeof toWire>[0], subject?: string): Promise<void> {
  await request({
    method: "PATCH",
    path: `/users/${encodeURIComponent(id)}`,
    body: toWire(fields),
    schema: patchAnswer,
    context: { operation: "update user", subject: subject ?? id },
  });
}

/** PATCH is_active=false: offboarding that keeps the audit trail. */
export async function deactivateUser(id: string, subject?: string): Promise<void> {
  await request({
    method: "PATCH",
    path: `/users/${encodeURIComponent(id)}`,
    body: { is_active: false },
    schema: patchAnswer,
    context: { operation: "deactivate user", subject: subject ?? id },
  });
}

/** DELETE /users/{id}: permanent and irreversible. */
export async function deleteUser(id: string, subject?: string): Promise<void> {
  await request({
    method: "DELETE",
    path: `/users/${encodeURIComponent(id)}`,
    context: { operation: "delete user", subject: subject ?? id },
  });
}
