/**
 * examples/idp-coexistence end to end, the way test/e2e.test.ts runs programs: the real Pulumi CLI
 * (Automation API, inline program, local file backend), the package installed as users install it, and
 * a fresh sandbox. The accounts are made over SCIM, as an identity provider makes them; the program
 * only looks them up and manages their travel policies and groups. The steps build on each other.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import type * as automation from "@pulumi/pulumi/automation";
import type * as Runner from "../provider/runner";
import type { StepEvent } from "../provider/runner";
import type { TravelAssignment } from "../examples/idp-coexistence/people";
import { startSandbox, type LoggedRequest, type SandboxServer, type SandboxUser } from "../sandbox/server";
import { entry } from "./helpers/at";
import { PASSPHRASE } from "./helpers/e2e";
import { requestLine, writes } from "./helpers/sandbox";

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, "..");
const PROJECT = "tp-idp";

/** A program folder: an example's compiled files beside a node_modules with the packed package. */
function makeExampleDir(prefix: string, example = "idp-coexistence"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  fs.symlinkSync(path.join(process.env.TP_TEST_PROGRAM!, "node_modules"), path.join(dir, "node_modules"));
  const built = path.join(ROOT, "dist/examples", example);
  for (const file of fs.readdirSync(built).filter((f) => f.endsWith(".js")))
    fs.copyFileSync(path.join(built, file), path.join(dir, file));
  return dir;
}

let sandbox: SandboxServer;
let dir: string;
let backendDir: string;
let runner: typeof Runner;
let programModule: typeof import("../examples/idp-coexistence/program");

beforeAll(async () => {
  sandbox = await startSandbox();
  dir = makeExampleDir("tp-idp");
  backendDir = fs.mkdtempSync(path.join(os.tmpdir(), "tp-idp-state-"));
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program folder's installed copy
  runner = require(require.resolve("pulumi-travelperk/runner", { paths: [dir] })) as typeof Runner;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the compiled example, as the program folder holds it
  programModule = require(path.join(dir, "program.js")) as typeof import("../examples/idp-coexistence/program");
}, 120_000);
afterAll(async () => {
  await sandbox.stop();
});

function openStack(assignments: TravelAssignment[], stackName = "dev"): Promise<automation.Stack> {
  return runner.openStack({
    projectName: PROJECT,
    stackName,
    program: programModule.idpProgram(assignments),
    workDir: dir,
    backendUrl: `file://${backendDir}`,
    passphrase: PASSPHRASE,
    pulumiRoot: process.env.PULUMI_CLI_ROOT!,
    config: {
      "travelperk:apiUrl": { value: sandbox.apiUrl },
      "travelperk:accessToken": { value: sandbox.accessToken, secret: true },
      "travelperk:retryBaseDelayMs": { value: "20" },
    },
  });
}

async function run(kind: "preview" | "up" | "destroy", assignments: TravelAssignment[]) {
  const stack = await openStack(assignments);
  const collector = runner.stepCollector();
  sandbox.clearLog();
  const options = { onEvent: collector.onEvent };
  const result =
    kind === "preview"
      ? await stack.preview(options)
      : kind === "up"
        ? await stack.up(options)
        : await stack.destroy(options);
  return { result, steps: collector.steps, requests: [...sandbox.requests] };
}

// ---- SCIM, as the identity provider speaks it ----
async function scim(method: string, subPath: string, body: unknown): Promise<{ status: number; id: string }> {
  const response = await fetch(`${sandbox.scimUrl}${subPath}`, {
    method,
    headers: { authorization: `Bearer ${sandbox.scimToken}`, "content-type": "application/scim+json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, id: ((await response.json()) as { id: string }).id };
}
const scimCreate = (userName: string, givenName: string, familyName: string) =>
  scim("POST", "/Users", {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
    userName,
    name: { givenName, familyName },
    active: true,
  });
const scimDeactivate = (id: string) =>
  scim("PATCH", `/Users/${id}`, {
    schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    Operations: [{ op: "replace", path: "active", value: false }],
  });

// ---- the people ----
const ada: TravelAssignment = { email: "ada@example.com", policy: "Executive", groups: ["Engineering"] };
const alan: TravelAssignment = { email: "alan@example.com", policy: "Standard", groups: ["Engineering", "Sales"] };
// Names as people type them: lookups are case-insensitive.
const grace: TravelAssignment = { email: "Grace@Example.com", policy: "standard", groups: ["sales", "Operations"] };
const PEOPLE = [ada, alan, grace];

const TYPES = {
  user: "pulumi-nodejs:dynamic/travelperk:User",
  policy: "pulumi-nodejs:dynamic/travelperk:PolicyAssignment",
  membership: "pulumi-nodejs:dynamic/travelperk:GroupMembership",
};
const ours = (steps: StepEvent[]) => steps.filter((s) => s.type.includes(":dynamic/travelperk:"));
const count = (steps: StepEvent[], op: string, type: string) =>
  steps.filter((s) => s.op === op && s.type === type).length;
const byEmail = (email: string) => sandbox.findUserByEmail(email)!;
const groupId = (name: string) => sandbox.listGroups().find((g) => g.name === name)!.id;
const membersOf = (name: string) => sandbox.groupMembers(groupId(name)).sort();
const withoutPolicy = ({ travel_policy: _policy, ...rest }: SandboxUser) => rest;
/** Every account as it is, minus the one field the program owns. */
const accountsApartFromPolicy = () => sandbox.listUsers().map(withoutPolicy);

const ids: Record<string, string> = {};
let seeded: ReturnType<typeof accountsApartFromPolicy>;

test("1. the IdP provisions four accounts over SCIM (one of them not in the program)", async () => {
  for (const [email, given, family] of [
    ["ada@example.com", "Ada", "Lovelace"],
    ["alan@example.com", "Alan", "Turing"],
    ["grace@example.com", "Grace", "Hopper"],
    ["bystander@example.com", "Barbara", "Liskov"],
  ] as const) {
    const created = await scimCreate(email, given, family);
    expect(created.status).toBe(201);
    ids[email] = created.id;
  }
  expect(sandbox.requests.every((r) => r.credential === "scim")).toBe(true);
  expect(sandbox.listUsers().map((u) => [u.email, u.is_active, u.travel_policy ?? null])).toEqual([
    ["ada@example.com", true, null],
    ["alan@example.com", true, null],
    ["grace@example.com", true, null],
    ["bystander@example.com", true, null],
  ]);
  seeded = accountsApartFromPolicy();
});

test("2. preview plans policies and memberships only, no User, and sends nothing but lookups", async () => {
  const { steps, requests } = await run("preview", PEOPLE);
  expect(ours(steps).filter((s) => s.type === TYPES.user)).toEqual([]);
  expect(count(steps, "create", TYPES.policy)).toBe(3);
  expect(count(steps, "create", TYPES.membership)).toBe(5);
  expect(ours(steps).every((s) => s.op === "create")).toBe(true);
  expect(writes(requests)).toEqual([]);
});

test("3. up assigns each policy and group; no account is created, and none changes apart from travel_policy", async () => {
  const { result, steps, requests } = await run("up", PEOPLE);
  expect(count(steps, "create", TYPES.policy) + count(steps, "create", TYPES.membership)).toBe(8);
  expect(ours(steps).filter((s) => s.type === TYPES.user)).toEqual([]);
  // The program's output: the accounts the IdP made, by e-mail as listed.
  expect(entry((result as automation.UpResult).outputs, "users").value).toEqual({
    "ada@example.com": ids["ada@example.com"],
    "alan@example.com": ids["alan@example.com"],
    "Grace@Example.com": ids["grace@example.com"],
  });

  expect(byEmail("ada@example.com").travel_policy?.name).toBe("Executive");
  expect(byEmail("alan@example.com").travel_policy?.name).toBe("Standard");
  expect(byEmail("grace@example.com").travel_policy?.name).toBe("Standard");
  expect(byEmail("bystander@example.com").travel_policy ?? null).toBeNull();
  expect(membersOf("Engineering")).toEqual([ids["ada@example.com"], ids["alan@example.com"]].sort());
  expect(membersOf("Sales")).toEqual([ids["alan@example.com"], ids["grace@example.com"]].sort());
  expect(membersOf("Operations")).toEqual([ids["grace@example.com"]]);
  expect(membersOf("Marketing")).toEqual([]);

  expect(accountsApartFromPolicy()).toEqual(seeded);
  const written = writes(requests).map(requestLine);
  expect(written.filter((line) => line.startsWith("POST /users"))).toEqual([]);
  expect(written.filter((line) => line.startsWith("PATCH")).sort()).toEqual(
    ["ada@example.com", "alan@example.com", "grace@example.com"].map((e) => `PATCH /users/${ids[e]}`).sort(),
  );
  expect(
    written.filter((line) => !line.startsWith("PATCH")).every((l) => /^POST \/groups\/[^/]+\/members$/.test(l)),
  ).toBe(true);
  console.log(`idp up: ${String(requests.length)} requests: ${requests.map(requestLine).join(", ")}`);
});

test("4. a second preview is all `same` and sends only the lookup GETs, one per list", async () => {
  const { steps, requests } = await run("preview", PEOPLE);
  expect(new Set(steps.map((s) => s.op))).toEqual(new Set(["same"]));
  const lines = requests.map(requestLine);
  expect(lines.every((line) => ["GET /users", "GET /travel_policies", "GET /groups"].includes(line))).toBe(true);
  expect(new Set(lines).size).toBe(lines.length); // at most one request per list
  console.log(`idp second preview: ${lines.join(", ")}`);
});

test("5. the IdP deactivates a leaver: up releases their policy and groups, and leaves the account deactivated", async () => {
  expect((await scimDeactivate(entry(ids, "grace@example.com"))).status).toBe(200);
  const afterIdp = accountsApartFromPolicy();

  const preview = await run("preview", PEOPLE);
  expect(
    ours(preview.steps)
      .filter((s) => s.op !== "same")
      .map((s) => `${s.op} ${s.name}`)
      .sort(),
  ).toEqual(
    [
      `delete ${ids["grace@example.com"]}/policy`,
      `delete ${ids["grace@example.com"]}/group/${groupId("Sales")}`,
      `delete ${ids["grace@example.com"]}/group/${groupId("Operations")}`,
    ].sort(),
  );
  expect(preview.result.stderr + preview.result.stdout).toMatch(/Grace@Example.com is deactivated/);

  await run("up", PEOPLE);
  expect(byEmail("grace@example.com")).toMatchObject({ is_active: false, travel_policy: null });
  expect(membersOf("Sales")).toEqual([ids["alan@example.com"]]);
  expect(membersOf("Operations")).toEqual([]);
  expect(byEmail("alan@example.com").travel_policy?.name).toBe("Standard");
  expect(accountsApartFromPolicy()).toEqual(afterIdp);
});

/**
 * Runs `up` of the program for `assignments` in a child Node.js process, as a user's own script would.
 * A program that throws leaves rejected promises inside the Pulumi SDK besides the error the run reports;
 * in a plain Node process the SDK's own handler reports them, under jest they would fail the test file.
 */
async function upInChildProcess(assignments: TravelAssignment[]): Promise<{ error?: string }> {
  const script = `
    const path = require("path");
    const [dir, backend, root, passphrase, apiUrl, token, assignments] = process.argv.slice(1);
    const runner = require(require.resolve("pulumi-travelperk/runner", { paths: [dir] }));
    const { idpProgram } = require(path.join(dir, "program.js"));
    runner
      .openStack({
        projectName: ${JSON.stringify(PROJECT)},
        stackName: "dev",
        program: idpProgram(JSON.parse(assignments)),
        workDir: dir,
        backendUrl: "file://" + backend,
        passphrase,
        pulumiRoot: root,
        config: {
          "travelperk:apiUrl": { value: apiUrl },
          "travelperk:accessToken": { value: token, secret: true },
          "travelperk:retryBaseDelayMs": { value: "20" },
        },
      })
      .then((stack) => stack.up())
      .then(
        () => console.log(JSON.stringify({})),
        (error) => console.log(JSON.stringify({ error: String(error.message) })),
      );
  `;
  const args = [dir, backendDir, process.env.PULUMI_CLI_ROOT!, PASSPHRASE, sandbox.apiUrl, sandbox.accessToken];
  const { stdout } = await promisify(execFile)(process.execPath, ["-e", script, ...args, JSON.stringify(assignments)], {
    cwd: dir,
    maxBuffer: 16 << 20,
  });
  return JSON.parse(stdout.trim().split("\n").pop() ?? "{}") as { error?: string };
}

test("6. an unknown e-mail, policy or group fails `up` before any write, naming each; nothing is released", async () => {
  const typo = [
    { ...ada, email: "ada.lovelace@example.com" },
    { ...alan, policy: "Gold", groups: ["Finance"] },
  ];
  const before = sandbox.listUsers();
  sandbox.clearLog();
  const { error } = await upInChildProcess(typo);
  expect(error).toContain("TravelPerk has no user with e-mail ada.lovelace@example.com");
  expect(error).toContain('TravelPerk has no travel policy named "Gold"');
  expect(error).toContain('TravelPerk has no group named "Finance"');
  // The program failed, so the engine deletes nothing it did not declare this time.
  expect(writes(sandbox.requests)).toEqual([]);
  expect(sandbox.listUsers()).toEqual(before);
  expect(membersOf("Engineering")).toEqual([ids["ada@example.com"], ids["alan@example.com"]].sort());
});

test("7. destroy clears the policies and memberships, and leaves every account as the IdP left it", async () => {
  const before = accountsApartFromPolicy();
  const { steps, requests } = await run("destroy", PEOPLE);
  expect(count(steps, "delete", TYPES.policy)).toBe(2);
  expect(count(steps, "delete", TYPES.membership)).toBe(3);
  for (const user of sandbox.listUsers()) expect(user.travel_policy ?? null).toBeNull();
  for (const group of sandbox.listGroups()) expect(sandbox.groupMembers(group.id)).toEqual([]);
  expect(accountsApartFromPolicy()).toEqual(before);
  expect(sandbox.listUsers().map((u) => [u.email, u.is_active])).toEqual([
    ["ada@example.com", true],
    ["alan@example.com", true],
    ["grace@example.com", false], // deactivated by the IdP in step 5, not by the program
    ["bystander@example.com", true],
  ]);
  expect(requests.filter((r: LoggedRequest) => r.method === "DELETE" && /\/users\/[^/]+$/.test(r.path))).toEqual([]);
  expect(requests.filter((r) => r.method === "POST" && r.path.endsWith("/users"))).toEqual([]);
});
