/**
 * `export --update`: what differs in TravelPerk written back into a roster file, as edits of the
 * file's YAML document (never a regenerated file), so comments, order, keys and formatting stay.
 * Only what the file manages for a person is compared (a field the file does not set, directly or
 * through `defaults`, is left absent); people the organisation has and the file lacks are appended
 * with `adoptExisting: true` (a membership of an authoritative group is the file's even for a person
 * without `groups`); a person deactivated in TravelPerk gets `isActive: false`, unless their
 * `endDate` has passed (then TravelPerk and the file agree). Lines that do not change stay byte for
 * byte (line-diff.ts); the document edits are in yaml-edit.ts, the change list in update-changes.ts.
 */
import { isMap, isSeq, parseDocument, type Document, type YAMLMap, type YAMLSeq } from "yaml";
import { findByIdOrName, type Named } from "../names";
import { DEFAULT_TIME_ZONE, tenure, todayIn, type Tenure } from "./dates";
import { keepOriginalLines } from "./line-diff";
import { parseRoster } from "./load";
import { EXPORTED_USER_FIELDS, present, referencer, type Organisation, type OrganisationPerson } from "./organisation";
import { isPersonNamed } from "./people";
import type { Person, RosterDefaults, RosterFile } from "./schema";
import { NONE, sameValue, show, type RosterChange, type RosterUpdate } from "./update-changes";
import { documentStyle, sameYamlData, setField, setGroups } from "./yaml-edit";

/** Options of {@link updateRoster}. */
export interface UpdateOptions {
  /** Today, `YYYY-MM-DD`. Default: today in the roster's `defaults.timeZone` (UTC when it names none). */
  today?: string;
  /** What names the text in messages. Default: `roster`. */
  source?: string;
}

/** What every person's edit works with: the document and the roster, the organisation, and what was found. */
interface UpdateContext {
  doc: Document;
  roster: RosterFile;
  defaults: RosterDefaults;
  organisation: Organisation;
  /** The ids of the groups whose whole member list the file owns: a membership in one is managed for everyone. */
  authoritative: Set<string>;
  /** Whether the file writes a person's groups as a flow list (`groups: [Sales]`). */
  flowGroups: boolean;
  /** The organisation's people by user id. */
  byId: Map<string, OrganisationPerson>;
  changes: RosterChange[];
  notes: string[];
}

/** One person of the file, their node in the document, and their user in TravelPerk. */
interface PersonEdit {
  ctx: UpdateContext;
  person: Person;
  map: YAMLMap;
  found: OrganisationPerson;
}

/** The id a reference names in a list: by id, else by case-insensitive name; unknown references stay as they are. */
function idOf(items: Named[] | undefined, ref: string): string {
  if (!items) return ref;
  return findByIdOrName(items, ref)?.id ?? ref;
}

/** Records a change of one of the person's fields. */
function change({ ctx, person }: PersonEdit, field: string, from: string, to: string): void {
  ctx.changes.push({ kind: "changed", email: person.email, field, from, to });
}

/**
 * `isActive`, as TravelPerk holds it. Returns whether the person's other fields are compared: not
 * for a deactivated account, whose other fields are not kept.
 */
function editActivity(edit: PersonEdit, state: Tenure): boolean {
  const { ctx, map, person, found } = edit;
  const declaredActive = person.isActive ?? true;
  if (found.user.isActive === false) {
    // An old account of someone who has not started yet is not theirs to deactivate.
    if (state === "pending") return false;
    if (declaredActive) {
      change(edit, "isActive", "true", "false");
      setField(ctx.doc, map, "isActive", false);
    }
    return false;
  }
  if (!declaredActive) {
    change(edit, "isActive", "false", "true");
    setField(ctx.doc, map, "isActive", true);
  }
  return true;
}

/** The user fields the person declares (or inherits from `defaults`), as TravelPerk holds them. */
function editFields(edit: PersonEdit): void {
  const { ctx, map, person, found } = edit;
  for (const field of EXPORTED_USER_FIELDS) {
    const own = person[field];
    const inherited = own === undefined && (field === "role" || field === "language") ? ctx.defaults[field] : undefined;
    const declared = own ?? inherited;
    if (declared === undefined) continue;
    const actual = found.user[field];
    if (present(actual) ? sameValue(declared, actual) : false) continue;
    const from = inherited !== undefined ? `${show(declared)} (defaults)` : show(declared);
    if (!present(actual)) {
      if (inherited !== undefined || field === "firstName" || field === "lastName")
        ctx.notes.push(`${person.email}: ${field} ${from} → ${NONE} cannot be written (left as is)`);
      else {
        change(edit, field, from, NONE);
        map.delete(field);
      }
      continue;
    }
    change(edit, field, from, show(actual));
    setField(ctx.doc, map, field, actual);
  }
}

/** The travel policy the person declares (or inherits from `defaults`), as TravelPerk holds it. */
function editPolicy(edit: PersonEdit): void {
  const { ctx, map, person, found } = edit;
  const policyRef = person.travelPolicy ?? ctx.defaults.travelPolicy;
  if (policyRef === undefined || idOf(ctx.organisation.policies, policyRef) === found.user.travelPolicyId) return;
  const from = person.travelPolicy === undefined ? `${policyRef} (defaults)` : policyRef;
  if (!found.user.travelPolicyId) {
    if (person.travelPolicy === undefined)
      ctx.notes.push(`${person.email}: travelPolicy ${from} → ${NONE} cannot be written (left as is)`);
    else {
      change(edit, "travelPolicy", from, NONE);
      map.delete("travelPolicy");
    }
    return;
  }
  change(edit, "travelPolicy", from, show(found.entry.travelPolicy));
  setField(ctx.doc, map, "travelPolicy", found.entry.travelPolicy);
}

/** The person's groups as TravelPerk holds them: those the file lists, or any for an authoritative group. */
function editGroups(edit: PersonEdit): void {
  const { ctx, map, person, found } = edit;
  const ref = referencer(ctx.organisation.groups);
  if (person.groups !== undefined) {
    const actual = new Set(found.groupIds);
    const declared = person.groups.map((name) => ({ name, id: idOf(ctx.organisation.groups, name) }));
    const ids = declared.map((group) => group.id);
    if (ids.length === actual.size && ids.every((id) => actual.has(id))) return;
    const kept = declared.filter((group) => actual.has(group.id)).map((group) => group.name);
    const added = found.groupIds
      .filter((id) => !ids.includes(id))
      .map(ref)
      .sort();
    change(edit, "groups", show(person.groups), show([...kept, ...added]));
    setGroups(ctx.doc, map, person.groups, [...kept, ...added]);
  } else if (found.groupIds.some((id) => ctx.authoritative.has(id))) {
    // No groups of their own: a membership of an authoritative group is the file's all the same. It
    // is written with the person's other groups, as from then on the file lists all of them.
    const all = found.groupIds.map(ref).sort();
    change(edit, "groups", NONE, show(all));
    setField(ctx.doc, map, "groups", all);
    const seq = map.get("groups", true);
    if (isSeq(seq)) seq.flow = ctx.flowGroups;
  }
}

/** The manager the person declares, as TravelPerk holds them: by e-mail (or key) when in the file, else by id. */
function editManager(edit: PersonEdit): void {
  const { ctx, map, person, found } = edit;
  const { user, entry } = found;
  if (person.manager === undefined) return;
  const managerEmail = user.managerId ? ctx.byId.get(user.managerId)?.user.email : undefined;
  const wanted = person.manager;
  const named = ctx.roster.people.find((p) => isPersonNamed(p, wanted));
  const same = named
    ? managerEmail !== undefined && managerEmail.toLowerCase() === named.email.toLowerCase()
    : wanted.includes("@")
      ? managerEmail?.toLowerCase() === wanted.toLowerCase()
      : wanted === user.managerId;
  if (same) return;
  if (!user.managerId) {
    change(edit, "manager", wanted, NONE);
    map.delete("manager");
  } else {
    change(edit, "manager", wanted, show(entry.manager));
    setField(ctx.doc, map, "manager", entry.manager);
  }
}

/** The organisation's active people the file lacks, appended with `adoptExisting: true`. */
function appendNewcomers({ doc, roster, organisation, flowGroups, changes }: UpdateContext): void {
  const listed = new Set(roster.people.map((p) => p.email.toLowerCase()));
  const newcomers = organisation.people.filter(
    (p) => p.user.isActive !== false && !listed.has(p.user.email.toLowerCase()),
  );
  if (!newcomers.length) return;
  const usesKeys = roster.people.some((p) => p.key !== undefined);
  const existing = doc.get("people", true);
  const people = isSeq(existing) ? existing : (doc.createNode([]) as YAMLSeq);
  if (people !== existing) doc.set("people", people);
  people.flow = false;
  for (const { user, entry } of newcomers) {
    const { key, ...rest } = entry;
    const node = doc.createNode(
      usesKeys ? { key, ...rest, adoptExisting: true } : { ...rest, adoptExisting: true },
    ) as YAMLMap;
    const groups = node.get("groups", true);
    if (isSeq(groups)) groups.flow = flowGroups;
    people.items.push(node);
    changes.push({ kind: "added", email: user.email });
  }
}

/**
 * Edits `text` so that it says what the organisation holds, for what the file manages.
 *
 * @param text The roster file's text.
 * @param organisation The organisation, as `export` reads it ({@link organisationOf}).
 * @param options Today and the file's name for messages.
 * @throws {@link RosterError} when the file is not a valid roster.
 */
export function updateRoster(text: string, organisation: Organisation, options: UpdateOptions = {}): RosterUpdate {
  const { roster } = parseRoster(text, options.source ?? "roster");
  const crlf = text.includes("\r\n");
  const original = crlf ? text.replace(/\r\n/g, "\n") : text;
  const doc = parseDocument(original);
  const style = documentStyle(doc, original);
  const before = doc.toString(style);

  const defaults = roster.defaults ?? {};
  const today = options.today ?? todayIn(defaults.timeZone ?? DEFAULT_TIME_ZONE);
  const groupsStyle = roster.people.findIndex((p) => p.groups !== undefined);
  const styledGroups = groupsStyle >= 0 ? doc.getIn(["people", groupsStyle, "groups"], true) : undefined;
  const ctx: UpdateContext = {
    doc,
    roster,
    defaults,
    organisation,
    authoritative: new Set(
      Object.entries(roster.groups ?? {})
        .filter(([, settings]) => settings.authoritative === true)
        .map(([ref]) => idOf(organisation.groups, ref)),
    ),
    flowGroups: isSeq(styledGroups) && styledGroups.flow === true,
    byId: new Map(organisation.people.map((p) => [p.user.id, p])),
    changes: [],
    notes: [],
  };
  const byEmail = new Map(organisation.people.map((p) => [p.user.email.toLowerCase(), p]));

  roster.people.forEach((person, i) => {
    const map = doc.getIn(["people", i], true);
    if (!isMap(map)) return;
    const found = byEmail.get(person.email.toLowerCase());
    const state = tenure(person, today);
    if (!found) {
      if (state !== "ended")
        ctx.notes.push(
          `not in TravelPerk: ${person.email} (${state === "pending" ? `starts ${String(person.startDate)}` : "up creates them"})`,
        );
      return;
    }
    // After the last day, TravelPerk and the file agree whatever the account holds: `up` offboards.
    if (state === "ended") return;
    const edit: PersonEdit = { ctx, person, map, found };
    if (!editActivity(edit, state)) return;
    editFields(edit);
    editPolicy(edit);
    editGroups(edit);
    editManager(edit);
  });
  appendNewcomers(ctx);

  const { changes, notes } = ctx;
  if (!changes.length) return { text, changes, notes };
  const after = doc.toString(style);
  let merged = keepOriginalLines(original, before, after);
  if (!sameYamlData(merged, after)) merged = after;
  return { text: crlf ? merged.replace(/\n/g, "\r\n") : merged, changes, notes };
}
