/**
 * Where a place of the roster is in its YAML text, as `roster.yaml:42`: every problem a roster has
 * names its line this way. Kept apart from reading the file because it is the one piece that walks
 * the YAML document's nodes and their offsets.
 */
import { isCollection, isMap, isScalar, type Document, type LineCounter } from "yaml";

/**
 * A key or list index in a path into the roster, e.g. `people`, `7`, `email`.
 *
 * @inline
 */
export type PathItem = string | number;

/** Names the place of a path in the source, e.g. `["people", 7, "email"]` → `roster.yaml:42`. */
export type Where = (path: readonly PathItem[]) => string;

/**
 * The {@link Where} of a parsed YAML document: a key whose value is a block (a map or a list, e.g.
 * `groups: Sales:`) is named by its own line; anything else by the line of the deepest node of the
 * path that has a position (the file's first line when none has).
 *
 * @param doc The document, parsed with `lineCounter`.
 * @param lineCounter What turns the document's offsets into lines.
 * @param source What names the text: a file path, or "roster".
 */
export function sourcePositions(doc: Document, lineCounter: LineCounter, source: string): Where {
  const lineOf = (offset: number) => `${source}:${lineCounter.linePos(offset).line}`;
  return (items) => {
    const last = items.at(-1);
    const parent = typeof last === "string" ? doc.getIn(items.slice(0, -1), true) : undefined;
    const pair = isMap(parent) ? parent.items.find((p) => isScalar(p.key) && p.key.value === last) : undefined;
    if (pair && isCollection(pair.value) && isScalar(pair.key) && pair.key.range) return lineOf(pair.key.range[0]);
    for (let n = items.length; n >= 0; n--) {
      const node = doc.getIn(items.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node?.range) return lineOf(node.range[0]);
    }
    return `${source}:1`;
  };
}
