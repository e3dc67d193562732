/**
 * The users of the guide's REST API (`/users`), and the one field table of that transport (REST_FIELDS):
 * the read mapping, the write mapping and the answer's schema all derive from it. Reads accept the
 * contract's flat shape and the live API's shape (`user_name`, a nested `name`, `active`).
 */
import { z } from "zod";
import { listAll } from "../listing";
import { request } from "../request";
import { opaqueId } from "../wire";
import { travelPolicyOperation, updateOperation, type CarriedFields, type UserApi } from "./api";
import { USER_FIELDS, type User, type UserChanges, type UserField, type UserFields } from "./model";

/** One model field on REST: where the wire holds it, its wire form, and how a model value is written. */
interface RestField<V> {
  /** The wire name it is written under, and read from first. */
  wire: string;
  /** Its value on the wire, read leniently: absent and null read as null. */
  value: z.ZodType<V>;
  /** Where an answer of the live API's shape holds it instead (dotted paths), read when `wire` is null. */
  alsoReadFrom?: readonly string[];
  /** The wire form of a value (default: the value itself); null is sent as null, to clear the field. */
  write?: (value: V) => unknown;
}

/** A string TravelPerk sends, kept as sent: a role or gender outside the model's list is read, not refused. */
const asSent = <T extends string>() => z.string() as z.ZodType<string> as z.ZodType<T>;

/** Model field → REST wire field. Adding a field means one line here (its validation is in the model). */
const REST_FIELDS: { readonly [K in UserField]: RestField<UserFields[K]> } = {
  email: { wire: "email", value: z.string(), alsoReadFrom: ["user_name"] },
  firstName: { wire: "first_name", value: z.string(), alsoReadFrom: ["name.first_name"] },
  lastName: { wire: "last_name", value: z.string(), alsoReadFrom: ["name.last_name"] },
  role: { wire: "role", value: asSent() },
  phoneNumber: { wire: "phone_number", value: z.string() },
  language: { wire: "language", value: z.string(), alsoReadFrom: ["preferred_language"] },
  gender: { wire: "gender", value: asSent() },
  dateOfBirth: { wire: "date_of_birth", value: z.string() },
  nationality: { wire: "nationality", value: z.string() },
  invoicingProfiles: {
    wire: "invoicing_profiles",
    value: z.array(z.union([z.object({ id: opaqueId }).transform((p) => p.id), opaqueId])),
    write: (ids) => ids.map((id) => ({ id })),
  },
  costCenter: { wire: "cost_center", value: z.string() },
  managerId: { wire: "manager_id", value: opaqueId },
  isActive: { wire: "is_active", value: z.boolean(), alsoReadFrom: ["active"] },
};

/** A field's row, typed for its own value. */
const rowOf = <K extends UserField>(field: K): RestField<UserFields[K]> => REST_FIELDS[field];

/** REST carries every model field and value. */
export const REST_CARRIES: CarriedFields = Object.fromEntries(USER_FIELDS.map((field) => [field, () => undefined]));

/** The object schema of answers holding `paths` (dotted: nested objects), each value nullish. */
function answerShape(paths: readonly (readonly [path: string, value: z.ZodType])[]): Record<string, z.ZodType> {
  const shape: Record<string, z.ZodType> = {};
  const nested = new Map<string, [string, z.ZodType][]>();
  for (const [path, value] of paths) {
    const [head = path, ...rest] = path.split(".");
    if (rest.length === 0) shape[head] = value.nullish();
    else nested.set(head, [...(nested.get(head) ?? []), [rest.join("."), value]]);
  }
  for (const [head, inner] of nested) shape[head] = z.object(answerShape(inner)).nullish();
  return shape;
}

/** A user as the wire answers it: its id, the table's wire fields, the travel policy. */
type WireUser = { id: string; travel_policy?: { id: string } | null; [wire: string]: unknown };

/** A user on the wire, read leniently (see the contract: accounts made elsewhere lack fields). */
const wireUser: z.ZodType<WireUser> = z
  .object({
    id: opaqueId,
    ...answerShape(
      USER_FIELDS.flatMap((field) => {
        const { wire, value, alsoReadFrom = [] } = rowOf(field);
        return [wire, ...alsoReadFrom].map((path) => [path, value] as const);
      }),
    ),
    travel_policy: z.object({ id: opaqueId }).nullish(),
  })
  .refine((wire: WireUser) => typeof (wire.email ?? wire.user_name) === "string", {
    error: "a user needs an email (or user_name)",
    path: ["email"],
  });

/** The value at a dotted path of a parsed answer. */
function valueAt(wire: WireUser, path: string): unknown {
  let node: unknown = wire;
  for (const name of path.split("."))
    node = node && typeof node === "object" ? (node as Record<string, unknown>)[name] : undefined;
  return node;
}

/** A field's value in a parsed answer: the first of its places that holds one, else null. */
function readField<K extends UserField>(wire: WireUser, field: K): UserFields[K] | null {
  const { wire: name, alsoReadFrom = [] } = rowOf(field);
  for (const path of [name, ...alsoReadFrom]) {
    // wireUser checked each place against the row's value schema.
    const value = valueAt(wire, path) as UserFields[K] | null | undefined;
    if (value !== undefined && value !== null) return value;
  }
  return null;
}

/** Wire → model. */
function fromWire(wire: WireUser): User {
  const fields = Object.fromEntries(USER_FIELDS.map((field) => [field, readField(wire, field)]));
  // wireUser's refinement makes sure of the e-mail.
  return {
    ...fields,
    email: readField(wire, "email") ?? "",
    id: wire.id,
    travelPolicyId: wire.travel_policy?.id ?? null,
  } as User;
}

/** Model → wire body: only the keys given; `null` is sent to clear a field. */
function toWire(fields: UserChanges): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const field of USER_FIELDS) writeField(body, field, fields[field]);
  return body;
}

/** Writes one field's value (if given) into `body` under its wire name. */
function writeField<K extends UserField>(
  body: Record<string, unknown>,
  field: K,
  value: UserFields[K] | null | undefined,
) {
  if (value === undefined) return;
  const { wire, write } = rowOf(field);
  body[wire] = value !== null && write ? write(value) : value;
}

/** A PATCH answer may hold only the changed fields: it is checked to be an object, never used as the user. */
const patchAnswer = z.record(z.string(), z.unknown());

const userPath = (id: string) => `/users/${encodeURIComponent(id)}`;

/** PATCH of a user: only the fields in the body change. */
function patchRestUser(id: string, body: Record<string, unknown>, operation: string, subject?: string) {
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

  async create(fields, repeat) {
    const wire = await request({
      method: "POST",
      path: "/users",
      body: toWire(fields),
      schema: wireUser,
      context: { operation: "create user", subject: fields.email },
      repeat,
    });
    return fromWire(wire);
  },

  async update(id, changes, subject) {
    await patchRestUser(id, toWire(changes), updateOperation(changes), subject);
  },

  async delete(id, subject) {
    await request({
      method: "DELETE",
      path: userPath(id),
      context: { operation: "delete user", subject: subject ?? id },
    });
  },

  setTravelPolicy: setRestTravelPolicy,

  travelPolicyOf(user) {
    return Promise.resolve(user.travelPolicyId);
  },
};

/** Sets (or with null clears) the user's travel policy with the contract's REST PATCH (SCIM falls back to it). */
export async function setRestTravelPolicy(userId: string, policyId: string | null, subject?: string): Promise<void> {
  // Written as {travel_policy: {id}}; the contract says it may not be settable in the create POST.
  const body = { travel_policy: policyId === null ? null : { id: policyId } };
  await patchRestUser(userId, body, travelPolicyOperation(policyId), subject);
}
