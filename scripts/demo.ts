/**
 * `npm run demo`: the team in examples/team, reconciled by the real Pulumi CLI against the local
 * TravelPerk sandbox, then the roster as TravelPerk holds it. `npm run demo -- --preview` shows what
 * an edit would do without applying it. Everything lives under .demo/ (ignored by git); running the
 * demo again changes nothing unless examples/team/team.ts changed.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { createRequire } from "module";
import { parseArgs } from "util";
import { listGroupMembers, listGroups } from "../provider/client/groups";
import { listTravelPolicies } from "../provider/client/policies";
import { listUsers } from "../provider/client/users";
import { startSandbox } from "../sandbox/server";
import { installPackedPackage } from "./pack-install";

const ROOT = path.resolve(__dirname, "../..");
const DEMO = path.join(ROOT, ".demo");
const PASSPHRASE = "demo-passphrase";
// Fixed demo credentials: the sandbox is local, and the stack config must survive a second run.
const TOKENS = { accessToken: "tp_at_demo_local_sandbox", apiKey: "tp_key_demo_local_sandbox" };

function step(text: string): void {
  process.stderr.write(`\n▸ ${text}\n`);
}

/** The project folder: the compiled example program beside a node_modules holding the packed package. */
function prepareProgram(): string {
  const installed = installPackedPackage(path.join(DEMO, "cache"));
  const dir = path.join(DEMO, "program");
  fs.mkdirSync(dir, { recursive: true });
  for (const file of ["index.js", "program.js", "team.js"]) {
    fs.copyFileSync(path.join(ROOT, "dist/examples/team", file), path.join(dir, file));
  }
  const link = path.join(dir, "node_modules");
  fs.rmSync(link, { force: true, recursive: true });
  fs.symlinkSync(path.join(installed, "node_modules"), link);
  return dir;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { preview: { type: "boolean", default: false } } });
  fs.mkdirSync(path.join(DEMO, "state"), { recursive: true });

  step("Making sure the Pulumi CLI is available (a first run on a new machine builds it: a few minutes)");
  const pulumiRoot = execFileSync("bash", [path.join(ROOT, "scripts/ensure-pulumi.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();

  step("Starting the TravelPerk sandbox (state kept in .demo/sandbox.json)");
  const sandbox = await startSandbox({ ...TOKENS, persistFile: path.join(DEMO, "sandbox.json") });
  process.stderr.write(`  sandbox API: ${sandbox.apiUrl}\n`);

  try {
    step("Installing pulumi-travelperk into the demo project as users do (npm pack, npm install)");
    const dir = prepareProgram();
    // Everything is loaded as the demo project sees it: resolving from this repository would find the
    // repository's own build (a package may require itself by name) and a second @pulumi/pulumi.
    const fromProject = createRequire(path.join(dir, "index.js"));
    const runner = fromProject("pulumi-travelperk/runner") as typeof import("../provider/runner");
    const { teamProgram } = fromProject("./program.js") as typeof import("../examples/team/program");
    const { TEAM } = fromProject("./team.js") as typeof import("../examples/team/team");
    const stack = await runner.openStack({
      projectName: "travelperk-team",
      stackName: "demo",
      program: teamProgram(TEAM),
      workDir: dir,
      backendUrl: `file://${path.join(DEMO, "state")}`,
      passphrase: PASSPHRASE,
      pulumiRoot,
      config: {
        "travelperk:apiUrl": { value: sandbox.apiUrl },
        "travelperk:accessToken": { value: sandbox.accessToken, secret: true },
      },
    });
    const collector = runner.stepCollector();
    const output = (text: string) => process.stdout.write(text);
    if (values.preview) {
      step("pulumi preview --diff (nothing is applied)");
      await stack.preview({ onEvent: collector.onEvent, diff: true, onOutput: output });
    } else {
      step(`pulumi up of examples/team (${String(TEAM.people.length)} people)`);
      await stack.up({ onEvent: collector.onEvent, onOutput: output });
    }
    const changed = collector.steps.filter((s) => s.op !== "same" && s.type.includes("travelperk"));
    const counts = new Map<string, number>();
    for (const s of changed) counts.set(s.op, (counts.get(s.op) ?? 0) + 1);
    const summary = changed.length === 0 ? "no changes" : [...counts].map(([op, n]) => `${String(n)} ${op}`).join(", ");
    process.stdout.write(`\n${values.preview ? "Planned" : "Applied"}: ${summary}\n`);

    step("The roster as TravelPerk now holds it");
    await printRoster(sandbox.apiUrl, sandbox.accessToken);

    process.stdout.write(
      [
        "",
        "Next:",
        "  • edit examples/team/team.ts (change a role, remove or add a person)",
        "  • npm run demo -- --preview   shows exactly who would be added, changed or offboarded",
        "  • npm run demo                applies it (offboarding deactivates, never deletes)",
        "  • with a Pulumi CLI that has the Node.js language host, `pulumi up` at the repository root runs the same program",
        "",
      ].join("\n"),
    );
  } finally {
    await sandbox.stop();
  }
}

/** Reads the organisation through the same API client the provider uses, and prints a table. */
async function printRoster(apiUrl: string, accessToken: string): Promise<void> {
  process.env.TRAVELPERK_API_URL = apiUrl;
  process.env.TRAVELPERK_ACCESS_TOKEN = accessToken;
  const [users, groups, policies] = await Promise.all([listUsers(), listGroups(), listTravelPolicies()]);
  const groupsOf = new Map<string, string[]>();
  for (const group of groups) {
    for (const userId of await listGroupMembers(group.id))
      groupsOf.set(userId, [...(groupsOf.get(userId) ?? []), group.name]);
  }
  const policyName = new Map(policies.map((p) => [p.id, p.name]));
  const rows = users
    .sort((a, b) => a.email.localeCompare(b.email))
    .map((u) => [
      u.email,
      `${u.firstName ?? ""} ${u.lastName ?? ""}`.trim(),
      u.role ?? "",
      u.travelPolicyId ? (policyName.get(u.travelPolicyId) ?? u.travelPolicyId) : "",
      (groupsOf.get(u.id) ?? []).sort().join(", "),
      u.isActive === false ? "no" : "yes",
    ]);
  const header = ["e-mail", "name", "role", "policy", "groups", "active"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  process.stdout.write([line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n") + "\n");
}

main().catch((error: unknown) => {
  process.stderr.write(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
