/**
 * The SCIM schemas the sandbox serves, in RFC 7643 §7 format: the core User (with the common attributes
 * listed, as §3.1 allows), the enterprise extension, the TravelPerk extension (the travel fields) and
 * Group, and the resource types built from them (User with its extensions switched on, Group).
 */
import { AttrDef, ResourceSchema, SchemaDef, URN } from "./scim-schemas";

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

/** A resource's core schema: the common attributes, then its own. */
const resourceSchema = (id: string, name: string, description: string, attributes: AttrDef[]): SchemaDef => ({
  id,
  name,
  description,
  attributes: [...common(name), ...attributes],
});

export const USER_SCHEMA: SchemaDef = resourceSchema(URN.user, "User", "User Account", [
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
]);

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

export const GROUP_SCHEMA: SchemaDef = resourceSchema(URN.group, "Group", "Group (a TravelPerk department group)", [
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
]);

export const userResource = (travelFields: boolean): ResourceSchema => ({
  name: "User",
  core: USER_SCHEMA,
  extensions: travelFields ? [ENTERPRISE_SCHEMA, TRAVELPERK_SCHEMA] : [ENTERPRISE_SCHEMA],
});
export const groupResource: ResourceSchema = { name: "Group", core: GROUP_SCHEMA, extensions: [] };
