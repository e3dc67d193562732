/**
 * `pulumi-travelperk login` as a user runs it: the built CLI (dist/provider/cli/main.js) as a child
 * process against the sandbox's strict OAuth server (state and PKCE S256 required), with the test
 * playing the browser: it reads the authorize URL the command prints, GETs it without following the
 * redirect, then GETs the `location` (the command's 127.0.0.1 listener). Storing in a stack uses the
 * real Pulumi CLI on a file backend.
 */
import { spawn, execFile, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { startSandbox, type SandboxServer } from "../sandbox/server";
import { entry } from "./helpers/at";

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, "..");
const CLI = path.join(ROOT, "dist/provider/cli/main.js");
const PASSPHRASE = "login-test-passphrase";
const backend = fs.mkdtempSync(path.join(os.tmpdir(), "tp-login-state-"));

let sandbox: SandboxServer;
let emea: SandboxServer;
beforeAll(async () => {
  sandbox = await startSandbox({ clientId: "tp-login-client", clientSecret: "tp-login-secret-6d1f0c9a" });
  emea = await startSandbox({ clientId: "tp-emea-client", clientSecret: "tp-emea-secret-93be41" });
});
afterAll(async () => {
  await sandbox.stop();
  await emea.stop();
});
beforeEach(() => {
  sandbox.setOptions({ oauthDeny: undefined });
  sandbox.reset();
  emea.reset();
});

/** The real CLI: present, or the tests that need it fail (global setup builds it). */
function pulumiBin(): string {
  const root = process.env.PULUMI_CLI_ROOT;
  expect(root).toBeTruthy();
  const bin = path.join(root!, "bin/pulumi");
  expect(fs.existsSync(bin)).toBe(true);
  return bin;
}

/** The child's environment: no TRAVELPERK_* of the caller, the real CLI first on PATH, a file backend. */
function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("TRAVELPERK_")));
  return {
    ...base,
    PATH: `${process.env.PULUMI_CLI_ROOT ?? ""}/bin${path.delimiter}${process.env.PATH ?? ""}`,
    PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
    PULUMI_BACKEND_URL: `file://${backend}`,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    TRAVELPERK_TOKEN_CACHE: path.join(backend, "tokens.json"),
    ...extra,
  };
}

interface Login {
  child: ChildProcess;
  /** The authorize URL, from the first line of stdout that is one. */
  url: Promise<URL>;
  /** The exit code, and everything printed. */
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  stdout: () => string;
  stderr: () => string;
}

function startLogin(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Login {
  const child = spawn(process.execPath, [CLI, "login", ...args], {
    cwd,
    env: childEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let found: ((url: URL) => void) | undefined;
  let ended: ((error: Error) => void) | undefined;
  const url = new Promise<URL>((resolve, reject) => {
    found = resolve;
    ended = reject;
  });
  url.catch(() => undefined); // only some tests wait for it
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    const line = stdout.split("\n").find((l) => /^https?:\/\/\S+$/.test(l));
    if (line) found?.(new URL(line));
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on("close", (code) => {
      ended?.(new Error(`login exited (${String(code)}) without printing a URL:\n${stderr}`));
      resolve({ code, stdout, stderr });
    }),
  );
  return { child, url, done, stdout: () => stdout, stderr: () => stderr };
}

/** The browser: the authorize request (no redirect followed), then the listener named by `location`. */
async function browse(url: URL): Promise<{ location: URL; status: number; page: string }> {
  const authorize = await fetch(url, { redirect: "manual" });
  expect(authorize.status).toBe(302);
  const location = new URL(authorize.headers.get("location")!);
  const callback = await fetch(location, { redirect: "manual" });
  return { location, status: callback.status, page: await callback.text() };
}

/** Whether the child is still running `ms` later. */
async function stillRunning(child: ChildProcess, ms = 300): Promise<boolean> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return child.exitCode === null && child.signalCode === null;
}

function parseDotenv(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split("\n")
      .filter((line) => line && !line.startsWith("#"))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
}

/** A refresh grant at the sandbox's token endpoint: 200 with an access token when the refresh token is live. */
async function refreshGrant(server: SandboxServer, refreshToken: string) {
  const r = await fetch(`${server.url}/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "refresh_token",
      refresh_token: refreshToken,
      client_id: server.clientId,
      client_secret: server.clientSecret,
    }),
  });
  return { status: r.status, body: (await r.json()) as { access_token?: string; scope?: string } };
}

const tmpDir = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

describe("outside a Pulumi project", () => {
  test("--no-browser --output FILE: prints the URL, takes the callback, writes a 0600 dotenv file with a working refresh token and prints no secret", async () => {
    const dir = tmpDir("tp-login-out-");
    const file = path.join(dir, "travelperk.env");
    fs.writeFileSync(file, "stale\n", { mode: 0o644 }); // an existing file is made private too
    const run = startLogin(
      ["--no-browser", "--output", file, "--client-id", sandbox.clientId, "--api-url", sandbox.apiUrl],
      dir,
      { TRAVELPERK_CLIENT_SECRET: sandbox.clientSecret },
    );
    const url = await run.url;
    // The authorize request as RFC 6749 §4.1.1 and RFC 7636 §4.3 want it.
    expect(`${url.origin}${url.pathname}`).toBe(`${sandbox.url}/oauth2/authorize`);
    expect(url.searchParams.get("response_type")).toBe("code");
    expect(url.searchParams.get("client_id")).toBe(sandbox.clientId);
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    expect(url.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get("state")!.length).toBeGreaterThanOrEqual(22);
    expect(url.searchParams.get("scope")).toBe("users:read users:write companies:read");
    const redirect = new URL(url.searchParams.get("redirect_uri")!);
    expect(redirect.hostname).toBe("127.0.0.1");
    expect(redirect.pathname).toBe("/callback");

    // Another path on the listener is not the callback.
    const stray = await fetch(`${redirect.origin}/favicon.ico`);
    expect(stray.status).toBe(404);

    const { location, status, page } = await browse(url);
    expect(status).toBe(200);
    expect(page).toContain("Signed in");
    const code = location.searchParams.get("code")!;
    expect(code).toBeTruthy();
    const { code: exit, stdout, stderr } = await run.done;
    expect(exit).toBe(0);

    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const values = parseDotenv(fs.readFileSync(file, "utf8"));
    expect(Object.keys(values).sort()).toEqual([
      "TRAVELPERK_API_URL",
      "TRAVELPERK_CLIENT_ID",
      "TRAVELPERK_REFRESH_TOKEN",
      "TRAVELPERK_TOKEN_URL",
    ]);
    expect(values.TRAVELPERK_CLIENT_ID).toBe(sandbox.clientId);
    expect(values.TRAVELPERK_TOKEN_URL).toBe(`${sandbox.url}/oauth2/token`);
    expect(values.TRAVELPERK_API_URL).toBe(sandbox.apiUrl);
    const refreshToken = entry(values, "TRAVELPERK_REFRESH_TOKEN");
    expect(sandbox.oauthStats().grants.authorization_code).toBe(1);
    const refreshed = await refreshGrant(sandbox, refreshToken);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.access_token).toBeTruthy();

    for (const secret of [refreshToken, sandbox.clientSecret, code, refreshed.body.access_token!]) {
      expect(stdout).not.toContain(secret);
      expect(stderr).not.toContain(secret);
    }
    // Which keys to set from the file, by name.
    expect(stdout).toContain("TRAVELPERK_REFRESH_TOKEN");
    expect(stdout).toContain("pulumi config set --secret travelperk:refreshToken < <(");
    expect(stdout).toContain(file);
  });

  test("the browser is opened with the same URL, and the URL is printed as well", async () => {
    const dir = tmpDir("tp-login-browser-");
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    const opened = path.join(dir, "opened.txt");
    // A stand-in for xdg-open / open that records what it was asked to open.
    for (const name of ["xdg-open", "open"])
      fs.writeFileSync(path.join(bin, name), `#!/bin/sh\nprintf '%s' "$1" > ${opened}\n`, { mode: 0o755 });
    const run = startLogin(["--output", path.join(dir, "out.env"), "--api-url", sandbox.apiUrl], dir, {
      PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`,
      TRAVELPERK_CLIENT_ID: sandbox.clientId,
      TRAVELPERK_CLIENT_SECRET: sandbox.clientSecret,
    });
    const url = await run.url;
    for (let i = 0; i < 50 && !fs.existsSync(opened); i++) await new Promise((r) => setTimeout(r, 100));
    expect(fs.readFileSync(opened, "utf8")).toBe(url.toString());
    expect(run.stderr()).toContain("If no browser opened, visit:");
    expect((await browse(url)).status).toBe(200);
    expect((await run.done).code).toBe(0);
  });

  test("without --output it is a usage error (exit 2) naming --output, before any browser", async () => {
    const dir = tmpDir("tp-login-usage-");
    const run = startLogin(["--no-browser", "--client-id", "x", "--client-secret", "y"], dir);
    const { code, stdout, stderr } = await run.done;
    expect(code).toBe(2);
    expect(stderr).toMatch(/pass --output FILE .*or run login inside the project/);
    expect(stdout).not.toMatch(/https?:\/\//);
  });

  test("without a client id it is a usage error naming the flag, the variable and the config key", async () => {
    const dir = tmpDir("tp-login-noclient-");
    const run = startLogin(["--no-browser", "--output", path.join(dir, "x.env"), "--connection", "emea"], dir, {
      TRAVELPERK_EMEA_CLIENT_SECRET: "s",
    });
    const { code, stderr } = await run.done;
    expect(code).toBe(2);
    expect(stderr).toContain("--client-id (or TRAVELPERK_EMEA_CLIENT_ID, or travelperk:emea.clientId)");
    expect(stderr).not.toContain("--client-secret (");
  });

  test("a denial (access_denied) ends the login with exit 1 and a message naming the OAuth error; nothing is written", async () => {
    sandbox.setOptions({ oauthDeny: true });
    const dir = tmpDir("tp-login-deny-");
    const file = path.join(dir, "out.env");
    const run = startLogin(["--no-browser", "--output", file, "--api-url", sandbox.apiUrl], dir, {
      TRAVELPERK_CLIENT_ID: sandbox.clientId,
      TRAVELPERK_CLIENT_SECRET: sandbox.clientSecret,
    });
    const { location, status, page } = await browse(await run.url);
    expect(location.searchParams.get("error")).toBe("access_denied");
    expect(status).toBe(400);
    expect(page).toContain("access_denied");
    const { code, stderr } = await run.done;
    expect(code).toBe(1);
    expect(stderr).toMatch(/the sign-in was denied: OAuth error access_denied/);
    expect(stderr).toContain("run login again");
    expect(fs.existsSync(file)).toBe(false);
    expect(sandbox.oauthStats().denied).toBe(1);
    expect(sandbox.oauthStats().grants.authorization_code).toBe(0);
  });

  test("a callback with a wrong state is refused (400) and the login keeps waiting for the real one", async () => {
    const dir = tmpDir("tp-login-state-");
    const file = path.join(dir, "out.env");
    const run = startLogin(["--no-browser", "--output", file, "--api-url", sandbox.apiUrl], dir, {
      TRAVELPERK_CLIENT_ID: sandbox.clientId,
      TRAVELPERK_CLIENT_SECRET: sandbox.clientSecret,
    });
    const url = await run.url;
    const redirect = new URL(url.searchParams.get("redirect_uri")!);
    // A forged answer: a code, but not this login's state (and one with no state at all).
    const forged = await fetch(`${redirect.toString()}?code=forged-code&state=not-the-state`);
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain("state differs");
    expect((await fetch(`${redirect.toString()}?code=forged-code`)).status).toBe(400);
    // A forged denial does not end it either.
    expect((await fetch(`${redirect.toString()}?error=access_denied&state=nope`)).status).toBe(400);
    expect(await stillRunning(run.child)).toBe(true);
    expect(run.stderr()).toContain("state does not match");
    expect(sandbox.oauthStats().refused).toBe(0); // the forged code was never sent to the token endpoint

    const { status } = await browse(url);
    expect(status).toBe(200);
    const { code, stdout, stderr } = await run.done;
    expect(code).toBe(0);
    expect(parseDotenv(fs.readFileSync(file, "utf8")).TRAVELPERK_REFRESH_TOKEN).toMatch(/^tp_rt_/);
    expect(sandbox.oauthStats().grants.authorization_code).toBe(1);
    expect(`${stdout}${stderr}`).not.toContain(parseDotenv(fs.readFileSync(file, "utf8")).TRAVELPERK_REFRESH_TOKEN);
  });

  test("--timeout 1 with no browser answer: exit 1 with the message", async () => {
    const dir = tmpDir("tp-login-timeout-");
    const started = Date.now();
    const run = startLogin(
      ["--no-browser", "--output", path.join(dir, "out.env"), "--api-url", sandbox.apiUrl, "--timeout", "1"],
      dir,
      { TRAVELPERK_CLIENT_ID: sandbox.clientId, TRAVELPERK_CLIENT_SECRET: sandbox.clientSecret },
    );
    const redirect = new URL((await run.url).searchParams.get("redirect_uri")!);
    const { code, stderr } = await run.done;
    expect(code).toBe(1);
    expect(stderr).toContain("no answer from the browser within 1 s; run login again");
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(fs.existsSync(path.join(dir, "out.env"))).toBe(false);
    // The listener is gone with it.
    await expect(fetch(redirect)).rejects.toThrow();
  });
});

describe("in a Pulumi project with a stack", () => {
  let project: string;
  const pulumi = async (args: string[]) => {
    const { stdout } = await promisify(execFile)(pulumiBin(), [...args, "--non-interactive"], {
      cwd: project,
      env: childEnv(),
    });
    return stdout;
  };
  const config = async () =>
    JSON.parse(await pulumi(["config", "--show-secrets", "--json", "--stack", "dev"])) as Record<
      string,
      { value: string; secret: boolean }
    >;

  beforeAll(async () => {
    pulumiBin();
    project = tmpDir("tp-login-project-");
    fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: tp-login\nruntime: nodejs\n");
    await pulumi(["stack", "init", "dev"]);
    await pulumi(["config", "set", "travelperk:apiUrl", sandbox.apiUrl]);
    await pulumi(["config", "set", "travelperk:emea.apiUrl", emea.apiUrl]);
    await pulumi(["config", "set", "travelperk:emea.userApi", "scim"]);
  });

  test("stores travelperk:refreshToken and clientSecret as secrets and clientId in plain, for the selected stack", async () => {
    const run = startLogin(
      ["--no-browser", "--client-id", sandbox.clientId, "--client-secret", sandbox.clientSecret],
      project,
    );
    const url = await run.url;
    expect(`${url.origin}${url.pathname}`).toBe(`${sandbox.url}/oauth2/authorize`); // from the stack's apiUrl
    const { location, status } = await browse(url);
    expect(status).toBe(200);
    const { code, stdout, stderr } = await run.done;
    expect(code).toBe(0);
    expect(stdout).toContain("Stored in the config of stack dev:");
    expect(stdout).toContain("travelperk:refreshToken (secret)");

    const stored = await config();
    expect(entry(stored, "travelperk:refreshToken").secret).toBe(true);
    expect(stored["travelperk:clientSecret"]).toEqual({ value: sandbox.clientSecret, secret: true });
    expect(stored["travelperk:clientId"]).toEqual({ value: sandbox.clientId, secret: false });
    const refreshToken = entry(stored, "travelperk:refreshToken").value;
    expect((await refreshGrant(sandbox, refreshToken)).status).toBe(200);

    const yaml = fs.readFileSync(path.join(project, "Pulumi.dev.yaml"), "utf8");
    expect(yaml).not.toContain(refreshToken);
    expect(yaml).not.toContain(sandbox.clientSecret);
    expect(yaml).toMatch(/travelperk:refreshToken:\s*\n\s*secure:/);
    for (const secret of [refreshToken, sandbox.clientSecret, location.searchParams.get("code")!]) {
      expect(stdout).not.toContain(secret);
      expect(stderr).not.toContain(secret);
    }
  });

  test("--connection emea --stack dev: the emea keys and variables, SCIM scopes for a SCIM connection, the default keys untouched", async () => {
    const before = await config();
    const run = startLogin(["--no-browser", "--connection", "emea", "--stack", "dev"], project, {
      TRAVELPERK_EMEA_CLIENT_ID: emea.clientId,
      TRAVELPERK_EMEA_CLIENT_SECRET: emea.clientSecret,
      // The default connection's variables are not this connection's.
      TRAVELPERK_CLIENT_ID: sandbox.clientId,
      TRAVELPERK_CLIENT_SECRET: sandbox.clientSecret,
    });
    const url = await run.url;
    expect(`${url.origin}${url.pathname}`).toBe(`${emea.url}/oauth2/authorize`);
    expect(url.searchParams.get("client_id")).toBe(emea.clientId);
    expect(url.searchParams.get("scope")).toBe(
      "users:read users:write companies:read scim:read scim:write scim:delete",
    );
    expect((await browse(url)).status).toBe(200);
    const { code, stdout, stderr } = await run.done;
    expect(code).toBe(0);

    const stored = await config();
    expect(entry(stored, "travelperk:emea.refreshToken").secret).toBe(true);
    expect(stored["travelperk:emea.clientSecret"]).toEqual({ value: emea.clientSecret, secret: true });
    expect(stored["travelperk:emea.clientId"]).toEqual({ value: emea.clientId, secret: false });
    const refreshToken = entry(stored, "travelperk:emea.refreshToken").value;
    const refreshed = await refreshGrant(emea, refreshToken);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.scope).toContain("scim:delete");
    for (const k of ["travelperk:refreshToken", "travelperk:clientId", "travelperk:clientSecret"])
      expect(stored[k]).toEqual(before[k]);
    const yaml = fs.readFileSync(path.join(project, "Pulumi.dev.yaml"), "utf8");
    expect(yaml).not.toContain(refreshToken);
    expect(stdout).toContain("travelperk:emea.refreshToken (secret)");
    expect(`${stdout}${stderr}`).not.toContain(refreshToken);
    expect(`${stdout}${stderr}`).not.toContain(emea.clientSecret);
  });

  test("a client secret already in the stack config is used from there and not written again", async () => {
    // The previous tests stored travelperk:clientId and clientSecret; the refresh token is replaced.
    const before = await config();
    const run = startLogin(["--no-browser"], project);
    expect((await browse(await run.url)).status).toBe(200);
    const { code, stdout } = await run.done;
    expect(code).toBe(0);
    expect(stdout).not.toContain("travelperk:clientSecret");
    const stored = await config();
    const refreshToken = entry(stored, "travelperk:refreshToken").value;
    expect(refreshToken).not.toBe(entry(before, "travelperk:refreshToken").value);
    expect((await refreshGrant(sandbox, refreshToken)).status).toBe(200);
  });

  test("the selected stack gets --api-url stored with the token, and a warning names an access token beside it", async () => {
    await pulumi(["stack", "init", "prod"]); // selects prod
    await pulumi(["config", "set", "--secret", "travelperk:accessToken", "tp-old-access-token"]);
    const run = startLogin(
      [
        "--no-browser",
        "--api-url",
        sandbox.apiUrl,
        "--client-id",
        sandbox.clientId,
        "--client-secret",
        sandbox.clientSecret,
      ],
      project,
    );
    const url = await run.url;
    expect(`${url.origin}${url.pathname}`).toBe(`${sandbox.url}/oauth2/authorize`);
    expect((await browse(url)).status).toBe(200);
    const { code, stdout, stderr } = await run.done;
    expect(code).toBe(0);
    expect(stdout).toContain("Stored in the config of stack prod:");
    expect(stderr).toContain("pulumi config rm --stack prod travelperk:accessToken");
    const prod = JSON.parse(await pulumi(["config", "--show-secrets", "--json", "--stack", "prod"])) as Record<
      string,
      { value: string; secret: boolean }
    >;
    expect(prod["travelperk:apiUrl"]).toEqual({ value: sandbox.apiUrl, secret: false });
    expect(entry(prod, "travelperk:refreshToken").secret).toBe(true);
    expect((await refreshGrant(sandbox, entry(prod, "travelperk:refreshToken").value)).status).toBe(200);
  });

  test("an unknown --stack fails before the browser is asked", async () => {
    const run = startLogin(["--no-browser", "--stack", "nope", "--client-id", "x", "--client-secret", "y"], project);
    const { code, stdout } = await run.done;
    expect(code).toBe(1);
    expect(stdout).not.toMatch(/https?:\/\//);
  });
});
