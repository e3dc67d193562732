/**
 * Editing a roster's YAML document in place, for `export --update`: a person's field set where the
 * file has it (a scalar keeps its quoting) or added where `export` would put it, a person's groups
 * replaced keeping the spelling of those that stay, and the file's own style (indentation, quotes,
 * flow padding) read so that lines the `yaml` library re-serialises look like the rest of the file.
 */
import { isMap, isScalar, isSeq, parseDocument, Scalar, visit, type Document, type YAMLMap } from "yaml";
import { EXPORTED_USER_FIELDS } from "./organisation";

/** The order of a person's keys as `export` writes them (and new keys are placed by). */
const KEY_ORDER: readonly string[] = [
  "key",
  "email",
  ...EXPORTED_USER_FIELDS,
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

/** The style of the file, for `toString`: what a re-serialised line should look like. */
export function documentStyle(doc: Document, text: string) {
  let padded = 0;
  let unpadded = 0;
  let single = 0;
  let double = 0;
  const countPadding = (node: { flow?: boolean; range?: [number, number, number] | null; items: unknown[] }) => {
    if (node.flow && node.range && node.items.length) {
      if (text[node.range[0] + 1] === " ") padded++;
      else unpadded++;
    }
  };
  visit(doc, {
    Scalar(_, node) {
      if (node.type === Scalar.QUOTE_SINGLE) single++;
      else if (node.type === Scalar.QUOTE_DOUBLE) double++;
    },
    Seq(_, node) {
      countPadding(node);
    },
    Map(_, node) {
      countPadding(node);
    },
  });
  // `people:` then its first item: indented (`  - email`, the indentation step) or not (`- email`).
  const dash = /^people:[ \t]*(?:#.*)?\r?\n(?:[ \t]*(?:#.*)?\r?\n)*( *)- /m.exec(text)?.[1]?.length;
  // Else a top-level key's first nested key.
  const step = /^[^\s#-][^:\n]*:[ \t]*(?:#.*)?\r?\n(?:[ \t]*(?:#.*)?\r?\n)*( +)[^\s#-]/m.exec(text)?.[1]?.length;
  return {
    lineWidth: 0,
    indent: dash === undefined ? (step ?? 2) : Math.max(dash, 2),
    indentSeq: dash !== 0,
    flowCollectionPadding: padded > unpadded,
    singleQuote: single > double,
  };
}

/** Sets a person's field: a scalar keeps its quoting, a missing key goes where `export` would put it. */
export function setField(doc: Document, map: YAMLMap, field: string, value: unknown): void {
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
export function setGroups(doc: Document, map: YAMLMap, refs: string[], wanted: string[]): void {
  const seq = map.get("groups", true);
  if (!isSeq(seq)) {
    setField(doc, map, "groups", wanted);
    return;
  }
  const nodes = new Map(refs.map((ref, g) => [ref, seq.items[g]]));
  seq.items = wanted.map((ref) => nodes.get(ref) ?? doc.createNode(ref));
}

/** Whether two YAML texts hold the same data. */
export function sameYamlData(a: string, b: string): boolean {
  const da = parseDocument(a);
  const db = parseDocument(b);
  return !da.errors.length && JSON.stringify(da.toJS()) === JSON.stringify(db.toJS());
}
