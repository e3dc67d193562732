/**
 * The users of the guide's REST API (`/users`), and the one field table of that transport. Reads
 * accept the contract's flat shape and the live API's shape (`user_name`, a nested `name`, `active`).
 */
import { z } from "zod";
import { listAll, request } from "../request";
import { opaqueId } from "../wire";
import type { CarriedFields, UserApi } from "./api";
import { USER_FIELDS, type Gender, type Role, type User, type UserChanges, type UserField } from "./model";

/** Model field → REST wire field. Adding a field means one line here (plus its validation in the resource). */
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
} as const satisfies Record<UserField, string>;

/** REST carries every model field and value. */
export const REST_CARRIES: CarriedFields = Object.fromEntries(USER_FIELDS.map((field) => [field, () => undefined]));

const text = z.string().nullish();

/** A user on the wire, read leniently (see the contract: accounts made elsewhere lack fields). */
export const wireUser = z
  .object({
    id: opaqueId,
    email: z.string().nullish(),
    /** The live shape's login. */
    user_name: z.string().nullish(),
    /** The live shape's nested name. */
    name: z.object({ first_name: text, last_name: text }).nullish(),
    first_name: text,
    last_name: text,
    role: text,
    phone_number: text,
    language: text,
    preferred_language: text,
    gender: text,
    date_of_birth: text,
    nationality: text,
    invoicing_profiles: z.array(z.union([z.object({ id: opaqueId }).transform((p) => p.id), opaqueId])).nullish(),
    travel_policy: z.object({ id: opaqueId }).nullish(),
    cost_center: text,
    manager_id: opaqueId.nullish(),
    is_active: z.boolean().nullish(),
    active: z.boolean().nullish(),
  })
  .refine((wire) => typeof (wire.email ?? wire.user_name) === "string", {
    error: "a user needs an email (or user_name)",
    path: ["email"],
  });
type WireUser = z.infer<typeof wireUser>;

/** Wire → model. */
export function fromWire(wire: WireUser): User {
  return {
    id: wire.id,
    email: (wire.email ?? wire.user_name) as string,
    firstName: wire.first_name ?? wire.name?.first_name ?? null,
    lastName: wire.last_name ?? wire.name?.last_name ?? null,
    role: (wire.role ?? null) as Role | null,
    phoneNumber: wire.phone_number ?? null,
    language: wire.language ?? wire.preferred_language ?? null,
    gender: (wire.gender ?? null) as Gender | null,
    dateOfBirth: wire.date_of_birth ?? null,
    nationality: wire.nationality ?? null,
    invoicingProfiles: wire.invoicing_profiles ?? null,
    costCenter: wire.cost_center ?? null,
    managerId: wire.manager_id ?? null,
    isActive: wire.is_active ?? wire.active ?? null,
    travelPolicyId: wire.travel_policy?.id ?? null,
  };
}

/** Model → wire body: only the keys given; `null` is sent to clear a field. */
export function toWire(fields: UserChanges): Record<string, unknown> {
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

const userPath = (id: string) => `/users/${encodeURIComponent(id)}`;

/** PATCH of a user: only the fields in the body change. */
export function patchRestUser(id: string, body: Record<string, unknown>, operation: string, subject?: string) {
  return request({
    method: "PATCH",
    path: userPath(id),
    body,
    schema: patchAnswer,
    context: { operation, subject: subject ?? id },
  });
}

/** GET of one user. */
export async function getRestUser(id: string, subject?: string): Promise<User> {
  const wire = await request({
    method: "GET",
    path: userPath(id),
    schema: wireUser,
    context: { operation: "read user", subject: subject ?? id },
  });
  return fromWire(wire);
}

/** The guide's REST transport. */
export const restUserApi: UserApi = {
  kind: "rest",

  async list() {
    return (await listAll("/users", wireUser, { operation: "list users" })).map(fromWire);
  },

  get: getRestUser,

  async findByEmail(email) {
    // The contract promises no server-side filter: find by paging.
    const wanted = email.toLowerCase();
    return (await this.list()).find((user) => user.email.toLowerCase() === wanted);
  },

  async create(fields) {
    const wire = await request({
      method: "POST",
      path: "/users",
      body: toWire(fields),
      schema: wireUser,
      context: { operation: "create user", subject: fields.email },
    });
    return fromWire(wire);
  },

  async update(id, changes, subject) {
    const operation = Object.keys(changes).join() === "isActive" ? activation(changes.isActive) : "update user";
    await patchRestUser(id, toWire(changes), operation, subject);
  },

  async delete(id, subject) {
    await request({
      method: "DELETE",
      path: userPath(id),
      context: { operation: "delete user", subject: subject ?? id },
    });
  },

  async setTravelPolicy(userId, policyId, subject) {
    // Written as {travel_policy: {id}}; the contract says it may not be settable in the create POST.
    const operation = policyId === null ? "unassign travel policy" : `assign travel policy ${policyId}`;
    await patchRestUser(userId, { travel_policy: policyId === null ? null : { id: policyId } }, operation, subject);
  },

  travelPolicyOf(user) {
    return Promise.resolve(user.travelPolicyId);
  },
};

/** The operation's name for an (in)activation, as errors show it. */
export function activation(active: boolean | null | undefined): string {
  return active === false ? "deactivate user" : active === true ? "reactivate user" : "update user";
}
