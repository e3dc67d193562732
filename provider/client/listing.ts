/**
 * Reading whole collections through the request core: REST's `limit`/`offset` pages and SCIM's
 * `startIndex`/`count` pages, never stopping at a page shorter than asked while the server says more
 * remain (servers cap pages silently), and each item checked with zod.
 */
import { z } from "zod";
import { MalformedResponseError, describeIssue, type RequestContext } from "./errors";
import { send, type Answer } from "./request";

/** Largest page the API serves (the contract refuses a larger limit). */
const PAGE_LIMIT = 200;

/** A page that is not what the contract promises, named with where it came from. */
function malformed(page: Answer<unknown>, context: RequestContext, detail: string, cause?: unknown) {
  const { status, target, requestId } = page;
  return new MalformedResponseError(context, status, { detail, target, requestId, cause });
}

/** Parses each item of a page, or fails naming the first malformed one. */
function parseItems<T>(page: Answer<unknown>, raw: unknown[], item: z.ZodType<T>, context: RequestContext): T[] {
  return raw.map((value) => {
    const parsed = item.safeParse(value);
    if (parsed.success) return parsed.data;
    throw malformed(page, context, `malformed list item (${describeIssue(parsed.error, "item")})`, parsed.error);
  });
}

/**
 * Reads every item of a paged REST collection. Tolerant of the live API's habits: the list is under
 * `results` or the one array-valued key, and a server may serve fewer items per page than asked
 * without saying so. Paging continues while `total` says more remain; without a total it stops only
 * on an empty page, or on a page shorter than a `limit` the server answered below the one asked.
 * An answer with no paging field at all that comes back the same for the next offset is an
 * unpaged collection, read whole.
 */
export async function listAll<T>(path: string, item: z.ZodType<T>, context: RequestContext): Promise<T[]> {
  const items: T[] = [];
  let previous: string | undefined;
  for (let offset = 0; ;) {
    const page = await send<unknown>({
      method: "GET",
      path,
      params: { limit: PAGE_LIMIT, offset },
      schema: z.unknown(),
      context,
    });
    const { results, total, limit, paged } = readPage(page, context);
    // A server that ignores `offset` answers the same page forever. Without any paging field the
    // answer is an unpaged collection, already read whole; one that claims paging is an error.
    const text = JSON.stringify(results);
    if (offset > 0 && text === previous) {
      if (!paged) return items;
      throw malformed(page, context, "the server answered the same page again (is offset ignored?)");
    }
    previous = text;
    items.push(...parseItems(page, results, item, context));
    offset += results.length;
    if (results.length === 0) return items;
    // Without a total, a short page ends the listing only when the server said it lowered the limit;
    // a server that caps pages silently echoes the limit asked, so only an empty page is the end.
    if (total !== undefined ? offset >= total : limit !== undefined && limit < PAGE_LIMIT && results.length < limit)
      return items;
  }
}

function readPage(
  page: Answer<unknown>,
  context: RequestContext,
): { results: unknown[]; total?: number; limit?: number; paged: boolean } {
  const { data } = page;
  if (Array.isArray(data)) return { results: data, paged: false };
  if (data && typeof data === "object") {
    const record = data as Record<string, unknown>;
    const total = typeof record.total === "number" ? record.total : undefined;
    const limit = typeof record.limit === "number" && record.limit > 0 ? record.limit : undefined;
    const paged = ["total", "limit", "offset"].some((key) => key in record);
    if (Array.isArray(record.results)) return { results: record.results, total, limit, paged };
    const arrays = Object.values(record).filter(Array.isArray);
    if (arrays.length === 1) return { results: arrays[0] as unknown[], total, limit, paged };
  }
  throw malformed(page, context, "malformed answer (expected a page with a results list)");
}

const scimListResponse = z.object({
  totalResults: z.coerce.number().int().nonnegative().optional(),
  Resources: z.array(z.unknown()).optional(),
});

/**
 * Reads every resource of a SCIM collection (RFC 7644 §3.4.2.4): 1-based `startIndex`/`count` pages
 * until `totalResults` is reached, whatever `itemsPerPage` says (servers cap pages silently).
 */
export async function listAllScim<T>(
  path: string,
  item: z.ZodType<T>,
  context: RequestContext,
  params: Record<string, string> = {},
): Promise<T[]> {
  const items: T[] = [];
  for (;;) {
    const page = await send({
      method: "GET",
      path,
      surface: "scim",
      params: { ...params, startIndex: items.length + 1, count: PAGE_LIMIT },
      schema: scimListResponse,
      context,
    });
    const { Resources: resources = [], totalResults } = page.data;
    items.push(...parseItems(page, resources, item, context));
    // totalResults is required by the RFC; a server that omits it is read until an empty page.
    if (resources.length === 0 || (totalResults !== undefined && items.length >= totalResults)) return items;
  }
}
