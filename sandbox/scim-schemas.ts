/**
 * SCIM 2.0 vocabulary for the sandbox: the URNs, the error every SCIM handler throws, the shape of
 * schema definitions (RFC 7643 §7 format) and the lookups that request validation, filters and PATCH
 * paths use to read attribute names, types, case rules and mutability. The definitions themselves are
 * in scim-schema-defs.ts, the discovery documents in scim-discovery.ts.
 */

export const URN = {
  user: "urn:ietf:params:scim:schemas:core:2.0:User",
  group: "urn:ietf:params:scim:schemas:core:2.0:Group",
  enterprise: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
  travelperk: "urn:ietf:params:scim:schemas:extension:travelperk:2.0:User",
  listResponse: "urn:ietf:params:scim:api:messages:2.0:ListResponse",
  patchOp: "urn:ietf:params:scim:api:messages:2.0:PatchOp",
  error: "urn:ietf:params:scim:api:messages:2.0:Error",
  serviceProviderConfig: "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig",
  resourceType: "urn:ietf:params:scim:schemas:core:2.0:ResourceType",
  schema: "urn:ietf:params:scim:schemas:core:2.0:Schema",
} as const;

/** RFC 7644 §3.12 scimType values the sandbox answers with. */
export type ScimType =
  | "invalidFilter"
  | "invalidSyntax"
  | "invalidPath"
  | "invalidValue"
  | "noTarget"
  | "mutability"
  | "uniqueness"
  | "tooMany";

/** Thrown anywhere in the SCIM code to answer 400 (or `status`) with a SCIM error body. */
export class ScimInvalid extends Error {
  constructor(
    message: string,
    readonly scimType: ScimType | undefined = "invalidValue",
    readonly status = 400,
  ) {
    super(message);
  }
}

export interface AttrDef {
  name: string;
  type: "string" | "boolean" | "decimal" | "integer" | "dateTime" | "reference" | "complex" | "binary";
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: "readOnly" | "readWrite" | "immutable" | "writeOnly";
  returned: "always" | "never" | "default" | "request";
  uniqueness: "none" | "server" | "global";
  canonicalValues?: string[];
  referenceTypes?: string[];
  subAttributes?: AttrDef[];
}

export interface SchemaDef {
  id: string;
  name: string;
  description: string;
  attributes: AttrDef[];
}

/** A resource type as validation sees it: its core schema and the extensions switched on. */
export interface ResourceSchema {
  name: "User" | "Group";
  core: SchemaDef;
  extensions: SchemaDef[];
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
/** The definition of an attribute by name; names are case-insensitive (RFC 7643 §2.1). */
export const findAttr = (attrs: AttrDef[] | undefined, name: string): AttrDef | undefined =>
  attrs?.find((a) => same(a.name, name));
/** The schema (core or extension) of a resource whose id is `urn`, case-insensitively. */
const findSchema = (rs: ResourceSchema, urn: string): SchemaDef | undefined =>
  [rs.core, ...rs.extensions].find((s) => same(s.id, urn));

/**
 * The definition an attribute path names: "userName", "name.givenName", "emails.value",
 * "urn:...:enterprise:2.0:User:manager.value". Undefined when unknown.
 */
export function attrAtPath(rs: ResourceSchema, path: string): AttrDef | undefined {
  let attrs = rs.core.attributes;
  let rest = path;
  if (/^urn:/i.test(path)) {
    const colon = path.lastIndexOf(":");
    const schema = findSchema(rs, path.slice(0, colon));
    if (!schema) return undefined;
    attrs = schema.attributes;
    rest = path.slice(colon + 1);
  }
  const [name, sub, ...more] = rest.split(".") as [string, string | undefined, ...string[]];
  if (more.length) return undefined;
  const def = findAttr(attrs, name);
  return sub === undefined ? def : findAttr(def?.subAttributes, sub);
}
