/**
 * SCIM 2.0 (RFC 7643/7644) over the same store as REST, for both API modes: Users and Groups with
 * list/filter/paging, POST, PUT, PATCH and DELETE, ETags, and the discovery endpoints
 * (/ServiceProviderConfig, /Schemas, /ResourceTypes). The contract mode keeps the contract's shapes
 * (the TravelPerk extension off, members without $ref); the live mode serves both extensions.
 * Attribute mapping: scim-users.ts; documents, PATCH and projection: scim-document.ts.
 */
import { Reply, Req, Route, json, objectBody } from "./reply";
import { Json, isObject, parseFilter } from "./scim-filter";
import {
  applyOperations,
  normalizeResource,
  project,
  readOperations,
  stripReadOnly,
  validateResource,
} from "./scim-document";
import {
  ResourceSchema,
  ScimInvalid,
  URN,
  allSchemas,
  attrAtPath,
  groupResource,
  resourceTypes,
  schemaDocument,
  serviceProviderConfig,
  userResource,
} from "./scim-schemas";
import { ScimContext, etagOf, membershipIndex, metaOf, toScimUser, userFromDoc } from "./scim-users";
import type { Meta, Named, SandboxUser } from "./records";
import type { Store } from "./store";
import { newUser } from "./user-body";

export type ScimPatchMode = "full" | "no-content" | "refused";

/** The knobs SCIM reads at each request (they can change at run time). */
export interface ScimKnobs {
  pageCap?: number;
  patch: ScimPatchMode;
  etags: boolean;
  travelFields: boolean;
}

export interface ScimConfig {
  live: boolean;
  /** The SCIM base URL (known once the server listens). */
  base: () => string;
  knobs: () => ScimKnobs;
}

const ok = (status: number, body?: unknown, headers: Record<string, string> = {}) =>
  json(status, body, { "content-type": "application/scim+json", ...headers });
export const scimError = (status: number, detail: string, scimType?: string): Reply =>
  ok(status, {
    schemas: [URN.error],
    status: String(status),
    ...(scimType ? { scimType } : {}),
    detail,
  });

const header = (req: Req, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(", ") : v;
};

/** Attributes a list filter may name (as RFC 7644 lets a server choose); others answer 400 invalidFilter. */
const FILTERABLE: Record<string, string[]> = {
  User: [
    "id",
    "externalid",
    "username",
    "displayname",
    "active",
    "emails",
    "emails.value",
    "emails.type",
    "name.givenname",
    "name.familyname",
    "meta.created",
    "meta.lastmodified",
  ],
  Group: ["id", "externalid", "displayname", "members", "members.value", "meta.created", "meta.lastmodified"],
};

function caseExact(rs: ResourceSchema): (path: string) => boolean {
  return (path) => {
    const def = attrAtPath(rs, path);
    return (def?.type === "complex" ? def.subAttributes?.find((s) => s.name === "value") : def)?.caseExact ?? false;
  };
}

/** A ListResponse of the documents matching `filter`, paged by 1-based startIndex and count (max 200, pageCap). */
function listReply(req: Req, rs: ResourceSchema, docs: () => Json[], cap: number | undefined): Reply {
  const filter = req.query.get("filter");
  const core = rs.core.id.toLowerCase();
  const allowed = FILTERABLE[rs.name];
  const match =
    filter === null
      ? undefined
      : parseFilter(filter, {
          caseExact: caseExact(rs),
          allowed: (p) =>
            allowed.includes((p.toLowerCase().startsWith(`${core}:`) ? p.slice(core.length + 1) : p).toLowerCase()),
        });
  const int = (name: string, fallback: number) => {
    const raw = req.query.get(name) ?? String(fallback);
    if (!/^-?\d+$/.test(raw)) throw new ScimInvalid(`${name} must be an integer`);
    return Number(raw);
  };
  const startIndex = Math.max(1, int("startIndex", 1));
  const count = Math.min(200, cap ?? 200, Math.max(0, int("count", 100)));
  const items = match ? docs().filter(match) : docs();
  const page = items.slice(startIndex - 1, startIndex - 1 + count);
  const attributes = req.query.get("attributes");
  const excluded = req.query.get("excludedAttributes");
  return ok(200, {
    schemas: [URN.listResponse],
    totalResults: items.length,
    startIndex,
    itemsPerPage: page.length,
    Resources: page.map((d) => project(d, attributes, excluded)),
  });
}

export function scimRoutes(store: Store, config: ScimConfig): Route[] {
  const context = (): ScimContext => {
    const k = config.knobs();
    return {
      store,
      base: config.base(),
      live: config.live,
      travelFields: k.travelFields,
      etags: k.etags,
      resource: userResource(k.travelFields),
    };
  };

  // ---- ETags (RFC 7644 §3.14) ----
  const withEtag = (c: ScimContext, m: Meta | undefined): Record<string, string> =>
    c.etags && m ? { etag: etagOf(m) } : {};
  /** 412 when If-Match names none of the current version (or *); nothing when ETags are off or no If-Match came. */
  const precondition = (req: Req, c: ScimContext, m: Meta | undefined): Reply | undefined => {
    const wanted = header(req, "if-match");
    if (!c.etags || wanted === undefined || !m) return undefined;
    const bare = (t: string) => t.trim().replace(/^W\//, "");
    const tags = wanted.split(",").map(bare);
    if (tags.includes("*") || tags.includes(bare(etagOf(m)))) return undefined;
    return scimError(412, `If-Match ${wanted} does not match the current version ${etagOf(m)}`);
  };
  const notModified = (req: Req, c: ScimContext, m: Meta | undefined): boolean => {
    const none = header(req, "if-none-match");
    if (!c.etags || none === undefined || !m) return false;
    return none
      .split(",")
      .some((t) => t.trim() === "*" || t.trim().replace(/^W\//, "") === etagOf(m).replace(/^W\//, ""));
  };
  const single = (
    req: Req,
    c: ScimContext,
    status: number,
    doc: Json,
    m: Meta | undefined,
    extra: Record<string, string> = {},
  ) =>
    status === 200 && req.method === "GET" && notModified(req, c, m)
      ? json(304, undefined, withEtag(c, m))
      : ok(status, project(doc, req.query.get("attributes"), req.query.get("excludedAttributes")), {
          ...withEtag(c, m),
          ...extra,
        });

  // ---- users ----
  const body = (req: Req, rs: ResourceSchema): Json => {
    const b = objectBody(req);
    if (!b) throw new ScimInvalid("the body must be a JSON object", "invalidSyntax");
    const doc = stripReadOnly(normalizeResource(b, rs), rs); // read-only attributes are ignored, whatever they hold
    validateResource(doc, rs);
    return doc;
  };
  const ifUser = (id: string, then: (user: SandboxUser, c: ScimContext) => Reply) => {
    const user = store.getUser(id);
    return user ? then(user, context()) : scimError(404, `user ${id} not found`);
  };
  const taken = (email: string, id?: string) =>
    store.emailTaken(email, id) ? scimError(409, `userName ${email} already exists`, "uniqueness") : undefined;
  /** Commits a full user document over `user` and answers it (`status` 200), or creates it (201). */
  const saveUser = (req: Req, c: ScimContext, doc: Json, user?: SandboxUser, before?: Json): Reply => {
    const { fields, bag } = userFromDoc(doc, c, user, before);
    const refused = taken(fields.email, user?.id);
    if (refused) return refused;
    const scim = Object.keys(bag).length ? bag : undefined;
    if (!user) {
      const created = store.insertUser({ ...newUser({ email: fields.email }), ...fields, ...(scim && { scim }) });
      const location = `${c.base}/Users/${created.id}`;
      return single(req, c, 201, toScimUser(created, c), store.userMetaOf(created.id), { location });
    }
    const updated = store.updateUser(user.id, { ...fields, scim });
    const answer = toScimUser(updated, c);
    if (req.method === "PATCH" && config.knobs().patch === "no-content")
      return ok(204, undefined, withEtag(c, store.userMetaOf(user.id)));
    return single(req, c, 200, answer, store.userMetaOf(user.id));
  };

  // ---- groups ----
  const toScimGroup = (c: ScimContext, { id, name }: Named): Json => ({
    schemas: [URN.group],
    id,
    ...store.groupScimOf(id),
    displayName: name,
    members: store.groupMembers(id).map((value) => ({
      value,
      display: store.getUser(value)?.email,
      ...(config.live && { $ref: `${c.base}/Users/${value}` }), // the contract's answers never had $ref
    })),
    meta: metaOf(c, "Group", `/Groups/${id}`, store.groupMetaOf(id)),
  });
  const ifGroup = (id: string, then: (group: Named, c: ScimContext) => Reply) => {
    const group = store.getGroup(id);
    return group ? then(group, context()) : scimError(404, `group ${id} not found`);
  };
  /** Commits a full group document (creates the group when `group` is undefined). */
  const saveGroup = (req: Req, c: ScimContext, doc: Json, group?: Named): Reply => {
    const { displayName, members, schemas: _schemas, ...bag } = doc;
    if (typeof displayName !== "string" || !displayName.trim()) throw new ScimInvalid("displayName is required");
    if (store.listGroups().some((g) => g.id !== group?.id && g.name.toLowerCase() === displayName.toLowerCase()))
      return scimError(409, `displayName ${displayName} already exists`, "uniqueness");
    const ids = ((members ?? []) as unknown[]).map((m) => {
      const value = isObject(m) ? m.value : undefined;
      if (isObject(m) && m.type !== undefined && m.type !== "User")
        throw new ScimInvalid("members must be users (type User)");
      if (typeof value !== "string" || !store.getUser(value))
        throw new ScimInvalid(`members: no user ${String(value)}`);
      return value;
    });
    const target = store.writeGroup(group?.id, { name: displayName, members: ids, scim: bag });
    const answer = toScimGroup(c, { id: target.id, name: displayName });
    const location = { location: `${c.base}/Groups/${target.id}` };
    return single(req, c, group ? 200 : 201, answer, store.groupMetaOf(target.id), group ? {} : location);
  };

  const users = (c: ScimContext) => {
    const all = { ...c, memberships: membershipIndex(c) };
    return store.listUsers().map((u) => toScimUser(u, all));
  };
  const routes: Route[] = [
    {
      method: "GET",
      pattern: "/Users",
      handler: (req) => {
        const c = context();
        return listReply(req, c.resource, () => users(c), config.knobs().pageCap);
      },
    },
    {
      method: "POST",
      pattern: "/Users",
      handler: (req) => {
        const c = context();
        return saveUser(req, c, body(req, c.resource));
      },
    },
    {
      method: "GET",
      pattern: "/Users/:id",
      handler: (req, { id }) => ifUser(id, (user, c) => single(req, c, 200, toScimUser(user, c), store.userMetaOf(id))),
    },
    {
      method: "PUT",
      pattern: "/Users/:id",
      handler: (req, { id }) =>
        ifUser(
          id,
          (user, c) => precondition(req, c, store.userMetaOf(id)) ?? saveUser(req, c, body(req, c.resource), user),
        ),
    },
    {
      method: "PATCH",
      pattern: "/Users/:id",
      handler: (req, { id }) =>
        ifUser(id, (user, c) => {
          if (config.knobs().patch === "refused")
            return scimError(501, "PATCH is not implemented for users: replace the user with PUT");
          const failed = precondition(req, c, store.userMetaOf(id));
          if (failed) return failed;
          const before = toScimUser(user, c);
          const after = applyOperations(before, readOperations(objectBody(req)), c.resource);
          const doc = stripReadOnly(after, c.resource);
          validateResource(doc, c.resource);
          return saveUser(req, c, doc, user, before);
        }),
    },
    {
      method: "DELETE",
      pattern: "/Users/:id",
      handler: (req, { id }) =>
        ifUser(id, (_, c) => precondition(req, c, store.userMetaOf(id)) ?? (store.deleteUser(id), ok(204))),
    },
    {
      method: "GET",
      pattern: "/Groups",
      handler: (req) => {
        const c = context();
        return listReply(
          req,
          groupResource,
          () => store.listGroups().map((g) => toScimGroup(c, g)),
          config.knobs().pageCap,
        );
      },
    },
    { method: "POST", pattern: "/Groups", handler: (req) => saveGroup(req, context(), body(req, groupResource)) },
    {
      method: "GET",
      pattern: "/Groups/:id",
      handler: (req, { id }) =>
        ifGroup(id, (group, c) => single(req, c, 200, toScimGroup(c, group), store.groupMetaOf(id))),
    },
    {
      method: "PUT",
      pattern: "/Groups/:id",
      handler: (req, { id }) =>
        ifGroup(
          id,
          (group, c) =>
            precondition(req, c, store.groupMetaOf(id)) ?? saveGroup(req, c, body(req, groupResource), group),
        ),
    },
    {
      method: "PATCH",
      pattern: "/Groups/:id",
      handler: (req, { id }) =>
        ifGroup(id, (group, c) => {
          const failed = precondition(req, c, store.groupMetaOf(id));
          if (failed) return failed;
          const after = applyOperations(toScimGroup(c, group), readOperations(objectBody(req)), groupResource);
          const doc = stripReadOnly(after, groupResource);
          validateResource(doc, groupResource);
          return saveGroup(req, c, doc, group);
        }),
    },
    {
      method: "DELETE",
      pattern: "/Groups/:id",
      handler: (req, { id }) =>
        ifGroup(id, (_, c) => precondition(req, c, store.groupMetaOf(id)) ?? (store.deleteGroup(id), ok(204))),
    },
    // ---- discovery (RFC 7644 §4) ----
    {
      method: "GET",
      pattern: "/ServiceProviderConfig",
      handler: () => {
        const k = config.knobs();
        return ok(200, serviceProviderConfig({ etags: k.etags, patch: k.patch !== "refused", base: config.base() }));
      },
    },
    {
      method: "GET",
      pattern: "/Schemas",
      handler: () => {
        const schemas = allSchemas(config.knobs().travelFields).map((s) => schemaDocument(s, config.base()));
        return ok(200, {
          schemas: [URN.listResponse],
          totalResults: schemas.length,
          startIndex: 1,
          itemsPerPage: schemas.length,
          Resources: schemas,
        });
      },
    },
    {
      method: "GET",
      pattern: "/Schemas/:id",
      handler: (_, { id }) => {
        const s = allSchemas(config.knobs().travelFields).find((x) => x.id.toLowerCase() === id.toLowerCase());
        return s ? ok(200, schemaDocument(s, config.base())) : scimError(404, `no schema ${id}`);
      },
    },
    {
      method: "GET",
      pattern: "/ResourceTypes",
      handler: () => {
        const types = resourceTypes(config.knobs().travelFields, config.base());
        return ok(200, {
          schemas: [URN.listResponse],
          totalResults: types.length,
          startIndex: 1,
          itemsPerPage: types.length,
          Resources: types,
        });
      },
    },
    {
      method: "GET",
      pattern: "/ResourceTypes/:id",
      handler: (_, { id }) => {
        const t = resourceTypes(config.knobs().travelFields, config.base()).find((x) => x.id === id);
        return t ? ok(200, t) : scimError(404, `no resource type ${id}`);
      },
    },
  ];
  // The one place where a thrown ScimInvalid becomes the SCIM error answer.
  return routes.map((r) => ({
    ...r,
    handler: (req, params) => {
      try {
        return r.handler(req, params);
      } catch (e) {
        if (e instanceof ScimInvalid) return scimError(e.status, e.message, e.scimType);
        throw e;
      }
    },
  }));
}
