/**
 * The SCIM transport against the answers RFC 7644 allows besides the usual ones: a server that
 * refuses PATCH (501: the whole user is PUT as read), one that answers PATCH with 204 and no body
 * (never taken for the user: it is read back), and the guide's SCIM that refuses travel fields
 * (the travel policy then goes through the contract's REST PATCH). Over HTTP, to the sandbox.
 */
import * as runtime from "../provider/runtime";
import { useSandbox } from "./helpers/sandbox";
import { SCIM, envOf } from "./helpers/transports";

const { user, policyAssignment } = runtime;

async function checked(news: Record<string, unknown>): Promise<Record<string, unknown>> {
  const result = await user.check({}, news);
  expect(result.failures ?? []).toEqual([]);
  return result.inputs as Record<string, unknown>;
}

const jane = { email: "jane@example.com", firstName: "Jane", lastName: "Doe", costCenter: "ENG", language: "es" };

describe("live SCIM, PATCH modes", () => {
  const sandbox = useSandbox(SCIM.sandbox, 5, (s) => envOf(SCIM.config(s)));
  const log = () => sandbox().requests.map(SCIM.line);

  beforeEach(() => {
    sandbox().setOptions({ scimPatch: undefined });
    sandbox().reset();
    runtime.startNewCommand();
  });

  test("PATCH refused (501): the user is read and PUT whole, and later writes of the run PUT directly", async () => {
    const created = await user.create(await checked(jane));
    // Something the provider does not manage, which a whole-user PUT must carry over.
    sandbox().updateUser(created.id, { scim: { externalId: "HR-7", title: "Engineer" } });
    sandbox().setOptions({ scimPatch: "refused" });
    runtime.startNewCommand();
    sandbox().clearLog();

    const first = await user.update(created.id, created.outs, await checked({ ...jane, firstName: "Janet" }));
    expect(log()).toEqual([
      `PATCH /scim/Users/${created.id}`,
      `GET /scim/Users/${created.id}`,
      `PUT /scim/Users/${created.id}`,
      `GET /scim/Users/${created.id}`,
    ]);
    expect(sandbox().requests.map((r) => r.status)).toEqual([501, 200, 200, 200]);
    expect(first.outs).toMatchObject({ firstName: "Janet", costCenter: "ENG", language: "es" });
    expect(sandbox().getUser(created.id)).toMatchObject({
      first_name: "Janet",
      cost_center: "ENG",
      language: "es",
      scim: { externalId: "HR-7", title: "Engineer" },
    });

    sandbox().clearLog();
    await user.update(created.id, first.outs, await checked({ ...jane, firstName: "Janet", costCenter: "SALES" }));
    expect(log().filter((l) => l.startsWith("PATCH"))).toEqual([]);
    expect(log().filter((l) => l.startsWith("PUT"))).toEqual([`PUT /scim/Users/${created.id}`]);
    expect(sandbox().getUser(created.id)).toMatchObject({ first_name: "Janet", cost_center: "SALES" });

    sandbox().clearLog();
    await user.delete(created.id, first.outs);
    expect(log().filter((l) => !l.startsWith("GET"))).toEqual([`PUT /scim/Users/${created.id}`]);
    expect(sandbox().getUser(created.id)).toMatchObject({ is_active: false, cost_center: "SALES" });
  });

  test("PATCH answered 204: one write, then the user is read, never taken from the empty answer", async () => {
    const created = await user.create(await checked(jane));
    sandbox().setOptions({ scimPatch: "no-content" });
    runtime.startNewCommand();
    sandbox().clearLog();
    const updated = await user.update(created.id, created.outs, await checked({ ...jane, costCenter: "OPS" }));
    expect(log()).toEqual([`PATCH /scim/Users/${created.id}`, `GET /scim/Users/${created.id}`]);
    expect(sandbox().requests[0]?.status).toBe(204);
    expect(updated.outs).toMatchObject({ ...jane, costCenter: "OPS", isActive: true });
    expect(sandbox().getUser(created.id)?.cost_center).toBe("OPS");

    runtime.startNewCommand();
    const assigned = await policyAssignment.create({ userId: created.id, policyId: "Executive" });
    expect(assigned.outs).toMatchObject({ policyId: "Executive" });
    expect(sandbox().getUser(created.id)?.travel_policy?.name).toBe("Executive");
  });
});

describe("the guide's SCIM (contract sandbox): travel fields refused", () => {
  const sandbox = useSandbox({}, 5, (s) => ({
    TRAVELPERK_API_URL: s.apiUrl,
    TRAVELPERK_USER_API: "scim",
    TRAVELPERK_SCIM_TOKEN: s.scimToken, // the guide's SCIM takes its own token
  }));
  const log = () => sandbox().requests.map((r) => `${r.method} ${r.path} ${String(r.status)}`);

  beforeEach(() => {
    sandbox().reset();
    runtime.startNewCommand();
  });

  test("a policy assignment falls back to the REST PATCH once, then goes there directly", async () => {
    const created = await user.create(await checked(jane));
    const second = await user.create(await checked({ ...jane, email: "john@example.com", firstName: "John" }));
    expect(sandbox().requests.map((r) => r.path)).toEqual(["/api/scim/v2/Users", "/api/scim/v2/Users"]);
    const policyNamed = (name: string) => {
      const policy = sandbox()
        .listPolicies()
        .find((p) => p.name === name);
      if (!policy) throw new Error(`the sandbox has no policy ${name}`);
      return policy;
    };
    const [executive, standard] = [policyNamed("Executive"), policyNamed("Standard")];
    runtime.startNewCommand();
    sandbox().clearLog();

    await policyAssignment.create({ userId: created.id, policyId: executive.id });
    const refused = log().filter((l) => l.startsWith("PATCH /api/scim/v2/Users/"));
    expect(refused).toEqual([`PATCH /api/scim/v2/Users/${created.id} 400`]);
    expect(log().filter((l) => l.startsWith("PATCH /api/v2/users/"))).toEqual([
      `PATCH /api/v2/users/${created.id} 200`,
    ]);
    expect(sandbox().getUser(created.id)?.travel_policy?.id).toBe(executive.id);

    sandbox().clearLog();
    await policyAssignment.create({ userId: second.id, policyId: standard.id });
    expect(log().filter((l) => !l.startsWith("GET"))).toEqual([`PATCH /api/v2/users/${second.id} 200`]);
    expect(sandbox().getUser(second.id)?.travel_policy?.id).toBe(standard.id);
  });
});
