/**
 * SCIM discovery (RFC 7644 §4): /ServiceProviderConfig, /Schemas and /ResourceTypes, the documents and
 * their routes. What they say follows the knobs of the moment (ETags, PATCH support, travel fields).
 */
import { Route, route } from "./reply";
import { scimError, scimListOf, scimOk } from "./scim-reply";
import { ENTERPRISE_SCHEMA, GROUP_SCHEMA, TRAVELPERK_SCHEMA, USER_SCHEMA, userResource } from "./scim-schema-defs";
import { SchemaDef, URN } from "./scim-schemas";
import type { ScimConfig } from "./scim";

const located = (base: string, resourceType: string, path: string) => ({
  resourceType,
  location: `${base}${path}`,
});

function schemaDocument(def: SchemaDef, base: string): Record<string, unknown> {
  return { schemas: [URN.schema], ...def, meta: located(base, "Schema", `/Schemas/${def.id}`) };
}

function allSchemas(travelFields: boolean): SchemaDef[] {
  return [USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE_SCHEMA, ...(travelFields ? [TRAVELPERK_SCHEMA] : [])];
}

function resourceTypes(travelFields: boolean, base: string): Record<string, unknown>[] {
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

function serviceProviderConfig(o: { etags: boolean; patch: boolean; base: string }): Record<string, unknown> {
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

/** The discovery routes; they read the knobs at each request. */
export function discoveryRoutes(config: ScimConfig): Route[] {
  const schemas = () => allSchemas(config.knobs().travelFields);
  const types = () => resourceTypes(config.knobs().travelFields, config.base());
  return [
    route("GET", "/ServiceProviderConfig", () => {
      const k = config.knobs();
      return scimOk(200, serviceProviderConfig({ etags: k.etags, patch: k.patch !== "refused", base: config.base() }));
    }),
    route("GET", "/Schemas", () => scimListOf(schemas().map((s) => schemaDocument(s, config.base())))),
    route("GET", "/Schemas/:id", (_, { id }) => {
      const s = schemas().find((x) => x.id.toLowerCase() === id.toLowerCase());
      return s ? scimOk(200, schemaDocument(s, config.base())) : scimError(404, `no schema ${id}`);
    }),
    route("GET", "/ResourceTypes", () => scimListOf(types())),
    route("GET", "/ResourceTypes/:id", (_, { id }) => {
      const t = types().find((x) => x.id === id);
      return t ? scimOk(200, t) : scimError(404, `no resource type ${id}`);
    }),
  ];
}
