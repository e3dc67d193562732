/**
 * SCIM 2.0 (RFC 7643/7644) over the same store as REST, for both API modes: the routes of Users (list
 * and filter, POST, PUT, PATCH, DELETE, ETags), with those of Groups (scim-groups.ts) and discovery
 * (scim-discovery.ts), and the one place where a thrown ScimInvalid becomes a SCIM error answer. The
 * contract mode keeps the contract's shapes (the TravelPerk extension off, members without $ref); the
 * live mode serves both extensions. Attribute mapping: scim-users.ts over the field table user-fields.ts.
 */
import { Reply, Req, Route, objectBody, route } from "./reply";
import type { SandboxUser } from "./records";
import { discoveryRoutes } from "./scim-discovery";
import { normalizeResource, stripReadOnly, validateResource } from "./scim-document";
import type { Json } from "./scim-filter";
import { groupRoutes } from "./scim-groups";
import { listReply } from "./scim-list";
import { patchedDocument } from "./scim-patch";
import { noContent, precondition, scimError, scimOk, singleReply } from "./scim-reply";
import { groupResource, userResource } from "./scim-schema-defs";
import { ResourceSchema, ScimInvalid } from "./scim-schemas";
import { ScimContext, membershipIndex, toScimUser, userFromDoc } from "./scim-users";
import type { Store } from "./store";
import { newUser } from "./user-body";

export { scimError } from "./scim-reply";

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

/** A POST or PUT body as a document: canonical names, read-only attributes dropped (whatever they hold), validated. */
function resourceBody(req: Req, rs: ResourceSchema): Json {
  const b = objectBody(req);
  if (!b) throw new ScimInvalid("the body must be a JSON object", "invalidSyntax");
  const doc = stripReadOnly(normalizeResource(b, rs), rs);
  validateResource(doc, rs);
  return doc;
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
      return singleReply(req, c, 201, toScimUser(created, c), store.userMetaOf(created.id), { location });
    }
    const updated = store.updateUser(user.id, { ...fields, scim });
    const answer = toScimUser(updated, c);
    if (req.method === "PATCH" && config.knobs().patch === "no-content") return noContent(c, store.userMetaOf(user.id));
    return singleReply(req, c, 200, answer, store.userMetaOf(user.id));
  };
  const check = (req: Req, c: ScimContext, id: string) => precondition(req, c, store.userMetaOf(id));
  const users = (c: ScimContext) => {
    const all = { ...c, memberships: membershipIndex(c) };
    return store.listUsers().map((u) => toScimUser(u, all));
  };

  const routes: Route[] = [
    route("GET", "/Users", (req) => {
      const c = context();
      return listReply(req, c.resource, () => users(c), config.knobs().pageCap);
    }),
    route("POST", "/Users", (req) => {
      const c = context();
      return saveUser(req, c, resourceBody(req, c.resource));
    }),
    route("GET", "/Users/:id", (req, { id }) =>
      ifUser(id, (user, c) => singleReply(req, c, 200, toScimUser(user, c), store.userMetaOf(id))),
    ),
    route("PUT", "/Users/:id", (req, { id }) =>
      ifUser(id, (user, c) => check(req, c, id) ?? saveUser(req, c, resourceBody(req, c.resource), user)),
    ),
    route("PATCH", "/Users/:id", (req, { id }) =>
      ifUser(id, (user, c) => {
        if (config.knobs().patch === "refused")
          return scimError(501, "PATCH is not implemented for users: replace the user with PUT");
        const failed = check(req, c, id);
        if (failed) return failed;
        const before = toScimUser(user, c);
        return saveUser(req, c, patchedDocument(objectBody(req), before, c.resource), user, before);
      }),
    ),
    route("DELETE", "/Users/:id", (req, { id }) =>
      ifUser(id, (_, c) => check(req, c, id) ?? (store.deleteUser(id), scimOk(204))),
    ),
    ...groupRoutes(store, config, context, (req) => resourceBody(req, groupResource)),
    ...discoveryRoutes(config),
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
