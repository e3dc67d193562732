/** The REST API under /api/v2: users, travel policies, groups and memberships, as the contract describes them. */
import type { SandboxUser } from "./records";
import type { Store } from "./store";
import { newUser, validateUserBody } from "./user-body";
import { Reply, Req, Route, fail, json, objectBody, route, pagedReply } from "./reply";

const invalid = (fields: Record<string, string>) => fail(400, "invalid request", { fields });
const noUser = (id: string) => fail(404, `user ${id} not found`);
const noGroup = (id: string) => fail(404, `group ${id} not found`);
/** The user as the contract's REST API shows it: without the SCIM-only attributes. */
const wire = ({ scim: _scim, ...user }: SandboxUser) => user;

/** A user body that passed validation (400) and e-mail uniqueness (422), or the answer that refuses it. */
function checkedBody(
  store: Store,
  req: Req,
  selfId?: string,
): { body: Record<string, unknown> & { email: string } } | { refused: Reply } {
  const body = objectBody(req);
  if (!body) return { refused: invalid({ body: "must be a JSON object" }) };
  const errors = validateUserBody(body, store, selfId);
  if (Object.keys(errors).length) return { refused: invalid(errors) };
  if (typeof body.email === "string" && store.emailTaken(body.email, selfId)) {
    return { refused: fail(422, `a user with e-mail ${body.email} already exists`) };
  }
  return { body: body as Record<string, unknown> & { email: string } };
}

function createUser(store: Store, req: Req): Reply {
  const checked = checkedBody(store, req);
  return "refused" in checked ? checked.refused : json(201, wire(store.insertUser(newUser(checked.body))));
}

/** Applies a partial update and answers, like the documented example, only `id` and the changed fields. */
function patchUser(store: Store, req: Req, id: string): Reply {
  if (!store.getUser(id)) return noUser(id);
  const checked = checkedBody(store, req, id);
  if ("refused" in checked) return checked.refused;
  const patch = { ...checked.body };
  // travel_policy is written as {id} but stored and read as {id, name}.
  if (patch.travel_policy) patch.travel_policy = store.getPolicy((patch.travel_policy as { id: string }).id);
  const updated = store.updateUser(id, patch) as Record<string, unknown>;
  return json(200, Object.fromEntries([["id", id], ...Object.keys(patch).map((k) => [k, updated[k]])]));
}

function addMember(store: Store, req: Req, groupId: string): Reply {
  const body = objectBody(req);
  const userId = body?.user_id;
  if (!body || typeof userId !== "string" || userId === "" || Object.keys(body).length !== 1)
    return invalid({ user_id: "body must be exactly {user_id}" });
  if (!store.getGroup(groupId)) return noGroup(groupId);
  if (!store.getUser(userId)) return noUser(userId);
  const members = store.groupMembers(groupId);
  if (members.includes(userId)) return fail(409, `user ${userId} is already a member of group ${groupId}`);
  store.setMembers(groupId, [...members, userId]);
  return json(201, { group_id: groupId, user_id: userId });
}

/** `pageCap` is read at each request: it is a run-time knob. */
export function restRoutes(store: Store, pageCap: () => number | undefined = () => undefined): Route[] {
  const ifUser = (id: string, then: (user: SandboxUser) => Reply) => {
    const user = store.getUser(id);
    return user ? then(user) : noUser(id);
  };
  const ifGroup = (id: string, then: () => Reply) => (store.getGroup(id) ? then() : noGroup(id));
  const paged = (req: Req, items: () => unknown[]) => pagedReply(req, items, pageCap());
  return [
    route("GET", "/users", (req) => paged(req, () => store.listUsers().map(wire))),
    route("POST", "/users", (req) => createUser(store, req)),
    route("GET", "/users/:id", (_, { id }) => ifUser(id, (user) => json(200, wire(user)))),
    route("PATCH", "/users/:id", (req, { id }) => patchUser(store, req, id)),
    route("DELETE", "/users/:id", (_, { id }) => ifUser(id, () => (store.deleteUser(id), json(204)))),
    route("GET", "/travel_policies", (req) => paged(req, () => store.listPolicies())),
    route("GET", "/groups", (req) => paged(req, () => store.listGroups())),
    route("GET", "/groups/:gid/members", (req, { gid }) =>
      ifGroup(gid, () => paged(req, () => store.groupMembers(gid).map((user_id) => ({ group_id: gid, user_id })))),
    ),
    route("POST", "/groups/:gid/members", (req, { gid }) => addMember(store, req, gid)),
    route("DELETE", "/groups/:gid/members/:uid", (_, { gid, uid }) => {
      const members = store.groupMembers(gid);
      if (!members.includes(uid)) return fail(404, `user ${uid} is not a member of group ${gid}`);
      store.setMembers(
        gid,
        members.filter((m) => m !== uid),
      );
      return json(204);
    }),
  ];
}
