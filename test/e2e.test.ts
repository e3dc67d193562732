/**
 * End to end under the real Pulumi CLI (Automation API, inline program, local file backend) against a
 * fresh sandbox: preview, up, change, offboard and reactivate, drift and refresh, onDelete, state
 * contents, and destroy with the plain CLI from another folder. The steps build on each other.
 */
import * as fs from "fs";
import type { Team, TeamMember } from "../examples/team/team";
import { at } from "./helpers/at";
import { copyProject, seededIds, useE2E, type E2E } from "./helpers/e2e";
import { requestLine, writes } from "./helpers/sandbox";
import type { StepEvent } from "../provider/runner";

jest.setTimeout(180_000);
const e2e = useE2E();

const ada: TeamMember = {
  email: "ada@example.com",
  firstName: "Ada",
  lastName: "Lovelace",
  role: "travel_manager",
  costCenter: "ENG",
  groups: ["Engineering"],
  policy: "Executive",
};
const alan: TeamMember = {
  email: "alan@example.com",
  firstName: "Alan",
  lastName: "Turing",
  costCenter: "ENG",
  groups: ["Engineering", "Sales"],
  policy: "Standard",
  manager: "ada@example.com",
};
const grace: TeamMember = {
  email: "grace@example.com",
  firstName: "Grace",
  lastName: "Hopper",
  costCenter: "SALES",
  groups: ["Sales"],
  policy: "Standard",
  manager: "ada@example.com",
};
const team = (...people: TeamMember[]): Team => ({ people });
const THREE = team(ada, alan, grace);

let env: E2E;
beforeAll(() => {
  env = e2e();
});

async function run(kind: "preview" | "up" | "refresh", members: Team, opts: { diff?: boolean } = {}) {
  const stack = await env.stack(members, seededIds(env.sandbox));
  const { runner } = env;
  const collector = runner.stepCollector();
  env.sandbox.clearLog();
  const result =
    kind === "preview"
      ? await stack.preview({ onEvent: collector.onEvent, diff: opts.diff })
      : kind === "up"
        ? await stack.up({ onEvent: collector.onEvent })
        : await stack.refresh({ onEvent: collector.onEvent });
  return { result, steps: collector.steps, requests: [...env.sandbox.requests] };
}

const ours = (steps: StepEvent[]) => steps.filter((s) => s.type.includes(":dynamic/travelperk:"));
const userSteps = (steps: StepEvent[]) => steps.filter((s) => s.type.endsWith("travelperk:User"));
const ops = (steps: StepEvent[]) => steps.map((s) => `${s.op} ${s.name}`).sort();
const byEmail = (email: string) => env.sandbox.findUserByEmail(email)!;

test("1. preview of three users with memberships and a policy: three user creates, no write", async () => {
  const { steps, requests } = await run("preview", THREE);
  expect(ops(userSteps(steps))).toEqual([
    "create ada@example.com",
    "create alan@example.com",
    "create grace@example.com",
  ]);
  expect(ours(steps).filter((s) => s.op === "create")).toHaveLength(3 + 4 + 3); // users, memberships, policies
  expect(writes(requests)).toEqual([]);
  expect(env.sandbox.listUsers()).toHaveLength(0);
});

test("2. up creates them; a second preview is all `same` and sends no request", async () => {
  const up = await run("up", THREE);
  expect(ours(up.steps).filter((s) => s.op === "create")).toHaveLength(3 + 4 + 3);
  const users = env.sandbox.listUsers();
  expect(users.map((u) => u.email).sort()).toEqual(["ada@example.com", "alan@example.com", "grace@example.com"]);
  const group = (name: string) =>
    at(
      env.sandbox.listGroups().filter((g) => g.name === name),
      0,
    );
  const [eng, sales] = [group("Engineering"), group("Sales")];
  expect(env.sandbox.groupMembers(eng.id).sort()).toEqual(
    [byEmail("ada@example.com").id, byEmail("alan@example.com").id].sort(),
  );
  expect(env.sandbox.groupMembers(sales.id).sort()).toEqual(
    [byEmail("alan@example.com").id, byEmail("grace@example.com").id].sort(),
  );
  expect(byEmail("alan@example.com").manager_id).toBe(byEmail("ada@example.com").id);
  expect(byEmail("ada@example.com").travel_policy?.name).toBe("Executive");
  console.log(
    `3-user up: ${String(up.requests.length)} requests (${String(writes(up.requests).length)} writes): ${up.requests.map(requestLine).join(", ")}`,
  );

  const again = await run("preview", THREE);
  expect(new Set(again.steps.map((s) => s.op))).toEqual(new Set(["same"]));
  expect(again.requests).toEqual([]);
});

test("3. a changed role: one update on that user only, shown in the diff, applied with one write", async () => {
  const changed = team(ada, { ...alan, role: "travel_manager" }, grace);
  const preview = await run("preview", changed, { diff: true });
  const updates = preview.steps.filter((s) => s.op !== "same");
  expect(updates.map((s) => `${s.op} ${s.name}`)).toEqual(["update alan@example.com"]);
  expect(preview.result.stdout).toMatch(/role\s*:\s*"traveler" => "travel_manager"/);
  expect(preview.requests).toEqual([]);

  const up = await run("up", changed);
  expect(writes(up.requests).map(requestLine)).toEqual([`PATCH /users/${byEmail("alan@example.com").id}`]);
  expect(byEmail("alan@example.com").role).toBe("travel_manager");
});

test("4. a person removed is deactivated (kept) and leaves their groups; put back, the same account returns", async () => {
  const graceId = byEmail("grace@example.com").id;
  const sales = env.sandbox.listGroups().find((g) => g.name === "Sales")!;
  const without = team(ada, { ...alan, role: "travel_manager" });
  const up = await run("up", without);
  expect(ops(up.steps.filter((s) => s.op === "delete"))).toEqual([
    "delete grace@example.com",
    "delete grace@example.com/Sales",
    "delete grace@example.com/policy",
  ]);
  expect(env.sandbox.getUser(graceId)).toMatchObject({ is_active: false, travel_policy: null });
  expect(env.sandbox.groupMembers(sales.id)).not.toContain(graceId);
  expect(up.requests.filter((r) => r.method === "DELETE" && r.path.endsWith(`/users/${graceId}`))).toEqual([]);

  const back = await run("up", team(ada, { ...alan, role: "travel_manager" }, grace));
  expect(ops(userSteps(back.steps).filter((s) => s.op !== "same"))).toEqual(["create grace@example.com"]);
  expect(byEmail("grace@example.com")).toMatchObject({ id: graceId, is_active: true });
  expect(env.sandbox.groupMembers(sales.id)).toContain(graceId);
  expect(env.sandbox.listUsers()).toHaveLength(3);
});

test("5. drift behind Pulumi's back: refresh records it, the next up restores the declared state", async () => {
  const current = team(ada, { ...alan, role: "travel_manager" }, grace);
  const adaId = byEmail("ada@example.com").id;
  const alanId = byEmail("alan@example.com").id;
  const graceId = byEmail("grace@example.com").id;
  env.sandbox.updateUser(adaId, { is_active: false });
  env.sandbox.updateUser(alanId, { cost_center: "MARKETING" });
  env.sandbox.deleteUser(graceId);

  const refresh = await run("refresh", current);
  expect(refresh.requests.every((r) => r.method === "GET")).toBe(true);
  const state = JSON.parse(fs.readFileSync(env.stateFile(), "utf8")) as {
    checkpoint: { latest: { resources: { urn: string; outputs: Record<string, unknown> }[] } };
  };
  const resources = state.checkpoint.latest.resources;
  const outputsOf = (name: string) => resources.find((r) => r.urn.endsWith(`::${name}`))?.outputs;
  expect(outputsOf("ada@example.com")).toMatchObject({ isActive: false });
  expect(outputsOf("alan@example.com")).toMatchObject({ costCenter: "MARKETING" });
  expect(outputsOf("grace@example.com")).toBeUndefined();

  const preview = await run("preview", current, { diff: true });
  expect(ops(userSteps(preview.steps).filter((s) => s.op !== "same"))).toEqual([
    "create grace@example.com",
    "update ada@example.com",
    "update alan@example.com",
  ]);
  expect(preview.result.stdout).toMatch(/costCenter\s*:\s*"MARKETING" => "ENG"/);

  await run("up", current);
  expect(env.sandbox.getUser(adaId)?.is_active).toBe(true);
  expect(env.sandbox.getUser(alanId)?.cost_center).toBe("ENG");
  const newGrace = byEmail("grace@example.com");
  expect(newGrace).toMatchObject({ is_active: true, cost_center: "SALES" });
  expect(newGrace.travel_policy?.name).toBe("Standard");
  expect(env.sandbox.listUsers()).toHaveLength(3);
});

test("7. the stored state holds no credential, and each User is small", () => {
  const text = fs.readFileSync(env.stateFile(), "utf8");
  expect(text).not.toContain(env.sandbox.accessToken);
  expect(text).not.toContain(env.sandbox.apiKey);
  const state = JSON.parse(text) as {
    checkpoint: { latest: { resources: { urn: string; type: string; inputs?: { __provider?: string } }[] } };
  };
  const users = state.checkpoint.latest.resources.filter((r) => r.type === "pulumi-nodejs:dynamic/travelperk:User");
  expect(users).toHaveLength(3);
  for (const user of users) {
    const bytes = Buffer.byteLength(JSON.stringify(user));
    const providerBytes = Buffer.byteLength(user.inputs?.__provider ?? "");
    console.log(
      `state bytes for ${String(user.urn.split("::").pop())}: ${String(bytes)} (__provider ${String(providerBytes)})`,
    );
    expect(bytes).toBeLessThanOrEqual(3072);
    expect(providerBytes).toBeLessThanOrEqual(400);
  }
});

test("9. changing only onDelete is an update with no request; with retain, a removed person stays active", async () => {
  const retained = team(ada, { ...alan, role: "travel_manager" }, { ...grace });
  const withRetain = await run("up", {
    people: retained.people.map((p) => (p.email === "grace@example.com" ? { ...p, onDelete: "retain" as const } : p)),
  });
  expect(
    userSteps(withRetain.steps)
      .filter((s) => s.op !== "same")
      .map((s) => `${s.op} ${s.name}`),
  ).toEqual(["update grace@example.com"]);
  expect(withRetain.requests).toEqual([]);

  const graceId = byEmail("grace@example.com").id;
  const removed = await run("up", team(ada, { ...alan, role: "travel_manager" }));
  expect(
    removed.requests.filter((r) => r.path.endsWith(`/users/${graceId}`) && r.method !== "GET").length,
  ).toBeLessThanOrEqual(1);
  expect(env.sandbox.getUser(graceId)?.is_active).toBe(true);
});

test("6. destroy with the plain CLI from a copy of the project in another folder", async () => {
  const copy = copyProject(env.dir, "tp-e2e-teammate-");
  env.sandbox.clearLog();
  await env.cli(["destroy", "--yes", "--stack", "dev"], copy);
  const users = env.sandbox.listUsers();
  expect(users.filter((u) => u.email !== "grace@example.com").every((u) => u.is_active === false)).toBe(true);
  expect(users).toHaveLength(3); // none deleted
  for (const group of env.sandbox.listGroups())
    expect(env.sandbox.groupMembers(group.id).filter((id) => id !== byEmail("grace@example.com").id)).toEqual([]);
  expect(users.filter((u) => u.email !== "grace@example.com").every((u) => u.travel_policy === null)).toBe(true);
  expect(env.sandbox.requests.some((r) => r.method === "DELETE" && /\/users\/[^/]+$/.test(r.path))).toBe(false);
});

test("8. a bad e-mail fails preview with the field's name, and sends no request", async () => {
  const stack = await env.stack(team({ ...ada, email: "ada-at-example.com" }), seededIds(env.sandbox), "bad");
  env.sandbox.clearLog();
  const error = (await stack.preview().catch((e: unknown) => e)) as Error;
  expect(error).toBeInstanceOf(Error);
  expect(error.message).toMatch(/email/);
  expect(error.message).toMatch(/valid e-mail address/);
  expect(env.sandbox.requests).toEqual([]);
});
