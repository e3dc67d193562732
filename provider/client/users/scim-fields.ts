/**
 * The one field table of the SCIM transport (SCIM_FIELDS): for each model field the attribute (SCIM
 * path, core or extension) that carries it, how its value reads and writes, and the values it cannot
 * carry. The resource → model read, the model → attributes write and what `check` refuses all derive
 * from it; the requests that use them are in scim.ts.
 */
import type { CarriedFields } from "./api";
import { USER_FIELDS, type Gender, type UserChanges, type UserField, type UserFields } from "./model";

export const CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
export const TRAVELPERK_USER = "urn:ietf:params:scim:schemas:extension:travelperk:2.0:User";

/** A SCIM resource as JSON. */
export type Resource = Record<string, unknown>;

/** One model field on SCIM: the attribute that carries it, and how a value is read and written there. */
interface ScimField<V> {
  /** The attribute (SCIM path) that carries the field. */
  path: string;
  /** The model's value from the attribute's (default: a non-empty string, as it is). */
  read?: (attribute: unknown) => V | null;
  /** The attribute's value for a model value (default: the value; `null` removes the attribute). */
  write?: (value: V | null, current: Resource | undefined) => unknown;
  /** Other attributes a write sets besides `path`. */
  alsoWrite?: (value: V | null, current: Resource | undefined) => [path: string, value: unknown][];
  /** The write keeps entries of the user as last read (`current`): the user is read before it. */
  buildsOnCurrent?: true;
  /** Why a value cannot be carried, or undefined. */
  carries?: (value: unknown) => string | undefined;
}

const GENDER_TO_SCIM: Partial<Record<Gender, string>> = { male: "M", female: "F" };

/** The entries of a multi-valued attribute's value. */
const entries = (list: unknown): Resource[] => (Array.isArray(list) ? (list as Resource[]) : []);

/** Entries of a multi-valued attribute of `current`, without those `drop` selects. */
function others(current: Resource | undefined, attribute: string, drop: (entry: Resource) => boolean): Resource[] {
  return entries(current?.[attribute]).filter((entry) => !drop(entry));
}

const isWork = (entry: Resource) => typeof entry.type === "string" && entry.type.toLowerCase() === "work";
/** A non-empty string, else null. */
export const str = (value: unknown): string | null => (typeof value === "string" && value !== "" ? value : null);

/**
 * The SCIM field table: every model field this transport carries. A field missing here (`role`,
 * `nationality`) cannot be expressed on SCIM and fails at `check`.
 */
const SCIM_FIELDS: { readonly [K in UserField]?: ScimField<UserFields[K]> } = {
  email: {
    path: "userName",
    read: (userName) => str(userName) ?? "",
    alsoWrite: (email, current) => [
      [
        "emails",
        [
          { value: email, type: "work", primary: true },
          ...others(current, "emails", (e) => e.primary === true || e.value === email),
        ],
      ],
    ],
    buildsOnCurrent: true,
  },
  firstName: { path: "name.givenName" },
  lastName: { path: "name.familyName" },
  phoneNumber: {
    path: "phoneNumbers",
    read: (list) => str(entries(list).filter(isWork).at(0)?.value),
    write: (phone, current) => {
      const kept = others(current, "phoneNumbers", isWork);
      const list = phone === null ? kept : [...kept, { value: phone, type: "work" }];
      return list.length > 0 ? list : null;
    },
    buildsOnCurrent: true,
  },
  language: {
    path: "preferredLanguage",
    // preferredLanguage may carry a region ("en-US"); the model keeps the ISO 639-1 part.
    read: (language) => str(language)?.split(/[-_]/)[0]?.toLowerCase() ?? null,
  },
  gender: {
    path: `${TRAVELPERK_USER}:gender`,
    read: (gender) => {
      const code = str(gender)?.toUpperCase();
      return code === "M" ? "male" : code === "F" ? "female" : null;
    },
    write: (gender) => (gender === null ? null : (GENDER_TO_SCIM[gender] ?? gender)),
    carries: (v) =>
      v === "male" || v === "female"
        ? undefined
        : `TravelPerk's SCIM extension records gender as M or F only; "${String(v)}" cannot be sent (leave gender unmanaged, or use travelperk:userApi rest)`,
  },
  dateOfBirth: {
    path: `${TRAVELPERK_USER}:dateOfBirth`,
    read: (date) => str(date)?.slice(0, 10) ?? null,
  },
  invoicingProfiles: {
    path: `${TRAVELPERK_USER}:invoiceProfiles`,
    read: (list) => (Array.isArray(list) ? (list as Resource[]).map((p) => String(p.value)) : null),
    write: (ids) => (ids === null ? null : ids.map((value) => ({ value }))),
  },
  costCenter: { path: `${ENTERPRISE_USER}:costCenter` },
  managerId: {
    path: `${ENTERPRISE_USER}:manager`,
    read: (manager) => {
      const value = manager && typeof manager === "object" ? (manager as Resource).value : undefined;
      return typeof value === "number" ? String(value) : str(value);
    },
    write: (id) => (id === null ? null : { value: id }),
  },
  isActive: {
    path: "active",
    read: (active) =>
      typeof active === "boolean" ? active : typeof active === "string" ? /^true$/i.test(active) : null,
  },
};

/** A field's row, typed for its own value; undefined where SCIM cannot carry the field. */
const rowOf = <K extends UserField>(field: K): ScimField<UserFields[K]> | undefined => SCIM_FIELDS[field];

/** What SCIM carries, for `check`: the fields of the table, each with the values it refuses. */
export const SCIM_CARRIES: CarriedFields = Object.fromEntries(
  USER_FIELDS.filter((field) => rowOf(field)).map((field) => [
    field,
    (value: unknown) => rowOf(field)?.carries?.(value),
  ]),
);

/** `[urn, "a.b"]` for an extension path, `[undefined, "a.b"]` for a core one. */
function splitPath(path: string): [string | undefined, string[]] {
  if (!path.startsWith("urn:")) return [undefined, path.split(".")];
  const cut = path.lastIndexOf(":");
  return [path.slice(0, cut), path.slice(cut + 1).split(".")];
}

/** The value at a SCIM path (core or extension, dotted sub-attributes). */
export function at(resource: Resource, path: string): unknown {
  const [urn, names] = splitPath(path);
  let node: unknown = urn ? resource[urn] : resource;
  for (const name of names) node = node && typeof node === "object" ? (node as Resource)[name] : undefined;
  return node;
}

/** Sets (or with null removes) the value at a SCIM path, creating the objects on the way. */
export function setAt(resource: Resource, path: string, value: unknown): void {
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

/** One field's value as `resource` holds it; null where SCIM does not carry the field. */
function readField<K extends UserField>(resource: Resource, field: K): UserFields[K] | null {
  const row = rowOf(field);
  if (!row) return null;
  const attribute = at(resource, row.path);
  return row.read ? row.read(attribute) : (str(attribute) as UserFields[K] | null);
}

/** The model's fields as a SCIM resource holds them, in the model's order. */
export function readFields(resource: Resource): { [K in UserField]: UserFields[K] | null } {
  return Object.fromEntries(USER_FIELDS.map((field) => [field, readField(resource, field)])) as {
    [K in UserField]: UserFields[K] | null;
  };
}

/** The attributes that carry one field's value. */
function fieldAttributes<K extends UserField>(
  field: K,
  value: UserFields[K] | null | undefined,
  current: Resource | undefined,
): [string, unknown][] {
  const row = rowOf(field);
  if (value === undefined || !row) return [];
  return [[row.path, row.write ? row.write(value, current) : value], ...(row.alsoWrite?.(value, current) ?? [])];
}

/** The attributes that carry `changes`, in table order. */
export function attributes(changes: UserChanges, current: Resource | undefined): [string, unknown][] {
  return USER_FIELDS.flatMap((field) => fieldAttributes(field, changes[field], current));
}

/** Whether writing `changes` builds on the user as last read (so it is read first when unknown). */
export function buildsOnCurrent(changes: UserChanges): boolean {
  return USER_FIELDS.some((field) => changes[field] !== undefined && rowOf(field)?.buildsOnCurrent === true);
}
