/** The request core against scripted HTTP answers: headers, pagination tolerances, malformed answers, redaction. */
import { inspect } from "util";
import { setStackConfig } from "../provider/config";
import {
  MalformedResponseError,
  NetworkError,
  ServerError,
  TravelPerkError,
  AuthenticationError,
} from "../provider/client/errors";
import { listGroups } from "../provider/client/groups";
import { getUser, listUsers, updateUser } from "../provider/client/users";
import { createOrAdopt } from "../provider/client/users/create";
import { startNewCommand } from "../provider/runtime";
import { at } from "./helpers/at";
import { ScriptedServer } from "./helpers/scripted-server";

const TOKEN = "tp_at_SECRET-token-value-1234567890";
let server: ScriptedServer;

beforeEach(async () => {
  server = new ScriptedServer();
  const url = await server.start();
  process.env.TRAVELPERK_API_URL = url;
  process.env.TRAVELPERK_ACCESS_TOKEN = TOKEN;
  process.env.TRAVELPERK_RETRY_BASE_DELAY_MS = "1";
  delete process.env.TRAVELPERK_API_KEY;
  setStackConfig(undefined);
});
afterEach(async () => {
  await server.stop();
  delete process.env.TRAVELPERK_API_URL;
  delete process.env.TRAVELPERK_ACCESS_TOKEN;
  delete process.env.TRAVELPERK_RETRY_BASE_DELAY_MS;
});

const user = (id: string, email: string) => ({ id, email, first_name: "A", last_name: "B" });

test("sends the bearer token, Api-Version and Accept headers", async () => {
  server.on("GET /users/u1", { body: user("u1", "a@example.com") });
  await getUser("u1");
  expect(at(server.seen, 0).headers.authorization).toBe(`Bearer ${TOKEN}`);
  expect(at(server.seen, 0).headers["api-version"]).toBe("1");
  expect(at(server.seen, 0).headers.accept).toBe("application/json");
});

test("an API key is sent as `ApiKey <key>`", async () => {
  delete process.env.TRAVELPERK_ACCESS_TOKEN;
  process.env.TRAVELPERK_API_KEY = "key-123";
  server.on("GET /users/u1", { body: user("u1", "a@example.com") });
  await getUser("u1");
  expect(at(server.seen, 0).headers.authorization).toBe("ApiKey key-123");
});

test("stack config wins over the environment", async () => {
  setStackConfig({ get: (key) => (key === "travelperk:accessToken" ? "from-stack" : undefined) });
  server.on("GET /users/u1", { body: user("u1", "a@example.com") });
  await getUser("u1");
  expect(at(server.seen, 0).headers.authorization).toBe("Bearer from-stack");
});

test("missing credentials name both ways to set them", async () => {
  delete process.env.TRAVELPERK_ACCESS_TOKEN;
  await expect(getUser("u1")).rejects.toThrow(/travelperk:accessToken.*TRAVELPERK_ACCESS_TOKEN/s);
  expect(server.seen).toHaveLength(0);
});

describe("pagination", () => {
  test("pages with limit 200 until total is reached", async () => {
    const all = Array.from({ length: 450 }, (_, i) => user(`u${String(i)}`, `p${String(i)}@example.com`));
    for (const offset of [0, 200, 400]) {
      server.on(`GET /users?limit=200&offset=${String(offset)}`, {
        body: { results: all.slice(offset, offset + 200), total: 450, offset, limit: 200 },
      });
    }
    const users = await listUsers();
    expect(users).toHaveLength(450);
    expect(server.seen.map((r) => r.url)).toEqual([
      "/api/v2/users?limit=200&offset=0",
      "/api/v2/users?limit=200&offset=200",
      "/api/v2/users?limit=200&offset=400",
    ]);
  });

  test("a list under another key, no total and no limit: a short page may be a capped one, so it asks on", async () => {
    server.on("GET /groups?limit=200&offset=0", { body: { groups: [{ id: 7, name: "Eng" }] } });
    server.on("GET /groups?limit=200&offset=1", { body: { groups: [{ id: 8, name: "Ops" }] } });
    server.on("GET /groups?limit=200&offset=2", { body: { groups: [] } });
    expect(await listGroups()).toEqual([
      { id: "7", name: "Eng" },
      { id: "8", name: "Ops" },
    ]);
    expect(server.seen).toHaveLength(3);
  });

  test("no total, and a page shorter than the limit the server answered: that is the last page", async () => {
    server.on("GET /groups?limit=200&offset=0", {
      body: {
        offset: 0,
        limit: 2,
        groups: [
          { id: 1, name: "A" },
          { id: 2, name: "B" },
        ],
      },
    });
    server.on("GET /groups?limit=200&offset=2", { body: { offset: 2, limit: 2, groups: [{ id: 3, name: "C" }] } });
    expect((await listGroups()).map((g) => g.id)).toEqual(["1", "2", "3"]);
    expect(server.seen).toHaveLength(2);
  });

  test("a total that says more: pages shorter than asked are followed until it is reached", async () => {
    const page = (from: number) =>
      Array.from({ length: 7 }, (_, i) => user(`u${String(from + i)}`, `p${String(from + i)}@example.com`));
    server.on("GET /users?limit=200&offset=0", { body: { results: page(0), total: 10, limit: 200 } });
    server.on("GET /users?limit=200&offset=7", { body: { results: page(7).slice(0, 3), total: 10, limit: 200 } });
    expect(await listUsers()).toHaveLength(10);
    expect(server.seen).toHaveLength(2);
  });

  test("no total and a full page: asks for the next, stops on an empty one", async () => {
    const full = Array.from({ length: 200 }, (_, i) => user(`u${String(i)}`, `p${String(i)}@example.com`));
    server.on("GET /users?limit=200&offset=0", { body: { results: full } });
    server.on("GET /users?limit=200&offset=200", { body: { results: [] } });
    expect(await listUsers()).toHaveLength(200);
    expect(server.seen).toHaveLength(2);
  });

  test("no total, a short page and the limit asked echoed back: a silent cap, so it asks on", async () => {
    const centers = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => ({ id: from + i, name: `C${String(from + i)}` }));
    server.on("GET /groups?limit=200&offset=0", { body: { offset: 0, limit: 200, groups: centers(1, 7) } });
    server.on("GET /groups?limit=200&offset=7", { body: { offset: 7, limit: 200, groups: centers(8, 2) } });
    server.on("GET /groups?limit=200&offset=9", { body: { offset: 9, limit: 200, groups: [] } });
    expect(await listGroups()).toHaveLength(9);
    expect(server.seen).toHaveLength(3);
  });

  test("an unpaged answer (a bare list, no paging field) that repeats for the next offset is read whole", async () => {
    const body = [
      { id: 1, name: "A" },
      { id: 2, name: "B" },
    ];
    server.on("GET /groups?limit=200&offset=0", { body });
    server.on("GET /groups?limit=200&offset=2", { body });
    expect((await listGroups()).map((g) => g.id)).toEqual(["1", "2"]);
    expect(server.seen).toHaveLength(2);
  });

  test("a paged answer that repeats for the next offset is an error, not an endless or doubled listing", async () => {
    const body = { offset: 0, limit: 200, groups: [{ id: 1, name: "A" }] };
    server.on("GET /groups?limit=200&offset=0", { body });
    server.on("GET /groups?limit=200&offset=1", { body });
    await expect(listGroups()).rejects.toThrow(/list groups.*same page again/s);
  });

  test("numeric ids are read as opaque strings", async () => {
    server.on("GET /users/42", {
      body: { id: 42, email: "n@example.com", travel_policy: { id: 9, name: "Std" }, manager_id: 7 },
    });
    const u = await getUser("42");
    expect(u).toMatchObject({ id: "42", travelPolicyId: "9", managerId: "7", firstName: null, isActive: null });
  });
});

describe("malformed answers are clear errors naming the operation", () => {
  const cases: [string, { raw?: string; body?: unknown; status?: number }][] = [
    ["an HTML page", { raw: "<html><body>Gateway</body></html>" }],
    ["an empty body", { raw: "" }],
    ["a user without an e-mail", { body: { id: "u1" } }],
    ["a wrong type", { body: { id: "u1", email: "a@example.com", is_active: "yes" } }],
    ["a list that is not a list", { body: { results: "nope" } }],
  ];
  test.each(cases)("%s", async (_name, reply) => {
    server.on("GET /users/u1", reply);
    server.on("GET /users", reply);
    const call = _name.includes("list") ? listUsers() : getUser("u1", "a@example.com");
    const error = await call.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MalformedResponseError);
    expect((error as TravelPerkError).message).toMatch(/TravelPerk (read|list) user/);
  });
});

describe("errors never carry the token", () => {
  test("a 401 names the operation, status and user, and suggests the credential kind", async () => {
    server.on("GET /users/u1", { status: 401, body: { error: "invalid token" } });
    const error = (await getUser("u1", "jane@example.com").catch((e: unknown) => e)) as TravelPerkError;
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toContain("read user jane@example.com");
    expect(error.message).toContain("401");
    expect(error.message).toContain("SCIM token");
    for (const text of [error.message, error.stack ?? "", inspect(error, { depth: 10 }), JSON.stringify(error)]) {
      expect(text).not.toContain(TOKEN);
    }
  });

  test("a server error after retries, and a dropped connection", async () => {
    server.on("PATCH /users/u1", { status: 503, body: { error: "down" } });
    const error = (await updateUser("u1", { costCenter: "X" }, "jane@example.com").catch(
      (e: unknown) => e,
    )) as TravelPerkError;
    expect(error).toBeInstanceOf(ServerError);
    expect(server.seen.filter((r) => r.method === "PATCH")).toHaveLength(9); // 1 + 8 retries
    expect(inspect(error, { depth: 10 })).not.toContain(TOKEN);

    server.on("GET /users/u2", { drop: true });
    const dropped = (await getUser("u2", "joe@example.com").catch((e: unknown) => e)) as TravelPerkError;
    expect(dropped).toBeInstanceOf(NetworkError);
    expect(dropped.status).toBe(0);
    expect(dropped.message).toContain("joe@example.com");
    expect(inspect(dropped, { depth: 10 })).not.toContain(TOKEN);
  });

  test("a 429 without headers is retried until it passes", async () => {
    server.on(
      "GET /users/u1",
      { status: 429, body: {} },
      { status: 429, body: {} },
      { body: user("u1", "a@example.com") },
    );
    await expect(getUser("u1")).resolves.toMatchObject({ id: "u1" });
    expect(server.seen).toHaveLength(3);
  });
});

describe("errors keep where the call went and why it failed, never a header or the query", () => {
  test("method, the path under the base URL, and the server's request id", async () => {
    server.on("GET /users/u1", { status: 404, body: { error: "gone" }, headers: { "X-Request-Id": "req-42.a" } });
    const error = (await getUser("u1", "jane@example.com").catch((e: unknown) => e)) as TravelPerkError;
    expect(error).toMatchObject({ method: "GET", path: "/api/v2/users/u1", requestId: "req-42.a", status: 404 });
    expect(error.message).toContain("[GET /api/v2/users/u1; request id req-42.a]");
  });

  test("a listing's query string is not kept; a request id that is not an id is not quoted", async () => {
    server.on("GET /users", { status: 500, body: {}, headers: { "x-request-id": "<b>not an id</b>" } });
    process.env.TRAVELPERK_MAX_RETRIES = "0";
    try {
      const error = (await listUsers().catch((e: unknown) => e)) as TravelPerkError;
      expect(error).toBeInstanceOf(ServerError);
      expect(server.seen.at(0)?.url).toContain("limit=200");
      expect(error.path).toBe("/api/v2/users");
      expect(error.requestId).toBeUndefined();
      expect(inspect(error, { depth: 10 })).not.toMatch(/limit=|offset=|not an id/);
    } finally {
      delete process.env.TRAVELPERK_MAX_RETRIES;
    }
  });

  test("a malformed list item names the page's path and request id; aboutSubject keeps every detail", async () => {
    server.on("GET /users", { body: { results: [{ id: "u1" }], total: 1 }, headers: { "X-Request-Id": "page-1" } });
    const error = (await listUsers().catch((e: unknown) => e)) as TravelPerkError;
    expect(error).toBeInstanceOf(MalformedResponseError);
    expect(error).toMatchObject({ method: "GET", path: "/api/v2/users", requestId: "page-1" });
    expect(error.cause).toBeDefined();
    const about = error.aboutSubject("jane@example.com (user u1)");
    expect(about).toBeInstanceOf(MalformedResponseError);
    expect(about).toMatchObject({ subject: "jane@example.com (user u1)", path: "/api/v2/users", requestId: "page-1" });
    expect(about.cause).toBe(error.cause);
    expect(about.message).toContain("jane@example.com (user u1) failed: 200 OK: malformed list item");
  });

  test("a malformed answer keeps the schema's issues as its cause", async () => {
    server.on("GET /users/u1", { body: { id: "u1", email: "a@example.com", is_active: "yes" } });
    const error = (await getUser("u1").catch((e: unknown) => e)) as TravelPerkError;
    expect(error).toBeInstanceOf(MalformedResponseError);
    const cause = error.cause as { issues?: { path: PropertyKey[] }[] };
    expect(cause.issues?.map((issue) => issue.path.join("."))).toEqual(["is_active"]);
    expect(error.path).toBe("/api/v2/users/u1");
  });

  test("a dropped connection keeps the network failure as its cause, without the request's config", async () => {
    server.on("GET /users/u2", { drop: true });
    process.env.TRAVELPERK_MAX_RETRIES = "0";
    try {
      const error = (await getUser("u2", "joe@example.com").catch((e: unknown) => e)) as TravelPerkError;
      expect(error).toBeInstanceOf(NetworkError);
      const cause = error.cause as Error & { code?: string; config?: unknown };
      expect(cause).toBeInstanceOf(Error);
      expect(cause.code).toBe("ECONNRESET");
      expect(cause.config).toBeUndefined();
      const text = inspect(error, { depth: 10, showHidden: true });
      expect(text).toContain("socket hang up");
      expect(text).not.toContain(TOKEN);
      expect(text.toLowerCase()).not.toContain("authorization");
    } finally {
      delete process.env.TRAVELPERK_MAX_RETRIES;
    }
  });
});

describe("a create whose answer was lost is repeated only when the e-mail is still absent", () => {
  const create = () =>
    createOrAdopt({
      fields: { email: "new@example.com", firstName: "New", lastName: "Person" },
      adoptExisting: false,
      matches: () => false,
    });
  beforeEach(() => {
    startNewCommand();
  });

  test("the lookup finds the account the lost create made: one POST, that account", async () => {
    server.on("POST /users", { status: 502, body: {} });
    server.on("GET /users", { body: { results: [user("u9", "new@example.com")], total: 1 } });
    await expect(create()).resolves.toMatchObject({ id: "u9" });
    expect(server.seen.filter((r) => r.method === "POST")).toHaveLength(1);
  });

  test("the lookup finds nothing: the POST is repeated, and its answer is the user", async () => {
    server.on("POST /users", { drop: true }, { status: 201, body: user("u10", "new@example.com") });
    server.on("GET /users", { body: { results: [], total: 0 } });
    await expect(create()).resolves.toMatchObject({ id: "u10" });
    expect(server.seen.map((r) => `${r.method} ${r.url.split("?")[0] ?? ""}`)).toEqual([
      "POST /api/v2/users",
      "GET /api/v2/users",
      "POST /api/v2/users",
    ]);
  });

  test("the lookup itself fails: the POST is not repeated, the lookup not asked again, its error reported", async () => {
    process.env.TRAVELPERK_MAX_RETRIES = "1";
    try {
      server.on("POST /users", { status: 503, body: {} });
      server.on("GET /users", { status: 500, body: {} });
      const error = (await create().catch((e: unknown) => e)) as TravelPerkError;
      expect(error).toBeInstanceOf(ServerError);
      expect(error).toMatchObject({ method: "GET", path: "/api/v2/users" });
      const posts = server.seen.filter((r) => r.method === "POST").length;
      const lookups = server.seen.filter((r) => r.method === "GET").length;
      expect([posts, lookups]).toEqual([1, 2]); // one lookup, retried once by its own policy
    } finally {
      delete process.env.TRAVELPERK_MAX_RETRIES;
    }
  });

  test("every answer lost and never found: as many POSTs as retries allow, each after a lookup", async () => {
    process.env.TRAVELPERK_MAX_RETRIES = "2";
    try {
      server.on("POST /users", { status: 503, body: {} });
      server.on("GET /users", { body: { results: [], total: 0 } });
      await expect(create()).rejects.toBeInstanceOf(ServerError);
      const posts = server.seen.filter((r) => r.method === "POST").length;
      const lookups = server.seen.filter((r) => r.method === "GET").length;
      expect([posts, lookups]).toEqual([3, 3]); // a lookup before each repeat, and after the last failure
    } finally {
      delete process.env.TRAVELPERK_MAX_RETRIES;
    }
  });
});
