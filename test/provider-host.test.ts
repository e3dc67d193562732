/**
 * The serialized providers of all three resources, run by Pulumi's own provider host over gRPC
 * (as the engine drives them), against the sandbox. Credentials arrive only through Configure.
 */
import { at } from "./helpers/at";
import { DIFF, ProviderHost, startConfigured } from "./helpers/provider-host";
import { serializedProvider } from "./helpers/serialize";
import { requestLine, useSandbox } from "./helpers/sandbox";

const sandbox = useSandbox();
const program = process.env.TP_TEST_PROGRAM!;
const urn = (type: string, name: string) =>
  `urn:pulumi:dev::tp-test::pulumi-nodejs:dynamic/travelperk:${type}::${name}`;
const host = new ProviderHost(program);
const providers: Record<string, string> = {};

beforeAll(async () => {
  for (const entry of ["user", "group-membership", "policy-assignment"] as const) {
    providers[entry] = await serializedProvider(program, entry);
  }
  await startConfigured(host, sandbox());
});
afterAll(() => host.stop());

test("User: check, create, read, diff, update, delete through the host", async () => {
  const u = urn("User", "jane");
  const __provider = providers.user;
  sandbox().clearLog();
  const checked = await host.check(
    u,
    {},
    { __provider, email: "jane@example.com", firstName: "Jane", lastName: "Doe", role: "traveler" },
  );
  expect(checked.failures).toEqual([]);
  expect(checked.inputs).toMatchObject({ isActive: true, onDelete: "deactivate", adoptExisting: false, __provider });
  expect(sandbox().requests).toHaveLength(0);

  const created = await host.create(u, checked.inputs);
  expect(sandbox().findUserByEmail("jane@example.com")?.id).toBe(created.id);
  expect(created.properties).toMatchObject({ email: "jane@example.com", role: "traveler", isActive: true, __provider });

  const read = await host.read(u, created.id, created.properties);
  expect(read.id).toBe(created.id);
  expect(read.properties).toMatchObject({ role: "traveler" });

  const news = (
    await host.check(u, checked.inputs, {
      __provider,
      email: "jane@example.com",
      firstName: "Jane",
      lastName: "Doe",
      role: "travel_manager",
    })
  ).inputs;
  expect(await host.diff(u, created.id, read.properties, checked.inputs)).toMatchObject({ changes: DIFF.NONE });
  expect(await host.diff(u, created.id, read.properties, news)).toEqual({ changes: DIFF.SOME, replaces: [] });
  const updated = await host.update(u, created.id, read.properties, news);
  expect(updated.properties).toMatchObject({ role: "travel_manager" });
  expect(sandbox().getUser(created.id)?.role).toBe("travel_manager");

  await host.delete(u, created.id, updated.properties);
  expect(sandbox().getUser(created.id)).toMatchObject({ is_active: false });
});

test("GroupMembership and PolicyAssignment through the host", async () => {
  const person = sandbox().insertUser({ email: "joe@example.com", first_name: "Joe", last_name: "Roe" });
  const groups = sandbox().listGroups();
  const [eng, sales] = [at(groups, 0), at(groups, 1)];
  const policies = sandbox().listPolicies();
  const [standard, executive] = [at(policies, 0), at(policies, 1)];

  const m = urn("GroupMembership", "joe-eng");
  const mInputs = (
    await host.check(m, {}, { __provider: providers["group-membership"], groupId: eng.id, userId: person.id })
  ).inputs;
  const membership = await host.create(m, mInputs);
  expect(sandbox().groupMembers(eng.id)).toContain(person.id);
  expect((await host.read(m, membership.id, membership.properties)).id).toBe(membership.id);
  const moved = { ...mInputs, groupId: sales.id };
  expect(await host.diff(m, membership.id, membership.properties, moved)).toEqual({
    changes: DIFF.SOME,
    replaces: ["groupId"],
  });
  await host.delete(m, membership.id, membership.properties);
  expect(sandbox().groupMembers(eng.id)).not.toContain(person.id);
  expect((await host.read(m, membership.id, membership.properties)).id).toBe("");

  const p = urn("PolicyAssignment", "joe-policy");
  const pInputs = (
    await host.check(p, {}, { __provider: providers["policy-assignment"], userId: person.id, policyId: standard.id })
  ).inputs;
  const assignment = await host.create(p, pInputs);
  expect(sandbox().getUser(person.id)?.travel_policy?.id).toBe(standard.id);
  const next = { ...pInputs, policyId: executive.id };
  expect(await host.diff(p, assignment.id, assignment.properties, next)).toEqual({ changes: DIFF.SOME, replaces: [] });
  const reassigned = await host.update(p, assignment.id, assignment.properties, next);
  expect(sandbox().getUser(person.id)?.travel_policy?.id).toBe(executive.id);
  await host.delete(p, assignment.id, reassigned.properties);
  expect(sandbox().getUser(person.id)?.travel_policy ?? null).toBeNull();
});

test("bad input fails check with the field named, and no request is sent", async () => {
  sandbox().clearLog();
  const result = await host.check(
    urn("User", "bad"),
    {},
    { __provider: providers.user, email: "not-an-email", firstName: "", lastName: "X", phoneNumber: "600 123" },
  );
  expect(result.failures.map((f) => f.property).sort()).toEqual(["email", "firstName", "phoneNumber"]);
  expect(sandbox().requests).toHaveLength(0);
});

test("an API error through the host names the operation, status and user, never the token", async () => {
  const u = urn("User", "dup");
  sandbox().insertUser({ email: "dup@example.com", first_name: "D", last_name: "U" });
  const inputs = (
    await host.check(u, {}, { __provider: providers.user, email: "dup@example.com", firstName: "D", lastName: "U" })
  ).inputs;
  const error = (await host.create(u, inputs).catch((e: unknown) => e)) as Error;
  expect(error.message).toContain("dup@example.com");
  expect(error.message).toContain("adoptExisting");
  expect(error.message).not.toContain(sandbox().accessToken);
  expect(host.stderr).not.toContain(sandbox().accessToken);
  expect(sandbox().requests.map(requestLine)).toContain("POST /users");
});
