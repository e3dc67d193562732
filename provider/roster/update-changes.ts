/**
 * What `export --update` reports: the changes it makes to a roster file (a field of a person, or a
 * person appended), the notes on what it cannot write, and how values are shown and compared in
 * them. The command prints these lines; the pull request a scheduled job opens quotes them.
 */

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

/** An absent value, as shown. */
export const NONE = "(none)";

/** Values of the roster and of users: strings, booleans and lists of strings. */
export type Shown = string | boolean | number | readonly (string | number)[] | null | undefined;

/** A value as a change shows it: {@link NONE} when absent or an empty list, a list joined with ", ". */
export const show = (value: Shown): string =>
  value === undefined || value === null
    ? NONE
    : typeof value === "object"
      ? value.map(String).join(", ") || NONE
      : String(value);

/** Whether two values are the same: lists in any order. */
export const sameValue = (a: Shown, b: Shown): boolean =>
  typeof a === "object" && typeof b === "object" && a && b
    ? JSON.stringify(a.map(String).sort()) === JSON.stringify(b.map(String).sort())
    : a === b;

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
