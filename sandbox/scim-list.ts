/**
 * SCIM list answers (RFC 7644 §3.4.2): the attributes a filter may name, the filter's case rules from
 * the schemas, and paging by 1-based startIndex and count (at most 200, and the pageCap knob).
 */
import type { Reply, Req } from "./reply";
import { Json, parseFilter } from "./scim-filter";
import { project } from "./scim-projection";
import { scimOk } from "./scim-reply";
import { ResourceSchema, ScimInvalid, URN, attrAtPath } from "./scim-schemas";

/** Attributes a list filter may name (as RFC 7644 lets a server choose); others answer 400 invalidFilter. */
const FILTERABLE: Record<ResourceSchema["name"], string[]> = {
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
export function listReply(req: Req, rs: ResourceSchema, docs: () => Json[], cap: number | undefined): Reply {
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
  return scimOk(200, {
    schemas: [URN.listResponse],
    totalResults: items.length,
    startIndex,
    itemsPerPage: page.length,
    Resources: page.map((d) => project(d, attributes, excluded)),
  });
}
