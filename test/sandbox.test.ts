/** The sandbox server over real HTTP on loopback: the contract's rules, the knobs, OAuth, SCIM, admin, persistence. */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  SandboxServer,
  startSandbox,
  type LoggedRequest,
  type SandboxOptions,
  type SandboxUser,
} from "../sandbox/server";
import type { Named, Snapshot } from "../sandbox/store";

let s: SandboxServer;
beforeAll(async () => {
  s = await startSandbox();
});
afterAll(() => s.stop());
beforeEach(() => {
  s.setOptions({
    rateLimit: undefined,
    rateLimitHeaders: false,
    faultRate: 0,
    lostResponseRate: 0,
    tokenLifetimeSeconds: undefined,
  });
  s.reset();
});

/** An answer with its JSON body parsed; each test says which shape it reads (`as`). */
type Answer = { status: number; body: unknown; headers: Headers };
/** The wire shapes the tests read. */
interface Page<T> {
  results: T[];
  total: number;
}
interface Refusal {
  fields: Record<string, string>;
}
async function call(
  method: string,
  url: string,
  body?: unknown,
  auth: string | null = `Bearer ${s.accessToken}`,
): Promise<Answer> {
  const headers: Record<string, string> = { "content-type": "application/json", "api-version": "1" };
  if (auth) headers.authorization = auth;
  const r = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    redirect: "manual",
  });
  const text = await r.text();
  return { status: r.status, body: text ? (JSON.parse(text) as unknown) : undefined, headers: r.headers };
}
const api = (method: string, p: string, body?: unknown, auth?: string | null) => call(method, s.apiUrl + p, body, auth);
const scim = (method: string, p: string, body?: unknown) => call(method, s.scimUrl + p, body, `Bearer ${s.scimToken}`);
const jane = { first_name: "Jane", last_name: "Doe", email: "jane@example.com" };
const form = (fields: Record<string, string>) =>
  fetch(`${s.url}/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields),
  });

describe("users", () => {
  test("paging: limit 200 is allowed, 201 and junk are refused, an offset past the end is empty", async () => {
    expect((await api("GET", "/users?limit=200")).status).toBe(200);
    const tooMany = await api("GET", "/users?limit=201");
    expect(tooMany.status).toBe(400);
    expect((tooMany.body as Refusal).fields.limit).toBeDefined();
    expect((await api("GET", "/users?limit=-1")).status).toBe(400);
    expect((await api("GET", "/users?offset=1.5")).status).toBe(400);
    for (let i = 0; i < 12; i++) s.insertUser({ email: `u${String(i)}@example.com` });
    const first = await api("GET", "/users");
    expect(first.body).toMatchObject({ total: 12, offset: 0, limit: 10 });
    expect((first.body as Page<SandboxUser>).results.map((u) => u.email)).toEqual(
      Array.from({ length: 10 }, (_, i) => `u${String(i)}@example.com`),
    );
    expect(((await api("GET", "/users?offset=50")).body as Page<SandboxUser>).results).toEqual([]);
  });

  test("POST answers 201 with the full user and refuses bad bodies", async () => {
    const created = await api("POST", "/users", jane);
    expect(created.status).toBe(201);
    expect(created.headers.get("content-type")).toBe("application/json");
    expect(created.body).toMatchObject({
      ...jane,
      role: null,
      invoicing_profiles: [],
      travel_policy: null,
      manager_id: null,
      is_active: true,
    });
    expect((await api("GET", `/users/${(created.body as SandboxUser).id}`)).body).toEqual(created.body);

    const duplicate = await api("POST", "/users", { ...jane, email: "JANE@Example.COM" });
    expect(duplicate.status).toBe(422);
    const unknown = await api("POST", "/users", { ...jane, email: "x@example.com", nickname: "jd" });
    expect(unknown).toMatchObject({ status: 400, body: { fields: { nickname: "unknown field" } } });
    const policy = s.listPolicies().at(0)!;
    const withPolicy = await api("POST", "/users", {
      ...jane,
      email: "y@example.com",
      travel_policy: { id: policy.id },
    });
    expect(withPolicy.status).toBe(400);
    expect((withPolicy.body as Refusal).fields.travel_policy).toBeDefined();
    const bad = await api("POST", "/users", {
      email: "nope",
      phone_number: "600",
      language: "EN",
      manager_id: "ghost",
    });
    expect(bad.status).toBe(400);
    expect(Object.keys((bad.body as Refusal).fields).sort()).toEqual([
      "email",
      "first_name",
      "language",
      "last_name",
      "manager_id",
      "phone_number",
    ]);
    expect((await api("POST", "/users", "{oops")).status).toBe(400);
    expect(s.listUsers()).toHaveLength(1);
  });

  test("PATCH changes only the given fields and answers only those", async () => {
    const user = (await api("POST", "/users", { ...jane, cost_center: "R&D" })).body as SandboxUser;
    const policy = s.listPolicies().at(1)!;
    const patched = await api("PATCH", `/users/${user.id}`, { travel_policy: { id: policy.id }, is_active: false });
    expect(patched.status).toBe(200);
    expect(patched.body).toEqual({ id: user.id, travel_policy: policy, is_active: false });
    expect(s.getUser(user.id)).toMatchObject({ cost_center: "R&D", travel_policy: policy, is_active: false });
    expect((await api("PATCH", `/users/${user.id}`, { travel_policy: null })).body).toEqual({
      id: user.id,
      travel_policy: null,
    });
    expect((await api("PATCH", `/users/${user.id}`, { travel_policy: { id: "pol_nope" } })).status).toBe(400);
    s.insertUser({ email: "other@example.com" });
    expect((await api("PATCH", `/users/${user.id}`, { email: "OTHER@example.com" })).status).toBe(422);
    expect((await api("PATCH", `/users/${user.id}`, { email: "JANE@example.com" })).status).toBe(200);
    expect((await api("PATCH", "/users/nobody", { is_active: false })).status).toBe(404);
  });

  test("odd accounts read leniently: only id and email", async () => {
    const odd = s.insertUser({ id: "42", email: "legacy@example.com", first_name: null });
    expect((await api("GET", "/users/42")).body).toEqual({ id: "42", email: "legacy@example.com", first_name: null });
    expect(odd.id).toBe("42");
  });
});

describe("groups and policies", () => {
  test("seeded lists with opaque non-UUID ids", async () => {
    const body = (await api("GET", "/travel_policies")).body as Page<Named>;
    expect(body.results.map((p) => p.name)).toEqual(["Standard", "Executive", "Sales Team"]);
    expect(body.results[0]?.id).toMatch(/^pol_[0-9a-f]{8}$/);
    expect((await api("GET", "/groups?limit=2")).body).toMatchObject({
      total: 4,
      limit: 2,
      results: [{ name: "Engineering" }, { name: "Sales" }],
    });
  });

  test("membership: 201, 409 when repeated, 404 for unknown user or group, removal", async () => {
    const user = (await api("POST", "/users", jane)).body as SandboxUser;
    const gid = s.listGroups().at(0)!.id;
    const add = () => api("POST", `/groups/${gid}/members`, { user_id: user.id });
    expect(await add()).toMatchObject({ status: 201, body: { group_id: gid, user_id: user.id } });
    expect((await add()).status).toBe(409);
    expect((await api("POST", `/groups/${gid}/members`, { user_id: "ghost" })).status).toBe(404);
    expect((await api("POST", "/groups/grp_nope/members", { user_id: user.id })).status).toBe(404);
    expect((await api("POST", `/groups/${gid}/members`, { userId: user.id })).status).toBe(400);
    expect((await api("GET", `/groups/${gid}/members`)).body).toEqual({
      results: [{ group_id: gid, user_id: user.id }],
      total: 1,
      offset: 0,
      limit: 10,
    });
    expect((await api("DELETE", `/groups/${gid}/members/${user.id}`)).status).toBe(204);
    expect((await api("DELETE", `/groups/${gid}/members/${user.id}`)).status).toBe(404);
    await add();
    expect((await api("DELETE", `/users/${user.id}`)).status).toBe(204);
    expect(s.groupMembers(gid)).toEqual([]);
    expect((await api("DELETE", `/users/${user.id}`)).status).toBe(404);
  });
});

describe("credentials", () => {
  test("REST takes the access token and the API key; SCIM takes only the SCIM token", async () => {
    expect((await api("GET", "/users", undefined, `ApiKey ${s.apiKey}`)).status).toBe(200);
    expect((await api("GET", "/users", undefined, null)).status).toBe(401);
    expect((await api("GET", "/users", undefined, `Bearer ${s.scimToken}`)).status).toBe(401);
    expect((await call("GET", `${s.scimUrl}/Users`)).status).toBe(401);
    expect(s.requests.map((r) => [r.status, r.credential])).toEqual([
      [200, "apikey"],
      [401, "none"],
      [401, "scim"],
      [401, "bearer"],
    ]);
  });

  test("refresh tokens rotate; the new access token works; an expired one gets 401", async () => {
    const first = s.refreshToken;
    const basic = `Basic ${Buffer.from(`${s.clientId}:${s.clientSecret}`).toString("base64")}`;
    const r = await fetch(`${s.url}/oauth2/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: first }),
    });
    const token = (await r.json()) as { access_token: string; refresh_token: string };
    expect(token).toMatchObject({
      token_type: "Bearer",
      expires_in: 3600,
      scope: "users:read users:write companies:read",
    });
    expect(token.refresh_token).not.toBe(first);
    expect(s.refreshToken).toBe(token.refresh_token);
    expect((await api("GET", "/users", undefined, `Bearer ${token.access_token}`)).status).toBe(200);
    const again = await form({
      grant_type: "refresh_token",
      refresh_token: first,
      client_id: s.clientId,
      client_secret: s.clientSecret,
    });
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ error: "invalid_grant" });
    const badClient = await form({
      grant_type: "refresh_token",
      refresh_token: token.refresh_token,
      client_id: s.clientId,
      client_secret: "x",
    });
    expect(badClient.status).toBe(401);

    s.setOptions({ tokenLifetimeSeconds: 0 }); // the initial token now expired at start
    const expired = await api("GET", "/users");
    expect(expired).toMatchObject({ status: 401, body: { error: "access token expired" } });
  });

  test("authorization code flow", async () => {
    const verifier = "v".repeat(43); // PKCE S256 (test/sandbox-oauth.test.ts tests the strict rules)
    const q = new URLSearchParams({
      response_type: "code",
      client_id: s.clientId,
      redirect_uri: "http://localhost:9/cb",
      scope: "users:read",
      state: "xyz",
      code_challenge: createHash("sha256").update(verifier).digest("base64url"),
      code_challenge_method: "S256",
    });
    const redirect = await fetch(`${s.url}/oauth2/authorize?${q.toString()}`, { redirect: "manual" });
    expect(redirect.status).toBe(302);
    const location = new URL(redirect.headers.get("location")!);
    expect(location.searchParams.get("state")).toBe("xyz");
    const exchange = () =>
      form({
        grant_type: "authorization_code",
        code: location.searchParams.get("code")!,
        redirect_uri: "http://localhost:9/cb",
        code_verifier: verifier,
        client_id: s.clientId,
        client_secret: s.clientSecret,
      });
    const token = (await (await exchange()).json()) as { access_token: string };
    expect((await api("GET", "/users", undefined, `Bearer ${token.access_token}`)).status).toBe(200);
    expect((await exchange()).status).toBe(400); // codes are single-use
  });
});

describe("failure knobs", () => {
  test("a 429 is not processed; headers only when asked", async () => {
    s.setOptions({ rateLimit: 1 });
    expect((await api("POST", "/users", jane)).status).toBe(201);
    const limited = await api("POST", "/users", { ...jane, email: "second@example.com" });
    expect(limited).toMatchObject({ status: 429, body: { error: "rate limited" } });
    expect(limited.headers.get("retry-after")).toBeNull();
    expect(s.findUserByEmail("second@example.com")).toBeUndefined();
    expect(s.requests.at(-1)).toMatchObject({ status: 429, fault: "rate_limited" });
    expect((await api("GET", "/users", undefined, `ApiKey ${s.apiKey}`)).status).toBe(200); // per credential
    s.setOptions({ rateLimitHeaders: true });
    expect((await api("GET", "/users")).headers.get("retry-after")).toBe("1");
  });

  test("a 500 fault is not processed; a lost response is committed but never answered", async () => {
    s.setOptions({ faultRate: 1 });
    expect((await api("POST", "/users", jane)).status).toBe(500);
    expect(s.listUsers()).toEqual([]);
    s.setOptions({ faultRate: 0, lostResponseRate: 1 });
    await expect(api("POST", "/users", jane)).rejects.toThrow();
    expect(s.findUserByEmail("jane@example.com")).toBeDefined();
    expect(s.requests.map((r) => r.fault)).toEqual(["server_error", "lost_response"]);
    expect(((await api("GET", "/users")).body as Page<SandboxUser>).total).toBe(1); // reads are never lost
  });
});

describe("SCIM", () => {
  test("users share the store; filter by userName; PATCH active; group members", async () => {
    const created = await scim("POST", "/Users", {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
      userName: "Ann@Example.com",
      name: { givenName: "Ann" },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get("content-type")).toBe("application/scim+json");
    const id = (created.body as { id: string }).id;
    expect(s.getUser(id)).toMatchObject({
      email: "Ann@Example.com",
      first_name: "Ann",
      last_name: null,
      is_active: true,
    });
    const found = await scim("GET", `/Users?filter=${encodeURIComponent('userName eq "ann@example.com"')}`);
    expect(found.body).toMatchObject({
      totalResults: 1,
      startIndex: 1,
      itemsPerPage: 1,
      Resources: [{ id, userName: "Ann@Example.com" }],
    });
    expect((await scim("GET", `/Users?filter=${encodeURIComponent('title eq "x"')}`)).status).toBe(400);
    expect((await scim("POST", "/Users", { userName: "ann@example.com" })).status).toBe(409);
    await scim("PATCH", `/Users/${id}`, {
      Operations: [
        { op: "Replace", path: "active", value: "False" },
        { op: "replace", path: "name.familyName", value: "Lee" },
      ],
    });
    expect((await api("GET", `/users/${id}`)).body).toMatchObject({ is_active: false, last_name: "Lee" });

    const group = s.listGroups().at(1)!;
    const add = await scim("PATCH", `/Groups/${group.id}`, {
      Operations: [{ op: "add", path: "members", value: [{ value: id }] }],
    });
    expect((add.body as { members: unknown[] }).members).toEqual([{ value: id, display: "Ann@Example.com" }]);
    expect(((await api("GET", `/groups/${group.id}/members`)).body as Page<unknown>).total).toBe(1);
    await scim("PATCH", `/Groups/${group.id}`, { Operations: [{ op: "remove", path: `members[value eq "${id}"]` }] });
    expect(s.groupMembers(group.id)).toEqual([]);
    expect((await scim("DELETE", `/Users/${id}`)).status).toBe(204);
    expect((await scim("GET", `/Users/${id}`)).status).toBe(404);
  });
});

describe("admin endpoints and persistence", () => {
  test("admin endpoints change state and knobs and are not logged", async () => {
    const admin = (method: string, p: string, body?: unknown) => call(method, `${s.url}/_sandbox${p}`, body, null);
    const user = (await api("POST", "/users", jane)).body as SandboxUser;
    const patched = (await admin("PATCH", `/users/${user.id}`, { cost_center: "Ops" })).body as SandboxUser;
    expect(patched.cost_center).toBe("Ops");
    const state = (await admin("GET", "/state")).body as Snapshot;
    expect(state.users).toHaveLength(1);
    expect(Object.keys(state.members)).toEqual(state.groups.map((g) => g.id));
    expect(((await admin("GET", "/requests")).body as { requests: LoggedRequest[] }).requests).toHaveLength(1);
    const options = (await admin("PATCH", "/options", { faultRate: 1 })).body as { options: SandboxOptions };
    expect(options.options.faultRate).toBe(1);
    expect((await api("GET", "/users")).status).toBe(500);
    expect((await admin("PATCH", "/options", { faultRate: 2 })).status).toBe(400);
    expect((await admin("PATCH", "/options", { faultRate: 0 })).status).toBe(200);
    expect((await admin("DELETE", `/users/${user.id}`)).status).toBe(204);
    expect((await admin("DELETE", `/users/${user.id}`)).status).toBe(404);
    expect((await admin("DELETE", "/requests")).status).toBe(204);
    expect(s.requests).toEqual([]);
    await api("POST", "/users", jane);
    expect((await admin("POST", "/reset")).status).toBe(204);
    expect(s.listUsers()).toEqual([]);
  });

  test("a persisted file survives a restart", async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tp-sandbox-")), "state.json");
    const first = await startSandbox({ persistFile: file });
    const created = await call("POST", `${first.apiUrl}/users`, jane, `Bearer ${first.accessToken}`);
    const user = created.body as SandboxUser;
    const gid = first.listGroups().at(2)!.id;
    await call("POST", `${first.apiUrl}/groups/${gid}/members`, { user_id: user.id }, `Bearer ${first.accessToken}`);
    await first.stop();
    const second = await startSandbox({ persistFile: file });
    try {
      expect(second.getUser(user.id)).toEqual(user);
      expect(second.groupMembers(gid)).toEqual([user.id]);
      expect(second.listPolicies()).toEqual(first.listPolicies());
    } finally {
      await second.stop();
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });
});
