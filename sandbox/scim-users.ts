/**
 * Users between the store (canonical, REST-contract fields) and SCIM documents, through one table
 * (MAPPINGS): each canonical field, the SCIM attribute it is, and the conversion both ways. SCIM
 * attributes with no canonical field are kept in `SandboxUser.scim` and merged back on read; role and
 * nationality have no SCIM attribute at all and keep their values through every SCIM write.
 */
import { Json, isObject, unset } from "./scim-filter";
import { ResourceSchema, ScimInvalid, URN, userResource } from "./scim-schemas";
import { prune } from "./scim-document";
import { EMAIL, Meta, Named, SandboxUser, Store, validDate } from "./store";

/** What renders and reads depend on besides the user: the store, the mode and the knobs of the moment. */
export interface ScimContext {
  store: Store;
  /** The SCIM base URL, for meta.location and $ref. */
  base: string;
  live: boolean;
  /** The TravelPerk extension is shown and writable (scimTravelFields). */
  travelFields: boolean;
  /** meta.version and ETags (scimEtags). */
  etags: boolean;
  resource: ResourceSchema;
  /** Precomputed `groups` of each user (membershipIndex), when many users are rendered at once. */
  memberships?: Map<string, Json[]>;
}

const copy = <T>(v: T): T => structuredClone(v);
export const etagOf = (m: Meta): string => `W/"${String(m.version)}"`;

export function metaOf(c: ScimContext, resourceType: string, path: string, m: Meta | undefined): Json {
  return {
    resourceType,
    created: m?.created,
    lastModified: m?.lastModified,
    location: `${c.base}${path}`,
    ...(c.etags && m && { version: etagOf(m) }),
  };
}

/**
 * Where a field lives in a SCIM document: an attribute (of the core schema, or of the extension `ext`),
 * maybe a sub-attribute, or the `value` of the element of a multi-valued attribute that `pick` selects.
 */
interface Location {
  ext?: string;
  attr: string;
  sub?: string;
  pick?: { test: (e: Json) => boolean; template: Json };
}

interface Mapping {
  field: keyof SandboxUser;
  at: Location;
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

const str = (where: string) => (v: unknown) => {
  if (typeof v !== "string") throw new ScimInvalid(`${where} must be a string`);
  return v;
};
const textOrNull = (where: string) => (v: unknown) => (str(where)(v).trim() === "" ? null : v);
const isWork = (e: Json) => typeof e.type === "string" && e.type.toLowerCase() === "work";
const displayNameOf = (u: SandboxUser): string =>
  (typeof u.scim?.displayName === "string" && u.scim.displayName) ||
  [u.first_name, u.last_name].filter(Boolean).join(" ") ||
  u.email;

/** The mapping table canonical <-> SCIM; the order is the order fields are read and written. */
export const MAPPINGS: Mapping[] = [
  {
    field: "email",
    at: { attr: "userName" },
    toScim: (u) => u.email,
    fromScim: (v) => {
      if (typeof v !== "string" || !EMAIL.test(v)) throw new ScimInvalid("userName must be an e-mail address");
      return v;
    },
  },
  {
    field: "email",
    mirror: true,
    at: { attr: "emails", pick: { test: (e) => e.primary === true, template: { type: "work", primary: true } } },
    toScim: (u) => u.email,
    fromScim: (v) => {
      if (typeof v !== "string" || !EMAIL.test(v))
        throw new ScimInvalid("the primary e-mail must be an e-mail address");
      return v;
    },
  },
  {
    field: "first_name",
    at: { attr: "name", sub: "givenName" },
    toScim: (u) => u.first_name,
    fromScim: str("name.givenName"),
  },
  {
    field: "last_name",
    at: { attr: "name", sub: "familyName" },
    toScim: (u) => u.last_name,
    fromScim: str("name.familyName"),
  },
  {
    field: "language",
    at: { attr: "preferredLanguage" },
    // "en-US" is stored as "en"; the full tag stays in the bag and is shown while the language is the same.
    toScim: (u, _, stored) =>
      u.language && typeof stored === "string" && stored.slice(0, 2).toLowerCase() === u.language ? stored : u.language,
    fromScim: (v) => {
      const m = typeof v === "string" ? /^([a-z]{2})(?:[-_][a-z0-9]{1,8})*$/i.exec(v) : null;
      if (!m) throw new ScimInvalid("preferredLanguage must be a language tag such as en or en-US");
      return m[1].toLowerCase();
    },
    residue: (v) => (typeof v === "string" && v.length > 2 ? v : undefined),
  },
  {
    field: "is_active",
    at: { attr: "active" },
    toScim: (u) => u.is_active ?? true,
    fromScim: (v) => v,
    absent: () => true,
  },
  {
    field: "phone_number",
    at: { attr: "phoneNumbers", pick: { test: isWork, template: { type: "work" } } },
    toScim: (u) => u.phone_number,
    fromScim: (v) => {
      const phone = str('phoneNumbers[type eq "work"].value')(v).replace(/[\s().-]/g, "");
      if (phone === "") return null;
      if (!/^\+[1-9]\d{1,14}$/.test(phone))
        throw new ScimInvalid('phoneNumbers[type eq "work"].value must be an E.164 number, e.g. +34600000000');
      return phone;
    },
  },
  {
    field: "cost_center",
    at: { ext: URN.enterprise, attr: "costCenter" },
    toScim: (u) => u.cost_center,
    fromScim: textOrNull(`${URN.enterprise}:costCenter`),
  },
  {
    field: "manager_id",
    at: { ext: URN.enterprise, attr: "manager" },
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
  {
    field: "gender",
    travel: true,
    at: { ext: URN.travelperk, attr: "gender" },
    toScim: (u) => (u.gender === "male" ? "M" : u.gender === "female" ? "F" : undefined),
    fromScim: (v) => {
      if (v !== "M" && v !== "F") throw new ScimInvalid(`${URN.travelperk}:gender must be M or F`);
      return v === "M" ? "male" : "female";
    },
    absent: (current) => (current?.gender === "other" ? "other" : null), // "other" cannot be shown, so is never unset
  },
  {
    field: "date_of_birth",
    travel: true,
    at: { ext: URN.travelperk, attr: "dateOfBirth" },
    toScim: (u) => u.date_of_birth,
    fromScim: (v, c) => {
      const reason = validDate(v, c.store);
      if (reason) throw new ScimInvalid(`${URN.travelperk}:dateOfBirth ${reason}`);
      return v;
    },
  },
  {
    field: "travel_policy",
    travel: true,
    at: { ext: URN.travelperk, attr: "travelPolicy" },
    toScim: (u, c) =>
      u.travel_policy ? (c.store.getPolicy(u.travel_policy.id)?.name ?? u.travel_policy.name) : undefined,
    fromScim: (v, c): Named | null => {
      const name = str(`${URN.travelperk}:travelPolicy`)(v).trim();
      if (name === "") return null;
      const policy = c.store.listPolicies().find((p) => p.name.toLowerCase() === name.toLowerCase());
      if (!policy) throw new ScimInvalid(`${URN.travelperk}:travelPolicy: no travel policy named "${name}"`);
      return policy;
    },
  },
  {
    field: "invoicing_profiles",
    travel: true,
    at: { ext: URN.travelperk, attr: "invoiceProfiles" },
    toScim: (u) => (u.invoicing_profiles?.length ? u.invoicing_profiles.map((p) => ({ value: p.id })) : undefined),
    fromScim: (v, c) => {
      const profiles = c.store.listProfiles();
      return (v as Json[]).map((p) => {
        const name = str(`${URN.travelperk}:invoiceProfiles.value`)(p.value);
        if (!profiles.length) return { id: name }; // no profile list to check against (contract mode)
        const found = profiles.find((q) => q.name.toLowerCase() === name.toLowerCase());
        if (!found) throw new ScimInvalid(`${URN.travelperk}:invoiceProfiles: no invoice profile named "${name}"`);
        return { id: found.name };
      });
    },
    absent: () => [],
  },
];

// ---- reading and writing a location in a document ----

function containerOf(doc: Json, at: Location, create: boolean): Json | undefined {
  if (!at.ext) return doc;
  const ext = doc[at.ext];
  if (isObject(ext)) return ext;
  if (!create) return undefined;
  return (doc[at.ext] = {});
}

/** The value at the location, removed from the document (a picked element keeps its other sub-attributes). */
function take(doc: Json, at: Location): unknown {
  const holder = containerOf(doc, at, false);
  if (!holder) return undefined;
  const v = holder[at.attr];
  const pick = at.pick;
  if (pick) {
    const entry = Array.isArray(v) ? (v as unknown[]).find((e): e is Json => isObject(e) && pick.test(e)) : undefined;
    if (!entry) return undefined;
    const value = entry.value;
    unset(entry, "value");
    return value;
  }
  if (at.sub === undefined) {
    unset(holder, at.attr);
    return v;
  }
  if (!isObject(v)) return undefined;
  const value = v[at.sub];
  unset(v, at.sub);
  return value;
}

/** What the bag holds at the location (for `toScim`'s `stored`). */
function peek(doc: Json, at: Location): unknown {
  const holder = containerOf(doc, at, false);
  const v = holder?.[at.attr];
  if (at.pick) return undefined;
  return at.sub === undefined ? v : isObject(v) ? v[at.sub] : undefined;
}

function put(doc: Json, at: Location, value: unknown): void {
  const holder = containerOf(doc, at, true) ?? doc;
  const pick = at.pick;
  if (pick) {
    const list = Array.isArray(holder[at.attr]) ? (holder[at.attr] as unknown[]) : [];
    const i = list.findIndex((e) => isObject(e) && pick.test(e));
    if (value === undefined || value === null) {
      if (i >= 0) list.splice(i, 1);
    } else if (i >= 0) list[i] = { value, ...(list[i] as Json) };
    else list.unshift({ value, ...pick.template });
    holder[at.attr] = list;
  } else if (at.sub === undefined) holder[at.attr] = value;
  else {
    const parent = holder[at.attr];
    holder[at.attr] = { ...(isObject(parent) ? parent : {}), [at.sub]: value };
  }
}

/** Each user's `groups` attribute, for all users at once (a list renders every user). */
export function membershipIndex(c: Pick<ScimContext, "store" | "base">): Map<string, Json[]> {
  const index = new Map<string, Json[]>();
  for (const g of c.store.listGroups())
    for (const id of c.store.groupMembers(g.id)) {
      const ref = { value: g.id, $ref: `${c.base}/Groups/${g.id}`, display: g.name, type: "direct" };
      index.set(id, [...(index.get(id) ?? []), ref]);
    }
  return index;
}

const enabled = (c: ScimContext) => MAPPINGS.filter((m) => !m.travel || c.travelFields);
const extensions = (c: ScimContext) => c.resource.extensions.map((s) => s.id);

// ---- store -> SCIM ----

export function toScimUser(u: SandboxUser, c: ScimContext): Json {
  const doc: Json = copy(u.scim ?? {});
  if (!c.travelFields) unset(doc, URN.travelperk);
  for (const m of enabled(c)) put(doc, m.at, m.toScim(u, c, peek(doc, m.at)) ?? undefined);
  const groups = (c.memberships ?? membershipIndex(c)).get(u.id) ?? [];
  const pruned = (prune(doc) as Json | undefined) ?? {};
  const out: Json = { schemas: [URN.user, ...extensions(c)], id: u.id };
  // In the order /Schemas lists the attributes; extension objects are always there, maybe empty.
  for (const a of c.resource.core.attributes) if (a.name in pruned) out[a.name] = pruned[a.name];
  // The live API answers `groups: []` for a user in no group; the guide's SCIM leaves it out.
  if (groups.length || c.live) out.groups = groups;
  for (const urn of extensions(c)) out[urn] = pruned[urn] ?? {};
  out.meta = metaOf(c, "User", `/Users/${u.id}`, c.store.userMetaOf(u.id));
  return out;
}

// ---- SCIM -> store ----

/** Marks one e-mail primary: the one that says so, else the one that is the userName. */
function choosePrimaryEmail(doc: Json): void {
  const emails = Array.isArray(doc.emails) ? (doc.emails as unknown[]).filter(isObject) : [];
  let primary = emails.find((e) => e.primary === true);
  if (!primary && typeof doc.userName === "string") {
    const userName = doc.userName.toLowerCase();
    primary = emails.find((e) => typeof e.value === "string" && e.value.toLowerCase() === userName);
  }
  for (const e of emails) delete e.primary;
  if (primary) primary.primary = true;
}

/**
 * The fields and the bag a full user document (a POST or PUT body, or a patched document) describes.
 * Mapped attributes left out are unset; `current` is the user before (PUT, PATCH), `before` the
 * document before a PATCH: a PATCH that changes only the primary e-mail changes the userName with it.
 */
export function userFromDoc(
  doc: Json,
  c: ScimContext,
  current?: SandboxUser,
  before?: Json,
): { fields: Partial<SandboxUser> & { email: string }; bag: Json } {
  const rest = copy(doc);
  delete rest.schemas;
  choosePrimaryEmail(rest);
  const fields: Record<string, unknown> = {};
  let primaryEmail: unknown;
  for (const m of enabled(c)) {
    const sent = take(rest, m.at);
    if (m.mirror) {
      primaryEmail = sent === undefined || sent === null ? undefined : m.fromScim(sent, c, current?.id);
      continue;
    }
    fields[m.field] =
      sent === undefined || sent === null ? (m.absent?.(current) ?? null) : m.fromScim(sent, c, current?.id);
    const kept = m.residue?.(sent);
    if (kept !== undefined) put(rest, m.at, kept);
  }
  if (typeof fields.email !== "string") throw new ScimInvalid("userName is required");
  if (before && typeof primaryEmail === "string" && fields.email === before.userName) {
    const was = (before.emails as Json[] | undefined)?.find((e) => e.primary === true)?.value;
    if (primaryEmail !== was) fields.email = primaryEmail; // the PATCH changed the primary e-mail, not the userName
  }
  // The other e-mails never repeat the login.
  if (Array.isArray(rest.emails))
    rest.emails = (rest.emails as unknown[]).filter(
      (e) =>
        !(
          isObject(e) &&
          typeof e.value === "string" &&
          e.value.toLowerCase() === (fields.email as string).toLowerCase()
        ),
    );
  const bag = (prune(rest) as Json | undefined) ?? {};
  return { fields: fields as Partial<SandboxUser> & { email: string }, bag };
}

// ---- the live REST shape, derived from the SCIM view so the mapping stays in one place ----

/** A user as the live surface's `GET /users` shows it. */
export function toLiveRestUser(u: SandboxUser, c: ScimContext): Json {
  // The live REST shape has no groups: skip working them out.
  const doc = toScimUser(u, { ...c, travelFields: true, resource: userResource(true), memberships: new Map() });
  const name = isObject(doc.name) ? doc.name : {};
  const phones = Array.isArray(doc.phoneNumbers) ? (doc.phoneNumbers as Json[]) : [];
  const contact = u.scim?.[URN.travelperk];
  const emergency = isObject(contact) && isObject(contact.emergencyContact) ? contact.emergencyContact : undefined;
  return {
    id: u.id,
    user_name: u.email,
    name: {
      first_name: name.givenName ?? null,
      last_name: name.familyName ?? null,
      middle_name: name.middleName ?? null,
      title: name.honorificPrefix ?? null,
    },
    preferred_language: doc.preferredLanguage ?? null,
    locale: doc.locale ?? null,
    active: doc.active,
    job_title: doc.title ?? null,
    phone_numbers: phones.map((p) => p.value).filter((v) => typeof v === "string"),
    emergency_contact: emergency ? { name: emergency.name ?? null, phone: emergency.phone ?? null } : null,
  };
}
