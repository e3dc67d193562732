/** The User provider's whole lifecycle against the sandbox over HTTP, with the request log as evidence. */
import * as runtime from "../provider/runtime";
import { getUser } from "../provider/client/users";
import { UserExistsError } from "../provider/resources/user";
import { expectOnlyAccount, insertAccount } from "./helpers/accounts";
import { requestLine, useSandbox, writes } from "./helpers/sandbox";

const sandbox = useSandbox();
const { user } = runtime;

beforeEach(() => {
  sandbox().reset();
  runtime.startNewCommand(); // each test is a new command: a new provider process in real life
});

async function checked(news: Record<string, unknown>): Promise<Record<string, unknown>> {
  const result = await user.check({}, news);
  expect(result.failures ?? []).toEqual([]);
  return result.inputs as Record<string, unknown>;
}

const jane = { email: "jane@example.com", firstName: "Jane", lastName: "Doe", role: "traveler", costCenter: "ENG-1" };

test("create, read, update, deactivate: the requests are exactly these", async () => {
  const inputs = await checked(jane);
  expect(inputs).toMatchObject({ isActive: true, onDelete: "deactivate", adoptExisting: false });

  const created = await user.create(inputs);
  expect(sandbox().requests.map(requestLine)).toEqual(["POST /users"]);
  expect(created.outs).toMatchObject({ ...jane, isActive: true, travelPolicyId: null });
  const stored = sandbox().getUser(created.id);
  expect(stored).toMatchObject({
    email: "jane@example.com",
    first_name: "Jane",
    cost_center: "ENG-1",
    is_active: true,
  });

  sandbox().clearLog();
  const read = await user.read(created.id, created.outs);
  expect(read.id).toBe(created.id);
  expect(read.props).toEqual(created.outs);
  // The first read of a process lists all users (pages of 200) and serves the others from that listing.
  expect(sandbox().requests.map(requestLine)).toEqual(["GET /users"]);

  const news = await checked({ ...jane, role: "travel_manager" });
  const diff = await user.diff(created.id, read.props, news);
  expect(diff).toMatchObject({ changes: true, replaces: [] });
  sandbox().clearLog();
  const updated = await user.update(created.id, read.props, news);
  expect(sandbox().requests.map(requestLine)).toEqual([`PATCH /users/${created.id}`, `GET /users/${created.id}`]);
  expect(updated.outs).toMatchObject({ role: "travel_manager" });

  sandbox().clearLog();
  await user.delete(created.id, updated.outs);
  expect(sandbox().requests.map(requestLine)).toEqual([`PATCH /users/${created.id}`]);
  expect(sandbox().getUser(created.id)).toMatchObject({ is_active: false, role: "travel_manager" });
});

test("diff: only declared fields count; e-mail case is not a change; no field forces replacement", async () => {
  const inputs = await checked(jane);
  const outs = (await user.create(inputs)).outs as Record<string, unknown>;
  sandbox().clearLog();
  expect(await user.diff("x", outs, await checked({ ...jane, email: "JANE@Example.com" }))).toMatchObject({
    changes: false,
  });
  expect(
    await user.diff("x", { ...outs, __provider: "old text" }, { ...inputs, __provider: "new text" }),
  ).toMatchObject({ changes: false });
  expect(await user.diff("x", outs, { ...inputs, adoptExisting: true })).toMatchObject({ changes: false });
  expect(await user.diff("x", outs, await checked({ ...jane, email: "jane.doe@example.com" }))).toEqual({
    changes: true,
    replaces: [],
  });
  // onDelete must reach state (delete runs with the stored outputs), so it is a change without a request.
  expect(await user.diff("x", outs, { ...inputs, onDelete: "retain" })).toMatchObject({ changes: true });
  expect(sandbox().requests).toHaveLength(0);
});

test("an e-mail change is a PATCH of the same account", async () => {
  const created = await user.create(await checked(jane));
  sandbox().clearLog();
  const updated = await user.update(
    created.id,
    created.outs,
    await checked({ ...jane, email: "jane.doe@example.com" }),
  );
  expect(writes(sandbox().requests).map(requestLine)).toEqual([`PATCH /users/${created.id}`]);
  expect(updated.outs).toMatchObject({ email: "jane.doe@example.com" });
  expect(sandbox().listUsers()).toHaveLength(1);
});

test("changing only onDelete sends no request, and the stored outputs carry it", async () => {
  const created = await user.create(await checked(jane));
  sandbox().clearLog();
  const updated = await user.update(created.id, created.outs, await checked({ ...jane, onDelete: "retain" }));
  expect(sandbox().requests).toHaveLength(0);
  expect(updated.outs).toMatchObject({ onDelete: "retain", email: "jane@example.com", costCenter: "ENG-1" });
  await user.delete(created.id, updated.outs);
  expect(sandbox().requests).toHaveLength(0);
  expect(sandbox().getUser(created.id)?.is_active).toBe(true);
});

test("onDelete: delete removes the account; a 404 on delete is success", async () => {
  const created = await user.create(await checked({ ...jane, onDelete: "delete" }));
  await user.delete(created.id, created.outs);
  expect(sandbox().getUser(created.id)).toBeUndefined();
  await expect(user.delete(created.id, created.outs)).resolves.toBeUndefined();
  await expect(user.delete(created.id, { ...created.outs, onDelete: "deactivate" })).resolves.toBeUndefined();
});

test("an inactive user with the e-mail is reactivated and brought to the declared state", async () => {
  const old = insertAccount(sandbox(), "Jane@Example.com", ["J", "D"], false, { role: "company_admin" });
  sandbox().clearLog();
  const created = await user.create(await checked(jane));
  expect(created.id).toBe(old.id);
  expect(sandbox().requests.map(requestLine)).toEqual([
    "POST /users",
    "GET /users",
    `PATCH /users/${old.id}`,
    `GET /users/${old.id}`,
  ]);
  expect(sandbox().getUser(old.id)).toMatchObject({
    is_active: true,
    first_name: "Jane",
    role: "traveler",
    cost_center: "ENG-1",
  });
  expect(sandbox().listUsers()).toHaveLength(1);
});

test("an active user with the e-mail is adopted only with adoptExisting", async () => {
  const old = insertAccount(sandbox(), "jane@example.com", ["Jane", "Doe"], true);
  const error = await user.create(await checked(jane)).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(UserExistsError);
  expect((error as Error).message).toContain("jane@example.com");
  expect((error as Error).message).toContain("adoptExisting: true");
  expect(writes(sandbox().requests).map(requestLine)).toEqual(["POST /users"]);

  runtime.startNewCommand(); // the retry is a new `pulumi up`
  sandbox().clearLog();
  const adopted = await user.create(await checked({ ...jane, adoptExisting: true }));
  expect(adopted.id).toBe(old.id);
  expect(writes(sandbox().requests).map(requestLine)).toEqual(["POST /users", `PATCH /users/${old.id}`]);
  expect(sandbox().getUser(old.id)).toMatchObject({ role: "traveler", cost_center: "ENG-1" });
});

test("adopting a user whose fields already match sends no PATCH", async () => {
  const old = insertAccount(sandbox(), "jane@example.com", ["Jane", "Doe"], true, {
    role: "traveler",
    cost_center: "ENG-1",
  });
  sandbox().clearLog();
  const adopted = await user.create(await checked({ ...jane, adoptExisting: true }));
  expect(adopted.id).toBe(old.id);
  expect(writes(sandbox().requests).map(requestLine)).toEqual(["POST /users"]);
});

test("refresh: drift shows in outputs and inputs, deactivation reads isActive false, 404 means gone", async () => {
  const created = await user.create(await checked(jane));
  sandbox().updateUser(created.id, { cost_center: "SALES-9", is_active: false });
  runtime.startNewCommand(); // the refresh is a later command
  const read = await user.read(created.id, created.outs);
  expect(read.props).toMatchObject({ costCenter: "SALES-9", isActive: false });
  expect(read.inputs).toMatchObject({ costCenter: "SALES-9", isActive: false, onDelete: "deactivate" });

  const news = await checked(jane);
  expect(await user.diff(created.id, read.props, news)).toMatchObject({ changes: true });
  sandbox().clearLog();
  await user.update(created.id, read.props, news);
  expect(writes(sandbox().requests).map(requestLine)).toEqual([`PATCH /users/${created.id}`]);
  expect(sandbox().getUser(created.id)).toMatchObject({ cost_center: "ENG-1", is_active: true });

  sandbox().deleteUser(created.id);
  runtime.startNewCommand();
  expect(await user.read(created.id, created.outs)).toEqual({});
});

test("a user created by an identity provider with only id and e-mail reads leniently", async () => {
  const bare = sandbox().insertUser({ email: "idp@example.com" });
  const read = await user.read(bare.id, {
    email: "idp@example.com",
    firstName: "X",
    costCenter: "Y",
    isActive: true,
    onDelete: "deactivate",
  });
  expect(read.props).toMatchObject({ email: "idp@example.com", firstName: null, costCenter: null });
});

test("a POST whose answer is lost after the server committed it never creates a second user", async () => {
  sandbox().setOptions({ lostResponseRate: 1 });
  try {
    const created = await user.create(await checked(jane));
    expectOnlyAccount(sandbox(), "jane@example.com", created.id);
    expect(sandbox().requests.map(requestLine).slice(0, 2)).toEqual(["POST /users", "GET /users"]);
  } finally {
    sandbox().setOptions({ lostResponseRate: 0 });
  }
});

test("a step after the POST that fails leaves the user in state as created-but-failed", async () => {
  const old = insertAccount(sandbox(), "jane@example.com", ["J", "D"], false);
  // The reactivation PATCH keeps failing with 500 (the POST and the look-up succeed).
  sandbox().setOptions({ faultWhen: (method) => method === "PATCH" });
  process.env.TRAVELPERK_MAX_RETRIES = "1";
  let error: { id?: string; properties?: Record<string, unknown>; reasons?: string[]; message: string };
  try {
    error = (await user.create(await checked(jane)).catch((e: unknown) => e)) as typeof error;
  } finally {
    sandbox().setOptions({ faultWhen: undefined });
    delete process.env.TRAVELPERK_MAX_RETRIES;
  }
  expect(error.id).toBe(old.id);
  expect(error.properties).toMatchObject({ email: "jane@example.com", isActive: false, firstName: "J" });
  expect(error.reasons?.[0]).toContain("update user jane@example.com");
  expect(error.message).toContain("500");
  expect(sandbox().listUsers()).toHaveLength(1);
  // The next `up` sees the difference from the recorded state and finishes the work.
  const inputs = await checked(jane);
  expect(await user.diff(old.id, error.properties!, inputs)).toMatchObject({ changes: true });
  await user.update(old.id, error.properties!, inputs);
  expect(sandbox().getUser(old.id)).toMatchObject({ is_active: true, first_name: "Jane", cost_center: "ENG-1" });
});

test("an account taken over by another resource in the same run is not offboarded by the old one", async () => {
  // A roster person whose key changed: the new resource adopts the account, then the old one is deleted.
  const old = await user.create(await checked(jane));
  runtime.startNewCommand();
  const adopted = await user.create(await checked({ ...jane, adoptExisting: true }));
  expect(adopted.id).toBe(old.id);
  sandbox().clearLog();
  await user.delete(old.id, old.outs);
  expect(writes(sandbox().requests)).toEqual([]);
  expect(sandbox().getUser(old.id)?.is_active).toBe(true);
});

test("an API error names the method, the path and the sandbox's request id, as a real server's would", async () => {
  const error = (await getUser("u-missing", "gone@example.com").catch((e: unknown) => e)) as Record<string, unknown>;
  const seen = sandbox().requests.at(-1);
  expect(seen).toMatchObject({ method: "GET", status: 404 });
  expect(seen?.path).toMatch(/\/users\/u-missing$/);
  expect(error).toMatchObject({
    status: 404,
    method: "GET",
    path: seen?.path,
    requestId: `sandbox-${String(seen?.seq)}`,
  });
  expect(String(error.message)).toContain(`[GET ${String(seen?.path)}; request id sandbox-${String(seen?.seq)}]`);
});
