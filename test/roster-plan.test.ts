/**
 * What was reviewed is what is applied: `preview --save-plan FILE` then `up --plan FILE` through the
 * installed CLI under the real Pulumi CLI, against the sandbox, with the 30-person example roster.
 * A plan that went stale (another change merged, TravelPerk changed since the review) applies
 * nothing, exits 3 and says what differs.
 */
import * as fs from "fs";
import * as path from "path";
import { startSandbox, type SandboxServer } from "../sandbox/server";
import type { RosterPlan } from "../provider/roster/plan";
import { RosterProject } from "./helpers/roster-project";
import { writes } from "./helpers/sandbox";

jest.setTimeout(300_000);
const ROOT = path.resolve(__dirname, "..");

let sandbox: SandboxServer;
let projects: RosterProject;
let project: string;
const tp = (args: string[]) => projects.tp(args, project);
const rosterFile = () => path.join(project, "roster.yaml");
const editRoster = (from: string, to: string) => {
  const text = fs.readFileSync(rosterFile(), "utf8");
  expect(text).toContain(from);
  fs.writeFileSync(rosterFile(), text.replace(from, to));
};
const readPlan = (file: string) => JSON.parse(fs.readFileSync(path.join(project, file), "utf8")) as RosterPlan;
const apiWrites = () => writes(sandbox.requests);

beforeAll(async () => {
  sandbox = await startSandbox();
  projects = new RosterProject(sandbox);
  project = await projects.create("plan-roster", "dev");
  fs.copyFileSync(path.join(ROOT, "examples/roster/roster.yaml"), rosterFile());
});
afterAll(async () => sandbox.stop());

test("a saved plan of the first up records every change and the roster's hash; up --plan applies it", async () => {
  sandbox.clearLog();
  const preview = await tp(["preview", "--stack", "dev", "--save-plan", "plan.json"]);
  expect(preview.code).toBe(0);
  expect(apiWrites()).toEqual([]);
  console.log(`30-person preview --save-plan (30 to add): ${String(sandbox.requests.length)} requests`);
  const plan = readPlan("plan.json");
  expect(plan.rosterHash).toMatch(/^[0-9a-f]{64}$/);
  expect(plan.stack).toBe("dev");
  const userCreates = plan.changes.filter((c) => c.op === "create" && c.type.endsWith("travelperk:User"));
  expect(userCreates).toHaveLength(30);
  const sofia = userCreates.find((c) => c.email === "sofia.martinez@example.com")!;
  expect(sofia.fields).toContainEqual({ field: "role", from: null, to: "company_admin" });

  sandbox.clearLog();
  const up = await tp(["up", "--stack", "dev", "--plan", "plan.json", "--json"]);
  expect(up.code).toBe(0);
  const result = JSON.parse(up.stdout) as { applied: boolean; plan: { agreed: boolean } };
  expect(result).toMatchObject({ applied: true, plan: { agreed: true } });
  expect(sandbox.listUsers()).toHaveLength(30);
  console.log(
    `30-person up --plan: ${String(sandbox.requests.length)} requests (${String(apiWrites().length)} writes)`,
  );
});

test("another change merged after the review: exit 3, nothing written, the roster and the extra change named", async () => {
  editRoster("costCenter: ENG-200", "costCenter: ENG-201"); // the reviewed change (first ENG-200 person)
  const reviewed = await tp(["preview", "--stack", "dev", "--save-plan", "reviewed.json"]);
  expect(reviewed.code).toBe(0);
  const changes = readPlan("reviewed.json").changes;
  expect(changes).toHaveLength(1);
  expect(changes[0]).toMatchObject({ op: "update", fields: [{ field: "costCenter", from: "ENG-200", to: "ENG-201" }] });

  editRoster("lastName: Weber", "lastName: Weber-Schmidt"); // merged by someone else, never reviewed
  sandbox.clearLog();
  const up = await tp(["up", "--stack", "dev", "--plan", "reviewed.json"]);
  expect(up.code).toBe(3);
  expect(apiWrites()).toEqual([]);
  expect(up.stdout).toMatch(/Plan mismatch/);
  expect(up.stdout).toMatch(/roster file differs from the reviewed one/);
  expect(up.stdout).toMatch(/jonas\.weber@example\.com.*lastName "Weber" → "Weber-Schmidt"/);
  expect(up.stdout).toMatch(/NOT applied/);
});

test("TravelPerk changed since the review (found by --refresh): exit 3 with the difference; a fresh review applies", async () => {
  const saved = await tp(["preview", "--stack", "dev", "--refresh", "--save-plan", "fresh.json"]);
  expect(saved.code).toBe(0);
  // Someone edits a person in TravelPerk after the review.
  const amara = sandbox.findUserByEmail("amara.okafor@example.com")!;
  sandbox.updateUser(amara.id, { last_name: "Changed-In-TravelPerk" });
  sandbox.clearLog();
  const up = await tp(["up", "--stack", "dev", "--refresh", "--plan", "fresh.json"]);
  expect(up.code).toBe(3);
  expect(apiWrites()).toEqual([]);
  expect(up.stdout).toMatch(/amara\.okafor@example\.com/);
  expect(up.stdout).toMatch(/TravelPerk or the stack changed since the review/);

  // Reviewed again, the plan applies: both roster edits and the revert of the drift.
  expect((await tp(["preview", "--stack", "dev", "--refresh", "--save-plan", "again.json"])).code).toBe(0);
  const again = await tp(["up", "--stack", "dev", "--refresh", "--plan", "again.json"]);
  expect(again.code).toBe(0);
  expect(sandbox.findUserByEmail("amara.okafor@example.com")?.last_name).toBe("Okafor");
  expect(sandbox.findUserByEmail("jonas.weber@example.com")?.last_name).toBe("Weber-Schmidt");
});

test("a file that is not a plan, or --plan on preview: refused before anything runs", async () => {
  fs.writeFileSync(path.join(project, "not-a-plan.json"), '{"hello": 1}\n');
  sandbox.clearLog();
  const bad = await tp(["up", "--stack", "dev", "--plan", "not-a-plan.json"]);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toMatch(/not-a-plan\.json: is not a plan written by `pulumi-travelperk preview --save-plan`/);
  expect(sandbox.requests).toEqual([]);
  const wrong = await tp(["preview", "--stack", "dev", "--plan", "plan.json"]);
  expect(wrong.code).toBe(2);
});
