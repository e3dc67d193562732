/**
 * `npm run upgrade-fixture`: saves the state this release writes as a committed fixture, so every later
 * release proves it can take over a stack written by this one (test/upgrade.test.ts).
 *
 * It installs the packed build into a program folder as users install it, starts a sandbox with fixed
 * dummy credentials, creates a Pulumi project (stack `fixture`, apiUrl, the token set with --secret),
 * runs the installed `pulumi-travelperk up` on a 10-person roster taken from examples/roster, then
 * writes test/fixtures/upgrade/v<package version>/:
 *
 * - `stack.json`: `pulumi stack export` (secrets encrypted with {@link FIXTURE_PASSPHRASE});
 * - `sandbox.json`: the sandbox's persisted organisation (users, policies, groups, members, ids included);
 * - `roster.yaml`: the roster that was applied;
 * - `README.md`: what produced it and how to regenerate it.
 *
 * A released version's fixture is never regenerated: the script refuses to overwrite one unless given
 * `--force` (for a version that is not released yet).
 */
import { execFile, execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs, promisify } from "util";
import * as YAML from "yaml";
import { startSandbox, type SandboxServer } from "../sandbox/server";
import { installPackedPackage } from "./pack-install";

/** The repository root, from scripts/ (ts-jest) or dist/scripts/ (compiled). */
const ROOT = path.resolve(__dirname, path.basename(path.dirname(__dirname)) === "dist" ? "../.." : "..");

/** Where every release's fixture lives, one folder per version: `v<version>/`. */
export const FIXTURES_DIR = path.join(ROOT, "test/fixtures/upgrade");

/**
 * The passphrase of the fixture stacks' passphrase secrets provider. The secret config
 * (`travelperk:accessToken`) in stack.json is encrypted with it, and `pulumi stack import` must decrypt
 * it: without this passphrase a fixture cannot be imported. It protects nothing (the token is a
 * sandbox-only dummy) and must stay the same for every release, or older fixtures stop importing.
 */
export const FIXTURE_PASSPHRASE = "upgrade-fixture-passphrase";

/** The stack name; the test imports into a stack of the same name (URNs carry it). */
export const FIXTURE_STACK = "fixture";

/** The Pulumi project name; the test reads it back from the URNs in stack.json. */
export const FIXTURE_PROJECT = "travelperk-upgrade-fixture";

/** How many people of examples/roster/roster.yaml the fixture's roster holds. */
const PEOPLE = 10;

/**
 * Sandbox-only dummy credentials, fixed so the fixture is reproducible. They are not real TravelPerk
 * credentials; the script still checks that none of them reaches the saved files in clear text.
 */
const SANDBOX_CREDENTIALS = {
  accessToken: "tp_at_fixture_local_sandbox",
  apiKey: "tp_key_fixture_local_sandbox",
  scimToken: "tp_scim_fixture_local_sandbox",
  clientId: "tp_client_fixture_local_sandbox",
  clientSecret: "tp_secret_fixture_local_sandbox",
  refreshToken: "tp_rt_fixture_local_sandbox",
};

function step(text: string): void {
  process.stderr.write(`\n▸ ${text}\n`);
}

function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string }).version;
}

/** A folder holding bin/pulumi: PULUMI_CLI_ROOT when it has one, else scripts/ensure-pulumi.sh. */
function pulumiRoot(): string {
  const given = process.env.PULUMI_CLI_ROOT;
  if (given && fs.existsSync(path.join(given, "bin/pulumi"))) return given;
  return execFileSync("bash", [path.join(ROOT, "scripts/ensure-pulumi.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
}

/**
 * The first {@link PEOPLE} people of the example roster, its defaults and comments kept. A manager who
 * is not among them is replaced by the first person (the roster refuses unknown managers).
 */
export function fixtureRoster(exampleText: string): string {
  const doc = YAML.parseDocument(exampleText);
  const people = doc.get("people");
  if (!YAML.isSeq(people)) throw new Error("examples/roster/roster.yaml has no people list");
  people.items = people.items.slice(0, PEOPLE);
  const text = (item: unknown, key: string): string | undefined => {
    const value: unknown = YAML.isMap(item) ? item.get(key) : undefined;
    return typeof value === "string" ? value : undefined;
  };
  const emailOf = (item: unknown) => text(item, "email") ?? "";
  const emails = new Set(people.items.map((item) => emailOf(item).toLowerCase()));
  const root = emailOf(people.items[0]);
  for (const item of people.items) {
    if (!YAML.isMap(item)) continue;
    const manager = text(item, "manager");
    if (manager === undefined || emails.has(manager.toLowerCase())) continue;
    if (emailOf(item) === root) item.delete("manager");
    else item.set("manager", root);
  }
  // The example's header comment (its schema path is relative to examples/roster/) gives way to ours.
  const firstKey = YAML.isMap(doc.contents) ? doc.contents.items[0]?.key : undefined;
  if (YAML.isNode(firstKey)) firstKey.commentBefore = undefined;
  doc.commentBefore = [
    " yaml-language-server: $schema=../../../../schema/roster.schema.json",
    ` The upgrade fixture's roster: the first ${String(PEOPLE)} people of examples/roster/roster.yaml,`,
    " written by scripts/upgrade-fixture.ts. Do not edit: it is the roster the saved state was made from.",
  ].join("\n");
  return doc.toString();
}

/** The text laid out as the repository's Prettier config says, so `prettier --check .` passes on it. */
async function pretty(file: string, text: string): Promise<string> {
  // Loaded here, not at the top: test/upgrade.test.ts imports this module, and Prettier does not load under Jest.
  const prettier = await import("prettier");
  const options = await prettier.resolveConfig(file);
  return prettier.format(text, { ...options, filepath: file });
}

/** Throws when any of the sandbox's credentials appears in `text` in clear text. */
function assertNoCredentials(name: string, text: string, sandbox: SandboxServer): void {
  const credentials = {
    accessToken: sandbox.accessToken,
    apiKey: sandbox.apiKey,
    scimToken: sandbox.scimToken,
    clientId: sandbox.clientId,
    clientSecret: sandbox.clientSecret,
    refreshToken: sandbox.refreshToken,
  };
  for (const [kind, value] of Object.entries(credentials))
    if (text.includes(value)) throw new Error(`${name} holds the sandbox's ${kind} in clear text: not saving it`);
}

/** A Pulumi project folder beside the installed package, with its own file backend. */
class FixtureProject {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "tp-upgrade-fixture-project-"));
  readonly backend = fs.mkdtempSync(path.join(os.tmpdir(), "tp-upgrade-fixture-state-"));

  constructor(
    private readonly pulumiRoot: string,
    program: string,
  ) {
    fs.writeFileSync(path.join(this.dir, "Pulumi.yaml"), `name: ${FIXTURE_PROJECT}\nruntime: nodejs\n`);
    fs.symlinkSync(path.join(program, "node_modules"), path.join(this.dir, "node_modules"));
  }

  private env(): NodeJS.ProcessEnv {
    // TRAVELPERK_* from the caller's shell would reach the provider: only the stack config counts here.
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("TRAVELPERK_")));
    return {
      ...base,
      PATH: `${path.join(this.pulumiRoot, "bin")}${path.delimiter}${process.env.PATH ?? ""}`,
      PULUMI_CONFIG_PASSPHRASE: FIXTURE_PASSPHRASE,
      PULUMI_BACKEND_URL: `file://${this.backend}`,
      PULUMI_SKIP_UPDATE_CHECK: "true",
    };
  }

  /** Runs a command in the project folder, asynchronously: the sandbox answers from this very process. */
  private async run(file: string, args: string[]): Promise<string> {
    const child = promisify(execFile)(file, args, { cwd: this.dir, env: this.env(), maxBuffer: 64 << 20 });
    child.child.stderr?.pipe(process.stderr);
    return (await child).stdout;
  }

  /** The plain `pulumi` CLI; returns stdout. */
  pulumi(args: string[]): Promise<string> {
    return this.run(path.join(this.pulumiRoot, "bin/pulumi"), [...args, "--non-interactive"]);
  }

  /** The installed package's own `pulumi-travelperk` bin; returns stdout. */
  tp(args: string[]): Promise<string> {
    const pkgDir = path.join(this.dir, "node_modules/pulumi-travelperk");
    const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8")) as {
      bin: { "pulumi-travelperk"?: string };
    };
    const bin = pkg.bin["pulumi-travelperk"];
    if (bin === undefined) throw new Error(`${pkgDir}/package.json has no pulumi-travelperk bin`);
    return this.run(process.execPath, [path.join(pkgDir, bin), ...args]);
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.rmSync(this.backend, { recursive: true, force: true });
  }
}

function readme(facts: {
  version: string;
  pulumiVersion: string;
  sdkVersion: string;
  people: number;
  resources: number;
}): string {
  return `# Upgrade fixture: pulumi-travelperk ${facts.version}

The state \`pulumi-travelperk\` ${facts.version} wrote, kept so that every later release proves it can
take it over (\`test/upgrade.test.ts\`). Written by \`npm run upgrade-fixture\`
(\`scripts/upgrade-fixture.ts\`) on ${new Date().toISOString().slice(0, 10)}: do not edit these files.

| | |
| --- | --- |
| package | \`pulumi-travelperk\` ${facts.version}, packed and installed with npm |
| Pulumi CLI | ${facts.pulumiVersion} |
| \`@pulumi/pulumi\` | ${facts.sdkVersion} (installed beside the package) |
| Node.js | ${process.version} |
| project / stack | \`${FIXTURE_PROJECT}\` / \`${FIXTURE_STACK}\`, local file backend |
| secrets provider | passphrase \`${FIXTURE_PASSPHRASE}\` (the import needs it to decrypt \`travelperk:accessToken\`) |
| roster | ${String(facts.people)} people (\`roster.yaml\`), ${String(facts.resources)} resources in the state |

- \`stack.json\`: \`pulumi stack export --stack ${FIXTURE_STACK}\` after \`pulumi-travelperk up\`. The access
  token was set with \`--secret\` and is stored encrypted; the sandbox URL of that run is stored in clear
  text in the default provider's inputs, as Pulumi does for all non-secret config. The passphrase
  salt is in \`secrets_providers\`: \`Pulumi.${FIXTURE_STACK}.yaml\` is not needed to import it.
- \`sandbox.json\`: the sandbox's persisted data after the run (load it with \`persistFile\`): the same
  users, ids, groups, members and policies the state refers to. It holds no credentials.
- \`roster.yaml\`: the roster that was applied.

The credentials used were sandbox-only dummies (\`tp_at_fixture_local_sandbox\` and the like), never real
ones. To regenerate (only for a version not released yet; a released version's fixture stays as it is):

\`\`\`sh
npm pkg set version=${facts.version}   # the version the fixture is named after
npm run upgrade-fixture -- --force
\`\`\`
`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { force: { type: "boolean", default: false } } });
  const version = packageVersion();
  const target = path.join(FIXTURES_DIR, `v${version}`);
  if (fs.existsSync(target) && !values.force)
    throw new Error(
      `${path.relative(ROOT, target)} exists: a released version's fixture is never regenerated (--force)`,
    );

  step("Making sure the Pulumi CLI is available");
  const root = pulumiRoot();
  const pulumiVersion = execFileSync(path.join(root, "bin/pulumi"), ["version"], { encoding: "utf8" }).trim();

  step(`Installing pulumi-travelperk ${version} into a program folder as users do (npm pack, npm install)`);
  const program = installPackedPackage();
  const sdkVersion = (
    JSON.parse(fs.readFileSync(path.join(program, "node_modules/@pulumi/pulumi/package.json"), "utf8")) as {
      version: string;
    }
  ).version;

  const work = fs.mkdtempSync(path.join(os.tmpdir(), "tp-upgrade-fixture-"));
  const persistFile = path.join(work, "sandbox.json");
  step("Starting the sandbox (fixed dummy credentials, persisted to a temporary file)");
  const sandbox = await startSandbox({ ...SANDBOX_CREDENTIALS, persistFile });
  const project = new FixtureProject(root, program);
  try {
    step(`Creating the project and the stack ${FIXTURE_STACK} (token set with --secret)`);
    await project.pulumi(["stack", "init", FIXTURE_STACK]);
    await project.pulumi(["config", "set", "--stack", FIXTURE_STACK, "travelperk:apiUrl", sandbox.apiUrl]);
    await project.pulumi([
      "config",
      "set",
      "--stack",
      FIXTURE_STACK,
      "--secret",
      "travelperk:accessToken",
      sandbox.accessToken,
    ]);

    const rosterFile = path.join(FIXTURES_DIR, "roster.yaml"); // only for Prettier's config lookup
    const roster = await pretty(
      rosterFile,
      fixtureRoster(fs.readFileSync(path.join(ROOT, "examples/roster/roster.yaml"), "utf8")),
    );
    fs.writeFileSync(path.join(project.dir, "roster.yaml"), roster);

    step(`pulumi-travelperk up --stack ${FIXTURE_STACK} (the installed bin)`);
    const summary = await project.tp(["up", "--stack", FIXTURE_STACK]);
    process.stderr.write(summary);
    const added = new RegExp(`\\b${String(PEOPLE)} added, 0 changed, 0 offboarded`);
    if (!added.test(summary)) throw new Error(`up did not add the ${String(PEOPLE)} people:\n${summary}`);
    if (sandbox.listUsers().length !== PEOPLE) throw new Error("the sandbox does not hold the roster's people");

    // Pulumi.fixture.yaml (the stack's `encryptionsalt`) is not saved: the export carries its own
    // secrets provider state (`secrets_providers.state.salt`), and `pulumi stack import` decrypts with
    // that salt and the passphrase, then re-encrypts for whichever stack it imports into.
    step("Exporting the stack");
    const exported = await project.pulumi(["stack", "export", "--stack", FIXTURE_STACK]);
    const deployment = JSON.parse(exported) as {
      deployment: { secrets_providers?: { type?: string }; resources?: { type: string }[] };
    };
    if (deployment.deployment.secrets_providers?.type !== "passphrase")
      throw new Error("the exported stack has no passphrase secrets provider");
    if (!exported.includes("4dabf18193072939515e22adb298388d"))
      throw new Error("the exported stack holds no secret: the access token should be one");
    assertNoCredentials("stack.json", exported, sandbox);
    const resources = deployment.deployment.resources?.length ?? 0;

    await sandbox.stop(); // flushes the persist file
    const persisted = fs.readFileSync(persistFile, "utf8");
    assertNoCredentials("sandbox.json", persisted, sandbox);

    step(`Writing ${path.relative(ROOT, target)}/`);
    fs.rmSync(target, { recursive: true, force: true });
    fs.mkdirSync(target, { recursive: true });
    const files: Record<string, string> = {
      "stack.json": await pretty(path.join(target, "stack.json"), exported),
      "sandbox.json": await pretty(path.join(target, "sandbox.json"), persisted),
      "roster.yaml": roster,
      "README.md": readme({ version, pulumiVersion, sdkVersion, people: PEOPLE, resources }),
    };
    for (const [name, text] of Object.entries(files)) {
      fs.writeFileSync(path.join(target, name), text);
      process.stderr.write(`  ${name} (${String(Buffer.byteLength(text))} bytes)\n`);
    }
  } finally {
    await sandbox.stop();
    project.remove();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`upgrade-fixture: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
