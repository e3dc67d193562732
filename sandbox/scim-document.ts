/**
 * SCIM resources as JSON documents, independent of what they map to in the store: attribute-name
 * normalisation (names are case-insensitive), validation against the schemas (unknown attributes are
 * refused), RFC 7644 §3.5.2 PATCH applied to a copy (so a bad operation changes nothing), and the
 * `attributes` / `excludedAttributes` projection of answers.
 */
import { Json, getCi, isObject, keyCi, parseFilter, prune, splitUrn, unset, type Predicate } from "./scim-filter";
import { AttrDef, ResourceSchema, SchemaDef, ScimInvalid, TRAVELPERK_SCHEMA, URN, findAttr } from "./scim-schemas";

const copy = <T>(v: T): T => structuredClone(v);
const extensionOf = (rs: ResourceSchema, key: string) =>
  rs.extensions.find((s) => s.id.toLowerCase() === key.toLowerCase());

/** The refusal for an attribute that no schema of the resource defines; the travel extension says why it is off. */
function unknownAttribute(path: string, scimType: "invalidSyntax" | "invalidPath"): ScimInvalid {
  if (path.toLowerCase().startsWith(TRAVELPERK_SCHEMA.id.toLowerCase()))
    return new ScimInvalid(
      `${path}: travel fields are not writable through SCIM on this server; set them with the REST API`,
      "mutability",
    );
  return new ScimInvalid(`unknown attribute ${path}: it is not in /Schemas`, scimType);
}

// ---- normalisation ----

/** The value with its attribute names in their schema spelling, and "true"/"false" strings as booleans. */
export function normalizeValue(v: unknown, def: AttrDef, single = false): unknown {
  if (def.multiValued && !single) {
    const items = Array.isArray(v) ? (v as unknown[]) : v === null || v === undefined ? v : [v];
    return Array.isArray(items) ? items.map((item) => normalizeValue(item, def, true)) : items;
  }
  if (def.type === "boolean" && typeof v === "string" && /^(true|false)$/i.test(v)) return v.toLowerCase() === "true";
  if (def.type === "complex" && isObject(v)) return normalizeAttrs(v, def.subAttributes ?? []);
  return v;
}

function normalizeAttrs(obj: Json, attrs: AttrDef[]): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(obj)) {
    const def = findAttr(attrs, k);
    out[def ? def.name : k] = def ? normalizeValue(v, def) : v;
  }
  return out;
}

/** A resource body with canonical attribute names; unknown names are kept for `validateResource` to refuse. */
export function normalizeResource(body: Json, rs: ResourceSchema): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(body)) {
    const ext = extensionOf(rs, k);
    const def = findAttr(rs.core.attributes, k);
    if (k.toLowerCase() === "schemas") out.schemas = v;
    else if (ext) out[ext.id] = isObject(v) ? normalizeAttrs(v, ext.attributes) : v;
    else if (def) out[def.name] = normalizeValue(v, def);
    else out[k] = v;
  }
  return out;
}

// ---- validation ----

const TYPE_CHECKS: Record<AttrDef["type"], (v: unknown) => boolean> = {
  string: (v) => typeof v === "string",
  reference: (v) => typeof v === "string",
  dateTime: (v) => typeof v === "string" && !Number.isNaN(Date.parse(v)),
  binary: (v) => typeof v === "string",
  boolean: (v) => typeof v === "boolean",
  integer: (v) => Number.isInteger(v),
  decimal: (v) => typeof v === "number",
  complex: isObject,
};

function validateValue(v: unknown, def: AttrDef, where: string): void {
  if (v === null) return;
  if (def.multiValued) {
    if (!Array.isArray(v)) throw new ScimInvalid(`${where} must be an array`, "invalidValue");
    v.forEach((item: unknown) => {
      if (item === null || !TYPE_CHECKS[def.type](item)) throw new ScimInvalid(`${where} values must be ${def.type}`);
      if (def.type === "complex") validateAttrs(item as Json, def.subAttributes ?? [], `${where}.`);
    });
    return;
  }
  if (!TYPE_CHECKS[def.type](v))
    throw new ScimInvalid(`${where} must be ${def.type === "complex" ? "an object" : `a ${def.type}`}`);
  if (def.type === "complex") validateAttrs(v as Json, def.subAttributes ?? [], `${where}.`);
}

function validateAttrs(obj: Json, attrs: AttrDef[], where: string): void {
  for (const [k, v] of Object.entries(obj)) {
    const def = findAttr(attrs, k);
    if (!def) throw unknownAttribute(`${where}${k}`, "invalidSyntax");
    validateValue(v, def, `${where}${def.name}`);
  }
}

/** Refuses attributes outside the schemas (400 invalidSyntax) and values of the wrong type (400 invalidValue). */
export function validateResource(doc: Json, rs: ResourceSchema): void {
  for (const [k, v] of Object.entries(doc)) {
    const ext = extensionOf(rs, k);
    if (k === "schemas") {
      if (!Array.isArray(v) || !v.every((s) => typeof s === "string"))
        throw new ScimInvalid("schemas must be an array of URNs", "invalidSyntax");
    } else if (ext) {
      if (v !== null && !isObject(v)) throw new ScimInvalid(`${ext.id} must be an object`, "invalidSyntax");
      if (v) validateAttrs(v, ext.attributes, `${ext.id}:`);
    } else {
      const def = findAttr(rs.core.attributes, k);
      if (!def) throw unknownAttribute(k, "invalidSyntax");
      validateValue(v, def, def.name);
    }
  }
}

/** Drops what a client cannot write (readOnly, and the writeOnly password, which is not kept): RFC 7644 §3.3 ignores it. */
export function stripReadOnly(doc: Json, rs: ResourceSchema): Json {
  const strip = (obj: Json, attrs: AttrDef[]): Json => {
    const out: Json = {};
    for (const [k, v] of Object.entries(obj)) {
      const def = findAttr(attrs, k);
      if (def && (def.mutability === "readOnly" || def.mutability === "writeOnly")) continue;
      const subs = def?.type === "complex" ? def.subAttributes : undefined;
      out[k] = !subs
        ? v
        : Array.isArray(v)
          ? v.map((item: unknown) => (isObject(item) ? strip(item, subs) : item))
          : isObject(v)
            ? strip(v, subs)
            : v;
    }
    return out;
  };
  const out: Json = {};
  for (const [k, v] of Object.entries(doc)) {
    const ext = extensionOf(rs, k);
    if (ext && isObject(v)) out[k] = strip(v, ext.attributes);
    else if (ext || k === "schemas") out[k] = v;
    else Object.assign(out, strip({ [k]: v }, rs.core.attributes));
  }
  return out;
}

// ---- PATCH ----

export interface Operation {
  op: "add" | "replace" | "remove";
  path?: string;
  value?: unknown;
}

/** The operations of a PatchOp body (RFC 7644 §3.5.2); op names are case-insensitive. */
export function readOperations(body: Json | undefined): Operation[] {
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
    const m = /^\s*([\w$]+)\s+eq\s+("(?:[^"\\]|\\.)*"|true|false)\s*$/i.exec(term);
    const sub = m && findAttr(def.subAttributes, m[1]);
    if (!m || !sub) return undefined;
    out[sub.name] = JSON.parse(m[2].startsWith('"') ? m[2] : m[2].toLowerCase());
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
      .sort((a, b) => b.id.length - a.id.length)[0] as SchemaDef | undefined;
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
export function applyOperations(doc: Json, ops: Operation[], rs: ResourceSchema): Json {
  const out = copy(doc);
  for (const op of ops) applyOne(out, op, rs);
  return (prune(out) as Json | undefined) ?? {};
}

// ---- attributes / excludedAttributes (RFC 7644 §3.4.2.5) ----

/** An attribute path of a projection: the object it lives in ("" for the resource, else an extension URN), name, sub. */
interface Pick {
  container: string;
  name: string;
  sub?: string;
}

function readPicks(raw: string | null, doc: Json): Pick[] {
  const core = [URN.user, URN.group].map((u) => u.toLowerCase());
  return (raw ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((path): Pick => {
      const whole = keyCi(doc, path);
      if (whole !== undefined && /^urn:/i.test(whole)) return { container: "", name: whole };
      const { urn, rest } = splitUrn(path);
      const [name, sub] = rest.split(".");
      return { container: urn && !core.includes(urn.toLowerCase()) ? urn.toLowerCase() : "", name, sub };
    });
}

/** Keeps (`keep`) or removes the picked attributes and sub-attributes of one object. */
function cut(obj: Json, picks: Pick[], keep: boolean): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(obj)) {
    const mine = picks.filter((p) => p.name.toLowerCase() === k.toLowerCase());
    if (!mine.length) {
      if (!keep) out[k] = v;
      continue;
    }
    if (mine.some((p) => p.sub === undefined)) {
      if (keep) out[k] = v;
      continue;
    }
    const subs = mine.map((p) => (p.sub ?? "").toLowerCase());
    const trim = (e: unknown) =>
      isObject(e)
        ? Object.fromEntries(Object.entries(e).filter(([sk]) => subs.includes(sk.toLowerCase()) === keep))
        : e;
    out[k] = Array.isArray(v) ? v.map(trim) : trim(v);
  }
  return out;
}

/** The answer with only the attributes asked (plus id and schemas), or without the excluded ones; unknown names are ignored. */
export function project(doc: Json, attributes: string | null, excludedAttributes: string | null): Json {
  const wanted = readPicks(attributes, doc);
  const excluded = readPicks(excludedAttributes, doc).filter(
    (p) => !(p.container === "" && ["id", "schemas"].includes(p.name)),
  );
  const inside = (picks: Pick[], container: string) => picks.filter((p) => p.container === container);
  let out: Json = wanted.length
    ? { ...cut(doc, inside(wanted, ""), true), schemas: doc.schemas, id: doc.id }
    : { ...doc };
  out = cut(out, inside(excluded, ""), false);
  for (const [k, v] of Object.entries(out)) {
    if (!/^urn:/i.test(k) || !isObject(v)) continue;
    const ownWanted = inside(wanted, k.toLowerCase());
    let ext = v;
    if (ownWanted.length) ext = cut(ext, ownWanted, true);
    ext = cut(ext, inside(excluded, k.toLowerCase()), false);
    out[k] = ext;
  }
  if (wanted.length)
    for (const [k, v] of Object.entries(doc))
      if (/^urn:/i.test(k) && !(k in out) && isObject(v) && inside(wanted, k.toLowerCase()).length) {
        const ext = cut(cut(v, inside(wanted, k.toLowerCase()), true), inside(excluded, k.toLowerCase()), false);
        out[k] = ext;
      }
  return out;
}
