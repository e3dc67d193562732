/** The request/answer vocabulary shared by the REST, SCIM, OAuth and admin handlers; no I/O here. */

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}
export interface Req {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}
export interface Route {
  method: string;
  pattern: string;
  handler: (req: Req, params: Record<string, string>) => Reply;
}

/** The parameter names of a route pattern: "/groups/:gid/members/:uid" gives "gid" | "uid". */
export type ParamsOf<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? Name | ParamsOf<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? Name
    : never;

/** A route whose handler sees exactly the parameters its pattern names (`dispatch` fills each of them). */
export function route<P extends string>(
  method: string,
  pattern: P,
  handler: (req: Req, params: Record<ParamsOf<P>, string>) => Reply,
): Route {
  return { method, pattern, handler };
}
type Fail = (status: number, message: string) => Reply;

export const json = (status: number, body?: unknown, headers?: Record<string, string>): Reply => ({
  status,
  body,
  headers,
});
export const fail = (status: number, error: string, extra: object = {}): Reply => json(status, { error, ...extra });

/** Matches a pattern such as "/users/:id" against a path; undefined when it does not match. */
function match(pattern: string, path: string): Record<string, string> | undefined {
  const m = new RegExp(`^${pattern.replace(/:(\w+)/g, "(?<$1>[^/]+)")}$`).exec(path); // one named group a parameter
  try {
    return m
      ? Object.fromEntries(Object.entries(m.groups ?? {}).map(([name, value]) => [name, decodeURIComponent(value)]))
      : undefined;
  } catch {
    return undefined;
  }
}

/** Runs the route for method and path: 404 when no pattern matches the path, 405 when only the method is wrong. */
export function dispatch(routes: Route[], req: Req, path: string, failWith: Fail = fail): Reply {
  const matching = routes.flatMap((route) => {
    const params = match(route.pattern, path);
    return params ? [{ route, params }] : [];
  });
  const hit = matching.find((m) => m.route.method === req.method);
  if (hit) return hit.route.handler(req, hit.params);
  return matching.length
    ? failWith(405, `method ${req.method} not allowed on ${path}`)
    : failWith(404, `no route ${req.method} ${path}`);
}

/** The body as a JSON object; undefined when it is missing, an array or a scalar. */
export function objectBody(req: Req): Record<string, unknown> | undefined {
  const b = req.body;
  return typeof b === "object" && b !== null && !Array.isArray(b) ? (b as Record<string, unknown>) : undefined;
}

/** A page of a list: the items to answer, the true total, and the offset and limit as asked. */
export interface Page<T> {
  items: T[];
  total: number;
  offset: number;
  limit: number;
}

/**
 * Reads `limit` (default 10, 1..200) and `offset` and cuts the page, or answers 400 naming the bad
 * parameter. `cap` (the pageCap option) silently shortens the page; the limit answered stays the one asked.
 */
export function page<T>(req: Req, items: () => T[], cap?: number): Page<T> | Reply {
  const fields: Record<string, string> = {};
  const read = (name: string, fallback: number, min: number, max: number): number => {
    const raw = req.query.get(name);
    if (raw === null) return fallback;
    const n = /^\d+$/.test(raw) ? Number(raw) : NaN; // rejects "-1", "1.5", "1e2", ""
    if (n >= min && n <= max) return n;
    fields[name] = `must be an integer from ${String(min)} to ${String(max)}`;
    return fallback;
  };
  const limit = read("limit", 10, 1, 200);
  const offset = read("offset", 0, 0, Number.MAX_SAFE_INTEGER);
  if (Object.keys(fields).length) return fail(400, "invalid paging parameters", { fields });
  const all = items();
  const size = cap === undefined ? limit : Math.min(limit, cap);
  return { items: all.slice(offset, offset + size), total: all.length, offset, limit };
}

/** One page of a list, answered as the contract's `{results, total, offset, limit}`, or 400 naming the bad parameter. */
export function pagedReply(req: Req, items: () => unknown[], cap?: number): Reply {
  const p = page(req, items, cap);
  return "status" in p ? p : json(200, { results: p.items, total: p.total, offset: p.offset, limit: p.limit });
}
