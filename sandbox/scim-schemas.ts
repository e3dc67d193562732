/**
 * SCIM 2.0 vocabulary for the sandbox: the URNs, the error every SCIM handler throws, and the schema
 * definitions (RFC 7643 §7 format) that `/Schemas` serves and that the request validation, the
 * filters and PATCH paths read attribute names, types, case rules and mutability from.
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

type More = Partial<Omit<AttrDef, "name" | "type" | "description">>;
const attr = (name: string, type: AttrDef["type"], description: string, more: More = {}): AttrDef => ({
  name,
  type,
  multiValued: false,
  description,
  required: false,
  caseExact: false,
  mutability: "readWrite",
  returned: "default",
  uniqueness: "none",
  ...more,
});
const str = (name: string, description: string, more: More = {}) => attr(name, "string", description, more);
const complex = (name: string, description: string, subAttributes: AttrDef[], more: More = {}) =>
  attr(name, "complex", description, { subAttributes, ...more });
/** A multi-valued complex attribute of the usual value/display/type/primary form. */
const plural = (name: string, description: string, types: string[], value: AttrDef = str("value", "The value.")) =>
  complex(
    name,
    description,
    [
      value,
      str("display", "A human-readable name, primarily used for display purposes.", { mutability: "readWrite" }),
      str("type", "A label indicating the attribute's function.", { canonicalValues: types }),
      attr("primary", "boolean", "Whether this value is the preferred one; at most one value is primary."),
    ],
    { multiValued: true },
  );

/** Common attributes (RFC 7643 §3.1), listed in each resource schema as §3.1 allows, so clients can see them. */
const common = (resourceType: string): AttrDef[] => [
  str("id", "Unique identifier of the resource, assigned by the service provider.", {
    caseExact: true,
    mutability: "readOnly",
    returned: "always",
    uniqueness: "server",
  }),
  str("externalId", "An identifier of the resource as defined by the provisioning client.", { caseExact: true }),
  complex(
    "meta",
    `Resource metadata (resourceType ${resourceType}).`,
    [
      str("resourceType", "The name of the resource type.", { caseExact: true, mutability: "readOnly" }),
      attr("created", "dateTime", "When the resource was added.", { mutability: "readOnly" }),
      attr("lastModified", "dateTime", "When the resource was last updated.", { mutability: "readOnly" }),
      attr("location", "reference", "The URI of the resource.", {
        caseExact: true,
        mutability: "readOnly",
        referenceTypes: ["uri"],
      }),
      str("version", "The version (weak ETag) of the resource, when ETags are enabled.", {
        caseExact: true,
        mutability: "readOnly",
      }),
    ],
    { mutability: "readOnly" },
  ),
];

export const USER_SCHEMA: SchemaDef = {
  id: URN.user,
  name: "User",
  description: "User Account",
  attributes: [
    ...common("User"),
    str("userName", "The user's e-mail address, their TravelPerk login. Unique, case-insensitive.", {
      required: true,
      uniqueness: "server",
    }),
    complex("name", "The components of the user's name.", [
      str("formatted", "The full name, formatted for display."),
      str("familyName", "The family name (last name)."),
      str("givenName", "The given name (first name)."),
      str("middleName", "The middle name(s)."),
      str("honorificPrefix", "The honorific prefix(es), or title (e.g. Ms.)."),
      str("honorificSuffix", "The honorific suffix(es) (e.g. III)."),
    ]),
    str("displayName", "The name of the user, suitable for display."),
    str("nickName", "The casual way to address the user."),
    attr("profileUrl", "reference", "A URI of the user's online profile.", { referenceTypes: ["external"] }),
    str("title", "The user's job title."),
    str("userType", "The relationship between the organisation and the user (e.g. Employee, Contractor)."),
    str("preferredLanguage", "The user's preferred language (RFC 7231 language tag, e.g. en or en-US)."),
    str("locale", "The user's locale for localising currency, dates and numbers (e.g. en-US)."),
    str("timezone", "The user's time zone, in IANA format (e.g. Europe/Madrid)."),
    attr("active", "boolean", "Whether the user can log in; false deactivates without deleting."),
    str("password", "Accepted and ignored: TravelPerk logins use SSO or e-mail links.", {
      mutability: "writeOnly",
      returned: "never",
    }),
    plural("emails", "E-mail addresses; the primary one is the userName.", ["work", "home", "other"]),
    plural("phoneNumbers", "Phone numbers; the one of type work is the user's phone (E.164).", [
      "work",
      "home",
      "mobile",
      "fax",
      "pager",
      "other",
    ]),
    plural("ims", "Instant messaging addresses.", ["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"]),
    plural(
      "photos",
      "URLs of photos of the user.",
      ["photo", "thumbnail"],
      attr("value", "reference", "The URL of a photo.", { referenceTypes: ["external"] }),
    ),
    complex(
      "addresses",
      "Physical mailing addresses.",
      [
        str("formatted", "The full mailing address, formatted for display."),
        str("streetAddress", "The street address."),
        str("locality", "The city or locality."),
        str("region", "The state or region."),
        str("postalCode", "The zip or postal code."),
        str("country", "The country, ISO 3166-1 alpha-2."),
        str("type", "A label indicating the address's function.", { canonicalValues: ["work", "home", "other"] }),
        attr("primary", "boolean", "Whether this is the preferred address."),
      ],
      { multiValued: true },
    ),
    complex(
      "groups",
      "The groups the user belongs to; change membership through /Groups.",
      [
        str("value", "The id of the group.", { mutability: "readOnly" }),
        attr("$ref", "reference", "The URI of the group.", { mutability: "readOnly", referenceTypes: ["Group"] }),
        str("display", "The group's displayName.", { mutability: "readOnly" }),
        str("type", "direct or indirect membership.", {
          canonicalValues: ["direct", "indirect"],
          mutability: "readOnly",
        }),
      ],
      { multiValued: true, mutability: "readOnly" },
    ),
  ],
};

export const ENTERPRISE_SCHEMA: SchemaDef = {
  id: URN.enterprise,
  name: "EnterpriseUser",
  description: "Enterprise User",
  attributes: [
    str("employeeNumber", "A string identifier, typically numeric or alphanumeric, assigned to the person."),
    str("costCenter", "The name of the user's TravelPerk cost centre; a new name creates the cost centre."),
    str("organization", "The name of the organisation."),
    str("division", "The name of the division."),
    str("department", "The name of the department."),
    complex("manager", "The user's manager, another user of the organisation.", [
      str("value", "The TravelPerk id of the manager."),
      attr("$ref", "reference", "The URI of the manager's User resource.", {
        mutability: "readOnly",
        referenceTypes: ["User"],
      }),
      str("displayName", "The manager's display name.", { mutability: "readOnly" }),
    ]),
  ],
};

export const TRAVELPERK_SCHEMA: SchemaDef = {
  id: URN.travelperk,
  name: "TravelPerkUser",
  description: "TravelPerk User: the travel fields",
  attributes: [
    str("gender", "M (male) or F (female).", { caseExact: true, canonicalValues: ["M", "F"] }),
    str("dateOfBirth", "The date of birth, YYYY-MM-DD."),
    str("travelPolicy", "The name of the user's travel policy (case-insensitive)."),
    complex(
      "invoiceProfiles",
      "The invoice profiles the user may book on.",
      [str("value", "The name of the invoice profile.")],
      { multiValued: true },
    ),
    complex("emergencyContact", "Who to call in an emergency.", [
      str("name", "The contact's name."),
      str("phone", "The contact's phone number."),
    ]),
  ],
};

export const GROUP_SCHEMA: SchemaDef = {
  id: URN.group,
  name: "Group",
  description: "Group (a TravelPerk department group)",
  attributes: [
    ...common("Group"),
    str("displayName", "The name of the group. Unique, case-insensitive.", { required: true, uniqueness: "server" }),
    complex(
      "members",
      "The users in the group.",
      [
        str("value", "The id of the member user.", { caseExact: true, mutability: "immutable" }),
        attr("$ref", "reference", "The URI of the member.", { mutability: "immutable", referenceTypes: ["User"] }),
        str("display", "The member's userName.", { mutability: "readOnly" }),
        str("type", "The type of the member; only User.", { canonicalValues: ["User"], mutability: "immutable" }),
      ],
      { multiValued: true },
    ),
  ],
};

/** A resource type as validation sees it: its core schema and the extensions switched on. */
export interface ResourceSchema {
  name: "User" | "Group";
  core: SchemaDef;
  extensions: SchemaDef[];
}

export const userResource = (travelFields: boolean): ResourceSchema => ({
  name: "User",
  core: USER_SCHEMA,
  extensions: travelFields ? [ENTERPRISE_SCHEMA, TRAVELPERK_SCHEMA] : [ENTERPRISE_SCHEMA],
});
export const groupResource: ResourceSchema = { name: "Group", core: GROUP_SCHEMA, extensions: [] };

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
/** The definition of an attribute by name; names are case-insensitive (RFC 7643 §2.1). */
export const findAttr = (attrs: AttrDef[] | undefined, name: string): AttrDef | undefined =>
  attrs?.find((a) => same(a.name, name));
/** The schema (core or extension) of a resource whose id is `urn`, case-insensitively. */
export const findSchema = (rs: ResourceSchema, urn: string): SchemaDef | undefined =>
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

// ---- discovery documents ----

const located = (base: string, resourceType: string, path: string) => ({
  resourceType,
  location: `${base}${path}`,
});

export function schemaDocument(def: SchemaDef, base: string): Record<string, unknown> {
  return { schemas: [URN.schema], ...def, meta: located(base, "Schema", `/Schemas/${def.id}`) };
}

export function allSchemas(travelFields: boolean): SchemaDef[] {
  return [USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE_SCHEMA, ...(travelFields ? [TRAVELPERK_SCHEMA] : [])];
}

export function resourceTypes(travelFields: boolean, base: string): Record<string, unknown>[] {
  return [
    {
      schemas: [URN.resourceType],
      id: "User",
      name: "User",
      endpoint: "/Users",
      description: "User Account",
      schema: URN.user,
      schemaExtensions: userResource(travelFields).extensions.map((s) => ({ schema: s.id, required: false })),
      meta: located(base, "ResourceType", "/ResourceTypes/User"),
    },
    {
      schemas: [URN.resourceType],
      id: "Group",
      name: "Group",
      endpoint: "/Groups",
      description: "Group",
      schema: URN.group,
      schemaExtensions: [],
      meta: located(base, "ResourceType", "/ResourceTypes/Group"),
    },
  ];
}

export function serviceProviderConfig(o: { etags: boolean; patch: boolean; base: string }): Record<string, unknown> {
  return {
    schemas: [URN.serviceProviderConfig],
    documentationUri: "https://developers.travelperk.com/docs/scim",
    patch: { supported: o.patch },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: 200 },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: o.etags },
    authenticationSchemes: [
      {
        type: "oauthbearertoken",
        name: "OAuth Bearer Token",
        description: "Authentication with an OAuth 2.0 access token (RFC 6750): Authorization: Bearer <token>",
        specUri: "https://www.rfc-editor.org/info/rfc6750",
        primary: true,
      },
      {
        type: "apikey",
        name: "API Key",
        description: "Authentication with a TravelPerk API key: Authorization: ApiKey <key>",
        primary: false,
      },
    ],
    meta: located(o.base, "ServiceProviderConfig", "/ServiceProviderConfig"),
  };
}
