/**
 * SCIM PATCH (RFC 7644 §3.5.2) on JSON documents: reading a PatchOp body, resolving each path (with
 * value filters and sub-attributes, against the schemas), and applying the operations in order to a
 * copy, so that a bad operation changes nothing; `patchedDocument` is what the Users and Groups PATCH
 * handlers commit.
 */
import { Json, getCi, isObject, parseFilter, prune, unset, type Predicate } from "./scim-filter";
import { AttrDef, ResourceSchema, SchemaDef, ScimInvalid, URN, findAttr } from "./scim-schemas";
import { extensionOf, normalizeValue, stripReadOnly, unknownAttribute, validateResource } from "./scim-document";

const copy = <T>(v: T): T => structuredClone(v);

export interface Operation {
  op: "add" | "replace" | "remove";
  path?: string;
  value?: unknown;
}

/** The operations of a PatchOp body (RFC 7644 §3.5.2); op names are case-insensitive. */
function readOperations(body: Json | undefined): Operation[] {
  if (!body) throw new ScimInvalid("the body must be a PatchOp object", "invalidSyntax");
  const schemas = getCi(body, "schemas");
  if (
    schemas !== undefined &&
    !(Array.isArray(schemas) && schemas.some((s) => String(s).toLowerCase() === URN.patchOp.toLowerCase()))
  )
    throw new ScimInvalid(`schemas must be ["${URN.patchOp}"]`, "invalidSyntax");
  const ops = getCi(body, "Operations");
  if (!Array.isArray(ops) || !ops.length)
    throw new ScimInvalid("Operations must be a non-empty array", "invalidSyntax");
  return ops.map((raw: unknown, i) => {
    const where = `Operations[${String(i)}]`;
    if (!isObject(raw)) throw new ScimInvalid(`${where} must be an object`, "invalidSyntax");
    const rawOp = getCi(raw, "op");
    const op = typeof rawOp === "string" ? rawOp.toLowerCase() : "";
    if (op !== "add" && op !== "replace" && op !== "remove")
      throw new ScimInvalid(`${where}.op must be add, replace or remove`, "invalidSyntax");
    const path = getCi(raw, "path");
    if (path !== undefined && path !== null && (typeof path !== "string" || path.trim() === ""))
      throw new ScimInvalid(`${where}.path must be a non-empty string`, "invalidPath");
    const value = getCi(raw, "value");
    if (op === "remove" && typeof path !== "string") throw new ScimInvalid(`${where}: remove needs a path`, "noTarget");
    if (op !== "remove" && value === undefined) throw new ScimInvalid(`${where}: ${op} needs a value`, "invalidSyntax");
    return { op, ...(typeof path === "string" && { path: path.trim() }), value };
  });
}

/** Where a PATCH path points: an attribute (maybe a filtered value, maybe a sub-attribute) or a whole extension. */
interface Target {
  schema: SchemaDef;
  def?: AttrDef; // undefined: the whole extension object
  filter?: Predicate;
  /** For a filter that is only `sub eq value` terms: the value a new element gets when nothing matches. */
  template?: Json;
  sub?: AttrDef;
}

/** `type eq "work" and primary eq true` as the element it describes; undefined for any other filter. */
function templateOf(filter: string, def: AttrDef): Json | undefined {
  const out: Json = {};
  for (const term of filter.split(/\s+and\s+/i)) {
    const [, name, literal] = /^\s*([\w$]+)\s+eq\s+("(?:[^"\\]|\\.)*"|true|false)\s*$/i.exec(term) ?? [];
    const sub = name ? findAttr(def.subAttributes, name) : undefined;
    if (!sub || !literal) return undefined;
    out[sub.name] = JSON.parse(literal.startsWith('"') ? literal : literal.toLowerCase());
  }
  return out;
}

function resolve(path: string, rs: ResourceSchema): Target {
  let schema = rs.core;
  let rest = path;
  if (/^urn:/i.test(path)) {
    const found = [rs.core, ...rs.extensions]
      .filter(
        (s) => path.toLowerCase() === s.id.toLowerCase() || path.toLowerCase().startsWith(`${s.id.toLowerCase()}:`),
      )
      .sort((a, b) => b.id.length - a.id.length)[0];
    if (!found) throw unknownAttribute(path, "invalidPath");
    schema = found;
    if (path.length === found.id.length) return { schema };
    rest = path.slice(found.id.length + 1);
  }
  const m = /^([^.[\]\s]+)(?:\[(.+)\])?(?:\.([^.[\]\s]+))?$/.exec(rest);
  if (!m) throw new ScimInvalid(`cannot read the path ${path}`, "invalidPath");
  const [, name, filterText, subName] = m as unknown as [string, string, string | undefined, string | undefined];
  const def = findAttr(schema.attributes, name);
  if (!def) throw unknownAttribute(path, "invalidPath");
  const sub = subName === undefined ? undefined : findAttr(def.subAttributes, subName);
  if (subName !== undefined && !sub) throw unknownAttribute(path, "invalidPath");
  if (filterText !== undefined && !def.multiValued)
    throw new ScimInvalid(`${path}: only a multi-valued attribute takes a [filter]`, "invalidPath");
  if (sub && def.multiValued && filterText === undefined)
    throw new ScimInvalid(
      `${path}: pick the values with a filter, e.g. ${def.name}[type eq "work"].${sub.name}`,
      "invalidPath",
    );
  if (def.mutability === "readOnly" || sub?.mutability === "readOnly")
    throw new ScimInvalid(`${path} is read-only`, "mutability");
  const filter =
    filterText === undefined
      ? undefined
      : parseFilter(filterText, {
          caseExact: (p) => findAttr(def.subAttributes, p.split(".").at(-1) ?? "")?.caseExact ?? false,
          prefix: undefined,
        });
  return { schema, def, sub, filter, template: filterText === undefined ? undefined : templateOf(filterText, def) };
}

/** Two values of a multi-valued attribute are the same when their `value` (and `type`, when both have one) match. */
function sameEntry(a: unknown, b: unknown, def: AttrDef): boolean {
  if (!isObject(a) || !isObject(b)) return a === b;
  const exact = findAttr(def.subAttributes, "value")?.caseExact ?? false;
  const norm = (v: unknown) => (typeof v === "string" && !exact ? v.toLowerCase() : v);
  if (a.value === undefined || norm(a.value) !== norm(b.value)) return false;
  const type = (e: Json) => (typeof e.type === "string" ? e.type.toLowerCase() : e.type);
  return a.type === undefined || b.type === undefined || type(a) === type(b);
}

/** Adds values to a multi-valued attribute: a value already there is merged, not repeated; a new primary demotes the old one. */
function addValues(current: unknown[], added: unknown[], def: AttrDef): unknown[] {
  const out = [...current];
  for (const value of added) {
    if (isObject(value) && value.primary === true)
      out.forEach((e) => {
        if (isObject(e)) delete e.primary;
      });
    const same = out.find((e) => sameEntry(e, value, def));
    if (same && isObject(same) && isObject(value)) Object.assign(same, value);
    else if (!same) out.push(value);
  }
  return out;
}

function applyOne(doc: Json, operation: Operation, rs: ResourceSchema): void {
  const { op, path, value } = operation;
  if (path === undefined) {
    // No path: the value is a set of attributes; each key is a path, and an extension's object merges per sub-attribute.
    if (!isObject(value)) throw new ScimInvalid(`${op} without a path needs an object value`, "invalidSyntax");
    for (const [k, v] of Object.entries(value)) {
      const ext = extensionOf(rs, k);
      if (["schemas", "id", "meta"].includes(k.toLowerCase())) continue;
      if (ext && isObject(v))
        for (const [sk, sv] of Object.entries(v)) applyOne(doc, { op, path: `${ext.id}:${sk}`, value: sv }, rs);
      else applyOne(doc, { op, path: k, value: v }, rs);
    }
    return;
  }
  const t = resolve(path, rs);
  const isCore = t.schema === rs.core;
  if (!t.def) {
    if (isCore) {
      applyOne(doc, { op, value }, rs); // the core URN alone: the whole resource
      return;
    }
    if (op === "remove") unset(doc, t.schema.id);
    else {
      if (!isObject(value)) throw new ScimInvalid(`${path} needs an object value`, "invalidValue");
      for (const [k, v] of Object.entries(value)) applyOne(doc, { op, path: `${t.schema.id}:${k}`, value: v }, rs);
    }
    return;
  }
  const container = isCore ? doc : ((doc[t.schema.id] ??= {}) as Json);
  if (!isObject(container)) throw new ScimInvalid(`${t.schema.id} must be an object`);
  const { def, sub } = t;
  const key = def.name;
  const current = container[key];

  if (t.filter) {
    const entries = Array.isArray(current) ? (current as unknown[]) : [];
    const filter = t.filter;
    const matches = entries.filter((e) => isObject(e) && filter(e)) as Json[];
    if (op === "remove") {
      if (sub)
        matches.forEach((e) => {
          unset(e, sub.name);
        });
      else container[key] = entries.filter((e) => !matches.includes(e as Json));
      return;
    }
    const v = sub ? normalizeValue(value, sub) : normalizeValue(value, def, true);
    if (!sub && !isObject(v)) throw new ScimInvalid(`${path} needs an object value`, "invalidValue");
    if (matches.length) {
      const changed = (e: Json): Json =>
        sub ? { ...e, [sub.name]: v } : op === "add" ? { ...e, ...(v as Json) } : { ...(v as Json) };
      container[key] = entries.map((e) => (matches.includes(e as Json) ? changed(e as Json) : e));
      return;
    }
    // Nothing matches: identity providers (Azure AD) add `phoneNumbers[type eq "work"].value` this way.
    if (t.template && (sub || op === "add")) {
      container[key] = addValues(
        entries,
        [{ ...t.template, ...(sub ? { [sub.name]: v } : isObject(v) ? v : {}) }],
        def,
      );
      return;
    }
    throw new ScimInvalid(`${path} matches no value`, "noTarget");
  }

  if (sub) {
    // A sub-attribute of a singular complex attribute.
    const parent = isObject(current) ? current : {};
    if (op === "remove") unset(parent, sub.name);
    else parent[sub.name] = normalizeValue(value, sub);
    container[key] = parent;
    return;
  }

  if (op === "remove") {
    if (def.multiValued && value !== undefined && Array.isArray(current)) {
      const gone = normalizeValue(value, def) as unknown[];
      container[key] = current.filter((e: unknown) => !gone.some((g) => sameEntry(e, g, def)));
    } else unset(container, key);
    return;
  }
  const v = normalizeValue(value, def);
  if (def.multiValued) {
    if (!Array.isArray(v)) throw new ScimInvalid(`${path} needs a value or an array of values`, "invalidValue");
    container[key] = op === "add" ? addValues(Array.isArray(current) ? (current as unknown[]) : [], v, def) : v;
  } else if (def.type === "complex" && isObject(v)) {
    // RFC 7644 §3.5.2.1/3: sub-attributes not in the value are left as they are.
    container[key] = { ...(isObject(current) ? current : {}), ...v };
  } else container[key] = v;
}

/** The document after the operations, applied in order to a copy: the caller commits it or nothing. */
function applyOperations(doc: Json, ops: Operation[], rs: ResourceSchema): Json {
  const out = copy(doc);
  for (const op of ops) applyOne(out, op, rs);
  return (prune(out) as Json | undefined) ?? {};
}

/** A PATCH's result, ready to commit: the operations of `body` applied to `before`, read-only attributes dropped, validated. */
export function patchedDocument(body: Json | undefined, before: Json, rs: ResourceSchema): Json {
  const doc = stripReadOnly(applyOperations(before, readOperations(body), rs), rs);
  validateResource(doc, rs);
  return doc;
}
