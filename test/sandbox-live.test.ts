/**
 * The sandbox's live mode (`api: "live"`) over real HTTP: the live REST shapes, SCIM at /scim with both
 * extensions, ETags, PATCH answer modes, page caps (both modes), discovery and the one credential.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SandboxServer, startSandbox, type SandboxOptions } from "../sandbox/server";

const CORE = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const TP = "urn:ietf:params:scim:schemas:extension:travelperk:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

let s: SandboxServer;
beforeAll(async () => {
  s = await startSandbox({ api: "live" });
});
afterAll(() => s.stop());
beforeEach(() => {
  s.setOptions({
    pageCap: undefined,
    scimPatch: undefined,
    scimEtags: undefined,
    scimTravelFields: undefined,
    rateLimit: undefined,
    faultRate: 0,
    lostResponseRate: 0,
    faultWhen: undefined,
  });
  s.reset();
});

type Json = Record<string, unknown>;
type Answer = { status: number; body: unknown; headers: Headers };
/** The body of an answer as a JSON object, for reading fields (each test says what it expects). */
const obj = (a: Answer) => a.body as Json;
interface ScimUser extends Json {
  id: string;
  userName: string;
  meta: { resourceType: string; created: string; lastModified: string; location: string; version?: string };
}
interface ListResponse<T = ScimUser> {
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: T[];
}

async function call(
  method: string,
  url: string,
  body?: unknown,
  auth: string | null = `ApiKey ${s.apiKey}`,
  extra: Record<string, string> = {},
): Promise<Answer> {
  const headers: Record<string, string> = { "content-type": "application/json", "api-version": "1", ...extra };
  if (auth) headers.authorization = auth;
  const r = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, body: text ? (JSON.parse(text) as unknown) : undefined, headers: r.headers };
}
const rest = (method: string, p: string, body?: unknown) => call(method, s.apiUrl + p, body);
const scim = (method: string, p: string, body?: unknown, headers?: Record<string, string>) =>
  call(method, s.scimUrl + p, body, `Bearer ${s.accessToken}`, headers);
const patch = (id: string, ...Operations: Json[]) => scim("PATCH", `/Users/${id}`, { schemas: [PATCH_OP], Operations });
const q = (filter: string) => `filter=${encodeURIComponent(filter)}`;

/** A user with every kind of attribute: core, standard extras, both extensions. */
const ada = (): Json => ({
  schemas: [CORE, ENT, TP],
  externalId: "EXT-ada",
  userName: "ada@example.com",
  name: {
    formatted: "Ms Ada Augusta Lovelace",
    givenName: "Ada",
    familyName: "Lovelace",
    middleName: "Augusta",
    honorificPrefix: "Ms",
  },
  displayName: "Ada Lovelace",
  title: "Analyst",
  preferredLanguage: "en-GB",
  locale: "en-GB",
  timezone: "Europe/London",
  active: true,
  emails: [
    { value: "ada@example.com", type: "work", primary: true },
    { value: "ada@home.example", type: "home" },
  ],
  phoneNumbers: [
    { value: "+44 20 7946 0000", type: "work" },
    { value: "+447700900000", type: "mobile" },
  ],
  groups: [], // read-only: ignored, as public clients send it
  [ENT]: { costCenter: "ENG", department: "R&D", employeeNumber: "42" },
  [TP]: {
    gender: "F",
    dateOfBirth: "1815-12-10",
    travelPolicy: "executive",
    invoiceProfiles: [{ value: "Acme Inc." }],
    emergencyContact: { name: "Mary Somerville", phone: "+447700900001" },
  },
});
const create = async (body: Json = ada()) => {
  const r = await scim("POST", "/Users", body);
  expect(r.status).toBe(201);
  return r.body as ScimUser;
};
const minimal = (userName: string, givenName = "X", familyName = "Y") => ({
  schemas: [CORE],
  userName,
  name: { givenName, familyName },
});

describe("URLs and ids", () => {
  test("REST at the host root, SCIM at /scim; contract mode keeps its prefixes", async () => {
    expect(s.api).toBe("live");
    expect(s.apiUrl).toBe(s.url);
    expect(s.scimUrl).toBe(`${s.url}/scim`);
    const contract = await startSandbox();
    try {
      expect(contract.apiUrl).toBe(`${contract.url}/api/v2`);
      expect(contract.scimUrl).toBe(`${contract.url}/api/scim/v2`);
    } finally {
      await contract.stop();
    }
  });

  test("users and groups get increasing numeric ids that are never reused", async () => {
    const first = await create(minimal("a@example.com"));
    const second = await create(minimal("b@example.com"));
    expect([first.id, second.id]).toEqual(["1", "2"]);
    expect((await scim("DELETE", "/Users/2")).status).toBe(204);
    expect((await create(minimal("c@example.com"))).id).toBe("3");
    expect(s.listGroups().every((g) => /^\d+$/.test(g.id))).toBe(true);
    const group = await scim("POST", "/Groups", { schemas: [GROUP], displayName: "Finance" });
    expect(obj(group).id).toBe(String(s.listGroups().length));
  });
});

describe("SCIM users", () => {
  test("POST stores every attribute, canonical fields in the store, the rest returned as sent", async () => {
    const r = await scim("POST", "/Users", ada());
    expect(r.status).toBe(201);
    expect(r.headers.get("content-type")).toBe("application/scim+json");
    const user = r.body as ScimUser;
    expect(user.id).toBe("1");
    expect(r.headers.get("location")).toBe(`${s.scimUrl}/Users/1`);
    expect(user.schemas).toEqual([CORE, ENT, TP]);
    expect(user.meta).toEqual({
      resourceType: "User",
      created: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) as unknown,
      lastModified: user.meta.created,
      location: `${s.scimUrl}/Users/1`,
      version: 'W/"1"',
    });
    expect(r.headers.get("etag")).toBe('W/"1"');
    const policy = s.listPolicies().find((p) => p.name === "Executive")!;
    // Returned as sent, but for the read-only groups and what the server canonicalises: the work phone
    // in E.164 and the travel policy's name as the policy spells it.
    const { schemas: _schemas, groups: _groups, ...sent } = ada();
    expect(user).toMatchObject({
      ...sent,
      phoneNumbers: [
        { value: "+442079460000", type: "work" },
        { value: "+447700900000", type: "mobile" },
      ],
      [TP]: { ...(sent[TP] as Json), travelPolicy: "Executive" },
    });
    expect(user.groups).toEqual([]); // in no group yet: an empty list, as the live API answers
    expect(s.findUserByEmail("ADA@example.com")).toMatchObject({
      id: "1",
      email: "ada@example.com",
      first_name: "Ada",
      last_name: "Lovelace",
      phone_number: "+442079460000",
      language: "en",
      gender: "female",
      date_of_birth: "1815-12-10",
      travel_policy: policy,
      invoicing_profiles: [{ id: "Acme Inc." }],
      cost_center: "ENG",
      manager_id: null,
      is_active: true,
      role: null,
      nationality: null,
    });
    expect((await scim("GET", "/Users/1")).body).toEqual(user);
    expect((await scim("GET", "/Users/99")).body).toMatchObject({ status: "404", schemas: [expect.any(String)] });
  });

  test("a user with nothing optional still carries both extension objects", async () => {
    const user = await create(minimal("bare@example.com"));
    expect(user[ENT]).toEqual({});
    expect(user[TP]).toEqual({});
    expect(user.emails).toEqual([{ value: "bare@example.com", type: "work", primary: true }]);
    expect(user.phoneNumbers).toBeUndefined();
  });

  test("PUT replaces: what it leaves out is unset, except what SCIM cannot see", async () => {
    const before = await create();
    s.updateUser("1", { role: "travel_manager", nationality: "GB" });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const r = await scim("PUT", "/Users/1", minimal("ada@example.com", "Ada", "King"));
    expect(r.status).toBe(200);
    const after = r.body as ScimUser;
    expect(after.meta.created).toBe(before.meta.created);
    expect(after.meta.lastModified > before.meta.lastModified).toBe(true);
    expect(after.meta.version).toBe('W/"3"'); // the admin update was a write too
    expect(after.externalId).toBeUndefined();
    expect(after.title).toBeUndefined();
    expect(after.phoneNumbers).toBeUndefined();
    expect(after.emails).toEqual([{ value: "ada@example.com", type: "work", primary: true }]);
    expect(after[ENT]).toEqual({});
    expect(after[TP]).toEqual({});
    const stored = s.getUser("1")!;
    expect(stored).toMatchObject({
      first_name: "Ada",
      last_name: "King",
      phone_number: null,
      language: null,
      gender: null,
      date_of_birth: null,
      travel_policy: null,
      invoicing_profiles: [],
      cost_center: null,
      is_active: true,
      role: "travel_manager",
      nationality: "GB",
    });
    expect(stored.scim).toBeUndefined();

    // A stored gender "other" has no SCIM value: it is not shown and a PUT does not unset it.
    s.updateUser("1", { gender: "other" });
    expect(obj(await scim("GET", "/Users/1"))[TP]).toEqual({});
    await scim("PUT", "/Users/1", minimal("ada@example.com", "Ada", "King"));
    expect(s.getUser("1")!.gender).toBe("other");
    expect((await scim("PUT", "/Users/9", minimal("x@example.com"))).status).toBe(404);
  });

  test("PATCH: every path form", async () => {
    await create();
    const bob = await create(minimal("bob@example.com", "Bob", "Manager"));
    const last = async (...ops: Json[]) => {
      const r = await patch("1", ...ops);
      expect(r).toMatchObject({ status: 200 });
      return r.body as ScimUser;
    };
    // simple attributes, add and replace, op names in any case
    let u = await last(
      { op: "Replace", path: "title", value: "Engineer" },
      { op: "add", path: "nickName", value: "Countess" },
    );
    expect(u).toMatchObject({ title: "Engineer", nickName: "Countess" });
    // a sub-attribute
    u = await last({ op: "replace", path: "name.givenName", value: "Augusta Ada" });
    expect(u.name).toMatchObject({ givenName: "Augusta Ada", familyName: "Lovelace", middleName: "Augusta" });
    expect(s.getUser("1")!.first_name).toBe("Augusta Ada");
    // URN-prefixed extension attributes
    u = await last({ op: "replace", path: `${ENT}:costCenter`, value: "SALES" });
    expect(u[ENT]).toMatchObject({ costCenter: "SALES", department: "R&D" });
    expect(s.getUser("1")!.cost_center).toBe("SALES");
    u = await last({ op: "add", path: `${ENT}:manager`, value: { value: bob.id } });
    expect(u[ENT]).toMatchObject({
      manager: { value: bob.id, $ref: `${s.scimUrl}/Users/${bob.id}`, displayName: "Bob Manager" },
    });
    expect(s.getUser("1")!.manager_id).toBe(bob.id);
    u = await last({ op: "replace", path: `${TP}:travelPolicy`, value: "STANDARD" });
    expect(s.getUser("1")!.travel_policy?.name).toBe("Standard");
    expect(u[TP]).toMatchObject({ travelPolicy: "Standard" });
    await last({ op: "remove", path: `${TP}:travelPolicy` });
    expect(s.getUser("1")!.travel_policy).toBeNull();
    // value-filter paths
    await last({ op: "replace", path: 'phoneNumbers[type eq "work"].value', value: "+34 600 000 000" });
    expect(s.getUser("1")!.phone_number).toBe("+34600000000");
    u = await last({ op: "replace", path: "emails[primary eq true].value", value: "ada.king@example.com" });
    expect(u.userName).toBe("ada.king@example.com");
    expect(s.getUser("1")!.email).toBe("ada.king@example.com");
    // Azure AD adds a typed value that is not there yet through a filter path
    u = await last({ op: "add", path: 'phoneNumbers[type eq "fax"].value', value: "+34911111111" });
    expect(u.phoneNumbers).toEqual([
      { value: "+34600000000", type: "work" },
      { value: "+447700900000", type: "mobile" },
      { type: "fax", value: "+34911111111" },
    ]);
    await last({ op: "remove", path: 'phoneNumbers[type eq "fax"]' });
    // whole multi-valued attributes
    u = await last({ op: "replace", path: "phoneNumbers", value: [{ value: "+34622222222", type: "work" }] });
    expect(u.phoneNumbers).toEqual([{ value: "+34622222222", type: "work" }]);
    u = await last({ op: "add", path: "emails", value: [{ value: "ada@other.example", type: "other" }] });
    expect((u.emails as Json[]).map((e) => e.value)).toEqual([
      "ada.king@example.com",
      "ada@home.example",
      "ada@other.example",
    ]);
    // no path: an object of attributes; an extension's object merges sub-attribute by sub-attribute
    u = await last({
      op: "replace",
      value: { displayName: "Ada King", "name.familyName": "King", [ENT]: { department: "Ops" } },
    });
    expect(u).toMatchObject({ displayName: "Ada King", name: { familyName: "King" } });
    expect(u[ENT]).toMatchObject({ costCenter: "SALES", department: "Ops", employeeNumber: "42" });
    u = await last({ op: "add", value: { [`${TP}:gender`]: "M", active: false } });
    expect(u[TP]).toMatchObject({ gender: "M" });
    // the core schema's URN may prefix a core attribute; the whole extension URN takes an object
    u = await last(
      { op: "replace", path: `${CORE}:userName`, value: "ada@example.com" },
      { op: "replace", path: ENT, value: { division: "North" } },
      { op: "remove", path: 'emails[type eq "home"]' },
    );
    expect(u.userName).toBe("ada@example.com");
    expect(u[ENT]).toMatchObject({ costCenter: "SALES", department: "Ops", division: "North" });
    expect((u.emails as Json[]).map((e) => e.value)).toEqual(["ada@example.com", "ada@other.example"]);
    expect(u).toMatchObject({ active: false, [TP]: { gender: "M" } });
    expect(s.getUser("1")).toMatchObject({ gender: "male", is_active: false, last_name: "King" });
    // remove
    u = await last({ op: "remove", path: "title" }, { op: "remove", path: `${ENT}:manager` });
    expect(u.title).toBeUndefined();
    expect(s.getUser("1")!.manager_id).toBeNull();
  });

  test("PATCH is atomic and refuses bad operations", async () => {
    await create();
    const before = obj(await scim("GET", "/Users/1"));
    const bad = async (expected: Json, ...ops: Json[]) => {
      const r = await patch("1", ...ops);
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject(expected);
    };
    await bad(
      { scimType: "invalidValue" },
      { op: "replace", path: "title", value: "Changed" },
      { op: "replace", path: `${TP}:gender`, value: "X" },
    );
    await bad({ scimType: "invalidPath" }, { op: "replace", path: "nationality", value: "GB" });
    await bad({ scimType: "mutability" }, { op: "replace", path: "id", value: "7" });
    await bad({ scimType: "noTarget" }, { op: "remove" });
    await bad({ scimType: "invalidSyntax" }, { op: "move", path: "title" });
    await bad({ scimType: "invalidValue" }, { op: "add", path: `${ENT}:manager`, value: { value: "99" } });
    await bad({ scimType: "invalidValue" }, { op: "add", path: `${ENT}:manager`, value: { value: "1" } });
    await bad({ scimType: "invalidValue" }, { op: "replace", path: `${TP}:travelPolicy`, value: "Platinum" });
    await bad({ scimType: "invalidValue" }, { op: "replace", path: `${TP}:dateOfBirth`, value: "1815-02-30" });
    await bad({ scimType: "invalidValue" }, { op: "replace", path: "active", value: "maybe" });
    await bad({ scimType: "invalidValue" }, { op: "replace", path: `${TP}:gender`, value: "f" });
    await bad({ scimType: "invalidPath" }, { op: "replace", path: "emails.value", value: "x@example.com" });
    expect((await scim("PATCH", "/Users/1", { schemas: ["nope"], Operations: [] })).status).toBe(400);
    expect(obj(await scim("GET", "/Users/1"))).toEqual(before);
  });

  test("409 on a taken userName (case-insensitive), from POST, PUT and PATCH", async () => {
    await create();
    await create(minimal("bob@example.com"));
    const dup = await scim("POST", "/Users", minimal("ADA@example.com"));
    expect(dup).toMatchObject({ status: 409, body: { scimType: "uniqueness", status: "409" } });
    expect((await scim("PUT", "/Users/2", minimal("Ada@Example.com"))).status).toBe(409);
    expect((await patch("2", { op: "replace", path: "userName", value: "ada@EXAMPLE.com" })).status).toBe(409);
    expect(s.listUsers()).toHaveLength(2);
  });

  test("attributes outside /Schemas are refused and named; read-only ones are ignored", async () => {
    for (const [extra, named] of [
      [{ role: "company_admin" }, "role"],
      [{ nationality: "GB" }, "nationality"],
      [{ [ENT]: { costCentre: "ENG" } }, "costCentre"],
      [{ name: { givenName: "A", nick: "a" } }, "name.nick"],
      [{ "urn:example:ext": { a: 1 } }, "urn:example:ext"],
    ] as const) {
      const r = await scim("POST", "/Users", { ...minimal("x@example.com"), ...extra });
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ scimType: "invalidSyntax" });
      expect(obj(r).detail).toContain(named);
    }
    const typed = await scim("POST", "/Users", { ...minimal("x@example.com"), active: "yes" });
    expect(typed).toMatchObject({ status: 400, body: { scimType: "invalidValue" } });
    const ignored = await create({
      ...minimal("x@example.com"),
      id: "500",
      meta: { created: "x" },
      password: "s3cret",
    });
    expect(ignored.id).toBe("1");
    expect(JSON.stringify(s.getUser("1"))).not.toContain("s3cret");
    expect(s.listUsers()).toHaveLength(1);
  });

  test("DELETE answers 204 and removes memberships; 404 when missing", async () => {
    await create();
    const gid = s.listGroups().at(0)!.id;
    await scim("PATCH", `/Groups/${gid}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "add", path: "members", value: [{ value: "1" }] }],
    });
    expect((await scim("GET", "/Users/1")).body).toMatchObject({
      groups: [{ value: gid, display: "Engineering", $ref: `${s.scimUrl}/Groups/${gid}`, type: "direct" }],
    });
    expect((await scim("DELETE", "/Users/1")).status).toBe(204);
    expect(s.groupMembers(gid)).toEqual([]);
    expect((await scim("DELETE", "/Users/1")).status).toBe(404);
    expect((await scim("GET", "/Users/1")).status).toBe(404);
  });
});

describe("SCIM lists and filters", () => {
  beforeEach(async () => {
    await create();
    await create({ ...minimal("bob@example.com"), externalId: "EXT-bob", active: false });
    await create({ ...minimal("carol@example.com"), emails: [{ value: "carol@home.example", type: "home" }] });
  });
  const found = async (filter: string) => {
    const r = await scim("GET", `/Users?${q(filter)}`);
    expect(r.status).toBe(200);
    return (r.body as ListResponse).Resources.map((u) => u.userName);
  };

  test("eq on userName (case-insensitive), externalId (case-exact), id, emails.value", async () => {
    expect(await found('userName eq "ADA@example.com"')).toEqual(["ada@example.com"]);
    expect(await found('externalId eq "EXT-bob"')).toEqual(["bob@example.com"]);
    expect(await found('externalId eq "ext-bob"')).toEqual([]);
    expect(await found('id eq "3"')).toEqual(["carol@example.com"]);
    expect(await found('emails.value eq "carol@home.example"')).toEqual(["carol@example.com"]);
    expect(await found('emails[type eq "home" and value co "ada"]')).toEqual(["ada@example.com"]);
    expect(await found('userName sw "b" or userName sw "c"')).toEqual(["bob@example.com", "carol@example.com"]);
    expect(await found('userName ew "example.com" and active eq false')).toEqual(["bob@example.com"]);
    expect(await found("not (active eq false) and externalId pr")).toEqual(["ada@example.com"]);
    const r = await scim("GET", `/Users?${q('userName eq "nobody@example.com"')}`);
    expect(r.body).toEqual({
      schemas: ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
      totalResults: 0,
      startIndex: 1,
      itemsPerPage: 0,
      Resources: [],
    });
  });

  test("unsupported or malformed filters answer 400 invalidFilter", async () => {
    for (const filter of ['title eq "x"', "userName eq", 'userName is "x"', '(userName eq "x"', 'userName eq "x" and'])
      expect((await scim("GET", `/Users?${q(filter)}`)).body).toMatchObject({ scimType: "invalidFilter" });
  });

  test("paging is 1-based; attributes and excludedAttributes pick what comes back", async () => {
    const page = (await scim("GET", "/Users?startIndex=2&count=1")).body as ListResponse;
    expect(page).toMatchObject({ totalResults: 3, startIndex: 2, itemsPerPage: 1 });
    expect(page.Resources[0]?.userName).toBe("bob@example.com");
    const few = (await scim("GET", `/Users?attributes=userName,${ENT}:costCenter&${q('id eq "1"')}`))
      .body as ListResponse;
    expect(few.Resources[0]).toEqual({
      schemas: [CORE, ENT, TP],
      id: "1",
      userName: "ada@example.com",
      [ENT]: { costCenter: "ENG" },
    });
    const without = (await scim("GET", "/Users/1?excludedAttributes=emails,name.middleName,meta")).body as Json;
    expect(without.emails).toBeUndefined();
    expect(without.meta).toBeUndefined();
    expect(without.name).toEqual({
      formatted: "Ms Ada Augusta Lovelace",
      givenName: "Ada",
      familyName: "Lovelace",
      honorificPrefix: "Ms",
    });
    expect((await scim("GET", "/Users?count=x")).status).toBe(400);
  });
});

describe("SCIM groups", () => {
  test("create, filter, patch members (idempotent), replace, rename, delete", async () => {
    await create();
    await create(minimal("bob@example.com"));
    const created = await scim("POST", "/Groups", {
      schemas: [GROUP],
      displayName: "Finance",
      externalId: "fin",
      members: [{ value: "1" }],
    });
    expect(created.status).toBe(201);
    const g = created.body as Json & { id: string };
    expect(created.headers.get("location")).toBe(`${s.scimUrl}/Groups/${g.id}`);
    expect(g).toMatchObject({
      schemas: [GROUP],
      externalId: "fin",
      displayName: "Finance",
      members: [{ value: "1", display: "ada@example.com", $ref: `${s.scimUrl}/Users/1` }],
      meta: { resourceType: "Group", location: `${s.scimUrl}/Groups/${g.id}`, version: 'W/"1"' },
    });
    expect((await scim("POST", "/Groups", { displayName: "finance" })).status).toBe(409);

    const list = (await scim("GET", `/Groups?${q('displayName eq "FINANCE"')}&excludedAttributes=members`))
      .body as ListResponse<Json>;
    expect(list.totalResults).toBe(1);
    expect(list.Resources[0]?.members).toBeUndefined();
    expect(list.Resources[0]?.displayName).toBe("Finance");
    expect(obj(await scim("GET", `/Groups/${g.id}?excludedAttributes=members`)).members).toBeUndefined();

    const ops = (...Operations: Json[]) => scim("PATCH", `/Groups/${g.id}`, { schemas: [PATCH_OP], Operations });
    const members = async (...Operations: Json[]) => {
      const r = await ops(...Operations);
      expect(r.status).toBe(200);
      return (obj(r).members as Json[] | undefined)?.map((m) => m.value) ?? [];
    };
    expect(await members({ op: "add", path: "members", value: [{ value: "1" }, { value: "2" }] })).toEqual(["1", "2"]);
    expect(await members({ op: "add", path: "members", value: [{ value: "2" }] })).toEqual(["1", "2"]);
    expect(await members({ op: "remove", path: 'members[value eq "1"]' })).toEqual(["2"]);
    expect(await members({ op: "remove", path: 'members[value eq "1"]' })).toEqual(["2"]);
    expect(await members({ op: "add", path: "members", value: [{ value: "1" }] })).toEqual(["2", "1"]);
    expect(await members({ op: "remove", path: "members", value: [{ value: "1" }, { value: "2" }] })).toEqual([]);
    expect((await ops({ op: "add", path: "members", value: [{ value: "99" }] })).status).toBe(400);
    const renamed = await ops({ op: "replace", path: "displayName", value: "Finance & Legal" });
    expect(obj(renamed).displayName).toBe("Finance & Legal");
    expect(s.getUser("1") && s.listGroups().find((x) => x.id === g.id)?.name).toBe("Finance & Legal");

    const put = await scim("PUT", `/Groups/${g.id}`, {
      schemas: [GROUP],
      displayName: "Legal",
      members: [{ value: "2" }],
    });
    expect(put.body).toMatchObject({ displayName: "Legal", members: [{ value: "2" }] });
    expect(obj(put).externalId).toBeUndefined();
    expect((await scim("GET", `/Groups/${g.id}`)).body).toEqual(put.body);
    expect((await scim("DELETE", `/Groups/${g.id}`)).status).toBe(204);
    expect((await scim("GET", `/Groups/${g.id}`)).status).toBe(404);
  });
});

describe("ETags and PATCH answers", () => {
  test("meta.version and ETag move on each write; a stale If-Match answers 412 and changes nothing", async () => {
    const user = await create();
    const got = await scim("GET", "/Users/1");
    expect(got.headers.get("etag")).toBe('W/"1"');
    expect((await scim("GET", "/Users/1", undefined, { "if-none-match": 'W/"1"' })).status).toBe(304);
    const put = await scim("PUT", "/Users/1", { ...ada(), title: "Two" }, { "if-match": 'W/"1"' });
    expect(put.status).toBe(200);
    expect(put.headers.get("etag")).toBe('W/"2"');
    expect((put.body as ScimUser).meta.version).toBe('W/"2"');
    for (const [method, body] of [
      ["PUT", { ...ada(), title: "Stale" }],
      ["PATCH", { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "title", value: "Stale" }] }],
      ["DELETE", undefined],
    ] as const) {
      const stale = await scim(method, "/Users/1", body, { "if-match": user.meta.version! });
      expect(stale.status).toBe(412);
      expect(stale.body).toMatchObject({ status: "412", schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"] });
    }
    expect(obj(await scim("GET", "/Users/1")).title).toBe("Two");
    const patched = await scim(
      "PATCH",
      "/Users/1",
      { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "title", value: "Three" }] },
      { "if-match": 'W/"2"' },
    );
    expect(patched.headers.get("etag")).toBe('W/"3"');
    expect((await scim("DELETE", "/Users/1", undefined, { "if-match": "*" })).status).toBe(204);
  });

  test("with scimEtags off there is no version, no ETag, and If-Match is not checked", async () => {
    s.setOptions({ scimEtags: false });
    const user = await create();
    expect(user.meta.version).toBeUndefined();
    const r = await scim("PUT", "/Users/1", ada(), { "if-match": 'W/"99"' });
    expect(r.status).toBe(200);
    expect(r.headers.get("etag")).toBeNull();
    expect(obj(await scim("GET", "/ServiceProviderConfig")).etag).toEqual({ supported: false });
  });

  test("scimPatch no-content answers 204; refused answers 501 and changes nothing", async () => {
    await create();
    s.setOptions({ scimPatch: "no-content" });
    const quiet = await patch("1", { op: "replace", path: "title", value: "Quiet" });
    expect(quiet.status).toBe(204);
    expect(quiet.body).toBeUndefined();
    expect(obj(await scim("GET", "/Users/1")).title).toBe("Quiet");
    s.setOptions({ scimPatch: "refused" });
    const refused = await patch("1", { op: "replace", path: "title", value: "Refused" });
    expect(refused).toMatchObject({
      status: 501,
      body: { schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "501" },
    });
    expect(obj(await scim("GET", "/Users/1")).title).toBe("Quiet");
    expect(obj(await scim("GET", "/ServiceProviderConfig")).patch).toEqual({ supported: false });
    expect((await scim("PUT", "/Users/1", { ...ada(), title: "Put" })).status).toBe(200); // the fallback
    expect(() => {
      s.setOptions({ scimPatch: "partial" as SandboxOptions["scimPatch"] });
    }).toThrow(RangeError);
  });
});

describe("live REST", () => {
  test("users: the live shape, field for field; no email or is_active keys", async () => {
    await create();
    s.insertUser({ email: "odd@example.com" });
    const list = await rest("GET", "/users");
    expect(list.status).toBe(200);
    const adaRest = {
      id: "1",
      user_name: "ada@example.com",
      name: { first_name: "Ada", last_name: "Lovelace", middle_name: "Augusta", title: "Ms" },
      preferred_language: "en-GB",
      locale: "en-GB",
      active: true,
      job_title: "Analyst",
      phone_numbers: ["+442079460000", "+447700900000"],
      emergency_contact: { name: "Mary Somerville", phone: "+447700900001" },
    };
    expect(list.body).toEqual({
      users: [
        adaRest,
        {
          id: "2",
          user_name: "odd@example.com",
          name: { first_name: null, last_name: null, middle_name: null, title: null },
          preferred_language: null,
          locale: null,
          active: true,
          job_title: null,
          phone_numbers: [],
          emergency_contact: null,
        },
      ],
      total: 2,
      offset: 0,
      limit: 10,
    });
    expect((await rest("GET", "/users/1")).body).toEqual(adaRest);
    expect((await rest("GET", "/users/9")).status).toBe(404);
    expect((await rest("GET", "/users?limit=201")).status).toBe(400);
    expect(obj(await rest("GET", "/users?limit=1&offset=1"))).toMatchObject({ total: 2, offset: 1, limit: 1 });
  });

  test("users are read-only (405); there is no travel policy or group listing (404)", async () => {
    await create();
    for (const [method, p] of [
      ["POST", "/users"],
      ["PATCH", "/users/1"],
      ["PUT", "/users/1"],
      ["DELETE", "/users/1"],
    ] as const) {
      const r = await rest(method, p, { travel_policy: null });
      expect(r.status).toBe(405);
      expect(r.headers.get("allow")).toBe("GET");
    }
    expect(s.getUser("1")!.travel_policy?.name).toBe("Executive");
    expect((await rest("GET", "/travel_policies")).status).toBe(404);
    expect((await rest("GET", "/groups")).status).toBe(404);
    expect((await rest("GET", "/api/v2/users")).status).toBe(404);
  });

  test("cost centres: list without total, detail with numeric member ids, PUT members", async () => {
    await create(); // cost centre ENG
    await create(minimal("bob@example.com"));
    const list = await rest("GET", "/cost_centers");
    const centers = (obj(list).cost_centers as { id: string; name: string; count_users: number }[]).map((c) => [
      c.name,
      c.count_users,
    ]);
    expect(centers).toEqual([
      ["ENG", 1],
      ["SALES", 0],
      ["OPS", 0],
    ]);
    expect(Object.keys(obj(list)).sort()).toEqual(["cost_centers", "limit", "offset"]);
    const id = (name: string) => s.listCostCenters().find((c) => c.name === name)!.id;
    expect((await rest("GET", `/cost_centers/${id("ENG")}`)).body).toEqual({
      id: id("ENG"),
      name: "ENG",
      count_users: 1,
      archived: false,
      users: [
        {
          id: 1,
          first_name: "Ada",
          last_name: "Lovelace",
          email: "ada@example.com",
          phone: "+442079460000",
          profile_picture: null,
        },
      ],
    });
    const put = await rest("PUT", `/cost_centers/${id("SALES")}/users`, { user_ids: [1, 2] });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ name: "SALES", count_users: 2, users: [{ id: 1 }, { id: 2 }] });
    expect(s.getUser("1")!.cost_center).toBe("SALES");
    expect(obj(await scim("GET", "/Users/2"))[ENT]).toEqual({ costCenter: "SALES" });
    expect(obj(await rest("GET", `/cost_centers/${id("ENG")}`)).count_users).toBe(0);
    await rest("PUT", `/cost_centers/${id("SALES")}/users`, { user_ids: [2] });
    expect(s.getUser("1")!.cost_center).toBeNull();
    expect((await rest("PUT", `/cost_centers/${id("SALES")}/users`, { user_ids: [99] })).status).toBe(400);
    expect((await rest("PUT", `/cost_centers/${id("SALES")}/users`, { users: [1] })).status).toBe(400);
    expect((await rest("GET", "/cost_centers/999")).status).toBe(404);
    // A cost centre name that does not exist yet makes one.
    await patch("1", { op: "replace", path: `${ENT}:costCenter`, value: "FINANCE" });
    const finance = (obj(await rest("GET", "/cost_centers")).cost_centers as Json[]).at(-1);
    expect(finance).toMatchObject({ name: "FINANCE", count_users: 1 });
  });

  test("invoice profiles", async () => {
    const r = await rest("GET", "/profiles");
    expect(r.body).toEqual({
      offset: 0,
      limit: 10,
      total: 2,
      profiles: [
        expect.objectContaining({
          id: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
          name: "Acme Europe S.L.",
          currency: "EUR",
        }) as unknown,
        expect.objectContaining({
          id: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
          name: "Acme Inc.",
          billing_period: "monthly",
        }) as unknown,
      ],
    });
    const unknown = await scim("POST", "/Users", {
      ...minimal("x@example.com"),
      [TP]: { invoiceProfiles: [{ value: "Nope" }] },
    });
    expect(unknown).toMatchObject({ status: 400, body: { scimType: "invalidValue" } });
  });
});

describe("page cap", () => {
  const twenty = (server: SandboxServer) => {
    for (let i = 0; i < 20; i++) server.insertUser({ email: `u${String(i)}@example.com` });
  };

  test("live: REST and SCIM pages are silently capped; totals stay true", async () => {
    twenty(s);
    s.setOptions({ pageCap: 7 });
    const page = obj(await rest("GET", "/users?limit=50"));
    expect(page).toMatchObject({ total: 20, limit: 50, offset: 0 });
    expect(page.users).toHaveLength(7);
    const list = (await scim("GET", "/Users?count=50")).body as ListResponse;
    expect(list).toMatchObject({ totalResults: 20, itemsPerPage: 7, startIndex: 1 });
    expect(list.Resources).toHaveLength(7);
    expect((obj(await rest("GET", "/cost_centers?limit=2")).cost_centers as unknown[]).length).toBe(2);
    s.setOptions({ pageCap: 2 });
    expect(obj(await rest("GET", "/cost_centers")).cost_centers).toHaveLength(2);
    expect(() => {
      s.setOptions({ pageCap: 0 });
    }).toThrow(RangeError);
  });

  test("contract: GET /api/v2/users?limit=200 answers 7 results, total 20, limit 200; SCIM too", async () => {
    const contract = await startSandbox({ pageCap: 7 });
    try {
      twenty(contract);
      const r = await call("GET", `${contract.apiUrl}/users?limit=200`, undefined, `Bearer ${contract.accessToken}`);
      expect(obj(r)).toMatchObject({ total: 20, offset: 0, limit: 200 });
      expect(obj(r).results).toHaveLength(7);
      const list = await call("GET", `${contract.scimUrl}/Users?count=100`, undefined, `Bearer ${contract.scimToken}`);
      expect(list.body).toMatchObject({ totalResults: 20, itemsPerPage: 7 });
      contract.setOptions({ pageCap: undefined });
      const all = await call("GET", `${contract.apiUrl}/users?limit=200`, undefined, `Bearer ${contract.accessToken}`);
      expect(obj(all).results).toHaveLength(20);
    } finally {
      await contract.stop();
    }
  });
});

describe("discovery", () => {
  test("ServiceProviderConfig, Schemas and ResourceTypes", async () => {
    const spc = obj(await scim("GET", "/ServiceProviderConfig"));
    expect(spc).toMatchObject({
      patch: { supported: true },
      bulk: { supported: false },
      filter: { supported: true, maxResults: 200 },
      changePassword: { supported: false },
      sort: { supported: false },
      etag: { supported: true },
    });
    expect((spc.authenticationSchemes as Json[]).map((a) => a.type)).toEqual(["oauthbearertoken", "apikey"]);

    const schemas = (await scim("GET", "/Schemas")).body as ListResponse<{ id: string; attributes: Json[] }>;
    expect(schemas.Resources.map((x) => x.id)).toEqual([CORE, GROUP, ENT, TP]);
    const user = schemas.Resources.at(0)!;
    const names = user.attributes.map((a) => a.name);
    for (const n of ["userName", "name", "displayName", "title", "locale", "externalId", "emails", "phoneNumbers"])
      expect(names).toContain(n);
    expect(names).not.toContain("roles");
    const tp = (await scim("GET", `/Schemas/${TP}`)).body as { attributes: Json[] };
    expect(tp.attributes.map((a) => a.name)).toEqual([
      "gender",
      "dateOfBirth",
      "travelPolicy",
      "invoiceProfiles",
      "emergencyContact",
    ]);
    expect(tp.attributes[0]).toMatchObject({ type: "string", multiValued: false, canonicalValues: ["M", "F"] });
    expect(tp.attributes[3]).toMatchObject({ type: "complex", multiValued: true, subAttributes: [{ name: "value" }] });
    expect((tp.attributes[4]?.subAttributes as Json[]).map((a) => a.name)).toEqual(["name", "phone"]);
    expect((await scim("GET", "/Schemas/urn:nope")).status).toBe(404);

    const types = (await scim("GET", "/ResourceTypes")).body as ListResponse<Json>;
    expect(types.Resources).toMatchObject([
      {
        name: "User",
        endpoint: "/Users",
        schema: CORE,
        schemaExtensions: [
          { schema: ENT, required: false },
          { schema: TP, required: false },
        ],
      },
      { name: "Group", endpoint: "/Groups", schema: GROUP },
    ]);
    expect((await scim("GET", "/ResourceTypes/User")).body).toMatchObject({ name: "User" });
  });
});

describe("credentials, faults and the log", () => {
  test("ApiKey and Bearer work on both surfaces; the SCIM token on SCIM only; none gets 401", async () => {
    const both = [`${s.apiUrl}/users`, `${s.scimUrl}/Users`] as const;
    for (const url of both) {
      expect((await call("GET", url, undefined, `ApiKey ${s.apiKey}`)).status).toBe(200);
      expect((await call("GET", url, undefined, `Bearer ${s.accessToken}`)).status).toBe(200);
      expect((await call("GET", url, undefined, null)).status).toBe(401);
      expect((await call("GET", url, undefined, "Bearer nope")).status).toBe(401);
    }
    expect((await call("GET", both[1], undefined, `Bearer ${s.scimToken}`)).status).toBe(200);
    expect((await call("GET", both[0], undefined, `Bearer ${s.scimToken}`)).status).toBe(401);
    const scim401 = await call("GET", both[1], undefined, null);
    expect(scim401.body).toMatchObject({ status: "401", schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"] });
    expect(s.requests.map((r) => [r.path, r.status, r.credential])).toEqual([
      ["/users", 200, "apikey"],
      ["/users", 200, "bearer"],
      ["/users", 401, "none"],
      ["/users", 401, "none"],
      ["/scim/Users", 200, "apikey"],
      ["/scim/Users", 200, "bearer"],
      ["/scim/Users", 401, "none"],
      ["/scim/Users", 401, "none"],
      ["/scim/Users", 200, "scim"],
      ["/users", 401, "scim"],
      ["/scim/Users", 401, "none"],
    ]);
  });

  test("a refreshed OAuth token works on SCIM; an expired one gets 401 there", async () => {
    for (const tokenUrl of [`${s.url}/oauth2/token`, `${s.url}/accounts/oauth2/token/`]) {
      const r = await fetch(tokenUrl, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "refresh_token",
          refresh_token: s.refreshToken,
          client_id: s.clientId,
          client_secret: s.clientSecret,
        }),
      });
      const token = (await r.json()) as { access_token: string };
      expect((await call("GET", `${s.scimUrl}/Users`, undefined, `Bearer ${token.access_token}`)).status).toBe(200);
    }
    s.setOptions({ tokenLifetimeSeconds: 0 });
    try {
      const expired = await scim("GET", "/Users");
      expect(expired.status).toBe(401);
      expect(expired.headers.get("www-authenticate")).toContain("invalid_token");
    } finally {
      s.setOptions({ tokenLifetimeSeconds: undefined });
    }
  });

  test("rate limits, 500s and lost responses reach SCIM too; faultWhen sees the full path", async () => {
    s.setOptions({ faultRate: 1 });
    const fault = await scim("POST", "/Users", minimal("x@example.com"));
    expect(fault).toMatchObject({ status: 500, body: { status: "500" } });
    expect(s.listUsers()).toEqual([]);
    s.setOptions({ faultRate: 0, lostResponseRate: 1 });
    await expect(scim("POST", "/Users", minimal("x@example.com"))).rejects.toThrow();
    expect(s.findUserByEmail("x@example.com")).toBeDefined();
    s.setOptions({ lostResponseRate: 0, rateLimit: 1, rateLimitHeaders: true });
    await scim("GET", "/Users");
    const limited = await scim("GET", "/Users");
    expect(limited).toMatchObject({ status: 429, body: { status: "429" } });
    expect(limited.headers.get("retry-after")).toBe("1");
    s.setOptions({ rateLimit: undefined, rateLimitHeaders: false });
    const seen: string[] = [];
    s.setOptions({ faultWhen: (method, p) => (seen.push(`${method} ${p}`), false) });
    await scim("GET", "/Users/1");
    await rest("GET", "/users");
    expect(seen).toEqual(["GET /scim/Users/1", "GET /users"]);
    expect(s.requests.map((r) => r.fault ?? null)).toEqual([
      "server_error",
      "lost_response",
      null,
      "rate_limited",
      null,
      null,
    ]);
  });
});

describe("contract mode SCIM", () => {
  test("stores standard attributes, still refuses travel fields, members without $ref", async () => {
    const contract = await startSandbox();
    const cscim = (method: string, p: string, body?: unknown) =>
      call(method, contract.scimUrl + p, body, `Bearer ${contract.scimToken}`);
    try {
      const created = await cscim("POST", "/Users", {
        ...minimal("dora@example.com"),
        displayName: "Dora",
        externalId: "d-1",
        [ENT]: { department: "Ops" },
      });
      expect(created.status).toBe(201);
      const user = created.body as ScimUser;
      expect(user).toMatchObject({ displayName: "Dora", externalId: "d-1", [ENT]: { department: "Ops" } });
      expect(user.schemas).toEqual([CORE, ENT]);
      expect(user.meta.version).toBeUndefined(); // ETags are off by default in contract mode
      expect(user.id).toMatch(/^[0-9a-f-]{36}$/);
      const rest = await call(
        "GET",
        `${contract.apiUrl}/users/${user.id}`,
        undefined,
        `Bearer ${contract.accessToken}`,
      );
      expect(obj(rest).scim).toBeUndefined(); // the contract's REST users never show SCIM-only attributes
      const travel = await cscim("POST", "/Users", { ...minimal("eve@example.com"), [TP]: { gender: "F" } });
      expect(travel.status).toBe(400);
      expect(obj(travel).detail).toContain("REST");
      const patched = await cscim("PATCH", `/Users/${user.id}`, {
        Operations: [{ op: "replace", path: `${TP}:travelPolicy`, value: "Standard" }],
      });
      expect(patched.status).toBe(400);
      contract.setOptions({ scimTravelFields: true });
      expect(
        (
          await cscim("PATCH", `/Users/${user.id}`, {
            Operations: [{ op: "replace", path: `${TP}:travelPolicy`, value: "Standard" }],
          })
        ).status,
      ).toBe(200);
      expect(contract.getUser(user.id)!.travel_policy?.name).toBe("Standard");
      const gid = contract.listGroups().at(0)!.id;
      const added = await cscim("PATCH", `/Groups/${gid}`, {
        Operations: [{ op: "add", path: "members", value: [{ value: user.id }] }],
      });
      expect(obj(added).members).toEqual([{ value: user.id, display: "dora@example.com" }]);
    } finally {
      await contract.stop();
    }
  });
});

describe("persistence", () => {
  test("the SCIM attributes, cost centres and the id counter survive a restart", async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tp-live-")), "state.json");
    const first = await startSandbox({ api: "live", persistFile: file });
    const auth = `ApiKey ${first.apiKey}`;
    try {
      await call("POST", `${first.scimUrl}/Users`, ada(), auth);
      await call("POST", `${first.scimUrl}/Users`, minimal("b@example.com"), auth);
      await call("DELETE", `${first.scimUrl}/Users/2`, undefined, auth);
      const before = obj(await call("GET", `${first.scimUrl}/Users/1`, undefined, auth));
      await first.stop();
      const second = await startSandbox({ api: "live", persistFile: file });
      try {
        const again = `ApiKey ${second.apiKey}`;
        const after = obj(await call("GET", `${second.scimUrl}/Users/1`, undefined, again));
        expect({ ...after, meta: undefined }).toEqual({ ...before, meta: undefined }); // meta.location has the new port
        expect((after.meta as Json).created).toBe((before.meta as Json).created);
        const next = await call("POST", `${second.scimUrl}/Users`, minimal("c@example.com"), again);
        expect(obj(next).id).toBe("3");
        expect(second.listCostCenters().map((c) => c.name)).toEqual(["ENG", "SALES", "OPS"]);
      } finally {
        await second.stop();
      }
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });
});
