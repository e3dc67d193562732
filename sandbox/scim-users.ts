/**
 * Users between the store (canonical, REST-contract fields) and SCIM documents, through the user field
 * table (user-fields.ts, SCIM_MAPPINGS): each canonical field, the SCIM attribute it is, and the
 * conversion both ways. SCIM attributes with no canonical field are kept in `SandboxUser.scim` and
 * merged back on read; role and nationality have no SCIM attribute at all and keep their values
 * through every SCIM write. Also the live REST shape of a user, derived from the SCIM view.
 */
import { Json, isObject, prune, unset } from "./scim-filter";
import { userResource } from "./scim-schema-defs";
import { ResourceSchema, ScimInvalid, URN } from "./scim-schemas";
import type { Meta, SandboxUser } from "./records";
import type { Store } from "./store";
import { SCIM_MAPPINGS, type ScimLocation } from "./user-fields";

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

// ---- reading and writing a location in a document ----

function containerOf(doc: Json, at: ScimLocation, create: boolean): Json | undefined {
  if (!at.ext) return doc;
  const ext = doc[at.ext];
  if (isObject(ext)) return ext;
  if (!create) return undefined;
  return (doc[at.ext] = {});
}

/** The value at the location, removed from the document (a picked element keeps its other sub-attributes). */
function take(doc: Json, at: ScimLocation): unknown {
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
function peek(doc: Json, at: ScimLocation): unknown {
  const holder = containerOf(doc, at, false);
  const v = holder?.[at.attr];
  if (at.pick) return undefined;
  return at.sub === undefined ? v : isObject(v) ? v[at.sub] : undefined;
}

function put(doc: Json, at: ScimLocation, value: unknown): void {
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

const enabled = (c: ScimContext) => SCIM_MAPPINGS.filter((m) => !m.travel || c.travelFields);
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
