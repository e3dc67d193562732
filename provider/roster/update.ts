/**
 * `export --update`: what differs in TravelPerk written back into a roster file, as edits of the
 * file's YAML document (never a regenerated file), so comments, order, keys and formatting stay.
 * Only what the file manages for a person is compared (a field the file does not set, directly or
 * through `defaults`, is left absent); people the organisation has and the file lacks are appended
 * with `adoptExisting: true` (a membership of an authoritative group is the file's even for a person
 * without `groups`); a person deactivated in TravelPerk gets `isActive: false`, unless their
 * `endDate` has passed (then TravelPerk and the file agree). Lines that do not change stay byte for byte.
 */
import { isMap, isScalar, isSeq, parseDocument, Scalar, visit, type Document, type YAMLMap, type YAMLSeq } from "yaml";
import { USER_FIELDS, type User, type UserField } from "../client/users";
import { DEFAULT_TIME_ZONE, tenure, todayIn } from "./dates";
import { parseRoster } from "./load";
import type { Person } from "./schema";

/** A travel policy or group: its TravelPerk id and name. */
export interface Named {
  id: string;
  name: string;
}

/** Fields written per person: the e-mail comes first, the manager by e-mail, activity by section. */
export const PERSON_FIELDS = USER_FIELDS.filter(
  (field): field is Exclude<UserField, "email" | "managerId" | "isActive"> =>
    !["email", "managerId", "isActive"].includes(field),
);

/** One user of the organisation, as TravelPerk holds them and as `export` writes them. */
export interface OrganisationPerson {
  /** The user as read from TravelPerk. */
  user: User;
  /** The ids of the groups the user is a member of. */
  groupIds: string[];
  /** The person as `export` writes them: key, e-mail, fields, travel policy and groups by name, manager by e-mail. */
  entry: Record<string, unknown>;
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

/** A reference by name when the name is unique and non-empty, else by id. */
function referencer(items: Named[]): (id: string) => string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item.name.toLowerCase(), (counts.get(item.name.toLowerCase()) ?? 0) + 1);
  const byId = new Map(items.map((item) => [item.id, item]));
  return (id) => {
    const item = byId.get(id);
    return item && item.name && counts.get(item.name.toLowerCase()) === 1 ? item.name : id;
  };
}

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
    const entry: Record<string, unknown> = { key: user.email.toLowerCase(), email: user.email };
    for (const field of PERSON_FIELDS) {
      const value = user[field];
      if (value !== null && !(Array.isArray(value) && value.length === 0)) entry[field] = value;
    }
    if (user.travelPolicyId) entry.travelPolicy = policyRef(user.travelPolicyId);
    const groupIds = groupIdsOf.get(user.id) ?? [];
    if (groupIds.length) entry.groups = groupIds.map(groupRef).sort();
    if (user.managerId) entry.manager = emailById.get(user.managerId) ?? user.managerId;
    return { user, groupIds, entry };
  });
  return { people, policies: read.policies, groups: read.groups };
}

/**
 * One change `export --update` makes to the file: a field of a person in it, or a person appended.
 * `from` and `to` are as shown: `(none)` for an absent value, lists joined with ", ".
 */
export type RosterChange =
  { kind: "changed"; email: string; field: string; from: string; to: string } | { kind: "added"; email: string };

/** The file as `export --update` would write it, and why. */
export interface RosterUpdate {
  /** The new text of the file (the same text when nothing changes). */
  text: string;
  /** What differs, in file order, the appended people last. Empty when the file and the organisation agree. */
  changes: RosterChange[];
  /** What differs but is not written (people not in TravelPerk, values the file cannot express), one line each. */
  notes: string[];
}

/** Options of {@link updateRoster}. */
export interface UpdateOptions {
  /** Today, `YYYY-MM-DD`. Default: today in the roster's `defaults.timeZone` (UTC when it names none). */
  today?: string;
  /** What names the text in messages. Default: `roster`. */
  source?: string;
}

/** A change as one line, e.g. `jonas.weber@example.com: costCenter ENG-200 → ENG-300`. */
export function describeChange(change: RosterChange): string {
  return change.kind === "added"
    ? `new: ${change.email} (adoptExisting)`
    : `${change.email}: ${change.field} ${change.from} → ${change.to}`;
}

/**
 * What `export --update` says: one line per change (a Markdown list, for a pull request or job
 * summary), then what it did not write.
 *
 * @param update The update.
 * @param file The file's name as shown.
 * @param written Whether the file was written (false for `--check`).
 */
export function describeUpdate(update: RosterUpdate, file: string, written: boolean): string {
  const count = update.changes.length;
  const lines = count
    ? [
        `${file}: ${count} change${count === 1 ? "" : "s"} from TravelPerk${written ? "" : " (not written: --check)"}`,
        "",
        ...update.changes.map((change) => `- ${describeChange(change)}`),
      ]
    : [`${file} agrees with TravelPerk: no change.`];
  if (update.notes.length) lines.push("", "Not written:", "", ...update.notes.map((note) => `- ${note}`));
  return `${lines.join("\n")}\n`;
}

/** The order of a person's keys as `export` writes them (and new keys are placed by). */
const KEY_ORDER = [
  "key",
  "email",
  ...PERSON_FIELDS,
  "travelPolicy",
  "groups",
  "manager",
  "isActive",
  "onDelete",
  "adoptExisting",
  "startDate",
  "endDate",
  "protect",
];

const NONE = "(none)";
/** Values of the roster and of users: strings, booleans and lists of strings. */
type Shown = string | boolean | number | readonly (string | number)[] | null | undefined;
const show = (value: Shown): string =>
  value === undefined || value === null
    ? NONE
    : typeof value === "object"
      ? value.map(String).join(", ") || NONE
      : String(value);
const present = (value: unknown): boolean =>
  value !== null && value !== undefined && !(Array.isArray(value) && !value.length);
const sameValue = (a: Shown, b: Shown): boolean =>
  typeof a === "object" && typeof b === "object" && a && b
    ? JSON.stringify(a.map(String).sort()) === JSON.stringify(b.map(String).sort())
    : a === b;

/** The id a reference names in a list: by id, else by case-insensitive name; unknown references stay as they are. */
function idOf(items: Named[] | undefined, ref: string): string {
  if (!items) return ref;
  return (
    items.find((item) => item.id === ref)?.id ??
    items.find((item) => item.name.toLowerCase() === ref.toLowerCase())?.id ??
    ref
  );
}

/** The style of the file, for `toString`: what a re-serialised line should look like. */
function styleOf(doc: Document, text: string) {
  let padded = 0;
  let unpadded = 0;
  let single = 0;
  let double = 0;
  visit(doc, {
    Scalar(_, node) {
      if (node.type === Scalar.QUOTE_SINGLE) single++;
      else if (node.type === Scalar.QUOTE_DOUBLE) double++;
    },
    Seq(_, node) {
      if (node.flow && node.range && node.items.length) {
        if (text[node.range[0] + 1] === " ") padded++;
        else unpadded++;
      }
    },
    Map(_, node) {
      if (node.flow && node.range && node.items.length) {
        if (text[node.range[0] + 1] === " ") padded++;
        else unpadded++;
      }
    },
  });
  // `people:` then its first item: indented (`  - email`, the indentation step) or not (`- email`).
  const dash = /^people:[ \t]*(?:#.*)?\r?\n(?:[ \t]*(?:#.*)?\r?\n)*( *)- /m.exec(text)?.[1].length;
  // Else a top-level key's first nested key.
  const step = /^[^\s#-][^:\n]*:[ \t]*(?:#.*)?\r?\n(?:[ \t]*(?:#.*)?\r?\n)*( +)[^\s#-]/m.exec(text)?.[1].length;
  return {
    lineWidth: 0,
    indent: dash === undefined ? (step ?? 2) : Math.max(dash, 2),
    indentSeq: dash !== 0,
    flowCollectionPadding: padded > unpadded,
    singleQuote: single > double,
  };
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
  const source = options.source ?? "roster";
  const { roster } = parseRoster(text, source);
  const crlf = text.includes("\r\n");
  const original = crlf ? text.replace(/\r\n/g, "\n") : text;
  const doc = parseDocument(original);
  const style = styleOf(doc, original);
  const before = doc.toString(style);

  const defaults = roster.defaults ?? {};
  const today = options.today ?? todayIn(defaults.timeZone ?? DEFAULT_TIME_ZONE);
  const changes: RosterChange[] = [];
  const notes: string[] = [];
  const byEmail = new Map(organisation.people.map((p) => [p.user.email.toLowerCase(), p]));
  const byId = new Map(organisation.people.map((p) => [p.user.id, p]));
  const usesKeys = roster.people.some((p) => p.key !== undefined);
  const groupsStyle = roster.people.findIndex((p) => p.groups !== undefined);
  const flowGroups =
    groupsStyle >= 0 && (doc.getIn(["people", groupsStyle, "groups"], true) as YAMLSeq | undefined)?.flow === true;
  // The groups whose whole member list the file owns: a membership in one is managed for everyone.
  const authoritative = new Set(
    Object.entries(roster.groups ?? {})
      .filter(([, settings]) => settings.authoritative === true)
      .map(([ref]) => idOf(organisation.groups, ref)),
  );
  /** The roster person a manager reference names (by e-mail or key), if any. */
  const rosterPerson = (ref: string): Person | undefined => {
    const wanted = ref.toLowerCase();
    return roster.people.find((p) => p.email.toLowerCase() === wanted || (p.key ?? p.email).toLowerCase() === wanted);
  };

  roster.people.forEach((person, i) => {
    const node = doc.getIn(["people", i], true);
    if (!isMap(node)) return;
    const map = node;
    const found = byEmail.get(person.email.toLowerCase());
    const state = tenure(person, today);
    if (!found) {
      if (state !== "ended")
        notes.push(
          `not in TravelPerk: ${person.email} (${state === "pending" ? `starts ${String(person.startDate)}` : "up creates them"})`,
        );
      return;
    }
    // After the last day, TravelPerk and the file agree whatever the account holds: `up` offboards.
    if (state === "ended") return;
    const { user, entry } = found;
    const change = (field: string, from: string, to: string) => {
      changes.push({ kind: "changed", email: person.email, field, from, to });
    };
    const declaredActive = person.isActive ?? true;
    if (user.isActive === false) {
      // An old account of someone who has not started yet is not theirs to deactivate.
      if (state === "pending") return;
      if (declaredActive) {
        change("isActive", "true", "false");
        setField(doc, map, "isActive", false);
      }
      return; // a deactivated account's other fields are not kept
    }
    if (!declaredActive) {
      change("isActive", "false", "true");
      setField(doc, map, "isActive", true);
    }

    for (const field of PERSON_FIELDS) {
      const own = person[field];
      const inherited = own === undefined && (field === "role" || field === "language") ? defaults[field] : undefined;
      const declared = own ?? inherited;
      if (declared === undefined) continue;
      const actual = user[field];
      if (present(actual) ? sameValue(declared, actual) : false) continue;
      const from = inherited !== undefined ? `${show(declared)} (defaults)` : show(declared);
      if (!present(actual)) {
        if (inherited !== undefined || field === "firstName" || field === "lastName")
          notes.push(`${person.email}: ${field} ${from} → ${NONE} cannot be written (left as is)`);
        else {
          change(field, from, NONE);
          map.delete(field);
        }
        continue;
      }
      change(field, from, show(actual));
      setField(doc, map, field, actual);
    }

    const policyRef = person.travelPolicy ?? defaults.travelPolicy;
    if (policyRef !== undefined && idOf(organisation.policies, policyRef) !== user.travelPolicyId) {
      const from = person.travelPolicy === undefined ? `${policyRef} (defaults)` : policyRef;
      if (!user.travelPolicyId) {
        if (person.travelPolicy === undefined)
          notes.push(`${person.email}: travelPolicy ${from} → ${NONE} cannot be written (left as is)`);
        else {
          change("travelPolicy", from, NONE);
          map.delete("travelPolicy");
        }
      } else {
        change("travelPolicy", from, show(entry.travelPolicy as string));
        setField(doc, map, "travelPolicy", entry.travelPolicy);
      }
    }

    if (person.groups !== undefined) {
      const actual = new Set(found.groupIds);
      const ids = person.groups.map((ref) => idOf(organisation.groups, ref));
      const same = ids.length === actual.size && ids.every((id) => actual.has(id));
      if (!same) {
        const ref = referencer(organisation.groups);
        const kept = person.groups.filter((_, g) => actual.has(ids[g]));
        const added = found.groupIds
          .filter((id) => !ids.includes(id))
          .map(ref)
          .sort();
        change("groups", show(person.groups), show([...kept, ...added]));
        setGroups(doc, map, person.groups, [...kept, ...added]);
      }
    } else {
      // No groups of their own: a membership of an authoritative group is the file's all the same. It
      // is written with the person's other groups, as from then on the file lists all of them.
      if (found.groupIds.some((id) => authoritative.has(id))) {
        const all = found.groupIds.map(referencer(organisation.groups)).sort();
        change("groups", NONE, show(all));
        setField(doc, map, "groups", all);
        const seq = map.get("groups", true);
        if (isSeq(seq)) seq.flow = flowGroups;
      }
    }

    if (person.manager !== undefined) {
      const managerEmail = user.managerId ? byId.get(user.managerId)?.user.email : undefined;
      const named = rosterPerson(person.manager);
      const same = named
        ? managerEmail !== undefined && managerEmail.toLowerCase() === named.email.toLowerCase()
        : person.manager.includes("@")
          ? managerEmail?.toLowerCase() === person.manager.toLowerCase()
          : person.manager === user.managerId;
      if (!same) {
        if (!user.managerId) {
          change("manager", person.manager, NONE);
          map.delete("manager");
        } else {
          change("manager", person.manager, show(entry.manager as string));
          setField(doc, map, "manager", entry.manager);
        }
      }
    }
  });

  const listed = new Set(roster.people.map((p) => p.email.toLowerCase()));
  const newcomers = organisation.people.filter(
    (p) => p.user.isActive !== false && !listed.has(p.user.email.toLowerCase()),
  );
  if (newcomers.length) {
    let seq = doc.get("people", true);
    if (!isSeq(seq)) {
      seq = doc.createNode([]);
      doc.set("people", seq);
    }
    const people = seq as YAMLSeq;
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

  if (!changes.length) return { text, changes, notes };
  const after = doc.toString(style);
  let merged = overlay(original, before, after);
  if (!sameData(merged, after)) merged = after;
  return { text: crlf ? merged.replace(/\n/g, "\r\n") : merged, changes, notes };
}

/** Sets a person's field: a scalar keeps its quoting, a missing key goes where `export` would put it. */
function setField(doc: Document, map: YAMLMap, field: string, value: unknown): void {
  const pair = map.items.find((item) => isScalar(item.key) && item.key.value === field);
  if (pair) {
    if (isScalar(pair.value) && !Array.isArray(value)) pair.value.value = value;
    else {
      const flow = (isSeq(pair.value) || isMap(pair.value)) && pair.value.flow === true;
      const node = doc.createNode(value);
      if (isSeq(node)) node.flow = flow;
      pair.value = node;
    }
    return;
  }
  const rank = (key: unknown) => {
    const at = KEY_ORDER.indexOf(String(isScalar(key) ? key.value : key));
    return at < 0 ? KEY_ORDER.length : at;
  };
  const mine = rank(field);
  const at = map.items.findIndex((item) => rank(item.key) > mine);
  const created = doc.createPair(field, value);
  if (at < 0) map.items.push(created);
  else map.items.splice(at, 0, created);
}

/** Sets a person's groups, keeping the nodes (and so the spelling) of the references that stay. */
function setGroups(doc: Document, map: YAMLMap, refs: string[], wanted: string[]): void {
  const seq = map.get("groups", true);
  if (!isSeq(seq)) {
    setField(doc, map, "groups", wanted);
    return;
  }
  const nodes = new Map(refs.map((ref, g) => [ref, seq.items[g]]));
  seq.items = wanted.map((ref) => nodes.get(ref) ?? doc.createNode(ref));
}

/** Whether two YAML texts hold the same data. */
function sameData(a: string, b: string): boolean {
  const da = parseDocument(a);
  const db = parseDocument(b);
  return !da.errors.length && JSON.stringify(da.toJS()) === JSON.stringify(db.toJS());
}

/**
 * `after` with every line that the edit did not touch as it is in `original`: the edit is the line
 * diff of `before` (the unedited document re-serialised) and `after`; `original` and `before` differ
 * only where serialising normalised the file (comment spacing, blank lines), and those lines are kept.
 */
function overlay(original: string, before: string, after: string): string {
  const O = original.split("\n");
  const B = before.split("\n");
  const A = after.split("\n");
  const edit = diffLines(B, A);
  const align = diffLines(O, B);
  if (!edit || !align) return after;
  const kept = new Array<boolean>(B.length).fill(false);
  const inserted: string[][] = Array.from({ length: B.length + 1 }, () => []);
  let cursor = 0;
  for (const op of edit) {
    if (op.kind === "=") {
      kept[op.a] = true;
      cursor = op.a + 1;
    } else if (op.kind === "-") cursor = op.a + 1;
    else inserted[cursor].push(A[op.b]);
  }
  const out: string[] = [];
  for (let i = 0; i < align.length;) {
    const op = align[i];
    if (op.kind === "=") {
      out.push(...inserted[op.b]);
      if (kept[op.b]) out.push(O[op.a]);
      i++;
      continue;
    }
    const os: number[] = [];
    const bs: number[] = [];
    for (; i < align.length && align[i].kind !== "="; i++) {
      const hunk = align[i];
      if (hunk.kind === "-") os.push(hunk.a);
      else bs.push(hunk.b);
    }
    // Lines serialising reformatted: paired one for one from the top, each kept as it was unless the
    // edit changed it; lines only the serialiser wrote (a blank line) are left out, lines it dropped
    // stay while the hunk is otherwise untouched. (A pairing that goes wrong is caught by the caller.)
    const untouched = bs.every((b) => kept[b]);
    for (let k = 0; k < Math.max(os.length, bs.length); k++) {
      if (k < bs.length) out.push(...inserted[bs[k]]);
      if (k < os.length && (k < bs.length ? kept[bs[k]] : untouched)) out.push(O[os[k]]);
    }
  }
  out.push(...inserted[B.length]);
  return out.join("\n");
}

/** A step of a line diff: a line of both (`=`, at `a` and `b`), only of the first (`-`, at `a`), only of the second (`+`, at `b`). */
type DiffOp = { kind: "="; a: number; b: number } | { kind: "-"; a: number } | { kind: "+"; b: number };

/** The shortest line diff (Myers), or `undefined` when the texts differ in too many lines to bother. */
function diffLines(a: string[], b: string[], maxEdits = 4000): DiffOp[] | undefined {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const n = endA - start;
  const m = endB - start;
  const max = Math.min(n + m, maxEdits);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = n === 0 && m === 0 ? 0 : -1;
  for (let d = 0; d <= max && found < 0; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[start + x] === b[start + y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  if (found < 0) return undefined;
  const middle: DiffOp[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const prev = trace[d];
    const k = x - y;
    const down = k === -d || (k !== d && prev[offset + k - 1] < prev[offset + k + 1]);
    const prevK = down ? k + 1 : k - 1;
    const prevX = prev[offset + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      middle.push({ kind: "=", a: start + x, b: start + y });
    }
    if (down) {
      y--;
      middle.push({ kind: "+", b: start + y });
    } else {
      x--;
      middle.push({ kind: "-", a: start + x });
    }
  }
  while (x > 0 && y > 0) {
    x--;
    y--;
    middle.push({ kind: "=", a: start + x, b: start + y });
  }
  const ops: DiffOp[] = [];
  for (let i = 0; i < start; i++) ops.push({ kind: "=", a: i, b: i });
  ops.push(...middle.reverse());
  for (let i = 0; endA + i < a.length; i++) ops.push({ kind: "=", a: endA + i, b: endB + i });
  return ops;
}
