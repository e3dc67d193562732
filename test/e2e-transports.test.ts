/**
 * The demo's 12-person team end to end under the real Pulumi CLI, once per transport: `rest` on the
 * contract sandbox, `scim` on the sandbox serving the live surface. Names are looked up by the program
 * (getGroup, getTravelPolicy), as a user's program would. Request counts are printed for the record.
 */
import { TEAM, type Team } from "../examples/team/team";
import type { StepEvent } from "../provider/runner";
import { at } from "./helpers/at";
import { copyProject, useE2E, type E2E } from "./helpers/e2e";
import { writes } from "./helpers/sandbox";
import { TRANSPORTS } from "./helpers/transports";

jest.setTimeout(240_000);

describe.each(TRANSPORTS)("$name", (t) => {
  const e2e = useE2E(t.sandbox, t.config);
  let env: E2E;
  beforeAll(() => {
    env = e2e();
  });
  // SCIM cannot carry a role: that program leaves roles unmanaged.
  const options = { roles: t.name === "rest" };
  const ours = (steps: StepEvent[]) => steps.filter((s) => s.type.includes(":dynamic/travelperk:"));
  const byEmail = (email: string) => env.sandbox.findUserByEmail(email)!;

  /** The installed package's runtime in the program folder: the inline program runs in this process. */
  const programRuntime = () =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program folder's installed copy
    require(require.resolve("pulumi-travelperk/runtime", { paths: [env.dir] })) as typeof import("../provider/runtime");

  async function run(kind: "preview" | "up" | "refresh", team: Team = TEAM) {
    // Each command is a new program process in real life: its lookups start from nothing.
    programRuntime().startNewCommand();
    const stack = await env.stack(team, undefined, "dev", options);
    const collector = env.runner.stepCollector();
    env.sandbox.clearLog();
    const result =
      kind === "preview"
        ? await stack.preview({ onEvent: collector.onEvent })
        : kind === "up"
          ? await stack.up({ onEvent: collector.onEvent })
          : await stack.refresh({ onEvent: collector.onEvent });
    const requests = env.sandbox.requests.map(t.line);
    console.log(
      `${t.name} ${kind}: ${String(requests.length)} requests (${String(writes(env.sandbox.requests).length)} writes)`,
    );
    return { result, steps: ours(collector.steps), requests, logged: [...env.sandbox.requests] };
  }

  test("1. up of 12 people: users, memberships and policies in TravelPerk", async () => {
    const up = await run("up");
    const memberships = TEAM.people.reduce((n, p) => n + p.groups.length, 0);
    expect(up.steps.filter((s) => s.op === "create")).toHaveLength(12 + memberships + 12);
    expect(env.sandbox.listUsers()).toHaveLength(12);
    for (const person of TEAM.people) {
      const stored = byEmail(person.email);
      expect(stored).toMatchObject({ first_name: person.firstName, last_name: person.lastName, is_active: true });
      expect(stored.travel_policy?.name).toBe(person.policy);
      if (person.manager) expect(stored.manager_id).toBe(byEmail(person.manager).id);
      for (const name of person.groups) {
        const group = env.sandbox.listGroups().find((g) => g.name === name)!;
        expect(env.sandbox.groupMembers(group.id)).toContain(stored.id);
      }
    }
    if (t.name === "scim") expect(byEmail(at(TEAM.people, 0).email).id).toMatch(/^\d+$/);
  });

  test("2. a no-op preview: all same, no write, no per-resource read (only the program's lookups)", async () => {
    const preview = await run("preview");
    expect(new Set(preview.steps.map((s) => s.op))).toEqual(new Set(["same"]));
    expect(writes(preview.logged)).toEqual([]);
    // One listing per lookup: groups and travel policies (the live API answers that one 404).
    expect([...preview.requests].sort()).toEqual(
      t.name === "rest" ? ["GET /groups", "GET /travel_policies"] : ["GET /scim/Groups", "GET /travel_policies"],
    );
  });

  test("3. refresh without drift changes nothing and sends no write", async () => {
    const refresh = await run("refresh");
    expect(refresh.steps.filter((s) => s.op !== "same" && s.op !== "refresh")).toEqual([]);
    expect(writes(refresh.logged)).toEqual([]);
    const groupsUsed = new Set(TEAM.people.flatMap((p) => p.groups)).size;
    // One user listing (one page) and one read per group used, whatever the number of people.
    expect(refresh.requests.filter((line) => /\/(users|Users)$/.test(line))).toHaveLength(1);
    expect(refresh.requests.filter((line) => line.startsWith("GET ") && /\/(groups|Groups)\//.test(line))).toHaveLength(
      groupsUsed,
    );
  });

  test("4. drift made outside: refresh shows it, up restores it with one write", async () => {
    const person = at(TEAM.people, 1);
    env.sandbox.updateUser(byEmail(person.email).id, { cost_center: "DRIFT" });
    const refresh = await run("refresh");
    expect(refresh.steps.filter((s) => s.op === "update" || s.op === "refresh").length).toBeGreaterThan(0);
    const up = await run("up");
    expect(writes(up.logged).map(t.line)).toEqual([t.lines.patchUser(byEmail(person.email).id)]);
    expect(byEmail(person.email).cost_center).toBe(person.costCenter);
  });

  test("5. a person removed from the team is deactivated and leaves groups and policy; nobody else is touched", async () => {
    const leaver = TEAM.people.find((p) => !TEAM.people.some((other) => other.manager === p.email))!;
    const rest = { people: TEAM.people.filter((p) => p !== leaver) };
    const up = await run("up", rest);
    const id = byEmail(leaver.email).id;
    expect(byEmail(leaver.email)).toMatchObject({ is_active: false, travel_policy: null });
    for (const group of env.sandbox.listGroups()) expect(env.sandbox.groupMembers(group.id)).not.toContain(id);
    expect(up.steps.filter((s) => s.op === "delete")).toHaveLength(1 + leaver.groups.length + 1);
    expect(env.sandbox.listUsers().filter((u) => u.is_active)).toHaveLength(11);
  });

  test("6. destroy with the plain CLI from a copy of the project: everyone deactivated, nobody deleted", async () => {
    const copy = copyProject(env.dir, `tp-e2e-${t.name}-teammate-`);
    env.sandbox.clearLog();
    await env.cli(["destroy", "--yes", "--stack", "dev"], copy);
    const users = env.sandbox.listUsers();
    expect(users).toHaveLength(12);
    expect(users.every((u) => u.is_active === false)).toBe(true);
    expect(users.every((u) => (u.travel_policy ?? null) === null)).toBe(true);
    for (const group of env.sandbox.listGroups()) expect(env.sandbox.groupMembers(group.id)).toEqual([]);
    expect(env.sandbox.requests.map(t.line).filter((line) => /^DELETE \/(users|scim\/Users)\//.test(line))).toEqual([]);
    console.log(`${t.name} destroy: ${String(env.sandbox.requests.length)} requests`);
  });
});
