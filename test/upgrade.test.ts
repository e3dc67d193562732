/**
 * Upgrade compatibility: every release saved the state it writes as a fixture (test/fixtures/upgrade/
 * v<version>/, made by `npm run upgrade-fixture`). Each fixture is imported into a new stack with the
 * current package installed, against a sandbox holding the same users, and must behave like a stack
 * this version wrote itself: a preview changes nothing, a refresh works, an edit updates exactly one
 * person, and destroy deactivates everyone.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { startSandbox, type SandboxServer } from "../sandbox/server";
import type { SandboxUser } from "../sandbox/store";
import { FIXTURE_PASSPHRASE } from "../scripts/upgrade-fixture";
import { at } from "./helpers/at";
import { RosterProject, type Run } from "./helpers/roster-project";
import { requestLine, writes } from "./helpers/sandbox";

jest.setTimeout(300_000);
const ROOT = path.resolve(__dirname, "..");
const FIXTURES = path.join(ROOT, "test/fixtures/upgrade");

/** The fixture folders, oldest first. */
const versions = fs
  .readdirSync(FIXTURES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && /^v\d+\.\d+\.\d+/.test(entry.name))
  .map((entry) => entry.name)
  .sort((a, b) => a.localeCompare(b, "en", { numeric: true }));

/** The entry point each dynamic resource type's serialized provider must require. */
const ENTRY_OF: Record<string, string> = {
  "pulumi-nodejs:dynamic/travelperk:User": "user",
  "pulumi-nodejs:dynamic/travelperk:GroupMembership": "group-membership",
  "pulumi-nodejs:dynamic/travelperk:PolicyAssignment": "policy-assignment",
};

interface StateResource {
  urn: string;
  type: string;
  id?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}
type Deployment = { deployment: { resources?: StateResource[] } };

/** Every project command runs with the fixtures' passphrase: the import decrypts the saved secrets with it. */
class FixtureProject extends RosterProject {
  override env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return super.env({ PULUMI_CONFIG_PASSPHRASE: FIXTURE_PASSPHRASE, ...extra });
  }
}

type Summary = { added: unknown[]; changed: { email: string; fields: unknown[] }[]; offboarded: unknown[] };

function summaryOf(run: Run): Summary {
  if (run.code !== 0) throw new Error(`exit ${String(run.code)}\n${run.stderr}\n${run.stdout}`);
  return (JSON.parse(run.stdout) as { summary: Summary }).summary;
}

/** The stack and project names of a saved state: URNs are urn:pulumi:<stack>::<project>::…. */
function stackAndProject(resources: StateResource[], version: string): [string, string] {
  const [stack, project] = (resources[0]?.urn ?? "").replace(/^urn:pulumi:/, "").split("::");
  if (!stack || !project) throw new Error(`${version}: the fixture's first URN names no stack and project`);
  return [stack, project];
}

/** The engine's own count line ("Resources: N unchanged", "~ 1 to update", …) from the progress output. */
function engineCounts(output: string): string {
  const blocks = output.split(/^Resources:\n/m);
  const last = blocks[blocks.length - 1] ?? "";
  return last
    .split("\n")
    .filter((line) => /^\s+\S/.test(line))
    .map((line) => line.trim())
    .join(", ");
}

/** What differs between two sandbox snapshots' users, as `email: field` lines. */
function userChanges(before: SandboxUser[], after: SandboxUser[]): string[] {
  const old = new Map(before.map((u) => [u.id, u]));
  const changes: string[] = [];
  for (const user of after) {
    const was = old.get(user.id);
    if (!was) {
      changes.push(`${user.email}: new user`);
      continue;
    }
    const keys = new Set([...Object.keys(was), ...Object.keys(user)]) as Set<keyof SandboxUser>;
    for (const key of keys)
      if (JSON.stringify(was[key]) !== JSON.stringify(user[key])) changes.push(`${user.email}: ${key}`);
  }
  return changes.sort();
}

test("every release in CHANGELOG.md has an upgrade fixture", () => {
  const released = [...fs.readFileSync(path.join(ROOT, "CHANGELOG.md"), "utf8").matchAll(/^## \[(\d+\.\d+\.\d+)\]/gm)];
  expect(released.length).toBeGreaterThan(0);
  for (const [, version] of released) expect(versions).toContain(`v${version}`);
});

describe.each(versions)("state written by %s", (version) => {
  const fixture = path.join(FIXTURES, version);
  const saved = JSON.parse(fs.readFileSync(path.join(fixture, "stack.json"), "utf8")) as Deployment;
  const savedResources = saved.deployment.resources ?? [];
  // The import refuses a stack or project of another name than the URNs'.
  const [stackName, projectName] = stackAndProject(savedResources, version);
  let work: string;
  let sandbox: SandboxServer;
  let projects: FixtureProject;
  let dir: string;
  const tp = (args: string[]) => projects.tp([...args, "--stack", stackName], dir);
  const rosterFile = () => path.join(dir, "roster.yaml");

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "tp-upgrade-"));
    fs.copyFileSync(path.join(fixture, "sandbox.json"), path.join(work, "sandbox.json"));
    sandbox = await startSandbox({ persistFile: path.join(work, "sandbox.json") }); // fresh credentials
    projects = new FixtureProject(sandbox);
    dir = await projects.create(projectName, stackName); // apiUrl and the new token (--secret)
    const imported = await projects.pulumi(
      ["stack", "import", "--stack", stackName, "--file", path.join(fixture, "stack.json")],
      dir,
    );
    if (imported.code !== 0) throw new Error(`pulumi stack import: ${imported.stderr}`);
    fs.copyFileSync(path.join(fixture, "roster.yaml"), rosterFile());
  });
  afterAll(async () => {
    await sandbox.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  test("the fixture and the imported state require the stable entry points, and match the sandbox", async () => {
    const exported = await projects.pulumi(["stack", "export", "--stack", stackName], dir);
    expect(exported.code).toBe(0);
    const imported = (JSON.parse(exported.stdout) as Deployment).deployment.resources ?? [];
    expect(imported.map((r) => r.urn)).toEqual(savedResources.map((r) => r.urn));
    for (const resources of [savedResources, imported]) {
      const dynamic = resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"));
      expect(dynamic.length).toBeGreaterThan(0);
      for (const r of dynamic) {
        expect(Object.keys(ENTRY_OF)).toContain(r.type);
        for (const props of [r.inputs, r.outputs]) {
          const provider = String(props?.__provider);
          expect(provider).toContain(`require("pulumi-travelperk/entry/${ENTRY_OF[r.type]}")`);
          expect(provider.length).toBeLessThan(1000); // a reference, no code of ours
        }
      }
    }
    // The state's users are the sandbox's users (the fixture's sandbox.json belongs to its stack.json).
    const users = imported.filter((r) => r.type === "pulumi-nodejs:dynamic/travelperk:User");
    const byEmail = new Map(sandbox.listUsers().map((u) => [u.email, u.id]));
    expect(users.map((u) => [u.outputs?.email, u.id])).toEqual(
      users.map((u) => [u.outputs?.email, byEmail.get(String(u.outputs?.email))]),
    );
    expect(users).toHaveLength(sandbox.listUsers().length);
  });

  test("preview shows no change and sends no write", async () => {
    sandbox.clearLog();
    const run = await tp(["preview", "--json"]);
    const summary = summaryOf(run);
    expect(summary.added).toEqual([]);
    expect(summary.changed).toEqual([]);
    expect(summary.offboarded).toEqual([]);
    console.log(
      `${version} preview: engine ${engineCounts(run.stderr)}; requests ${sandbox.requests.map(requestLine).join(", ")}`,
    );
    expect(engineCounts(run.stderr)).toMatch(/^\d+ unchanged$/); // no step at all, providers included
    expect(writes(sandbox.requests)).toEqual([]);
    expect(sandbox.requests.every((r) => r.status === 200 && r.credential === "bearer")).toBe(true);
  });

  test("the first up of this version sends no write and records the new config in the default provider", async () => {
    // Refresh and destroy configure providers from the state, not from the stack config: right after the
    // import the default provider still holds the fixture run's apiUrl and (encrypted) token, so a refresh
    // would call that long-gone sandbox. The first `up` stores the current config, as it does for anyone
    // who changes apiUrl or rotates the token. (`--run-program` would refresh with the program's config.)
    const providerUrl = async () => {
      const exported = await projects.pulumi(["stack", "export", "--stack", stackName], dir);
      const resources = (JSON.parse(exported.stdout) as Deployment).deployment.resources ?? [];
      return resources.find((r) => r.type === "pulumi:providers:pulumi-nodejs")?.inputs?.["travelperk:apiUrl"];
    };
    const fixtureUrl = savedResources.find((r) => r.type === "pulumi:providers:pulumi-nodejs")?.inputs?.[
      "travelperk:apiUrl"
    ];
    expect(await providerUrl()).toBe(fixtureUrl);
    sandbox.clearLog();
    const run = await tp(["up", "--json"]);
    const summary = summaryOf(run);
    console.log(`${version} first up: engine ${engineCounts(run.stderr)}; ${String(sandbox.requests.length)} requests`);
    expect([summary.added, summary.changed, summary.offboarded]).toEqual([[], [], []]);
    expect(engineCounts(run.stderr)).toMatch(/^\d+ unchanged$/);
    expect(writes(sandbox.requests)).toEqual([]);
    expect(await providerUrl()).toBe(sandbox.apiUrl);
  });

  test("preview --refresh reads TravelPerk, finds no drift and sends no write", async () => {
    sandbox.clearLog();
    const run = await tp(["preview", "--refresh", "--json"]);
    const summary = summaryOf(run);
    expect([summary.added, summary.changed, summary.offboarded]).toEqual([[], [], []]);
    expect(engineCounts(run.stderr)).toMatch(/^\d+ unchanged$/);
    expect(writes(sandbox.requests)).toEqual([]);
    expect(sandbox.requests.some((r) => r.method === "GET" && r.path.endsWith("/users"))).toBe(true);
    console.log(
      `${version} preview --refresh: engine ${engineCounts(run.stderr)}; ${String(sandbox.requests.length)} requests`,
    );
  });

  test("an edit of one person updates exactly that person, with one PATCH", async () => {
    const doc = YAML.parseDocument(fs.readFileSync(rosterFile(), "utf8"));
    const people = doc.get("people") as YAML.YAMLSeq<YAML.YAMLMap<string, string | undefined>>;
    const person = at(people.items, 1); // the second person: someone's report, not the root of the tree
    const email = person.get("email")!;
    const role = person.get("role") === "company_admin" ? "travel_manager" : "company_admin";
    const costCenter = `${person.get("costCenter") ?? "UPG"}-UPGRADED`;
    person.set("role", role);
    person.set("costCenter", costCenter);
    fs.writeFileSync(rosterFile(), doc.toString());

    const before = sandbox.listUsers();
    sandbox.clearLog();
    const run = await tp(["up", "--json"]);
    const summary = summaryOf(run);
    console.log(
      `${version} up: engine ${engineCounts(run.stderr)}; writes ${writes(sandbox.requests).map(requestLine).join(", ")}`,
    );
    expect(summary.added).toEqual([]);
    expect(summary.offboarded).toEqual([]);
    expect(summary.changed.map((c) => c.email)).toEqual([email]);
    expect(engineCounts(run.stderr)).toMatch(/^~ 1 updated, \d+ unchanged$/);
    const id = before.find((u) => u.email === email)!.id;
    expect(writes(sandbox.requests).map((r) => `${requestLine(r)} ${String(r.status)}`)).toEqual([
      `PATCH /users/${id} 200`,
    ]);
    expect(userChanges(before, sandbox.listUsers())).toEqual([`${email}: cost_center`, `${email}: role`]);
    expect(sandbox.getUser(id)).toMatchObject({ role, cost_center: costCenter });

    // The state this version wrote over the old one is settled too.
    sandbox.clearLog();
    const again = summaryOf(await tp(["preview", "--json"]));
    expect([again.added, again.changed, again.offboarded]).toEqual([[], [], []]);
    expect(writes(sandbox.requests)).toEqual([]);
  });

  test("destroy with the plain CLI deactivates everyone, deletes nobody, removes memberships and policies", async () => {
    const before = sandbox.listUsers();
    expect(before.every((u) => u.is_active !== false && u.travel_policy != null)).toBe(true);
    expect(sandbox.listGroups().flatMap((g) => sandbox.groupMembers(g.id))).toHaveLength(before.length);
    sandbox.clearLog();
    const run = await projects.pulumi(["destroy", "--yes", "--stack", stackName], dir);
    if (run.code !== 0) throw new Error(`pulumi destroy: ${run.stderr}\n${run.stdout}`);
    const after = sandbox.listUsers();
    expect(after.map((u) => u.id).sort()).toEqual(before.map((u) => u.id).sort());
    expect(after.filter((u) => u.is_active !== false)).toEqual([]);
    expect(after.filter((u) => u.travel_policy != null)).toEqual([]);
    for (const group of sandbox.listGroups()) expect(sandbox.groupMembers(group.id)).toEqual([]);
    expect(sandbox.requests.filter((r) => r.method === "DELETE" && /\/users\/[^/]+$/.test(r.path))).toEqual([]);
    const left = await projects.pulumi(["stack", "export", "--stack", stackName], dir);
    expect((JSON.parse(left.stdout) as Deployment).deployment.resources ?? []).toEqual([]);
  });
});
