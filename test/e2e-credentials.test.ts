/**
 * Credentials as TravelPerk issues them, end to end under the real Pulumi CLI: the roster commands
 * of the installed package in a project folder, against sandboxes whose OAuth server issues
 * expiring access tokens and rotating refresh tokens. Covers expiry in the middle of a 40-person
 * `up`, renewal without a storm of grants, rotation written back and a second command that works,
 * a revoked refresh token, token confusion both ways, credentials stored in clear, two
 * organisations in one program, and a scan of state, CLI output and logs for every secret value.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import { OAuthSession } from "../provider/client/credentials";
import { startSandbox, type SandboxServer } from "../sandbox/server";
import { PASSPHRASE, makeProgramDir } from "./helpers/e2e";
import { RosterProject, type Run } from "./helpers/roster-project";
import { writes } from "./helpers/sandbox";

jest.setTimeout(300_000);

const PEOPLE = 40;
const LIFETIME_S = 2;

/** A roster of `n` people in the seeded Engineering group, on the default policy. */
function roster(n: number, changed = ""): string {
  return stringify({
    defaults: { travelPolicy: "Standard", onDelete: "deactivate" },
    people: Array.from({ length: n }, (_, i) => ({
      email: `person${String(i).padStart(2, "0")}@example.com`,
      firstName: `Person${String(i)}`,
      lastName: i === 0 && changed ? changed : "Tester",
      groups: ["Engineering"],
    })),
  });
}

/** Every file under `dir` (state, its history and backups), as text. */
function filesUnder(dir: string): { file: string; text: string }[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).flatMap((entry) => {
    if (!entry.isFile()) return [];
    const file = path.join(entry.parentPath, entry.name);
    return [{ file, text: fs.readFileSync(file, "latin1") }];
  });
}

/** The secret values found in any of the texts: a list of "where: which". */
function leaks(secrets: Record<string, string>, texts: { file: string; text: string }[]): string[] {
  return texts.flatMap(({ file, text }) =>
    Object.entries(secrets)
      .filter(([, value]) => value.length >= 8 && text.includes(value))
      .map(([name]) => `${file}: ${name}`),
  );
}

const outputs: { file: string; text: string }[] = [];
function record(name: string, run: Run): Run {
  outputs.push({ file: `${name} (stdout)`, text: run.stdout }, { file: `${name} (stderr)`, text: run.stderr });
  return run;
}

describe("OAuth with 2-second access tokens and rotating refresh tokens", () => {
  let sandbox: SandboxServer;
  let projects: RosterProject;
  let project: string;
  let cache: string;
  const issued = new Set<string>();
  const originalRefreshToken = () => [...issued][0];

  beforeAll(async () => {
    sandbox = await startSandbox({ tokenLifetimeSeconds: LIFETIME_S, refreshTokenRotation: "rotate" });
    issued.add(sandbox.refreshToken);
    projects = new RosterProject(sandbox);
    cache = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tp-token-cache-")), "tokens.json");
    project = await projects.create(
      "oauth-roster",
      "dev",
      { "travelperk:clientId": sandbox.clientId },
      { "travelperk:clientSecret": sandbox.clientSecret, "travelperk:refreshToken": sandbox.refreshToken },
    );
    fs.writeFileSync(path.join(project, "roster.yaml"), roster(PEOPLE));
  });
  afterAll(async () => sandbox.stop());

  const tp = (name: string, args: string[]) =>
    projects.tp(args, project, { TRAVELPERK_TOKEN_CACHE: cache }).then((run) => record(name, run));
  const stackRefreshToken = async () => {
    const shown = await projects.pulumi(["config", "get", "travelperk:refreshToken", "--stack", "dev"], project);
    return shown.stdout.trim();
  };

  test(`up of ${String(PEOPLE)} people outlives several access tokens: every write lands once, grants stay few`, async () => {
    sandbox.clearLog();
    const started = Date.now();
    const result = await tp("up", ["up", "--stack", "dev"]);
    const elapsedS = (Date.now() - started) / 1000;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`${String(PEOPLE)} added, 0 changed, 0 offboarded`));
    expect(sandbox.listUsers()).toHaveLength(PEOPLE);

    const log = sandbox.requests;
    const grants = log.filter((r) => r.grant === "refresh_token");
    const api = log.filter((r) => !r.path.includes("/oauth2/"));
    const unauthorized = api.filter((r) => r.status === 401);
    const spanS = (Math.max(...api.map((r) => r.at)) - Math.min(...api.map((r) => r.at))) / 1000;
    console.log(
      `OAuth up of ${String(PEOPLE)} people, ${String(LIFETIME_S)} s tokens: ${elapsedS.toFixed(1)} s wall, ` +
        `API span ${spanS.toFixed(1)} s, ${String(api.length)} API requests (${String(writes(api).length)} writes), ` +
        `${String(grants.length)} refresh grants, ${String(unauthorized.length)} × 401 ` +
        `(${unauthorized.map((r) => `${r.method} ${r.path}`).join(", ") || "none"})`,
    );
    // Tokens expired in the middle of the run, so it had to renew...
    expect(spanS).toBeGreaterThan(LIFETIME_S);
    expect(grants.length).toBeGreaterThanOrEqual(2);
    // ...on demand, one grant at a time for all processes: about one per token lifetime of the
    // whole command (renewed a quarter of a lifetime early), never one per request or per resource.
    expect(grants.length).toBeLessThanOrEqual(Math.ceil(elapsedS / (0.75 * LIFETIME_S)) + 3);
    // A token is attached as each attempt leaves, so an expired one is the exception, and each
    // 401 was answered by a renewal and a retry (every user exists once).
    expect(unauthorized.length).toBeLessThanOrEqual(3);
    const emails = sandbox.listUsers().map((u) => u.email);
    expect(new Set(emails).size).toBe(PEOPLE);
    const creates = log.filter((r) => r.method === "POST" && r.path.endsWith("/users") && r.status < 300);
    expect(creates).toHaveLength(PEOPLE);
  });

  test("the rotated refresh token is written back as a secret, and the next command goes on from it", async () => {
    const stored = await stackRefreshToken();
    issued.add(sandbox.refreshToken);
    expect(stored).not.toBe(originalRefreshToken());
    expect(stored).toBe(sandbox.refreshToken);
    const yaml = fs.readFileSync(path.join(project, "Pulumi.dev.yaml"), "utf8");
    expect(yaml).toMatch(/travelperk:refreshToken:\s*\n\s*secure:/);
    expect(yaml).not.toContain(stored);

    fs.writeFileSync(path.join(project, "roster.yaml"), roster(PEOPLE, "Renamed"));
    sandbox.clearLog();
    const result = await tp("second up", ["up", "--stack", "dev"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/0 added, 1 changed, 0 offboarded/);
    expect(sandbox.findUserByEmail("person00@example.com")?.last_name).toBe("Renamed");
    // The spent token was never presented again: no refused grant.
    expect(sandbox.requests.filter((r) => r.grant === "refresh_token" && r.status >= 400)).toEqual([]);
    issued.add(sandbox.refreshToken);
    expect(await stackRefreshToken()).toBe(sandbox.refreshToken);
  });

  test("a refresh token revoked at TravelPerk: a clear error naming login, nothing written, no token shown", async () => {
    expect(sandbox.revokeTokens()).toBeGreaterThan(0);
    fs.writeFileSync(path.join(project, "roster.yaml"), roster(PEOPLE, "Again"));
    sandbox.clearLog();
    const result = await tp("revoked up", ["up", "--stack", "dev"]);
    expect(result.code).toBe(1);
    expect(result.stderr + result.stdout).toMatch(/invalid_grant/);
    expect(result.stderr + result.stdout).toMatch(/pulumi-travelperk login/);
    const grants = sandbox.requests.filter((r) => r.grant !== undefined);
    // One refused grant, not one per process or per resource: the error ends the run.
    expect(grants.map((r) => `${r.grant ?? ""} ${String(r.status)}`)).toEqual(["refresh_token 400"]);
    expect(writes(sandbox.requests.filter((r) => r.grant === undefined))).toEqual([]);
    expect(sandbox.findUserByEmail("person00@example.com")?.last_name).toBe("Renamed");
  });

  test("no secret value in the state, its history and backups, the project folder, or any command's output", () => {
    const secrets: Record<string, string> = {
      clientSecret: sandbox.clientSecret,
      accessToken: sandbox.accessToken,
      ...Object.fromEntries([...issued].map((token, i) => [`refreshToken#${String(i)}`, token])),
    };
    const cached = JSON.parse(fs.readFileSync(cache, "utf8")) as unknown;
    // The access tokens minted during the run are only in the token cache (mode 0600, outside the project).
    const minted = JSON.stringify(cached).match(/tp_at_[\w-]+/g) ?? [];
    minted.forEach((token, i) => (secrets[`mintedAccessToken#${String(i)}`] = token));
    expect(fs.statSync(cache).mode & 0o777).toBe(0o600);
    const texts = [
      ...filesUnder(projects.backend),
      ...filesUnder(project).filter((f) => !f.file.includes("node_modules")),
      ...outputs,
    ];
    const found = leaks(secrets, texts);
    console.log(
      `secret scan: ${String(Object.keys(secrets).length)} secret values × ${String(texts.length)} texts ` +
        `(${String(filesUnder(projects.backend).length)} backend files, ${String(outputs.length)} outputs): ${String(found.length)} found`,
    );
    expect(Object.keys(secrets).length).toBeGreaterThanOrEqual(4);
    expect(texts.length).toBeGreaterThan(5);
    expect(found).toEqual([]);
  });
});

describe("credential mistakes are refused before anything is sent", () => {
  let sandbox: SandboxServer;
  let projects: RosterProject;
  beforeAll(async () => {
    sandbox = await startSandbox();
    projects = new RosterProject(sandbox);
  });
  afterAll(async () => sandbox.stop());

  async function previewIn(name: string, config: Record<string, string>, secrets?: Record<string, string>) {
    const dir = await projects.create(name, "dev", config, secrets);
    fs.writeFileSync(path.join(dir, "roster.yaml"), roster(2));
    sandbox.clearLog();
    const run = record(name, await projects.tp(["preview", "--stack", "dev"], dir));
    return { run, dir, text: run.stdout + run.stderr };
  }

  test("a refresh token stored without --secret: exit 2 with the exact command that fixes it, value not shown", async () => {
    const dir = await projects.create(
      "clear-token",
      "dev",
      { "travelperk:clientId": sandbox.clientId },
      {
        "travelperk:clientSecret": sandbox.clientSecret,
      },
    );
    // --plaintext: the CLI itself refuses a value that looks like a secret without one of the two flags.
    const set = await projects.pulumi(
      ["config", "set", "--plaintext", "--stack", "dev", "travelperk:refreshToken", sandbox.refreshToken],
      dir,
    );
    expect(set.code).toBe(0);
    fs.writeFileSync(path.join(dir, "roster.yaml"), roster(2));
    sandbox.clearLog();
    const run = record("clear-token", await projects.tp(["preview", "--stack", "dev"], dir));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'pulumi config set --secret --stack dev travelperk:refreshToken "$(pulumi config get --stack dev travelperk:refreshToken)"',
    );
    expect(run.stdout + run.stderr).not.toContain(sandbox.refreshToken);
    expect(sandbox.requests).toEqual([]);
  });

  test("a scimToken equal to the REST credential: refused at configure, even for a preview that sends nothing", async () => {
    const { run, text } = await previewIn(
      "scim-same",
      { "travelperk:userApi": "scim" },
      {
        "travelperk:accessToken": sandbox.accessToken,
        "travelperk:scimToken": sandbox.accessToken,
      },
    );
    expect(run.code).toBe(1);
    expect(text).toMatch(/travelperk:scimToken/);
    expect(text).toMatch(/travelperk:accessToken/);
    expect(text).toMatch(/leave .*scimToken.* unset/i);
    expect(text).not.toContain(sandbox.accessToken);
    expect(writes(sandbox.requests)).toEqual([]);
  });

  test("the SCIM token given as the REST access token: the 401 names the confusion, not the value", async () => {
    const { run, text } = await previewIn("scim-as-rest", {}, { "travelperk:accessToken": sandbox.scimToken });
    expect(run.code).toBe(1);
    expect(text).toMatch(/401/);
    expect(text).toMatch(/SCIM token/);
    expect(text).not.toContain(sandbox.scimToken);
    expect(sandbox.requests.some((r) => r.credential === "scim" && r.status === 401)).toBe(true);
  });

  test("SCIM answering 401 to a wrong token: the message says which token SCIM needs and which was sent", async () => {
    const { run, text } = await previewIn(
      "scim-wrong",
      { "travelperk:userApi": "scim" },
      {
        "travelperk:accessToken": sandbox.accessToken,
        "travelperk:scimToken": "tp_scim_not-the-organisations-token",
      },
    );
    expect(run.code).toBe(1);
    expect(text).toMatch(/401/);
    expect(text).toMatch(/Settings › Integrations › SCIM/);
    expect(text).toMatch(/travelperk:scimToken/);
    expect(text).not.toContain("tp_scim_not-the-organisations-token");
  });
});

describe("two organisations in one program (connection: emea)", () => {
  let hq: SandboxServer;
  let emea: SandboxServer;
  let dir: string;
  let backend: string;
  const rotations: string[] = [];
  const cache = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tp-orgs-cache-")), "tokens.json");

  beforeAll(async () => {
    // HQ signs in with OAuth (rotating refresh tokens), EMEA with an access token of its own.
    hq = await startSandbox({ refreshTokenRotation: "rotate" });
    emea = await startSandbox();
    dir = makeProgramDir("tp-orgs");
    backend = fs.mkdtempSync(path.join(os.tmpdir(), "tp-orgs-state-"));
    process.env.TRAVELPERK_TOKEN_CACHE = cache;
  });
  afterAll(async () => {
    delete process.env.TRAVELPERK_TOKEN_CACHE;
    await hq.stop();
    await emea.stop();
  });

  /** A module of the program folder's installed copy of the package. */
  const installed = (name: string): unknown =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program folder's installed copy
    require(require.resolve(name, { paths: [dir] }));

  async function stack() {
    const tp = installed("pulumi-travelperk") as typeof import("../provider/index");
    const runner = installed("pulumi-travelperk/runner") as typeof import("../provider/runner");
    (installed("pulumi-travelperk/runtime") as typeof import("../provider/runtime")).startNewCommand();
    return runner.openStack({
      projectName: "tp-orgs",
      stackName: "dev",
      workDir: dir,
      backendUrl: `file://${backend}`,
      passphrase: PASSPHRASE,
      pulumiRoot: process.env.PULUMI_CLI_ROOT,
      onRotation: (message) => rotations.push(message),
      program: async () => {
        const ann = new tp.User("ann", { email: "ann@hq.example.com", firstName: "Ann", lastName: "Hq" });
        const bob = new tp.User("bob", {
          email: "bob@emea.example.com",
          firstName: "Bob",
          lastName: "Emea",
          connection: "emea",
        });
        const [hqGroup, emeaGroup] = await Promise.all([
          tp.getGroup({ name: "Engineering" }),
          tp.getGroup({ name: "Engineering", connection: "emea" }),
        ]);
        new tp.GroupMembership("ann/engineering", { groupId: hqGroup.id, userId: ann.id });
        new tp.GroupMembership("bob/engineering", { groupId: emeaGroup.id, userId: bob.id, connection: "emea" });
      },
      config: {
        "travelperk:apiUrl": { value: hq.apiUrl },
        "travelperk:clientId": { value: hq.clientId },
        "travelperk:clientSecret": { value: hq.clientSecret, secret: true },
        "travelperk:refreshToken": { value: hq.refreshToken, secret: true },
        "travelperk:emea.apiUrl": { value: emea.apiUrl },
        "travelperk:emea.accessToken": { value: emea.accessToken, secret: true },
        "travelperk:retryBaseDelayMs": { value: "20" },
      },
    });
  }

  test("each resource and lookup goes to its own organisation with its own credential; nothing crosses", async () => {
    const firstRefreshToken = hq.refreshToken;
    const result = await (await stack()).up();
    expect(result.summary.result).toBe("succeeded");
    expect(hq.listUsers().map((u) => u.email)).toEqual(["ann@hq.example.com"]);
    expect(emea.listUsers().map((u) => u.email)).toEqual(["bob@emea.example.com"]);
    const engineering = (s: SandboxServer) => s.listGroups().find((g) => g.name === "Engineering")!;
    expect(hq.groupMembers(engineering(hq).id)).toEqual([hq.findUserByEmail("ann@hq.example.com")!.id]);
    expect(emea.groupMembers(engineering(emea).id)).toEqual([emea.findUserByEmail("bob@emea.example.com")!.id]);
    // Neither organisation was ever shown the other's credential: no request refused.
    expect(hq.requests.filter((r) => r.status === 401)).toEqual([]);
    expect(emea.requests.filter((r) => r.status === 401)).toEqual([]);
    expect(emea.requests.some((r) => r.grant !== undefined)).toBe(false);
    expect(hq.requests.some((r) => r.grant === "refresh_token")).toBe(true);

    // HQ's refresh token rotated: written back to travelperk:refreshToken (not emea's keys), as a secret.
    expect(rotations.join("\n")).toMatch(/stored as a secret in travelperk:refreshToken of stack dev/);
    expect(fs.readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8")).toMatch(
      /travelperk:refreshToken:\s*\n\s*secure:/,
    );
    expect(hq.refreshToken).not.toBe(firstRefreshToken);

    // The state names the connection of each EMEA resource and holds no credential of either.
    const state = fs.readFileSync(path.join(backend, ".pulumi/stacks/tp-orgs/dev.json"), "utf8");
    const resources = (
      JSON.parse(state) as {
        checkpoint: { latest: { resources: { urn: string; inputs?: Record<string, unknown> }[] } };
      }
    ).checkpoint.latest.resources;
    const inputsOf = (suffix: string) => resources.find((r) => r.urn.endsWith(suffix))?.inputs ?? {};
    expect(inputsOf("::bob").connection).toBe("emea");
    expect(inputsOf("::bob/engineering").connection).toBe("emea");
    expect(inputsOf("::ann").connection).toBeUndefined();
    const secrets = {
      hqClientSecret: hq.clientSecret,
      hqFirstRefreshToken: firstRefreshToken,
      hqRefreshToken: hq.refreshToken,
      emeaAccessToken: emea.accessToken,
    };
    expect(leaks(secrets, [{ file: "state", text: state }, ...filesUnder(backend)])).toEqual([]);

    // A second command in a fresh process goes on from the rotated token: a no-op preview.
    const preview = await (await stack()).preview();
    expect(preview.changeSummary).toEqual({ same: 5 });
  });
});

describe("save-token: the newest refresh token of a chain another process rotated", () => {
  let sandbox: SandboxServer;
  let projects: RosterProject;
  let cache: string;
  beforeEach(() => {
    // A cache of its own per test: a live access token in it would be adopted instead of a grant.
    cache = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tp-save-cache-")), "tokens.json");
  });
  beforeAll(async () => {
    sandbox = await startSandbox({ refreshTokenRotation: "rotate" });
    projects = new RosterProject(sandbox);
  });
  afterAll(async () => sandbox.stop());

  /** What a plain `pulumi up`'s provider does: one grant, which rotates the token, kept in the cache. */
  async function rotateElsewhere(refreshToken: string, from: string): Promise<void> {
    const session = new OAuthSession(
      {
        kind: "oauth",
        clientId: sandbox.clientId,
        clientSecret: sandbox.clientSecret,
        refreshToken,
        tokenUrl: `${sandbox.url}/oauth2/token`,
        from,
      },
      { cacheFile: cache, cacheNamed: true, cacheKey: "travelperk:tokenCache", connection: "", timeoutMs: 10_000 },
    );
    await session.authorization();
    expect(sandbox.refreshToken).not.toBe(refreshToken);
  }

  test("--stack: stored as a secret in the stack config, never printed; a second run has nothing to store", async () => {
    const spent = sandbox.refreshToken;
    const dir = await projects.create(
      "save-token",
      "dev",
      { "travelperk:clientId": sandbox.clientId },
      { "travelperk:clientSecret": sandbox.clientSecret, "travelperk:refreshToken": spent },
    );
    await rotateElsewhere(spent, "travelperk:refreshToken");
    const env = { TRAVELPERK_TOKEN_CACHE: cache };
    const saved = record("save-token", await projects.tp(["save-token", "--stack", "dev"], dir, env));
    expect(saved.code).toBe(0);
    expect(saved.stdout).toMatch(/stored as a secret in travelperk:refreshToken of stack dev/);
    expect(saved.stdout + saved.stderr).not.toContain(sandbox.refreshToken);
    const shown = await projects.pulumi(["config", "get", "travelperk:refreshToken", "--stack", "dev"], dir);
    expect(shown.stdout.trim()).toBe(sandbox.refreshToken);
    expect(fs.readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8")).toMatch(
      /travelperk:refreshToken:\s*\n\s*secure:/,
    );
    const again = await projects.tp(["save-token", "--stack", "dev"], dir, env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/Nothing to store/);
  });

  test("--output outside a project, the token from the environment: a 0600 dotenv file, the token not shown", async () => {
    const spent = sandbox.refreshToken;
    await rotateElsewhere(spent, "TRAVELPERK_REFRESH_TOKEN");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tp-save-out-"));
    const env = {
      TRAVELPERK_TOKEN_CACHE: cache,
      TRAVELPERK_API_URL: sandbox.apiUrl,
      TRAVELPERK_CLIENT_ID: sandbox.clientId,
      TRAVELPERK_CLIENT_SECRET: sandbox.clientSecret,
      TRAVELPERK_REFRESH_TOKEN: spent,
    };
    const saved = record("save-token --output", await projects.tp(["save-token", "--output", "new.env"], dir, env));
    expect(saved.code).toBe(0);
    expect(saved.stdout + saved.stderr).not.toContain(sandbox.refreshToken);
    const file = path.join(dir, "new.env");
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file, "utf8")).toContain(`TRAVELPERK_REFRESH_TOKEN=${sandbox.refreshToken}\n`);
    // Without --output outside a project it is a usage error.
    expect((await projects.tp(["save-token"], dir, env)).code).toBe(2);
  });
});
