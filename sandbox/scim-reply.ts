/**
 * How SCIM handlers answer: JSON with the SCIM content type, the SCIM error body, and the ETag rules of
 * RFC 7644 §3.14 (an ETag header on single resources, 412 on a stale If-Match, 304 on a matching
 * If-None-Match), for Users and Groups alike.
 */
import { Reply, Req, json } from "./reply";
import type { Json } from "./scim-filter";
import { URN } from "./scim-schemas";
import { type ScimContext, etagOf } from "./scim-users";
import { project } from "./scim-projection";
import type { Meta } from "./records";

/** A SCIM answer: JSON as application/scim+json. */
export const scimOk = (status: number, body?: unknown, headers: Record<string, string> = {}): Reply =>
  json(status, body, { "content-type": "application/scim+json", ...headers });

export const scimError = (status: number, detail: string, scimType?: string): Reply =>
  scimOk(status, {
    schemas: [URN.error],
    status: String(status),
    ...(scimType ? { scimType } : {}),
    detail,
  });

/** A ListResponse of these resources, all on one page. */
export const scimListOf = (resources: unknown[]): Reply =>
  scimOk(200, {
    schemas: [URN.listResponse],
    totalResults: resources.length,
    startIndex: 1,
    itemsPerPage: resources.length,
    Resources: resources,
  });

const header = (req: Req, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(", ") : v;
};
const bare = (tag: string) => tag.trim().replace(/^W\//, "");

const withEtag = (c: ScimContext, m: Meta | undefined): Record<string, string> =>
  c.etags && m ? { etag: etagOf(m) } : {};

/** 412 when If-Match names none of the current version (or *); nothing when ETags are off or no If-Match came. */
export function precondition(req: Req, c: ScimContext, m: Meta | undefined): Reply | undefined {
  const wanted = header(req, "if-match");
  if (!c.etags || wanted === undefined || !m) return undefined;
  const tags = wanted.split(",").map(bare);
  if (tags.includes("*") || tags.includes(bare(etagOf(m)))) return undefined;
  return scimError(412, `If-Match ${wanted} does not match the current version ${etagOf(m)}`);
}

function notModified(req: Req, c: ScimContext, m: Meta | undefined): boolean {
  const none = header(req, "if-none-match");
  if (!c.etags || none === undefined || !m) return false;
  return none.split(",").some((t) => t.trim() === "*" || bare(t) === bare(etagOf(m)));
}

/** One resource, projected as the query asks, with its ETag; 304 for a GET whose If-None-Match matches. */
export function singleReply(
  req: Req,
  c: ScimContext,
  status: number,
  doc: Json,
  m: Meta | undefined,
  extra: Record<string, string> = {},
): Reply {
  return status === 200 && req.method === "GET" && notModified(req, c, m)
    ? json(304, undefined, withEtag(c, m))
    : scimOk(status, project(doc, req.query.get("attributes"), req.query.get("excludedAttributes")), {
        ...withEtag(c, m),
        ...extra,
      });
}

/** A 204 with the resource's ETag (PATCH answered without a body). */
export const noContent = (c: ScimContext, m: Meta | undefined): Reply => scimOk(204, undefined, withEtag(c, m));
