/**
 * The sandbox store's user fields in one table (USER_FIELDS). A user record's field names are the REST
 * wire names; each row says what REST checks on a written value, whether a create requires it or a
 * write may send null, what a create gives it when the body leaves it out, and which SCIM attributes it
 * is (with the conversion both ways). REST validation (`validateUserBody`), the create defaults
 * (`newUser`) and the SCIM mapping (`SCIM_MAPPINGS`, read by scim-users.ts) all derive from it. Adding a
 * field is its type in records.ts plus one row here, which the compiler insists on.
 */
import { Json, isObject } from "./scim-filter";
import { ScimInvalid, URN } from "./scim-schemas";
import type { ScimContext } from "./scim-users";
import type { Named, SandboxUser } from "./records";
import {
  Check,
  E164,
  EMAIL,
  isNonEmpty,
  isRef,
  isWork,
  displayNameOf,
  nonEmpty,
  oneOf,
  pattern,
  scimEmail,
  str,
  textOrNull,
  validDate,
} from "./user-checks";

/** The fields of a user record that a client writes (not the id, not the SCIM-only bag). */
export type UserField = Exclude<keyof SandboxUser, "id" | "scim">;

/**
 * Where a field lives in a SCIM document: an attribute (of the core schema, or of the extension `ext`),
 * maybe a sub-attribute, or the `value` of the element of a multi-valued attribute that `pick` selects.
 */
export interface ScimLocation {
  ext?: string;
  attr: string;
  sub?: string;
  pick?: { test: (e: Json) => boolean; template: Json };
}

/** One SCIM attribute a field is. */
export interface ScimAttribute {
  at: ScimLocation;
  /** Part of the TravelPerk extension: mapped only when travel fields are on. */
  travel?: boolean;
  /** The primary e-mail mirrors userName: read only to notice a PATCH that changed it alone. */
  mirror?: boolean;
  /** The SCIM value of the field (undefined: absent); `stored` is what the bag holds there. */
  toScim: (u: SandboxUser, c: ScimContext, stored: unknown) => unknown;
  /** The field's value for a SCIM value that is present (not null); throws ScimInvalid when it is not acceptable. */
  fromScim: (v: unknown, c: ScimContext, selfId: string | undefined) => unknown;
  /** The field's value when a full write leaves the attribute out (default null). */
  absent?: (current: SandboxUser | undefined) => unknown;
  /** What the bag keeps of the sent value (default nothing): a language tag's region, say. */
  residue?: (sent: unknown) => unknown;
}

export interface FieldRow<K extends UserField> {
  /** REST: why a written value is invalid; a body key with no row is refused. */
  check: Check;
  /** REST: a create must send it. */
  required?: true;
  /** REST: `null` is accepted and means "unset". */
  nullable?: true;
  /** What a REST create gives the field when the body leaves it out (no default: the field is required). */
  blank?: SandboxUser[K];
  /** The SCIM attributes it is, in the order they are read and written; none: it has no SCIM attribute. */
  scim: ScimAttribute[];
}

const enterprise = (attr: string): ScimLocation => ({ ext: URN.enterprise, attr });
const travel = (attr: string): ScimLocation => ({ ext: URN.travelperk, attr });
const TP = URN.travelperk;

/** Every user field, in the order a created user's fields come on the wire. */
export const USER_FIELDS: { readonly [K in UserField]: FieldRow<K> } = {
  email: {
    check: pattern(EMAIL, "must be a valid e-mail address"),
    required: true,
    scim: [
      { at: { attr: "userName" }, toScim: (u) => u.email, fromScim: scimEmail("userName must be an e-mail address") },
      {
        at: { attr: "emails", pick: { test: (e) => e.primary === true, template: { type: "work", primary: true } } },
        mirror: true,
        toScim: (u) => u.email,
        fromScim: scimEmail("the primary e-mail must be an e-mail address"),
      },
    ],
  },
  first_name: {
    check: nonEmpty,
    required: true,
    blank: null,
    scim: [{ at: { attr: "name", sub: "givenName" }, toScim: (u) => u.first_name, fromScim: str("name.givenName") }],
  },
  last_name: {
    check: nonEmpty,
    required: true,
    blank: null,
    scim: [{ at: { attr: "name", sub: "familyName" }, toScim: (u) => u.last_name, fromScim: str("name.familyName") }],
  },
  role: { check: oneOf("traveler", "travel_manager", "company_admin"), nullable: true, blank: null, scim: [] },
  phone_number: {
    check: pattern(E164, "must be an E.164 number, e.g. +34600000000"),
    nullable: true,
    blank: null,
    scim: [
      {
        at: { attr: "phoneNumbers", pick: { test: isWork, template: { type: "work" } } },
        toScim: (u) => u.phone_number,
        fromScim: (v) => {
          const phone = str('phoneNumbers[type eq "work"].value')(v).replace(/[\s().-]/g, "");
          if (phone === "") return null;
          if (!E164.test(phone))
            throw new ScimInvalid('phoneNumbers[type eq "work"].value must be an E.164 number, e.g. +34600000000');
          return phone;
        },
      },
    ],
  },
  language: {
    check: pattern(/^[a-z]{2}$/, "must be an ISO 639-1 code (two lowercase letters)"),
    nullable: true,
    blank: null,
    scim: [
      {
        at: { attr: "preferredLanguage" },
        // "en-US" is stored as "en"; the full tag stays in the bag and is shown while the language is the same.
        toScim: (u, _, stored) =>
          u.language && typeof stored === "string" && stored.slice(0, 2).toLowerCase() === u.language
            ? stored
            : u.language,
        fromScim: (v) => {
          const language = (typeof v === "string" ? /^([a-z]{2})(?:[-_][a-z0-9]{1,8})*$/i.exec(v) : null)?.[1];
          if (!language) throw new ScimInvalid("preferredLanguage must be a language tag such as en or en-US");
          return language.toLowerCase();
        },
        residue: (v) => (typeof v === "string" && v.length > 2 ? v : undefined),
      },
    ],
  },
  gender: {
    check: oneOf("male", "female", "other"),
    nullable: true,
    blank: null,
    scim: [
      {
        at: travel("gender"),
        travel: true,
        toScim: (u) => (u.gender === "male" ? "M" : u.gender === "female" ? "F" : undefined),
        fromScim: (v) => {
          if (v !== "M" && v !== "F") throw new ScimInvalid(`${TP}:gender must be M or F`);
          return v === "M" ? "male" : "female";
        },
        absent: (current) => (current?.gender === "other" ? "other" : null), // "other" cannot be shown, so is never unset
      },
    ],
  },
  date_of_birth: {
    check: validDate,
    nullable: true,
    blank: null,
    scim: [
      {
        at: travel("dateOfBirth"),
        travel: true,
        toScim: (u) => u.date_of_birth,
        fromScim: (v) => {
          const reason = validDate(v);
          if (reason) throw new ScimInvalid(`${TP}:dateOfBirth ${reason}`);
          return v;
        },
      },
    ],
  },
  nationality: {
    check: pattern(/^[A-Z]{2}$/, "must be an ISO 3166-1 alpha-2 code (two uppercase letters)"),
    nullable: true,
    blank: null,
    scim: [],
  },
  invoicing_profiles: {
    check: (v) => (Array.isArray(v) && v.every(isRef) ? undefined : "must be an array of {id}"),
    blank: [],
    scim: [
      {
        at: travel("invoiceProfiles"),
        travel: true,
        toScim: (u) => (u.invoicing_profiles?.length ? u.invoicing_profiles.map((p) => ({ value: p.id })) : undefined),
        fromScim: (v, c) => {
          const profiles = c.store.listProfiles();
          return (v as Json[]).map((p) => {
            const name = str(`${TP}:invoiceProfiles.value`)(p.value);
            if (!profiles.length) return { id: name }; // no profile list to check against (contract mode)
            const found = profiles.find((q) => q.name.toLowerCase() === name.toLowerCase());
            if (!found) throw new ScimInvalid(`${TP}:invoiceProfiles: no invoice profile named "${name}"`);
            return { id: found.name };
          });
        },
        absent: () => [],
      },
    ],
  },
  travel_policy: {
    check: (v, store) =>
      !isRef(v) ? "must be {id} or null" : store.getPolicy(v.id) ? undefined : `no travel policy ${v.id}`,
    nullable: true,
    blank: null,
    scim: [
      {
        at: travel("travelPolicy"),
        travel: true,
        toScim: (u, c) =>
          u.travel_policy ? (c.store.getPolicy(u.travel_policy.id)?.name ?? u.travel_policy.name) : undefined,
        fromScim: (v, c): Named | null => {
          const name = str(`${TP}:travelPolicy`)(v).trim();
          if (name === "") return null;
          const policy = c.store.listPolicies().find((p) => p.name.toLowerCase() === name.toLowerCase());
          if (!policy) throw new ScimInvalid(`${TP}:travelPolicy: no travel policy named "${name}"`);
          return policy;
        },
      },
    ],
  },
  manager_id: {
    check: (v, store, selfId) =>
      !isNonEmpty(v)
        ? "must be a user id"
        : v === selfId
          ? "cannot be the user's own id"
          : store.getUser(v)
            ? undefined
            : `no user ${v}`,
    nullable: true,
    blank: null,
    scim: [
      {
        at: enterprise("manager"),
        toScim: (u, c) => {
          if (!u.manager_id) return undefined;
          const manager = c.store.getUser(u.manager_id);
          return {
            value: u.manager_id,
            $ref: `${c.base}/Users/${u.manager_id}`,
            ...(manager && { displayName: displayNameOf(manager) }),
          };
        },
        fromScim: (v, c, selfId) => {
          const id = isObject(v) ? v.value : v;
          if (id === undefined || id === null || id === "") return null;
          if (typeof id !== "string") throw new ScimInvalid("manager.value must be a user id (a string)");
          if (id === selfId) throw new ScimInvalid("a user cannot be their own manager");
          if (!c.store.getUser(id)) throw new ScimInvalid(`manager.value: no user ${id}`);
          return id;
        },
      },
    ],
  },
  cost_center: {
    check: (v) => (typeof v === "string" ? undefined : "must be a string"),
    nullable: true,
    blank: null,
    scim: [
      {
        at: enterprise("costCenter"),
        toScim: (u) => u.cost_center,
        fromScim: textOrNull(`${URN.enterprise}:costCenter`),
      },
    ],
  },
  is_active: {
    check: (v) => (typeof v === "boolean" ? undefined : "must be a boolean"),
    blank: true,
    scim: [{ at: { attr: "active" }, toScim: (u) => u.is_active ?? true, fromScim: (v) => v, absent: () => true }],
  },
};

export type Row = FieldRow<UserField>;
/** The rows with their field names, in table order. */
export const ROWS = Object.entries(USER_FIELDS) as [UserField, Row][];
/** The row of a body key; undefined when no field has that name. */
export const rowOf = (key: string): Row | undefined => (USER_FIELDS as Partial<Record<string, Row>>)[key];

/** One SCIM attribute of one field: the mapping scim-users.ts reads and writes users through. */
export interface ScimMapping extends ScimAttribute {
  field: UserField;
}
/** Every field's SCIM attributes, in table order. */
export const SCIM_MAPPINGS: ScimMapping[] = ROWS.flatMap(([field, row]) => row.scim.map((a) => ({ field, ...a })));
