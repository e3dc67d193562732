/**
 * The users of SCIM 2.0 (RFC 7643/7644) with the enterprise extension and TravelPerk's own, as the
 * live API runs them; and the one field table of that transport. Writes are PATCHes of only what
 * changed, with `If-Match` when the server gave an ETag; a server that refuses PATCH gets a PUT of
 * the whole user as last read. Answers to writes are never taken as the user: it is read again.
 */
import { z } from "zod";
import { InvalidRequestError, NotFoundError, TravelPerkError, type RequestContext } from "../errors";
import { currentRun } from "../run";
import { listAllScim, request, send } from "../request";
import { policyIdForName, policyNameForId } from "../policies";
import { opaqueId } from "../wire";
import type { CarriedFields, UserApi } from "./api";
import { USER_FIELDS, type Gender, type User, type UserChanges, type UserField, type UserFields } from "./model";
import { getRestUser, patchRestUser } from "./rest";

export const CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User";
export const ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
export const TRAVELPERK_USER = "urn:ietf:params:scim:schemas:extension:travelperk:2.0:User";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/** A SCIM resource as JSON. */
export type Resource = Record<string, unknown>;

/** One model field on SCIM: how to read it, and the attributes (SCIM paths) that carry it. */
interface ScimField<K extends UserField> {
  read(resource: Resource): UserFields[K] | null;
  /** The attributes to set for a value (`null` removes the attribute); `current` is the user as last read. */
  write(value: UserFields[K] | null, current: Resource | undefined): [path: string, value: unknown][];
  /** Why a value cannot be carried, or undefined. */
  carries?: (value: unknown) => string | undefined;
}

const GENDER_TO_SCIM: Partial<Record<Gender, string>> = { male: "M", female: "F" };

/** Entries of a multi-valued attribute of `current`, without those `drop` selects. */
function others(current: Resource | undefined, attribute: string, drop: (entry: Resource) => boolean): Resource[] {
  const list = current?.[attribute];
  return Array.isArray(list) ? (list as Resource[]).filter((entry) => !drop(entry)) : [];
}

const isWork = (entry: Resource) => typeof entry.type === "string" && entry.type.toLowerCase() === "work";
const str = (value: unknown): string | null => (typeof value === "string" && value !== "" ? value : null);

/**
 * The SCIM field table: every model field this transport carries. A field missing here (`role`,
 * `nationality`) cannot be expressed on SCIM and fails at `check`.
 */
const SCIM_FIELDS: { [K in UserField]?: ScimField<K> } = {
  email: {
    read: (r) => str(r.userName) ?? "",
    write: (email, current) => [
      ["userName", email],
      [
        "emails",
        [
          { value: email, type: "work", primary: true },
          ...others(current, "emails", (e) => e.primary === true || e.value === email),
        ],
      ],
    ],
  },
  firstName: { read: (r) => str(at(r, "name.givenName")), write: (v) => [["name.givenName", v]] },
  lastName: { read: (r) => str(at(r, "name.familyName")), write: (v) => [["name.familyName", v]] },
  phoneNumber: {
    read: (r) => str(others(r, "phoneNumbers", (e) => !isWork(e)).at(0)?.value),
    write: (phone, current) => {
      const kept = others(current, "phoneNumbers", isWork);
      const list = phone === null ? kept : [...kept, { value: phone, type: "work" }];
      return [["phoneNumbers", list.length > 0 ? list : null]];
    },
  },
  language: {
    // preferredLanguage may carry a region ("en-US"); the model keeps the ISO 639-1 part.
    read: (r) => str(r.preferredLanguage)?.split(/[-_]/)[0]?.toLowerCase() ?? null,
    write: (v) => [["preferredLanguage", v]],
  },
  gender: {
    read: (r) => {
      const code = str(at(r, `${TRAVELPERK_USER}:gender`))?.toUpperCase();
      return code === "M" ? "male" : code === "F" ? "female" : null;
    },
    write: (v) => [[`${TRAVELPERK_USER}:gender`, v === null ? null : (GENDER_TO_SCIM[v] ?? v)]],
    carries: (v) =>
      v === "male" || v === "female"
        ? undefined
        : `TravelPerk's SCIM extension records gender as M or F only; "${String(v)}" cannot be sent (leave gender unmanaged, or use travelperk:userApi rest)`,
  },
  dateOfBirth: {
    read: (r) => str(at(r, `${TRAVELPERK_USER}:dateOfBirth`))?.slice(0, 10) ?? null,
    write: (v) => [[`${TRAVELPERK_USER}:dateOfBirth`, v]],
  },
  invoicingProfiles: {
    read: (r) => {
      const list = at(r, `${TRAVELPERK_USER}:invoiceProfiles`);
      return Array.isArray(list) ? list.map((p: Resource) => String(p.value)) : null;
    },
    write: (v) => [[`${TRAVELPERK_USER}:invoiceProfiles`, v === null ? null : v.map((value) => ({ value }))]],
  },
  costCenter: {
    read: (r) => str(at(r, `${ENTERPRISE_USER}:costCenter`)),
    write: (v) => [[`${ENTERPRISE_USER}:costCenter`, v]],
  },
  managerId: {
    read: (r) => {
      const value = at(r, `${ENTERPRISE_USER}:manager.value`);
      return typeof value === "number" ? String(value) : str(value);
    },
    write: (v) => [[`${ENTERPRISE_USER}:manager`, v === null ? null : { value: v }]],
  },
  isActive: {
    read: (r) =>
      typeof r.active === "boolean" ? r.active : typeof r.active === "string" ? /^true$/i.test(r.active) : null,
    write: (v) => [["active", v]],
  },
};

/** What SCIM carries, for `check`: the fields of the table, each with the values it refuses. */
export const SCIM_CARRIES: CarriedFields = Object.fromEntries(
  USER_FIELDS.filter((field) => SCIM_FIELDS[field]).map((field) => [
    field,
    (value: unknown) => (SCIM_FIELDS[field] as ScimField<UserField>).carries?.(value),
  ]),
);

/** The attribute that carries the travel policy (by name). */
const TRAVEL_POLICY = `${TRAVELPERK_USER}:travelPolicy`;

/** `[urn, "a.b"]` for an extension path, `[undefined, "a.b"]` for a core one. */
function splitPath(path: string): [string | undefined, string[]] {
  if (!path.startsWith("urn:")) return [undefined, path.split(".")];
  const cut = path.lastIndexOf(":");
  return [path.slice(0, cut), path.slice(cut + 1).split(".")];
}

/** The value at a SCIM path (core or extension, dotted sub-attributes). */
function at(resource: Resource, path: string): unknown {
  const [urn, names] = splitPath(path);
  let node: unknown = urn ? resource[urn] : resource;
  for (const name of names) node = node && typeof node === "object" ? (node as Resource)[name] : undefined;
  return node;
}

/** Sets (or with null removes) the value at a SCIM path, creating the objects on the way. */
function setAt(resource: Resource, path: string, value: unknown): void {
  const [urn, names] = splitPath(path);
  let node = resource;
  for (const name of urn ? [urn, ...names.slice(0, -1)] : names.slice(0, -1)) {
    if (!node[name] || typeof node[name] !== "object") node[name] = {};
    node = node[name] as Resource;
  }
  const last = names[names.length - 1] ?? "";
  // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- a SCIM resource, not a map: the attribute goes
  if (value === null) delete node[last];
  else node[last] = value;
  if (urn) {
    const schemas = Array.isArray(resource.schemas) ? (resource.schemas as string[]) : [CORE_USER];
    resource.schemas = schemas.includes(urn) ? schemas : [...schemas, urn];
  }
}

/** The attributes that carry `changes`, in table order. */
function attributes(changes: UserChanges, current: Resource | undefined): [string, unknown][] {
  return USER_FIELDS.flatMap((field) => {
    const value = changes[field];
    const mapping = SCIM_FIELDS[field] as ScimField<UserField> | undefined;
    return value === undefined || !mapping ? [] : mapping.write(value, current);
  });
}

const scimResource = z.looseObject({ id: opaqueId });

/** What this run remembers of SCIM: each user as last read (with its ETag) and what the server refuses. */
interface ScimState {
  read: Map<string, { resource: Resource; etag?: string }>;
  patchRefused: boolean;
  travelPolicyRefused: boolean;
}

const state = () =>
  currentRun().transportState<ScimState>("scim", () => ({
    read: new Map(),
    patchRefused: false,
    travelPolicyRefused: false,
  }));

function remember(resource: Resource, etag?: string): void {
  const meta = resource.meta as Resource | undefined;
  state().read.set(String(resource.id), { resource, etag: etag ?? str(meta?.version) ?? undefined });
}

/** SCIM resource → model; the travel policy's name becomes its id where a policy listing is served. */
async function toUser(resource: Resource): Promise<User> {
  const user: Record<string, unknown> = { id: String(resource.id) };
  for (const field of USER_FIELDS)
    user[field] = (SCIM_FIELDS[field] as ScimField<UserField> | undefined)?.read(resource) ?? null;
  const policyName = str(at(resource, TRAVEL_POLICY));
  user.travelPolicyId = policyName === null ? null : await policyIdForName(policyName);
  return user as User;
}

const userPath = (id: string) => `/Users/${encodeURIComponent(id)}`;

async function getResource(id: string, subject?: string): Promise<Resource> {
  const answer = await send({
    method: "GET",
    path: userPath(id),
    surface: "scim",
    schema: scimResource,
    context: { operation: "read user", subject: subject ?? id },
  });
  remember(answer.data, answer.etag);
  return answer.data;
}

/** A SCIM error's status and scimType, from an error raised by the request core. */
const statusOf = (error: unknown) => (error instanceof TravelPerkError ? error.status : undefined);

/**
 * Writes `paths` to a user: a PATCH of exactly those attributes (or, where the server refuses PATCH,
 * a PUT of the whole user as last read), with `If-Match` from the freshest read. On 412 the user is
 * read again and the write tried once more.
 */
async function write(
  id: string,
  build: (current: Resource | undefined) => [string, unknown][],
  context: RequestContext,
  needsCurrent: boolean,
): Promise<void> {
  const s = state();
  for (let preconditionRetry = true; ;) {
    // The user is read first only where the write is built from it (other e-mails and phone
    // numbers are kept; a PUT sends the whole user); an ETag is sent whenever a read gave one.
    if (!s.read.has(id) && (needsCurrent || s.patchRefused)) await getResource(id, context.subject);
    const current = s.read.get(id);
    const paths = build(current?.resource);
    const headers = current?.etag ? { "If-Match": current.etag } : undefined;
    try {
      if (s.patchRefused) {
        const whole = structuredClone(current?.resource ?? {});
        for (const [path, value] of paths) setAt(whole, path, value);
        for (const readOnly of ["meta", "groups"]) Reflect.deleteProperty(whole, readOnly);
        await request({
          method: "PUT",
          path: userPath(id),
          surface: "scim",
          body: whole,
          headers,
          schema: z.unknown(),
          context,
        });
      } else {
        const Operations = paths.map(([path, value]) =>
          value === null ? { op: "remove", path } : { op: "replace", path, value },
        );
        await request({
          method: "PATCH",
          path: userPath(id),
          surface: "scim",
          body: { schemas: [PATCH_OP], Operations },
          headers,
          schema: z.unknown(),
          context,
        });
      }
      s.read.delete(id); // the answer (200 or 204) is not trusted as the user: the next read fetches it
      return;
    } catch (error) {
      const status = statusOf(error);
      if ((status === 405 || status === 501) && !s.patchRefused) {
        s.patchRefused = true; // this server takes PUT only: every later write of the run goes there
        continue;
      }
      if (status === 412 && preconditionRetry) {
        preconditionRetry = false;
        await getResource(id, context.subject);
        continue;
      }
      throw error;
    }
  }
}

/** A SCIM filter's string literal (RFC 7644 §3.4.2.2): JSON string syntax. */
const literal = (value: string) => JSON.stringify(value);

/** The SCIM transport. */
export const scimUserApi: UserApi = {
  kind: "scim",

  async list() {
    const resources = await listAllScim("/Users", scimResource, { operation: "list users" });
    for (const resource of resources) remember(resource);
    return Promise.all(resources.map(toUser));
  },

  async get(id, subject) {
    return toUser(await getResource(id, subject));
  },

  async findByEmail(email) {
    const context = { operation: "find user", subject: email };
    let found: Resource[];
    try {
      const page = await request({
        method: "GET",
        path: "/Users",
        surface: "scim",
        params: { filter: `userName eq ${literal(email)}` },
        schema: z.object({ Resources: z.array(scimResource).optional() }),
        context,
      });
      found = page.Resources ?? [];
    } catch (error) {
      if (!(error instanceof InvalidRequestError)) throw error;
      // A server without filtering: page through every user instead.
      found = await listAllScim("/Users", scimResource, context);
    }
    const resource = found.find((r) => String(r.userName).toLowerCase() === email.toLowerCase());
    if (!resource) return undefined;
    remember(resource);
    return toUser(resource);
  },

  async create(fields) {
    // `active` is always sent: a SCIM server need not default it to true.
    const body: Resource = { schemas: [CORE_USER], active: true };
    for (const [path, value] of attributes(fields, undefined)) if (value !== null) setAt(body, path, value);
    const answer = await send({
      method: "POST",
      path: "/Users",
      surface: "scim",
      body,
      schema: z.union([scimResource, z.unknown()]),
      context: { operation: "create user", subject: fields.email },
    });
    const parsed = scimResource.safeParse(answer.data);
    if (parsed.success) {
      remember(parsed.data, answer.etag);
      return toUser(parsed.data);
    }
    // An answer without the resource: the user is read back by its userName.
    const created = await this.findByEmail(fields.email);
    if (!created) throw new NotFoundError({ operation: "read created user", subject: fields.email }, 404);
    return created;
  },

  async update(id, changes, subject) {
    const context = {
      operation:
        Object.keys(changes).join() === "isActive"
          ? changes.isActive
            ? "reactivate user"
            : "deactivate user"
          : "update user",
      subject: subject ?? id,
    };
    const needsCurrent = changes.email !== undefined || changes.phoneNumber !== undefined;
    await write(id, (current) => attributes(changes, current), context, needsCurrent);
  },

  async delete(id, subject) {
    state().read.delete(id);
    await request({
      method: "DELETE",
      path: userPath(id),
      surface: "scim",
      context: { operation: "delete user", subject: subject ?? id },
    });
  },

  async setTravelPolicy(userId, policyId, subject) {
    const operation = policyId === null ? "unassign travel policy" : `assign travel policy ${policyId}`;
    const context = { operation, subject: subject ?? userId };
    const s = state();
    if (!s.travelPolicyRefused) {
      try {
        const name = policyId === null ? null : await policyNameForId(policyId);
        await write(userId, () => [[TRAVEL_POLICY, name]], context, false);
        return;
      } catch (error) {
        // The guide: travel fields are not writable through SCIM. The REST PATCH of the contract is.
        if (!(error instanceof InvalidRequestError)) throw error;
        s.travelPolicyRefused = true;
      }
    }
    await patchRestUser(userId, { travel_policy: policyId === null ? null : { id: policyId } }, operation, subject);
  },

  async travelPolicyOf(user, subject) {
    const resource = state().read.get(user.id)?.resource;
    if (!resource || resource[TRAVELPERK_USER] !== undefined || user.travelPolicyId !== null)
      return user.travelPolicyId;
    // A SCIM server without TravelPerk's extension: the policy lives on the REST user.
    try {
      return (await getRestUser(user.id, subject)).travelPolicyId;
    } catch (error) {
      if (error instanceof TravelPerkError && error.status !== 401 && error.status !== 403) return null;
      throw error;
    }
  },
};
