/**
 * Reading a roster: YAML with line numbers, schema validation, then the checks that need the whole
 * file (duplicates, managers, cycles) and the organisation's lists (policy and group names). Every
 * problem names the file, the line and the field: `roster.yaml:42 people[7].email: …`. Nothing is
 * registered and no write is sent until the whole roster is valid.
 */
import * as fs from "fs";
import * as path from "path";
import { LineCounter, isCollection, isMap, isScalar, parseDocument } from "yaml";
import type { z } from "zod";
import { USER_FIELDS } from "../client/users";
import { rosterFileSchema, type RosterFile } from "./schema";
import { formatPath } from "../resources/validation";

/** Raised when a roster is invalid; `problems` holds one line per problem. */
export class RosterError extends Error {
  /** Builds the error; its message lists every problem, one per line. */
  constructor(
    /** What was read: the file path, or "roster" for inline people. */
    readonly source: string,
    /** One line per problem, each naming the place: `roster.yaml:42 people[7].email: …`. */
    readonly problems: string[],
  ) {
    super(
      `${source} is not a valid roster (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  ${problems.join("\n  ")}`,
    );
    this.name = "RosterError";
  }
}

/**
 * A key or list index in a path into the roster, e.g. `people`, `7`, `email`.
 *
 * @inline
 */
type PathItem = string | number;

/**
 * A parsed roster and a way to name the place of a path in it (`roster.yaml:42`).
 *
 * @inline
 */
export interface ParsedRoster {
  /** The roster, schema-checked. */
  roster: RosterFile;
  /** What was read: the file path, or "roster" for inline people. */
  source: string;
  /**
   * Names the place of a path in the source, e.g. `["people", 7, "email"]` → `roster.yaml:42`.
   *
   * @param path Keys and list indexes from the top of the roster.
   */
  where: (path: readonly PathItem[]) => string;
}

function schemaProblems(issues: z.core.$ZodIssue[], where: (p: readonly PathItem[]) => string): string[] {
  return issues.flatMap((issue) => {
    const at = issue.path.filter((p): p is PathItem => typeof p !== "symbol");
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => `${where([...at, key])} ${formatPath([...at, key])}: is not a roster field`);
    }
    return [`${where(at)} ${formatPath(at) || "(file)"}: ${issue.message}`];
  });
}

/**
 * Parses and schema-checks roster text.
 *
 * @param text The roster, as YAML.
 * @param source What names the text in messages: a file path, or "roster".
 * @throws {@link RosterError} listing every problem, each with its line.
 */
export function parseRoster(text: string, source: string): ParsedRoster {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new RosterError(
      source,
      doc.errors.map((e) => `${source}:${e.linePos?.[0].line ?? 1}: ${e.message.split("\n")[0]}`),
    );
  }
  const where = (items: readonly PathItem[]): string => {
    // A key whose value is a block (a map or a list, e.g. `groups: Sales:`) is named by its own line.
    const last = items.at(-1);
    const parent = typeof last === "string" ? doc.getIn(items.slice(0, -1), true) : undefined;
    const pair = isMap(parent) ? parent.items.find((p) => isScalar(p.key) && p.key.value === last) : undefined;
    if (pair && isCollection(pair.value) && isScalar(pair.key) && pair.key.range)
      return `${source}:${lineCounter.linePos(pair.key.range[0]).line}`;
    for (let n = items.length; n >= 0; n--) {
      const node = doc.getIn(items.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node?.range) return `${source}:${lineCounter.linePos(node.range[0]).line}`;
    }
    return `${source}:1`;
  };
  const parsed = rosterFileSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) throw new RosterError(source, schemaProblems(parsed.error.issues, where));
  return { roster: parsed.data, source, where };
}

/**
 * Reads and schema-checks a roster file.
 *
 * @param file The file's path.
 * @throws {@link RosterError} listing every problem, each with its line.
 */
export function readRosterFile(file: string): ParsedRoster {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new RosterError(file, [
      `${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    ]);
  }
  return parseRoster(text, path.relative(process.cwd(), file) || file);
}

/** Schema-checks a roster given as data (the `people`/`defaults` form of the component). */
export function checkRosterData(data: unknown, source = "roster"): ParsedRoster {
  const parsed = rosterFileSchema.safeParse(data);
  const where = () => source;
  if (!parsed.success) throw new RosterError(source, schemaProblems(parsed.error.issues, where));
  return { roster: parsed.data, source, where };
}

/**
 * The organisation's named lists a roster refers to. A list that is `undefined` is not served by the
 * organisation: its names are taken as they are (a policy's name is then its id; cost centres unchecked).
 */
export interface Directory {
  policies: { id: string; name: string }[] | undefined;
  groups: { id: string; name: string }[];
  costCenters?: { id: string; name: string }[];
}

/** One person, validated and resolved: ids instead of names, defaults applied. */
export interface ResolvedPerson {
  key: string;
  email: string;
  /** User fields as declared (plus defaults), in the provider's words. */
  fields: Record<string, unknown>;
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

/** The user fields a person declares directly (the manager is resolved separately). */
const PERSON_USER_FIELDS = USER_FIELDS.filter((field) => field !== "managerId");

function lookup(
  kind: string,
  items: { id: string; name: string }[],
  ref: string,
): { id: string; label: string } | string {
  const byId = items.find((item) => item.id === ref);
  if (byId) return { id: byId.id, label: byId.name || byId.id };
  const byName = items.find((item) => item.name.toLowerCase() === ref.toLowerCase());
  if (byName) return { id: byName.id, label: byName.name };
  const names = items.map((item) => `"${item.name}"`).join(", ");
  return `unknown ${kind} "${ref}"; the ${kind}s are: ${names || "(none)"}`;
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
 * The dates' cross-field check: a last working day (`endDate`) before the first (`startDate`) is
 * refused, naming the place of the `endDate`.
 *
 * @returns One line per problem, as {@link RosterError} lists them; none when the dates agree.
 */
export function dateProblems({ roster, where }: ParsedRoster): string[] {
  return roster.people.flatMap((person, i) => {
    if (person.startDate === undefined || person.endDate === undefined || person.endDate >= person.startDate) return [];
    const at: PathItem[] = ["people", i, "endDate"];
    return [
      `${where(at)} ${formatPath(at)}: ${person.endDate} is before startDate ${person.startDate}: the last working day cannot come before the first`,
    ];
  });
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

/**
 * The `groups:` map resolved to ids: each key is a group's name (case-insensitive) or id. An unknown
 * group, or one group named by two keys (its name and its id, or two spellings), is a problem at its key.
 */
function groupMap(
  { roster, where }: ParsedRoster,
  directory: Directory,
  problem: (at: PathItem[], text: string) => void,
): ResolvedGroup[] {
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
  const groups = groupMap(parsed, directory, (at, text) =>
    problems.push(`${parsed.where(at)} ${formatPath(at)}: ${text}`),
  );
  if (problems.length > 0) throw new RosterError(parsed.source, problems);
  return groups;
}

/** The checks that need the whole roster and the organisation's lists; throws a RosterError listing all. */
export function resolveRoster(parsed: ParsedRoster, directory: Directory): ResolvedPerson[] {
  const { roster, where, source } = parsed;
  const problems: string[] = [];
  const problem = (at: PathItem[], text: string): void => {
    problems.push(`${where(at)} ${formatPath(at)}: ${text}`);
  };
  const defaults = roster.defaults ?? {};

  const firstByEmail = new Map<string, number>();
  const firstByKey = new Map<string, number>();
  roster.people.forEach((person, i) => {
    const email = person.email.toLowerCase();
    const key = (person.key ?? person.email).toLowerCase();
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

  const resolved = roster.people.map((person, i): ResolvedPerson => {
    const key = (person.key ?? person.email).toLowerCase();
    const fields: Record<string, unknown> = {};
    for (const field of PERSON_USER_FIELDS) if (person[field] !== undefined) fields[field] = person[field];
    if (fields.role === undefined && defaults.role) fields.role = defaults.role;
    if (fields.language === undefined && defaults.language) fields.language = defaults.language;

    let policy: ResolvedPerson["policy"];
    const policyRef = person.travelPolicy ?? defaults.travelPolicy;
    if (policyRef !== undefined) {
      const found = directory.policies
        ? lookup("travel policy", directory.policies, policyRef)
        : { id: policyRef, label: policyRef };
      if (typeof found === "string")
        problem(
          person.travelPolicy !== undefined ? ["people", i, "travelPolicy"] : ["defaults", "travelPolicy"],
          found,
        );
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
    if (person.manager !== undefined) {
      const ref = person.manager.toLowerCase();
      const index = roster.people.findIndex(
        (other) => other.email.toLowerCase() === ref || (other.key ?? other.email).toLowerCase() === ref,
      );
      if (index === i) problem(["people", i, "manager"], "a person cannot be their own manager");
      else if (index >= 0) manager = { key: (roster.people[index].key ?? roster.people[index].email).toLowerCase() };
      else if (ref.includes("@"))
        problem(
          ["people", i, "manager"],
          `manager ${person.manager} is not in the roster (use their e-mail as listed, or a TravelPerk user id)`,
        );
      else manager = { id: person.manager };
    }
    return {
      key,
      email: person.email,
      fields,
      policy,
      groups,
      manager,
      onDelete: person.onDelete ?? defaults.onDelete ?? "deactivate",
      adoptExisting: person.adoptExisting ?? defaults.adoptExisting ?? false,
      startDate: person.startDate,
      endDate: person.endDate,
      protect: person.protect ?? false,
    };
  });
  problems.push(...dateProblems(parsed));
  groupMap(parsed, directory, problem);

  // Managers are created before their reports, so a cycle could never be created.
  const indexByKey = new Map(resolved.map((p, i) => [p.key, i]));
  const state = new Array<0 | 1 | 2>(resolved.length).fill(0);
  const visit = (i: number, chain: number[]): void => {
    if (state[i] === 2) return;
    if (state[i] === 1) {
      const cycle = [...chain.slice(chain.indexOf(i)), i].map((j) => resolved[j].email).join(" → ");
      problem(["people", i, "manager"], `managers form a cycle: ${cycle}`);
      return;
    }
    state[i] = 1;
    const manager = resolved[i].manager;
    if (manager && "key" in manager) {
      const next = indexByKey.get(manager.key);
      if (next !== undefined) visit(next, [...chain, i]);
    }
    state[i] = 2;
  };
  resolved.forEach((_, i) => {
    visit(i, []);
  });

  if (problems.length > 0) throw new RosterError(source, problems);
  return resolved;
}
