/**
 * The roster commands (`pulumi-travelperk preview|up|summarize|export`) as a team runs them: in a
 * Pulumi project folder, with the real CLI on PATH, stack config from Pulumi.<stack>.yaml, against
 * the sandbox. The steps build on each other.
 */
import * as fs from "fs";
import * as path from "path";
import type { PersonChange, RosterSummary } from "../provider/roster/summary";
import { startSandbox, type SandboxServer } from "../sandbox/server";
import { at } from "./helpers/at";
import { seededIds, makeProgramDir, PASSPHRASE } from "./helpers/e2e";
import { RosterProject, type Run } from "./helpers/roster-project";
import { requestLine, writes } from "./helpers/sandbox";

jest.setTimeout(240_000);
const ROOT = path.resolve(__dirname, "..");

let sandbox: SandboxServer;
let projects: RosterProject;
let backend: string;
let project: string;
const tp = (args: string[], cwd = project) => projects.tp(args, cwd);
const makeProject = (name: string, stack: string) => projects.create(name, stack);

beforeAll(async () => {
  sandbox = await startSandbox();
  projects = new RosterProject(sandbox);
  backend = projects.backend;
  project = await makeProject("company-roster", "dev");
  fs.copyFileSync(path.join(ROOT, "examples/roster/roster.yaml"), path.join(project, "roster.yaml"));
});
afterAll(async () => sandbox.stop());

const rosterText = () => fs.readFileSync(path.join(project, "roster.yaml"), "utf8");
const writeRoster = (text: string): void => {
  fs.writeFileSync(path.join(project, "roster.yaml"), text);
};
/** The one person a `--json` run's summary changes; nobody is added or offboarded. */
function onlyChange(run: Run): PersonChange {
  const { summary } = JSON.parse(run.stdout) as { summary: RosterSummary };
  expect(summary.added).toEqual([]);
  expect(summary.offboarded).toEqual([]);
  expect(summary.changed).toHaveLength(1);
  return at(summary.changed, 0);
}

test("--help and a usage error follow CLI conventions", async () => {
  const help = await tp(["--help"]);
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/preview.*\n.*up.*\n.*summarize.*\n.*export/s);
  expect((await tp(["preview", "--bogus"])).code).toBe(2);
});

test("up of the 30-person example roster creates everyone, managers first", async () => {
  sandbox.clearLog();
  const result = await tp(["up", "--stack", "dev", "--summary", "summary.md"]);
  expect(result.stderr).not.toContain(sandbox.accessToken);
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/30 added, 0 changed, 0 offboarded/);
  expect(fs.readFileSync(path.join(project, "summary.md"), "utf8")).toContain("sofia.martinez@example.com");
  const users = sandbox.listUsers();
  expect(users).toHaveLength(30);
  const byEmail = new Map(users.map((u) => [u.email, u]));
  expect(byEmail.get("jonas.weber@example.com")?.manager_id).toBe(byEmail.get("amara.okafor@example.com")?.id);
  expect(byEmail.get("ethan.clarke@example.com")?.travel_policy?.name).toBe("Sales Team");
  expect(byEmail.get("jonas.weber@example.com")?.travel_policy?.name).toBe("Standard");
  const requests = sandbox.requests;
  console.log(
    `30-person up: ${requests.length} requests, ${writes(requests).length} writes, ${requests.filter((r) => r.method === "GET").length} reads`,
  );
});

test("a no-op preview changes nothing and says so", async () => {
  sandbox.clearLog();
  const result = await tp(["preview", "--stack", "dev"]);
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/0 added, 0 changed, 0 offboarded/);
  expect(writes(sandbox.requests)).toEqual([]);
  console.log(`no-op preview: ${sandbox.requests.length} requests (${sandbox.requests.map(requestLine).join(", ")})`);
  expect(sandbox.requests.length).toBeLessThanOrEqual(2); // the policy and group lists, once each
});

test("reordering the file changes nothing", async () => {
  const original = rosterText();
  const [head, ...people] = original.split(/\n(?= {2}- email:)/);
  writeRoster(
    `${head}\n${[...people]
      .reverse()
      .map((p) => p.replace(/\n$/, ""))
      .join("\n")}\n`,
  );
  const result = await tp(["preview", "--stack", "dev"]);
  expect(result.stdout).toMatch(/0 added, 0 changed, 0 offboarded/);
  writeRoster(original);
});

test("a one-line edit yields a one-person summary", async () => {
  writeRoster(rosterText().replace(/(email: felix\.varga@example\.com[\s\S]*?costCenter: )OPS-110/, "$1OPS-120"));
  const result = await tp(["preview", "--stack", "dev", "--json"]);
  expect(result.code).toBe(0);
  expect(onlyChange(result)).toEqual(
    expect.objectContaining({
      email: "felix.varga@example.com",
      fields: [{ field: "costCenter", from: "OPS-110", to: "OPS-120" }],
    }),
  );
  const markdown = await tp(["up", "--stack", "dev"]);
  expect(markdown.stdout).toContain("costCenter: `OPS-110` → `OPS-120`");
  expect(sandbox.findUserByEmail("felix.varga@example.com")?.cost_center).toBe("OPS-120");
});

test("a new key for the same person is one change, and the account stays active", async () => {
  const before = sandbox.findUserByEmail("felix.varga@example.com")!;
  writeRoster(
    rosterText().replace(
      "  - email: felix.varga@example.com\n",
      "  - email: felix.varga@example.com\n    key: felix\n",
    ),
  );
  const preview = await tp(["preview", "--stack", "dev", "--json", "--max-offboard", "0"]);
  expect(preview.code).toBe(0); // not an offboarding: the guard passes
  expect(onlyChange(preview)).toEqual(
    expect.objectContaining({
      email: "felix.varga@example.com",
      fields: [{ field: "key", from: "felix.varga@example.com", to: "felix" }],
      joins: [],
      leaves: [],
    }),
  );
  const up = await tp(["up", "--stack", "dev"]);
  expect(up.code).toBe(0);
  const after = sandbox.findUserByEmail("felix.varga@example.com")!;
  expect(after.id).toBe(before.id);
  expect(after.is_active).toBe(true);
  expect(after.travel_policy).toEqual(before.travel_policy);
  expect(sandbox.groupMembers(sandbox.listGroups().find((g) => g.name === "Operations")!.id)).toContain(before.id);
});

test("the guard trips on a mass removal, names the people and blocks up", async () => {
  const original = rosterText();
  const people = original.split(/\n(?= {2}- email:)/);
  const removed = people.slice(-6).map((p) => /email: (\S+)/.exec(p)![1]);
  writeRoster(`${people.slice(0, -6).join("\n")}\n`);
  sandbox.clearLog();
  const result = await tp(["up", "--stack", "dev", "--max-offboard", "10%"]);
  expect(result.code).toBe(3);
  expect(result.stdout).toMatch(/Offboarding guard tripped:\*\* 6 people would be offboarded; the limit is 3/);
  for (const email of removed) expect(result.stdout).toContain(email);
  expect(writes(sandbox.requests)).toEqual([]);
  expect(sandbox.listUsers().every((u) => u.is_active !== false)).toBe(true);
  writeRoster(original);
});

test("a broken roster fails with file:line:field and sends no write", async () => {
  const original = rosterText();
  const lines = original.split("\n");
  const line = lines.findIndex((l) => l.includes("email: hana.suzuki@example.com")) + 1;
  writeRoster(
    original
      .replace("email: hana.suzuki@example.com", "email: hana.suzuki.example.com")
      .replace("groups: [Engineering]", "groups: [Enginering]"),
  );
  sandbox.clearLog();
  const result = await tp(["up", "--stack", "dev"]);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(`roster.yaml:${line} people[6].email: must be a valid e-mail address`);
  expect(writes(sandbox.requests)).toEqual([]);
  writeRoster(original);
});

test("export, then up in a new project adopts everyone and changes nobody", async () => {
  const exported = await tp(["export", "--stack", "dev"]);
  expect(exported.code).toBe(0);
  expect(exported.stdout).toContain("adoptExisting: true");
  expect(exported.stdout).toContain("travelPolicy: Sales Team");
  expect(exported.stdout).toContain("manager: amara.okafor@example.com");
  const other = await makeProject("adopted-roster", "prod");
  fs.writeFileSync(path.join(other, "roster.yaml"), exported.stdout);
  const before = JSON.stringify(sandbox.state());
  sandbox.clearLog();
  const result = await tp(["up", "--stack", "prod"], other);
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/30 added/);
  expect(JSON.stringify(sandbox.state())).toBe(before);
  const w = writes(sandbox.requests);
  const kinds = new Map<string, number>();
  for (const r of w)
    kinds.set(
      `${r.method} ${r.path.replace(/\/(usr|grp|pol)?[\w-]{8,}/g, "/{id}")} ${r.status}`,
      (kinds.get(`${r.method} ${r.path.replace(/\/(usr|grp|pol)?[\w-]{8,}/g, "/{id}")} ${r.status}`) ?? 0) + 1,
    );
  console.log(`export→up: ${sandbox.requests.length} requests; writes: ${JSON.stringify(Object.fromEntries(kinds))}`);
  // Adoption needs: a POST per person (422: exists), a membership POST (409: already a member); no user field changes.
  expect(w.filter((r) => r.method === "POST" && r.path.endsWith("/users")).every((r) => r.status === 422)).toBe(true);
  expect(w.filter((r) => r.method === "DELETE")).toEqual([]);
});

test("summarize works from a real engine event log and from pulumi preview --json", async () => {
  // A team's own program (not a Roster), previewed with the engine's events written as an event log.
  const dir = makeProgramDir("tp-summarize");
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the runner as installed in the program folder
  const runner = require(
    require.resolve("pulumi-travelperk/runner", { paths: [dir] }),
  ) as typeof import("../provider/runner");
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the example program copied into the program folder
  const { teamProgram } = require(path.join(dir, "program.js")) as typeof import("../examples/team/program");
  const open = (people: import("../examples/team/team").TeamMember[]) =>
    runner.openStack({
      projectName: "team",
      stackName: "dev",
      workDir: dir,
      backendUrl: `file://${backend}`,
      passphrase: PASSPHRASE,
      pulumiRoot: process.env.PULUMI_CLI_ROOT,
      program: teamProgram({ people }, seededIds(sandbox)),
      config: {
        "travelperk:apiUrl": { value: sandbox.apiUrl },
        "travelperk:accessToken": { value: sandbox.accessToken, secret: true },
      },
    });
  const team = [
    { email: "t1@example.com", firstName: "T", lastName: "One", groups: ["Sales"], policy: "Standard" },
    { email: "t2@example.com", firstName: "T", lastName: "Two", groups: ["Sales"], policy: "Standard" },
  ];
  await (await open(team)).up();
  const events: unknown[] = [];
  await (await open([{ ...at(team, 0), role: "travel_manager" }])).preview({ onEvent: (e) => events.push(e) });
  const log = path.join(dir, "events.jsonl");
  fs.writeFileSync(log, events.map((e) => JSON.stringify(e)).join("\n"));

  const fromLog = await tp(["summarize", "--event-log", log, "--max-offboard", "0"], dir);
  expect(fromLog.code).toBe(3);
  expect(fromLog.stdout).toMatch(/0 added, 1 changed, 1 offboarded/);
  expect(fromLog.stdout).toContain("role: `traveler` → `travel_manager`");
  expect(fromLog.stdout).toMatch(/\*\*t2@example\.com\*\* — deactivated/);

  const fromJson = await tp(["summarize", "--preview-json", path.join(ROOT, "test/fixtures/preview.json")], dir);
  expect(fromJson.code).toBe(0);
  expect(fromJson.stdout).toMatch(/1 added, 1 changed, 1 offboarded/);
  expect(fromJson.stdout).toContain("costCenter: `ENG` → `SALES`");
  expect(fromJson.stdout).toContain("joins grp_sales"); // a program of its own names memberships freely: the id is shown

  // The roster commands refuse a stack that holds resources outside the roster.
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8"));
  fs.writeFileSync(path.join(dir, "roster.yaml"), "people: []\n");
  const refused = await tp(["preview", "--stack", "dev"], dir);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/outside the Roster "roster"[\s\S]*travelperk:User::t1@example\.com/);
});
