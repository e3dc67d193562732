/**
 * The SCIM transport (travelperk:userApi scim) against a SCIM server nobody on this project wrote: the
 * PyPI package scim2-server, with our TravelPerk extension schema. What the RFC allows and that server
 * does (PATCH answered 204 without a body, ETags with If-Match, hex ids, unknown attributes refused)
 * must not break the provider. A logging proxy in front of it records the exact requests.
 */
import * as runtime from "../provider/runtime";
import { setStackConfig } from "../provider/config";
import { at } from "./helpers/at";
import { LoggingProxy } from "./helpers/logging-proxy";
import {
  ENTERPRISE_USER_SCHEMA,
  PATCH_OP_SCHEMA,
  TRAVELPERK_USER_SCHEMA,
  type ReferenceScim,
} from "./helpers/reference-scim";
import { useReferenceScim } from "./helpers/use-reference-scim";

const { user, groupMembership, policyAssignment } = runtime;

const referenceScim = useReferenceScim();
let scim: ReferenceScim;
let proxy: LoggingProxy;
const saved = { ...process.env };

beforeAll(async () => {
  scim = referenceScim();
  proxy = new LoggingProxy(scim.url);
  const proxyUrl = await proxy.start();
  process.env.TRAVELPERK_USER_API = "scim";
  process.env.TRAVELPERK_SCIM_URL = `${proxyUrl}/v2`;
  // One credential for REST and SCIM, as the live API has it (no separate travelperk:scimToken). The
  // REST side (the policy listing) is the same host: it serves no /travel_policies, so policies go by name.
  delete process.env.TRAVELPERK_SCIM_TOKEN;
  delete process.env.TRAVELPERK_API_KEY;
  process.env.TRAVELPERK_ACCESS_TOKEN = scim.token ?? "";
  process.env.TRAVELPERK_API_URL = proxyUrl;
  process.env.TRAVELPERK_RETRY_BASE_DELAY_MS = "5";
  setStackConfig(undefined);
}, 60_000);

afterAll(async () => {
  process.env = saved;
  await proxy.stop();
});

beforeEach(() => {
  runtime.startNewCommand();
  proxy.clear();
});

type Scim = Record<string, unknown> & { id: string; meta: { version: string } };
const raw = async (id: string) => (await scim.request("GET", `/Users/${id}`)).body as Scim;
const lines = () => proxy.lines("/v2");

async function checked(news: Record<string, unknown>): Promise<Record<string, unknown>> {
  const result = await user.check({}, news);
  expect(result.failures ?? []).toEqual([]);
  return result.inputs as Record<string, unknown>;
}

let n = 0;
const person = (extra: Record<string, unknown> = {}) => ({
  email: `person${String(++n)}@example.com`,
  firstName: "Ada",
  lastName: "Lovelace",
  ...extra,
});

test("check refuses what SCIM cannot carry, naming the field, before any request", async () => {
  const result = await user.check({}, { ...person(), role: "company_admin", nationality: "GB", gender: "other" });
  expect(result.failures?.map((f) => f.property).sort()).toEqual(["gender", "nationality", "role"]);
  expect(result.failures?.find((f) => f.property === "gender")?.reason).toMatch(/M or F/);
  expect(result.failures?.find((f) => f.property === "role")?.reason).toMatch(/travelperk:userApi/);
  expect((await user.check({}, { ...person(), gender: "female" })).failures).toBeUndefined();
  expect(proxy.requests).toEqual([]);
});

test("create carries every field through core attributes and both extensions; a read gives them back", async () => {
  const declared = person({
    phoneNumber: "+34600111222",
    language: "es",
    gender: "female",
    dateOfBirth: "1990-04-01",
    costCenter: "ENG",
    invoicingProfiles: ["Acme Ltd"],
  });
  const created = await user.create(await checked(declared));
  expect(lines()).toEqual(["POST /Users 201"]);
  expect(created.id).toMatch(/^[0-9a-f]{32}$/); // the reference server's ids: no UUID dashes
  const stored = await raw(created.id);
  expect(stored).toMatchObject({
    userName: declared.email,
    name: { givenName: "Ada", familyName: "Lovelace" },
    emails: [{ value: declared.email, primary: true }],
    phoneNumbers: [{ value: "+34600111222", type: "work" }],
    preferredLanguage: "es",
    [ENTERPRISE_USER_SCHEMA]: { costCenter: "ENG" },
    [TRAVELPERK_USER_SCHEMA]: { gender: "F", dateOfBirth: "1990-04-01", invoiceProfiles: [{ value: "Acme Ltd" }] },
  });
  runtime.startNewCommand();
  const read = await user.read(created.id, created.outs);
  expect(read.props).toEqual(created.outs);
  expect(created.outs).toMatchObject({ ...declared, isActive: true, travelPolicyId: null });
});

test("one changed field is one PATCH of that attribute (answered 204), then a read; If-Match from the read", async () => {
  const inputs = await checked(person({ costCenter: "ENG" }));
  const created = await user.create(inputs);
  proxy.clear();
  const news = await checked({ ...inputs, costCenter: "SALES" });
  const updated = await user.update(created.id, created.outs, news);
  // The create's answer is the freshest read: its ETag goes with the PATCH, no extra GET first.
  expect(lines()).toEqual([`PATCH /Users/${created.id} 204`, `GET /Users/${created.id} 200`]);
  const patch = at(proxy.requests, 0);
  expect(patch.headers["if-match"]).toMatch(/^W\/"\d+"$/);
  expect(updated.outs).toMatchObject({ costCenter: "SALES" });
  expect((await raw(created.id))[ENTERPRISE_USER_SCHEMA]).toEqual({ costCenter: "SALES" });
});

test("a stale ETag (changed behind our back) is answered 412: read again, write once more", async () => {
  const inputs = await checked(person());
  const created = await user.create(inputs); // remembers the created resource and its ETag
  const behind = await scim.request("PATCH", `/Users/${created.id}`, {
    schemas: [PATCH_OP_SCHEMA],
    Operations: [{ op: "replace", path: "title", value: "Countess" }],
  });
  expect(behind.status).toBe(204);
  proxy.clear();
  await user.update(created.id, created.outs, await checked({ ...inputs, lastName: "King" }));
  expect(lines()).toEqual([
    `PATCH /Users/${created.id} 412`,
    `GET /Users/${created.id} 200`,
    `PATCH /Users/${created.id} 204`,
    `GET /Users/${created.id} 200`,
  ]);
  expect(await raw(created.id)).toMatchObject({ title: "Countess", name: { familyName: "King" } });
});

test("a phone change keeps the user's other numbers; an e-mail change keeps other addresses", async () => {
  const inputs = await checked(person({ phoneNumber: "+34600000001" }));
  const created = await user.create(inputs);
  await scim.request("PATCH", `/Users/${created.id}`, {
    schemas: [PATCH_OP_SCHEMA],
    Operations: [
      { op: "add", path: "phoneNumbers", value: [{ value: "+34911111111", type: "home" }] },
      { op: "add", path: "emails", value: [{ value: "private@example.org", type: "home" }] },
    ],
  });
  runtime.startNewCommand();
  const email = `renamed${String(++n)}@example.com`;
  await user.update(created.id, created.outs, await checked({ ...inputs, email, phoneNumber: "+34600000002" }));
  const stored = await raw(created.id);
  expect(stored.userName).toBe(email);
  expect(stored.phoneNumbers).toEqual(
    expect.arrayContaining([
      { value: "+34911111111", type: "home" },
      { value: "+34600000002", type: "work" },
    ]),
  );
  expect((stored.phoneNumbers as unknown[]).length).toBe(2);
  expect(stored.emails).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ value: email, primary: true }),
      expect.objectContaining({ value: "private@example.org" }),
    ]),
  );
});

test("the e-mail exists (409 uniqueness): filter by userName, adopt with adoptExisting; inactive is reactivated", async () => {
  const existing = person();
  const made = await scim.request("POST", "/Users", {
    userName: existing.email.toUpperCase(),
    name: { givenName: "Old", familyName: "Name" },
    active: false,
  });
  expect(made.status).toBe(201);
  const created = await user.create(await checked(existing));
  expect(lines()).toEqual([
    "POST /Users 409",
    "GET /Users 200", // ?filter=userName eq "…", whose answer is the read the PATCH goes by
    `PATCH /Users/${(made.body as Scim).id} 204`,
    `GET /Users/${(made.body as Scim).id} 200`,
  ]);
  expect(created.id).toBe((made.body as Scim).id);
  expect(await raw(created.id)).toMatchObject({ active: true, name: { givenName: "Ada", familyName: "Lovelace" } });
});

test("delete: deactivate by default (active false), delete on request; a second delete is done (404)", async () => {
  const a = await user.create(await checked(person()));
  await user.delete(a.id, a.outs);
  expect(await raw(a.id)).toMatchObject({ active: false });
  const b = await user.create(await checked({ ...person(), onDelete: "delete" }));
  proxy.clear();
  await user.delete(b.id, b.outs);
  await user.delete(b.id, b.outs);
  expect(lines()).toEqual([`DELETE /Users/${b.id} 204`, `DELETE /Users/${b.id} 404`]);
});

test("memberships through SCIM Groups: PatchOp add, one read of the group, PatchOp remove", async () => {
  const group = await scim.createGroup(`Group ${String(++n)}`);
  const u = await user.create(await checked(person()));
  proxy.clear();
  const membership = await groupMembership.create({ groupId: group.id, userId: u.id });
  expect(lines()).toEqual([`GET /Groups/${group.id} 200`, `PATCH /Groups/${group.id} 204`]);
  runtime.startNewCommand();
  proxy.clear();
  expect((await groupMembership.read(membership.id, membership.outs)).id).toBe(membership.id);
  expect(lines()).toEqual([`GET /Groups/${group.id} 200`]);
  await groupMembership.delete(membership.id, membership.outs);
  const members = ((await scim.request("GET", `/Groups/${group.id}`)).body as { members?: unknown[] }).members ?? [];
  expect(members).toEqual([]);
});

test("a policy by name where no policy listing is served; drift when it is changed outside", async () => {
  const u = await user.create(await checked(person()));
  proxy.clear();
  const assigned = await policyAssignment.create({ userId: u.id, policyId: "Executive" });
  expect(lines()).toEqual(["GET /travel_policies 404", `PATCH /Users/${u.id} 204`]);
  expect((await raw(u.id))[TRAVELPERK_USER_SCHEMA]).toMatchObject({ travelPolicy: "Executive" });
  await scim.request("PATCH", `/Users/${u.id}`, {
    schemas: [PATCH_OP_SCHEMA],
    Operations: [{ op: "replace", path: `${TRAVELPERK_USER_SCHEMA}:travelPolicy`, value: "Standard" }],
  });
  runtime.startNewCommand();
  const read = await policyAssignment.read(assigned.id, assigned.outs);
  expect(read.props).toEqual({ userId: u.id, policyId: "Standard" });
  await policyAssignment.delete(assigned.id, assigned.outs);
  const extension = (await raw(u.id))[TRAVELPERK_USER_SCHEMA] as Record<string, unknown> | undefined;
  expect(extension?.travelPolicy).toBeUndefined();
});
