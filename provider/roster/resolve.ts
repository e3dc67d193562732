/**
 * Resolving a parsed roster: the checks that need the whole file (duplicate e-mails and keys,
 * managers, cycles, dates) and the organisation's lists (travel policy, group and cost centre names),
 * ending in each person with ids instead of names and the defaults applied. Every problem is found
 * before any is raised, so one {@link RosterError} lists them all, each with its line.
 */
import { findByIdOrName, knownNames, type Named } from "../names";
import { RosterError, dateProblems, problemAt, type ParsedRoster } from "./load";
import { copyField } from "./copy-field";
import { isPersonNamed, personKey } from "./people";
import {
  PERSON_USER_FIELDS,
  type Person,
  type PersonUserField,
  type PersonUserFields,
  type RosterDefaults,
} from "./schema";
import type { PathItem } from "./source-position";

/**
 * The organisation's named lists a roster refers to. A list that is `undefined` is not served by the
 * organisation: its names are taken as they are (a policy's name is then its id; cost centres unchecked).
 */
export interface Directory {
  policies: Named[] | undefined;
  groups: Named[];
  costCenters?: Named[];
}

/** One person, validated and resolved: ids instead of names, defaults applied. */
export interface ResolvedPerson {
  key: string;
  email: string;
  /** User fields as declared (plus defaults), in the provider's words. */
  fields: PersonUserFields;
  policy?: { id: string; label: string };
  groups: { id: string; label: string }[];
  /** The manager, as a roster key (created first) or an external id. */
  manager?: { key: string } | { id: string };
  onDelete: "deactivate" | "delete" | "retain";
  adoptExisting: boolean;
  /** The first working day (`YYYY-MM-DD` in the roster's time zone): created by a run on or after it. */
  startDate?: string;
  /** The last working day (`YYYY-MM-DD`): offboarded by a run on any later day. */
  endDate?: string;
  /** Whether offboarding, deleting or demoting the person fails the guard (unless `--allow-protected`). */
  protect: boolean;
}

/** A group of the roster's top-level `groups:` map, resolved against the organisation's groups. */
export interface ResolvedGroup {
  /** The group's TravelPerk id. */
  id: string;
  /** The group's name (its id when TravelPerk has none): the name of its `GroupMembers` child. */
  label: string;
  /** The roster owns the group's whole member list (see the schema's `authoritative`). */
  authoritative: boolean;
}

/** Records a problem at a place of the roster. */
type Problem = (at: PathItem[], text: string) => void;

/** A reference by id or name: the item's id and label, else the problem naming every known one. */
function lookup(kind: string, items: Named[], ref: string): { id: string; label: string } | string {
  const found = findByIdOrName(items, ref);
  if (found) return { id: found.id, label: found.id === ref ? found.name || found.id : found.name };
  return `unknown ${kind} "${ref}"; ${knownNames(kind, items)}`;
}

/** Whether the roster refers to any policy or group (so the lists are worth fetching). */
export function needsDirectory({ roster }: ParsedRoster): boolean {
  return (
    Boolean(roster.defaults?.travelPolicy) ||
    Object.keys(roster.groups ?? {}).length > 0 ||
    roster.people.some((p) => p.travelPolicy !== undefined || (p.groups?.length ?? 0) > 0 || p.costCenter !== undefined)
  );
}

/**
 * The `groups:` map resolved to ids: each key is a group's name (case-insensitive) or id. An unknown
 * group, or one group named by two keys (its name and its id, or two spellings), is a problem at its key.
 */
function groupMap({ roster, where }: ParsedRoster, directory: Directory, problem: Problem): ResolvedGroup[] {
  const groups: (ResolvedGroup & { ref: string })[] = [];
  for (const [ref, settings] of Object.entries(roster.groups ?? {})) {
    const found = lookup("group", directory.groups, ref);
    const first = typeof found === "string" ? undefined : groups.find((g) => g.id === found.id);
    if (typeof found === "string") problem(["groups", ref], found);
    else if (first)
      problem(
        ["groups", ref],
        `group "${ref}" is listed twice (also as "${first.ref}", ${where(["groups", first.ref])})`,
      );
    else groups.push({ ...found, ref, authoritative: settings.authoritative ?? false });
  }
  return groups.map(({ ref: _ref, ...group }) => group);
}

/**
 * The roster's `groups:` map, resolved: each group's id, label and whether the roster owns its whole
 * member list. Call it after {@link resolveRoster}, which reports the same problems with the others.
 *
 * @throws {@link RosterError} naming each unknown or repeated group with its line.
 */
export function resolveGroups(parsed: ParsedRoster, directory: Directory): ResolvedGroup[] {
  const problems: string[] = [];
  const groups = groupMap(parsed, directory, (at, text) => problems.push(problemAt(parsed.where, at, text)));
  if (problems.length > 0) throw new RosterError(parsed.source, problems);
  return groups;
}

/** Two people with one e-mail, or one key: a problem at the second, naming the first. */
function duplicatePeople({ roster, where }: ParsedRoster, problem: Problem): void {
  const firstByEmail = new Map<string, number>();
  const firstByKey = new Map<string, number>();
  roster.people.forEach((person, i) => {
    const email = person.email.toLowerCase();
    const key = personKey(person);
    const sameEmail = firstByEmail.get(email);
    if (sameEmail !== undefined)
      problem(
        ["people", i, "email"],
        `duplicate e-mail ${person.email} (also people[${sameEmail}], ${where(["people", sameEmail])})`,
      );
    else firstByEmail.set(email, i);
    const sameKey = firstByKey.get(key);
    if (sameKey !== undefined && sameEmail === undefined)
      problem(
        ["people", i, person.key ? "key" : "email"],
        `duplicate key "${key}" (also people[${sameKey}], ${where(["people", sameKey])})`,
      );
    else if (sameKey === undefined) firstByKey.set(key, i);
  });
}

/** Whether a person declares a value (a declared empty list clears the field, so it counts). */
const declared = <T>(value: T): value is NonNullable<T> => value !== undefined;

/** The user fields a person declares, then the defaults' role and language where the person has none. */
function userFields(person: Person, defaults: RosterDefaults): PersonUserFields {
  const fields: PersonUserFields = { email: person.email, firstName: person.firstName, lastName: person.lastName };
  for (const field of PERSON_USER_FIELDS) copyField<Person, PersonUserField>(fields, person, field, declared);
  if (fields.role === undefined && defaults.role) fields.role = defaults.role;
  if (fields.language === undefined && defaults.language) fields.language = defaults.language;
  return fields;
}

/** One person with names resolved to ids and the defaults applied; what cannot be resolved is a problem. */
function resolvePerson(
  { person, i, people }: { person: Person; i: number; people: readonly Person[] },
  defaults: RosterDefaults,
  directory: Directory,
  problem: Problem,
): ResolvedPerson {
  let policy: ResolvedPerson["policy"];
  const policyRef = person.travelPolicy ?? defaults.travelPolicy;
  if (policyRef !== undefined) {
    const found = directory.policies
      ? lookup("travel policy", directory.policies, policyRef)
      : { id: policyRef, label: policyRef };
    if (typeof found === "string")
      problem(person.travelPolicy !== undefined ? ["people", i, "travelPolicy"] : ["defaults", "travelPolicy"], found);
    else policy = found;
  }
  if (person.costCenter !== undefined && directory.costCenters) {
    const found = lookup("cost center", directory.costCenters, person.costCenter);
    if (typeof found === "string") problem(["people", i, "costCenter"], found);
  }
  const groups: ResolvedPerson["groups"] = [];
  (person.groups ?? []).forEach((ref, g) => {
    const found = lookup("group", directory.groups, ref);
    if (typeof found === "string") problem(["people", i, "groups", g], found);
    else if (groups.some((existing) => existing.id === found.id))
      problem(["people", i, "groups", g], `group "${ref}" is listed twice`);
    else groups.push(found);
  });

  let manager: ResolvedPerson["manager"];
  const managerRef = person.manager;
  if (managerRef !== undefined) {
    const named = people.find((other) => isPersonNamed(other, managerRef));
    if (named === person) problem(["people", i, "manager"], "a person cannot be their own manager");
    else if (named) manager = { key: personKey(named) };
    else if (managerRef.includes("@"))
      problem(
        ["people", i, "manager"],
        `manager ${managerRef} is not in the roster (use their e-mail as listed, or a TravelPerk user id)`,
      );
    else manager = { id: managerRef };
  }
  return {
    key: personKey(person),
    email: person.email,
    fields: userFields(person, defaults),
    policy,
    groups,
    manager,
    onDelete: person.onDelete ?? defaults.onDelete ?? "deactivate",
    adoptExisting: person.adoptExisting ?? defaults.adoptExisting ?? false,
    startDate: person.startDate,
    endDate: person.endDate,
    protect: person.protect ?? false,
  };
}

/** Managers are created before their reports, so a cycle of managers could never be created. */
function managerCycles(resolved: readonly ResolvedPerson[], problem: Problem): void {
  const indexByKey = new Map(resolved.map((p, i) => [p.key, i]));
  const state = new Array<0 | 1 | 2>(resolved.length).fill(0);
  const visit = (i: number, chain: number[]): void => {
    if (state[i] === 2) return;
    if (state[i] === 1) {
      const cycle = [...chain.slice(chain.indexOf(i)), i].map((j) => resolved[j]?.email).join(" → ");
      problem(["people", i, "manager"], `managers form a cycle: ${cycle}`);
      return;
    }
    state[i] = 1;
    const manager = resolved[i]?.manager;
    if (manager && "key" in manager) {
      const next = indexByKey.get(manager.key);
      if (next !== undefined) visit(next, [...chain, i]);
    }
    state[i] = 2;
  };
  resolved.forEach((_, i) => {
    visit(i, []);
  });
}

/** The checks that need the whole roster and the organisation's lists; throws a RosterError listing all. */
export function resolveRoster(parsed: ParsedRoster, directory: Directory): ResolvedPerson[] {
  const { roster, where, source } = parsed;
  const problems: string[] = [];
  const problem: Problem = (at, text) => {
    problems.push(problemAt(where, at, text));
  };
  const defaults = roster.defaults ?? {};
  duplicatePeople(parsed, problem);
  const resolved = roster.people.map((person, i) =>
    resolvePerson({ person, i, people: roster.people }, defaults, directory, problem),
  );
  problems.push(...dateProblems(parsed));
  groupMap(parsed, directory, problem);
  managerCycles(resolved, problem);
  if (problems.length > 0) throw new RosterError(source, problems);
  return resolved;
}
