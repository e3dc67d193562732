/**
 * The organisation as `export` reads it: every user with the roster entry `export` writes for them
 * (travel policy and groups by name where the name is unambiguous, the manager by e-mail). Plain
 * `export` writes these entries as a new file; `export --update` compares a file against them.
 */
import type { User, UserFields } from "../client/users";
import type { Named } from "../names";
import { copyField } from "./copy-field";
import { personKey } from "./people";
import { PERSON_USER_FIELDS, type Person, type PersonUserField } from "./schema";

/** A user field `export` writes as TravelPerk holds it: not the e-mail (written first), not activity (by section). */
export type ExportedUserField = Exclude<PersonUserField, "email" | "isActive">;

/** The user fields `export` writes per person as they are, in the model's order. */
export const EXPORTED_USER_FIELDS = PERSON_USER_FIELDS.filter(
  (field): field is ExportedUserField => field !== "email" && field !== "isActive",
);

/**
 * A person as `export` writes them: key, e-mail, the fields TravelPerk holds (in the model's types,
 * which are the roster schema's), travel policy and groups by name, manager by e-mail.
 */
export type ExportedPerson = { key: string; email: string } & Partial<Pick<UserFields, ExportedUserField>> &
  Partial<Pick<Person, "travelPolicy" | "groups" | "manager">>;

/** One user of the organisation, as TravelPerk holds them and as `export` writes them. */
export interface OrganisationPerson {
  /** The user as read from TravelPerk. */
  user: User;
  /** The ids of the groups the user is a member of. */
  groupIds: string[];
  /** The person as `export` writes them: key, e-mail, fields, travel policy and groups by name, manager by e-mail. */
  entry: ExportedPerson;
}

/** The organisation as `export` reads it. */
export interface Organisation {
  /** Every user, active or not, sorted by e-mail. */
  people: OrganisationPerson[];
  /** The travel policies, or `undefined` when the organisation serves no listing (a reference is then an id). */
  policies: Named[] | undefined;
  /** The groups (departments). */
  groups: Named[];
}

/** Whether TravelPerk holds a value: not null (nor absent), not an empty list. */
export const present = <T>(value: T): value is NonNullable<T> =>
  value !== null && value !== undefined && !(Array.isArray(value) && !value.length);

/** A reference by name when the name is unique and non-empty, else by id. */
export function referencer(items: Named[]): (id: string) => string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item.name.toLowerCase(), (counts.get(item.name.toLowerCase()) ?? 0) + 1);
  const byId = new Map(items.map((item) => [item.id, item]));
  return (id) => {
    const item = byId.get(id);
    return item && item.name && counts.get(item.name.toLowerCase()) === 1 ? item.name : id;
  };
}

/** The user fields `export` writes for a person, as TravelPerk holds them. */
type HeldFields = Partial<Pick<UserFields, ExportedUserField>>;

/** The same user fields as read: each may be null. */
type ReadFields = { [F in ExportedUserField]: UserFields[F] | null };

/**
 * The organisation from what was read: each user with the entry `export` writes for them (names for
 * ids where unambiguous, the manager by e-mail when they are active, empty fields left out).
 *
 * @param read The users, the groups with their members' ids, and the policies (`undefined`: not served).
 */
export function organisationOf(read: {
  users: User[];
  groups: Named[];
  members: ReadonlyMap<string, readonly string[]>;
  policies: Named[] | undefined;
}): Organisation {
  const groupRef = referencer(read.groups);
  const policyRef = referencer(read.policies ?? []);
  const groupIdsOf = new Map<string, string[]>();
  for (const group of read.groups)
    for (const userId of read.members.get(group.id) ?? [])
      groupIdsOf.set(userId, [...(groupIdsOf.get(userId) ?? []), group.id]);
  const users = [...read.users].sort((a, b) => a.email.localeCompare(b.email));
  const emailById = new Map(users.filter((u) => u.isActive !== false).map((u) => [u.id, u.email]));
  const people = users.map((user): OrganisationPerson => {
    const held: HeldFields = {};
    for (const field of EXPORTED_USER_FIELDS) copyField<ReadFields, ExportedUserField>(held, user, field, present);
    const entry: ExportedPerson = { key: personKey(user), email: user.email, ...held };
    if (user.travelPolicyId) entry.travelPolicy = policyRef(user.travelPolicyId);
    const groupIds = groupIdsOf.get(user.id) ?? [];
    if (groupIds.length) entry.groups = groupIds.map(groupRef).sort();
    if (user.managerId) entry.manager = emailById.get(user.managerId) ?? user.managerId;
    return { user, groupIds, entry };
  });
  return { people, policies: read.policies, groups: read.groups };
}
