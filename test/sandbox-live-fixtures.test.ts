/**
 * The sandbox's live mode (`api: "live"`) answers in the shapes that public clients of the live API
 * record, field for field. Each answer is fetched over real HTTP from data made through the live
 * surface (SCIM writes, the cost-centre PUT), and its shape (keys, nesting, value types) is compared
 * with a fixture under test/fixtures/live/: our own values in the recorded structure (that folder's
 * README says which recorded answer each fixture mirrors).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { SandboxServer, startSandbox } from "../sandbox/server";

const CORE = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const TP = "urn:ietf:params:scim:schemas:extension:travelperk:2.0:User";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const FIXTURES = path.join(__dirname, "fixtures", "live");

type Json = Record<string, unknown>;
type Shape = string | Shape[] | { [key: string]: Shape };

/**
 * The shape of a JSON value: an object is its keys, sorted, with the shapes of their values; an array
 * the distinct shapes of its elements, sorted (so `[]` and `["string"]` differ, and a list whose users
 * differ in shape, as one with an emergency contact and one without, must show both); anything else
 * its type: "string", "number", "boolean" or "null".
 */
function shape(v: unknown): Shape {
  if (v === null) return "null";
  if (Array.isArray(v)) {
    const distinct = new Map<string, Shape>();
    for (const e of v as unknown[]) {
      const s = shape(e);
      distinct.set(JSON.stringify(s), s);
    }
    return [...distinct.keys()].sort().map((k) => distinct.get(k)!);
  }
  if (typeof v === "object") {
    const o = v as Json;
    return Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, shape(o[k])]),
    );
  }
  return typeof v;
}

/**
 * A known difference between a recorded shape and the sandbox's answer, left on purpose (why says
 * why). `path` is a dotted key path, `[]` standing for every element of an array. "omits": the
 * recording has the key, the sandbox does not answer it; "adds": the sandbox answers a key the
 * recording does not have, like `example`.
 */
type Gap = { path: string; why: string } & ({ sandbox: "omits" } | { sandbox: "adds"; example: unknown });

/**
 * The known differences, per fixture; a fixture not listed has none. Each one is checked both ways:
 * the fixture must have (omits) or lack (adds) the key, and once the sandbox answers as recorded the
 * comparison fails until the entry is removed here.
 */
const GAPS: Record<string, Gap[]> = {
  "scim-user": [
    {
      path: "emails",
      sandbox: "adds",
      example: [{ value: "x@example.com", type: "work", primary: true }],
      why: "the sandbox serves the standard SCIM emails, the primary mirroring userName",
    },
    {
      path: "meta.version",
      sandbox: "adds",
      example: 'W/"1"',
      why: "ETags (scimEtags) are on by default in live mode; the recordings show none",
    },
  ],
  "scim-users": [
    {
      path: "Resources[].emails",
      sandbox: "adds",
      example: [{ value: "x@example.com", type: "work", primary: true }],
      why: "as in scim-user",
    },
    { path: "Resources[].meta.version", sandbox: "adds", example: 'W/"1"', why: "as in scim-user" },
  ],
};

const fixture = (name: string): unknown =>
  JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), "utf8")) as unknown;

/** A copy of the document with the gaps applied: what the sandbox is known to answer instead. */
function withGaps(doc: unknown, gaps: Gap[]): unknown {
  const out = structuredClone(doc);
  for (const gap of gaps) {
    const keys = gap.path.split(".");
    const last = keys.pop()!;
    const holders = keys.reduce<unknown[]>(
      (nodes, key) =>
        nodes.flatMap((node) => {
          const child = (node as Json)[key.replace(/\[\]$/, "")];
          if (!key.endsWith("[]")) return [child];
          if (!Array.isArray(child)) throw new Error(`gap ${gap.path}: ${key} is not an array`);
          return child as unknown[];
        }),
      [out],
    );
    if (!holders.length) throw new Error(`gap ${gap.path}: nothing to apply it to`);
    for (const holder of holders) {
      if (typeof holder !== "object" || holder === null || Array.isArray(holder))
        throw new Error(`gap ${gap.path}: no object to apply it to`);
      const o = holder as Json;
      if (last in o !== (gap.sandbox === "omits"))
        throw new Error(`gap ${gap.path}: the fixture ${gap.sandbox === "omits" ? "lacks" : "already has"} ${last}`);
      if (gap.sandbox === "omits") Reflect.deleteProperty(o, last);
      else o[last] = structuredClone(gap.example);
    }
  }
  return out;
}

/** The answer has the fixture's shape exactly, but for the fixture's known gaps. */
function expectShapeOf(answer: unknown, name: string): void {
  expect(shape(answer)).toEqual(shape(withGaps(fixture(name), GAPS[name] ?? [])));
}

let s: SandboxServer;
beforeAll(async () => {
  s = await startSandbox({ api: "live" });
});
afterAll(() => s.stop());
beforeEach(() => {
  s.reset();
});

type Answer = { status: number; body: unknown };
async function call(method: string, url: string, auth: string, body?: unknown): Promise<Answer> {
  const headers = { "content-type": "application/json", "api-version": "1", authorization: auth };
  const r = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}
/** REST with the API key, SCIM with the OAuth token: the two credentials the public clients use. */
const rest = (method: string, p: string, body?: unknown) => call(method, s.apiUrl + p, `ApiKey ${s.apiKey}`, body);
const scim = (method: string, p: string, body?: unknown) =>
  call(method, s.scimUrl + p, `Bearer ${s.accessToken}`, body);

/** The name and profile attributes of a recorded user. */
function profile(
  userName: string,
  p: { name: Json; locale: string; language: string; title: string; externalId: string },
): Json {
  return {
    schemas: [CORE, ENT, TP],
    userName,
    name: p.name,
    locale: p.locale,
    preferredLanguage: p.language,
    title: p.title,
    externalId: p.externalId,
    active: true,
  };
}

/** A SCIM user with every attribute the recordings show set: both extensions, a manager when given. */
function fullUser(userName: string, managerId?: string): Json {
  return {
    ...profile(userName, {
      name: { givenName: "Marisol", familyName: "Quintero", middleName: "Inés", honorificPrefix: "Ms" },
      locale: "es-ES",
      language: "es",
      title: "Treasury Analyst",
      externalId: "EMP-7731",
    }),
    groups: [],
    phoneNumbers: [{ value: "+34 611 222 333", type: "work" }],
    [ENT]: { costCenter: "Treasury", ...(managerId !== undefined && { manager: { value: managerId } }) },
    [TP]: {
      gender: "F",
      dateOfBirth: "1990-06-14",
      travelPolicy: "Sales Team",
      invoiceProfiles: [{ value: "Acme Europe S.L." }],
      emergencyContact: { name: "Rafael Quintero", phone: "+34 699 888 777" },
    },
  };
}

/** A SCIM user with every name and profile attribute set but no phone and no emergency contact. */
function plainUser(userName: string): Json {
  return {
    ...profile(userName, {
      name: { givenName: "Olaf", familyName: "Lindqvist", middleName: "", honorificPrefix: "Mr" },
      locale: "sv-SE",
      language: "sv",
      title: "Site Lead",
      externalId: "EMP-7702",
    }),
    [ENT]: { costCenter: "Treasury" },
  };
}

async function create(body: Json): Promise<string> {
  const r = await scim("POST", "/Users", body);
  expect(r.status).toBe(201);
  return (r.body as { id: string }).id;
}

describe("the fixtures", () => {
  test("hold invented values: e-mail addresses and URLs at example.com only", () => {
    const strings = (v: unknown): string[] =>
      typeof v === "string"
        ? [v]
        : Array.isArray(v)
          ? v.flatMap(strings)
          : typeof v === "object" && v !== null
            ? Object.values(v).flatMap(strings)
            : [];
    const files = fs.readdirSync(FIXTURES).filter((f) => f.endsWith(".json"));
    expect(files.sort()).toEqual(
      ["cost-center", "cost-centers", "invoice-profiles", "rest-user", "rest-users", "scim-user", "scim-users"].map(
        (f) => `${f}.json`,
      ),
    );
    for (const file of files)
      for (const v of strings(fixture(file.replace(/\.json$/, "")))) {
        if (v.includes("@")) expect(v).toMatch(/^[\w.+-]+@example\.com$/);
        if (/^https?:/.test(v)) expect(v).toMatch(/^https:\/\/app\.example\.com\//);
      }
  });

  test("each known gap applies to its fixture", () => {
    for (const [name, gaps] of Object.entries(GAPS)) expect(() => withGaps(fixture(name), gaps)).not.toThrow();
  });
});

describe("the live REST answers", () => {
  test("GET /users and GET /users/{id}", async () => {
    const full = await create(fullUser("marisol.quintero@example.com"));
    await create(plainUser("olaf.lindqvist@example.com"));
    const list = await rest("GET", "/users");
    expect(list.status).toBe(200);
    expect((list.body as { users: unknown[] }).users).toHaveLength(2);
    expectShapeOf(list.body, "rest-users");
    const one = await rest("GET", `/users/${full}`);
    expect(one.status).toBe(200);
    expectShapeOf(one.body, "rest-user");
  });

  test("GET /cost_centers", async () => {
    await create(fullUser("marisol.quintero@example.com"));
    const list = await rest("GET", "/cost_centers");
    expect(list.status).toBe(200);
    expect((list.body as { cost_centers: unknown[] }).cost_centers.length).toBeGreaterThan(1);
    expectShapeOf(list.body, "cost-centers");
  });

  test("GET /cost_centers/{id} and PUT /cost_centers/{id}/users", async () => {
    const first = await create(fullUser("marisol.quintero@example.com"));
    const second = await create(plainUser("olaf.lindqvist@example.com"));
    const treasury = s.listCostCenters().find((c) => c.name === "Treasury")!;
    const detail = await rest("GET", `/cost_centers/${treasury.id}`);
    expect(detail.status).toBe(200);
    expect((detail.body as { count_users: number }).count_users).toBe(2);
    expectShapeOf(detail.body, "cost-center");
    const ops = s.listCostCenters().find((c) => c.name === "OPS")!;
    const put = await rest("PUT", `/cost_centers/${ops.id}/users`, { user_ids: [Number(first), Number(second)] });
    expect(put.status).toBe(200);
    expect((put.body as { count_users: number }).count_users).toBe(2);
    expectShapeOf(put.body, "cost-center");
  });

  test("GET /profiles", async () => {
    const list = await rest("GET", "/profiles");
    expect(list.status).toBe(200);
    expect((list.body as { profiles: unknown[] }).profiles).toHaveLength(2);
    expectShapeOf(list.body, "invoice-profiles");
  });
});

describe("the live SCIM answers", () => {
  test("POST, GET, PUT and PATCH /scim/Users/{id}", async () => {
    const manager = await create(plainUser("olaf.lindqvist@example.com"));
    const created = await scim("POST", "/Users", fullUser("marisol.quintero@example.com", manager));
    expect(created.status).toBe(201);
    expectShapeOf(created.body, "scim-user");
    const id = (created.body as { id: string }).id;
    const got = await scim("GET", `/Users/${id}`);
    expect(got.status).toBe(200);
    expectShapeOf(got.body, "scim-user");
    const put = await scim("PUT", `/Users/${id}`, {
      ...fullUser("marisol.quintero@example.com", manager),
      title: "CFO",
    });
    expect(put.status).toBe(200);
    expectShapeOf(put.body, "scim-user");
    const patched = await scim("PATCH", `/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "replace", path: "title", value: "Head of Treasury" }],
    });
    expect(patched.status).toBe(200);
    expectShapeOf(patched.body, "scim-user");
  });

  test("GET /scim/Users: a ListResponse", async () => {
    const manager = await create(plainUser("olaf.lindqvist@example.com"));
    await create(fullUser("marisol.quintero@example.com", manager));
    const filter = encodeURIComponent('userName eq "marisol.quintero@example.com"');
    const list = await scim("GET", `/Users?filter=${filter}&startIndex=1&count=10`);
    expect(list.status).toBe(200);
    expect((list.body as { Resources: unknown[] }).Resources).toHaveLength(1);
    expectShapeOf(list.body, "scim-users");
  });
});
