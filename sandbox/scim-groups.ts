/**
 * SCIM Groups over the store's groups: the document of a group (members as user references, its SCIM
 * attributes with no store field kept beside it), a full write that checks the name's uniqueness and the
 * members, and the routes: list, create, read, replace, PATCH and delete, with ETags.
 */
import { Reply, Req, Route, objectBody, route } from "./reply";
import type { Named } from "./records";
import type { ScimConfig } from "./scim";
import type { Json } from "./scim-filter";
import { isObject } from "./scim-filter";
import { listReply } from "./scim-list";
import { patchedDocument } from "./scim-patch";
import { precondition, scimError, scimOk, singleReply } from "./scim-reply";
import { groupResource } from "./scim-schema-defs";
import { ScimInvalid, URN } from "./scim-schemas";
import { type ScimContext, metaOf } from "./scim-users";
import type { Store } from "./store";

/** `context` gives the knobs of the moment; `body` reads and checks a resource body against a schema. */
export function groupRoutes(
  store: Store,
  config: ScimConfig,
  context: () => ScimContext,
  body: (req: Req) => Json,
): Route[] {
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
    return singleReply(req, c, group ? 200 : 201, answer, store.groupMetaOf(target.id), group ? {} : location);
  };
  const check = (req: Req, c: ScimContext, id: string) => precondition(req, c, store.groupMetaOf(id));

  return [
    route("GET", "/Groups", (req) => {
      const c = context();
      const docs = () => store.listGroups().map((g) => toScimGroup(c, g));
      return listReply(req, groupResource, docs, config.knobs().pageCap);
    }),
    route("POST", "/Groups", (req) => saveGroup(req, context(), body(req))),
    route("GET", "/Groups/:id", (req, { id }) =>
      ifGroup(id, (group, c) => singleReply(req, c, 200, toScimGroup(c, group), store.groupMetaOf(id))),
    ),
    route("PUT", "/Groups/:id", (req, { id }) =>
      ifGroup(id, (group, c) => check(req, c, id) ?? saveGroup(req, c, body(req), group)),
    ),
    route("PATCH", "/Groups/:id", (req, { id }) =>
      ifGroup(
        id,
        (group, c) =>
          check(req, c, id) ??
          saveGroup(req, c, patchedDocument(objectBody(req), toScimGroup(c, group), groupResource), group),
      ),
    ),
    route("DELETE", "/Groups/:id", (req, { id }) =>
      ifGroup(id, (_, c) => check(req, c, id) ?? (store.deleteGroup(id), scimOk(204))),
    ),
  ];
}
