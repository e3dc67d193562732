/**
 * The REST side of the live surface, as public clients record it: read-only users (written through
 * SCIM), cost centres and invoice profiles, at the host root. No travel policy or group listing.
 */
import { Reply, Req, Route, fail, json, objectBody, route, page } from "./reply";
import { ScimContext, toLiveRestUser } from "./scim-users";
import type { CostCenter } from "./records";
import type { Store } from "./store";

/** Cost-centre member ids are numbers on the live surface (ids that are not numeric stay strings). */
const asNumber = (id: string): number | string => (/^\d+$/.test(id) ? Number(id) : id);

const readOnly = (allow: string) => (): Reply =>
  json(405, { error: "users are read-only on the REST API: write them through SCIM (/scim/Users)" }, { allow });

export function liveRestRoutes(store: Store, scim: () => ScimContext, pageCap: () => number | undefined): Route[] {
  const detail = (c: CostCenter) => {
    const members = store.costCenterMembers(c.id);
    return {
      id: c.id,
      name: c.name,
      count_users: members.length,
      archived: c.archived,
      users: members.map((id) => {
        const u = store.getUser(id);
        return {
          id: asNumber(id),
          first_name: u?.first_name ?? null,
          last_name: u?.last_name ?? null,
          email: u?.email,
          phone: u?.phone_number ?? null,
          profile_picture: null, // the sandbox keeps no pictures
        };
      }),
    };
  };
  const ifCostCenter = (id: string, then: (c: CostCenter) => Reply) => {
    const c = store.getCostCenter(id);
    return c ? then(c) : fail(404, `cost center ${id} not found`);
  };
  const setMembers = (req: Req, c: CostCenter): Reply => {
    const body = objectBody(req);
    const ids = body?.user_ids;
    if (!body || !Array.isArray(ids) || Object.keys(body).length !== 1)
      return fail(400, "invalid request", { fields: { user_ids: "body must be exactly {user_ids: [numbers]}" } });
    const wanted: string[] = [];
    for (const raw of ids as unknown[]) {
      const id =
        typeof raw === "number" && Number.isInteger(raw) ? String(raw) : typeof raw === "string" ? raw : undefined;
      if (id === undefined || !store.getUser(id))
        return fail(400, "invalid request", { fields: { user_ids: `no user ${JSON.stringify(raw)}` } });
      wanted.push(id);
    }
    store.setCostCenterMembers(c.id, wanted);
    return json(200, detail(c));
  };
  return [
    route("GET", "/users", (req) => {
      const c = scim();
      const p = page(req, () => store.listUsers(), pageCap());
      if ("status" in p) return p;
      return json(200, {
        users: p.items.map((u) => toLiveRestUser(u, c)),
        total: p.total,
        offset: p.offset,
        limit: p.limit,
      });
    }),
    route("POST", "/users", readOnly("GET")),
    route("GET", "/users/:id", (_, { id }) => {
      const u = store.getUser(id);
      return u ? json(200, toLiveRestUser(u, scim())) : fail(404, `user ${id} not found`);
    }),
    ...["PUT", "PATCH", "DELETE"].map((method) => route(method, "/users/:id", readOnly("GET"))),
    route("GET", "/cost_centers", (req) => {
      const p = page(req, () => store.listCostCenters(), pageCap());
      if ("status" in p) return p;
      const centers = p.items.map((c) => ({
        id: c.id,
        name: c.name,
        count_users: store.costCenterMembers(c.id).length,
      }));
      return json(200, { offset: p.offset, limit: p.limit, cost_centers: centers }); // no total, as recorded
    }),
    route("GET", "/cost_centers/:id", (_, { id }) => ifCostCenter(id, (c) => json(200, detail(c)))),
    route("PUT", "/cost_centers/:id/users", (req, { id }) => ifCostCenter(id, (c) => setMembers(req, c))),
    route("GET", "/profiles", (req) => {
      const p = page(req, () => store.listProfiles(), pageCap());
      if ("status" in p) return p;
      return json(200, { offset: p.offset, limit: p.limit, total: p.total, profiles: p.items });
    }),
  ];
}
