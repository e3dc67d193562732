/**
 * The SCIM 2.0 subset of the contract (RFC 7643/7644 shapes) over the same store as REST:
 * userName <-> email, name.givenName <-> first_name, name.familyName <-> last_name, active <-> is_active.
 * Compact on purpose: the shapes the contract names, not every corner of the RFC.
 */
import { EMAIL, Named, SandboxUser, Store, newUser } from "./store";
import { Reply, Req, Route, json, objectBody } from "./reply";

const SCHEMA = "urn:ietf:params:scim:";
const ok = (status: number, body?: unknown) => json(status, body, { "content-type": "application/scim+json" });
export const scimError = (status: number, detail: string, scimType?: string): Reply =>
  ok(status, {
    schemas: [`${SCHEMA}api:messages:2.0:Error`],
    status: String(status),
    ...(scimType ? { scimType } : {}),
    detail,
  });

/** Thrown anywhere below to answer 400; keeps the attribute mapping free of Reply plumbing. */
class Invalid extends Error {
  constructor(
    message: string,
    readonly scimType = "invalidValue",
  ) {
    super(message);
  }
}

const toScimUser = (u: SandboxUser) => ({
  schemas: [`${SCHEMA}schemas:core:2.0:User`],
  id: u.id,
  userName: u.email,
  name: { givenName: u.first_name ?? undefined, familyName: u.last_name ?? undefined },
  active: u.is_active ?? true,
  emails: [{ value: u.email, primary: true }],
  meta: { resourceType: "User" },
});

function toScimGroup(store: Store, { id, name }: Named) {
  const members = store.groupMembers(id).map((value) => ({ value, display: store.getUser(value)?.email }));
  return {
    schemas: [`${SCHEMA}schemas:core:2.0:Group`],
    id,
    displayName: name,
    members,
    meta: { resourceType: "Group" },
  };
}

/**
 * A ListResponse of the items matching `filter=<attr> eq "<value>"` (the one filter supported;
 * case-insensitive, as userName and displayName are caseExact=false), paged by 1-based startIndex and count.
 */
function list<T>(
  req: Req,
  attr: string,
  valueOf: (item: T) => string,
  items: T[],
  toResource: (item: T) => unknown,
): Reply {
  const filter = req.query.get("filter");
  if (filter !== null) {
    const m = /^\s*(\S+)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$/i.exec(filter);
    if (!m || m[1].toLowerCase() !== attr.toLowerCase())
      throw new Invalid(`unsupported filter; use ${attr} eq "<value>"`, "invalidFilter");
    const wanted = m[2].replace(/\\(.)/g, "$1").toLowerCase();
    items = items.filter((item) => valueOf(item).toLowerCase() === wanted);
  }
  const int = (name: string, fallback: number) => {
    const raw = req.query.get(name) ?? String(fallback);
    if (!/^-?\d+$/.test(raw)) throw new Invalid(`${name} must be an integer`);
    return Number(raw);
  };
  const startIndex = Math.max(1, int("startIndex", 1));
  const page = items.slice(startIndex - 1, startIndex - 1 + Math.min(200, Math.max(0, int("count", 100))));
  return ok(200, {
    schemas: [`${SCHEMA}api:messages:2.0:ListResponse`],
    totalResults: items.length,
    startIndex,
    itemsPerPage: page.length,
    Resources: page.map(toResource),
  });
}

/** Sets one SCIM attribute (path syntax, case-insensitive) on a REST-shaped patch. */
function setUserAttr(patch: Partial<SandboxUser>, attr: string, value: unknown): void {
  const name = (v: unknown) => {
    if (v === null || v === undefined || typeof v === "string") return v ?? null;
    throw new Invalid(`${attr} must be a string`);
  };
  switch (attr.toLowerCase()) {
    case "username":
      if (typeof value !== "string" || !EMAIL.test(value)) throw new Invalid("userName must be an e-mail address");
      patch.email = value;
      break;
    case "active": // some IdPs send "True"/"False" strings
      if (typeof value === "boolean") patch.is_active = value;
      else if (/^(true|false)$/i.test(String(value))) patch.is_active = String(value).toLowerCase() === "true";
      else throw new Invalid("active must be a boolean");
      break;
    case "name.givenname":
      patch.first_name = name(value);
      break;
    case "name.familyname":
      patch.last_name = name(value);
      break;
    case "name":
      if (typeof value !== "object" || Array.isArray(value)) throw new Invalid("name must be an object");
      if (value === null) Object.assign(patch, { first_name: null, last_name: null });
      else for (const [k, v] of Object.entries(value)) setUserAttr(patch, `name.${k}`, v);
      break;
    case "schemas":
    case "id":
    case "meta":
    case "emails":
    case "externalid":
      break; // read-only, or mirrored from userName
    default:
      throw new Invalid(`attribute ${attr} is not supported (travel fields need the REST API)`);
  }
}

/** The REST-shaped user a full SCIM body (POST, PUT) describes; absent names become null, absent active true. */
function userFromBody(req: Req): Partial<SandboxUser> & { email: string } {
  const body = objectBody(req);
  if (!body || !("userName" in body)) throw new Invalid("userName is required");
  const user: Partial<SandboxUser> = { first_name: null, last_name: null, is_active: true };
  for (const [k, v] of Object.entries(body)) setUserAttr(user, k, v);
  return user as Partial<SandboxUser> & { email: string };
}

/** One PatchOp operation as sent: an object whose `op` is a string. */
function isOperation(o: unknown): o is { op: string; path?: unknown; value?: unknown } {
  return typeof o === "object" && o !== null && typeof (o as { op?: unknown }).op === "string";
}

function operations(req: Req): { op: string; path: string; value?: unknown }[] {
  const ops = objectBody(req)?.Operations;
  if (!Array.isArray(ops) || !ops.every(isOperation)) throw new Invalid("body must be a PatchOp with Operations");
  return ops.map(({ path, ...o }) => ({
    ...o,
    op: o.op.toLowerCase(),
    path: typeof path === "string" ? path : path === undefined || path === null ? "" : JSON.stringify(path),
  }));
}

function patchUser(req: Req): Partial<SandboxUser> {
  const patch: Partial<SandboxUser> = {};
  for (const { op, path, value } of operations(req)) {
    if (op === "remove" && path) setUserAttr(patch, path, null);
    else if ((op === "add" || op === "replace") && path) setUserAttr(patch, path, value);
    else if ((op === "add" || op === "replace") && typeof value === "object" && value) {
      for (const [k, v] of Object.entries(value)) setUserAttr(patch, k, v);
    } else throw new Invalid(`unsupported operation ${op}`);
  }
  return patch;
}

/** The user ids of a `members` value; each must exist. */
function memberIds(store: Store, value: unknown): string[] {
  if (!Array.isArray(value)) throw new Invalid("members must be an array of {value}");
  return value.map((m: unknown) => {
    const id = typeof m === "object" && m !== null ? (m as { value?: unknown }).value : undefined;
    if (typeof id !== "string" || !store.getUser(id)) throw new Invalid(`no user ${String(id)}`);
    return id;
  });
}

/** Works on a copy and commits at the end, so a bad operation changes nothing (PATCH is atomic). */
function patchGroup(store: Store, req: Req, { id, name }: Named): Reply {
  let members = store.groupMembers(id);
  for (const { op, path, value } of operations(req)) {
    const one = /^members\[value eq "([^"]*)"\]$/i.exec(path);
    const isMembers = /^members$/i.test(path);
    if (op === "add" && isMembers) members = [...members, ...memberIds(store, value)];
    else if (op === "remove" && one) members = members.filter((m) => m !== one[1]);
    else if (op === "remove" && isMembers) {
      const gone = value === undefined ? members : memberIds(store, value);
      members = members.filter((m) => !gone.includes(m));
    } else if (op === "replace" && /^displayName$/i.test(path) && typeof value === "string") name = value;
    else throw new Invalid(`unsupported operation ${op} ${path}`);
  }
  store.renameGroup(id, name);
  store.setMembers(id, members);
  return ok(200, toScimGroup(store, { id, name }));
}

function createGroup(store: Store, req: Req): Reply {
  const body = objectBody(req) ?? {};
  const name = body.displayName;
  if (typeof name !== "string" || !name.trim()) throw new Invalid("displayName is required");
  if (store.listGroups().some((g) => g.name.toLowerCase() === name.toLowerCase()))
    return scimError(409, "displayName already exists", "uniqueness");
  const members = body.members === undefined ? [] : memberIds(store, body.members);
  const group = store.addGroup(name);
  store.setMembers(group.id, members);
  return ok(201, toScimGroup(store, group));
}

export function scimRoutes(store: Store): Route[] {
  const ifUser = (id: string, then: (user: SandboxUser) => Reply) => {
    const user = store.getUser(id);
    return user ? then(user) : scimError(404, `user ${id} not found`);
  };
  const ifGroup = (id: string, then: (group: Named) => Reply) => {
    const group = store.getGroup(id);
    return group ? then(group) : scimError(404, `group ${id} not found`);
  };
  const save = (id: string | undefined, user: Partial<SandboxUser>): Reply => {
    if (user.email !== undefined && store.emailTaken(user.email, id))
      return scimError(409, "userName already exists", "uniqueness");
    return id
      ? ok(200, toScimUser(store.updateUser(id, user)))
      : ok(201, toScimUser(store.insertUser(newUser(user as SandboxUser))));
  };
  const routes: Route[] = [
    {
      method: "GET",
      pattern: "/Users",
      handler: (req) => list(req, "userName", (u) => u.email, store.listUsers(), toScimUser),
    },
    { method: "POST", pattern: "/Users", handler: (req) => save(undefined, userFromBody(req)) },
    {
      method: "GET",
      pattern: "/Users/:id",
      handler: (_, { id }) => ifUser(id, (user) => ok(200, toScimUser(user))),
    },
    { method: "PUT", pattern: "/Users/:id", handler: (req, { id }) => ifUser(id, () => save(id, userFromBody(req))) },
    { method: "PATCH", pattern: "/Users/:id", handler: (req, { id }) => ifUser(id, () => save(id, patchUser(req))) },
    {
      method: "DELETE",
      pattern: "/Users/:id",
      handler: (_, { id }) => ifUser(id, () => (store.deleteUser(id), ok(204))),
    },
    {
      method: "GET",
      pattern: "/Groups",
      handler: (req) =>
        list(
          req,
          "displayName",
          (g) => g.name,
          store.listGroups(),
          (g) => toScimGroup(store, g),
        ),
    },
    { method: "POST", pattern: "/Groups", handler: (req) => createGroup(store, req) },
    {
      method: "GET",
      pattern: "/Groups/:id",
      handler: (_, { id }) => ifGroup(id, (group) => ok(200, toScimGroup(store, group))),
    },
    {
      method: "PATCH",
      pattern: "/Groups/:id",
      handler: (req, { id }) => ifGroup(id, (group) => patchGroup(store, req, group)),
    },
    {
      method: "DELETE",
      pattern: "/Groups/:id",
      handler: (_, { id }) => ifGroup(id, () => (store.deleteGroup(id), ok(204))),
    },
  ];
  // The one place where a thrown Invalid becomes the SCIM 400 answer.
  return routes.map((r) => ({
    ...r,
    handler: (req, params) => {
      try {
        return r.handler(req, params);
      } catch (e) {
        if (e instanceof Invalid) return scimError(400, e.message, e.scimType);
        throw e;
      }
    },
  }));
}
