/**
 * SCIM resources as JSON documents, independent of what they map to in the store: attribute-name
 * normalisation (names are case-insensitive), validation against the schemas (unknown attributes are
 * refused) and the dropping of what a client cannot write. PATCH is in scim-patch.ts, the
 * `attributes` / `excludedAttributes` projection of answers in scim-projection.ts.
 */
import { Json, isObject } from "./scim-filter";
import { TRAVELPERK_SCHEMA } from "./scim-schema-defs";
import { AttrDef, ResourceSchema, ScimInvalid, findAttr } from "./scim-schemas";

/** The extension schema of the resource whose URN is `key`, case-insensitively. */
export const extensionOf = (rs: ResourceSchema, key: string) =>
  rs.extensions.find((s) => s.id.toLowerCase() === key.toLowerCase());

/** The refusal for an attribute that no schema of the resource defines; the travel extension says why it is off. */
export function unknownAttribute(path: string, scimType: "invalidSyntax" | "invalidPath"): ScimInvalid {
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
