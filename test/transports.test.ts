/**
 * The user lifecycle, memberships and policies once per transport: `rest` on the contract sandbox,
 * `scim` on the sandbox serving the live surface (SCIM with both extensions, numeric ids, no policy
 * listing). Same resources, same inputs and outputs; the request log says what each transport sent.
 */
import * as runtime from "../provider/runtime";
import { UserExistsError } from "../provider/resources/user";
import { expectOnlyAccount, insertAccount } from "./helpers/accounts";
import { useSandbox, writes } from "./helpers/sandbox";
import { TRANSPORTS, envOf } from "./helpers/transports";

const { user, groupMembership, policyAssignment } = runtime;

describe.each(TRANSPORTS)("$name", (t) => {
  const sandbox = useSandbox(t.sandbox, 5, (s) => envOf(t.config(s)));
  const log = () => sandbox().requests.map(t.line);
  const L = t.lines;

  beforeEach(() => {
    sandbox().reset();
    runtime.startNewCommand();
  });

  async function checked(news: Record<string, unknown>): Promise<Record<string, unknown>> {
    const result = await user.check({}, news);
    expect(result.failures ?? []).toEqual([]);
    return result.inputs as Record<string, unknown>;
  }

  const jane = {
    email: "jane@example.com",
    firstName: "Jane",
    lastName: "Doe",
    costCenter: "ENG",
    phoneNumber: "+34600123456",
    language: "es",
    gender: "female",
    dateOfBirth: "1990-02-03",
  };

  test("create, refresh, update one field, deactivate: the requests are exactly these", async () => {
    const created = await user.create(await checked(jane));
    expect(log()).toEqual([L.createUser]);
    expect(created.outs).toMatchObject({ ...jane, isActive: true, travelPolicyId: null });
    expect(sandbox().getUser(created.id)).toMatchObject({
      email: "jane@example.com",
      first_name: "Jane",
      cost_center: "ENG",
      phone_number: "+34600123456",
      gender: "female",
      is_active: true,
    });
    if (t.name === "scim") expect(created.id).toMatch(/^\d+$/); // the live API's numeric-string ids

    runtime.startNewCommand();
    sandbox().clearLog();
    const read = await user.read(created.id, created.outs);
    expect(read.props).toEqual(created.outs);
    expect(log()).toEqual([L.listUsers]); // one listing serves every refresh of the run

    sandbox().clearLog();
    const news = await checked({ ...jane, costCenter: "SALES" });
    expect(await user.diff(created.id, read.props, news)).toMatchObject({ changes: true, replaces: [] });
    const updated = await user.update(created.id, read.props, news);
    // One changed field is exactly one write, then the user is read back.
    expect(log()).toEqual([L.patchUser(created.id), L.getUser(created.id)]);
    expect(updated.outs).toMatchObject({ costCenter: "SALES" });
    expect(sandbox().getUser(created.id)?.cost_center).toBe("SALES");

    sandbox().clearLog();
    await user.delete(created.id, updated.outs);
    expect(log()).toEqual([L.patchUser(created.id)]);
    expect(sandbox().getUser(created.id)).toMatchObject({ is_active: false, cost_center: "SALES" });
  });

  test("drift made outside shows on refresh; a user deleted outside is gone", async () => {
    const created = await user.create(await checked(jane));
    sandbox().updateUser(created.id, { first_name: "Janet", is_active: false });
    runtime.startNewCommand();
    const read = await user.read(created.id, created.outs);
    expect(read.props).toMatchObject({ firstName: "Janet", isActive: false });
    expect(read.inputs).toMatchObject({ firstName: "Janet", isActive: false });
    sandbox().deleteUser(created.id);
    runtime.startNewCommand();
    expect(await user.read(created.id, created.outs)).toEqual({});
  });

  test("an inactive account with the e-mail is reactivated (same id); an active one needs adoptExisting", async () => {
    const old = insertAccount(sandbox(), "jane@example.com", ["J", "D"], false);
    const created = await user.create(await checked(jane));
    expect(created.id).toBe(old.id);
    expect(sandbox().getUser(old.id)).toMatchObject({ is_active: true, first_name: "Jane", cost_center: "ENG" });
    expect(sandbox().listUsers()).toHaveLength(1);

    const ann = insertAccount(sandbox(), "ann@example.com", ["Ann", "Lee"], true);
    runtime.startNewCommand();
    const refused = await user.create(await checked({ ...jane, email: "ANN@example.com" })).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UserExistsError);
    expect(sandbox().getUser(ann.id)).toMatchObject({ first_name: "Ann" });
    runtime.startNewCommand();
    const adopted = await user.create(await checked({ ...jane, email: "ann@example.com", adoptExisting: true }));
    expect(adopted.id).toBe(ann.id);
    expect(sandbox().getUser(ann.id)).toMatchObject({ first_name: "Jane" });
  });

  test("a create whose answer is lost after the server committed it never makes a second user", async () => {
    sandbox().setOptions({ lostResponseRate: 1 });
    let created: Awaited<ReturnType<typeof user.create>>;
    try {
      created = await user.create(await checked(jane));
    } finally {
      sandbox().setOptions({ lostResponseRate: 0 });
    }
    expectOnlyAccount(sandbox(), "jane@example.com", created.id);
    expect(log().slice(0, 2)).toEqual([L.createUser, L.findUser]);
  });

  test("onDelete: delete removes the account; a second delete (404) is done", async () => {
    const created = await user.create(await checked({ ...jane, onDelete: "delete" }));
    sandbox().clearLog();
    await user.delete(created.id, created.outs);
    await user.delete(created.id, created.outs);
    expect(log()).toEqual([L.deleteUser(created.id), L.deleteUser(created.id)]);
    expect(sandbox().getUser(created.id)).toBeUndefined();
  });

  test("memberships: one read of the group, one write; refresh reads the group; delete removes", async () => {
    const created = await user.create(await checked(jane));
    const eng = sandbox()
      .listGroups()
      .find((g) => g.name === "Engineering")!;
    sandbox().clearLog();
    const membership = await groupMembership.create({ groupId: eng.id, userId: created.id });
    expect(log()).toEqual([L.readMembers(eng.id), L.addMember(eng.id)]);
    expect(sandbox().groupMembers(eng.id)).toEqual([created.id]);

    runtime.startNewCommand();
    sandbox().clearLog();
    expect((await groupMembership.read(membership.id, membership.outs)).id).toBe(membership.id);
    expect(log()).toEqual([L.readMembers(eng.id)]);

    sandbox().clearLog();
    await groupMembership.delete(membership.id, membership.outs);
    expect(log()).toEqual([L.removeMember(eng.id, created.id)]);
    expect(sandbox().groupMembers(eng.id)).toEqual([]);
    runtime.startNewCommand();
    expect(await groupMembership.read(membership.id, membership.outs)).toEqual({});
  });

  test("policies: assigned in one write, drift shows on refresh, delete clears", async () => {
    const created = await user.create(await checked(jane));
    const executive = t.policyRef(sandbox(), "Executive");
    runtime.startNewCommand();
    sandbox().clearLog();
    const assigned = await policyAssignment.create({ userId: created.id, policyId: executive });
    expect(writes(sandbox().requests).map(t.line)).toEqual([L.setPolicy(created.id)]);
    expect(sandbox().getUser(created.id)?.travel_policy?.name).toBe("Executive");

    const standard = sandbox()
      .listPolicies()
      .find((p) => p.name === "Standard")!;
    sandbox().updateUser(created.id, { travel_policy: standard });
    runtime.startNewCommand();
    const read = await policyAssignment.read(assigned.id, assigned.outs);
    expect(read.props).toEqual({ userId: created.id, policyId: t.policyRef(sandbox(), "Standard") });
    // The user's travelPolicyId output says the same.
    expect((await user.read(created.id, created.outs)).props).toMatchObject({
      travelPolicyId: t.policyRef(sandbox(), "Standard"),
    });

    await policyAssignment.delete(assigned.id, assigned.outs);
    expect(sandbox().getUser(created.id)?.travel_policy ?? null).toBeNull();
  });

  test("check: what this transport cannot carry fails at preview, naming the field; nothing is sent", async () => {
    sandbox().clearLog();
    const result = await user.check({}, { ...jane, role: "company_admin", nationality: "GB" });
    if (t.name === "rest") expect(result.failures).toBeUndefined();
    else expect(result.failures?.map((f) => f.property).sort()).toEqual(["nationality", "role"]);
    const other = await user.check({}, { ...jane, gender: "other" });
    if (t.name === "rest") expect(other.failures).toBeUndefined();
    else expect(other.failures).toEqual([{ property: "gender", reason: expect.stringContaining("M or F") as string }]);
    expect(sandbox().requests).toEqual([]);
  });
});
