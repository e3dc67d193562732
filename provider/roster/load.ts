/**
 * Reading a roster: YAML with line numbers, then schema validation. Every problem names the file,
 * the line and the field: `roster.yaml:42 people[7].email: …`. The checks that need the whole file
 * and the organisation's lists come after, in resolve.ts; nothing is registered and no write is sent
 * until the whole roster is valid.
 */
import * as fs from "fs";
import * as path from "path";
import { LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { rosterFileSchema, type RosterFile } from "./schema";
import { formatPath } from "../resources/validation";
import { sourcePositions, type PathItem, type Where } from "./source-position";

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

/** A problem as {@link RosterError} lists it: `roster.yaml:42 people[7].email: text`. */
export function problemAt(where: Where, at: readonly PathItem[], text: string): string {
  return `${where(at)} ${formatPath(at)}: ${text}`;
}

function schemaProblems(issues: z.core.$ZodIssue[], where: Where): string[] {
  return issues.flatMap((issue) => {
    const at = issue.path.filter((p): p is PathItem => typeof p !== "symbol");
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => problemAt(where, [...at, key], "is not a roster field"));
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
      doc.errors.map((e) => `${source}:${e.linePos?.[0].line ?? 1}: ${e.message.split("\n")[0] ?? ""}`),
    );
  }
  const where = sourcePositions(doc, lineCounter, source);
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
 * The dates' cross-field check: a last working day (`endDate`) before the first (`startDate`) is
 * refused, naming the place of the `endDate`.
 *
 * @returns One line per problem, as {@link RosterError} lists them; none when the dates agree.
 */
export function dateProblems({ roster, where }: ParsedRoster): string[] {
  return roster.people.flatMap((person, i) => {
    if (person.startDate === undefined || person.endDate === undefined || person.endDate >= person.startDate) return [];
    return [
      problemAt(
        where,
        ["people", i, "endDate"],
        `${person.endDate} is before startDate ${person.startDate}: the last working day cannot come before the first`,
      ),
    ];
  });
}
