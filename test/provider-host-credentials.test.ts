/**
 * Credentials through Pulumi's own provider host, as the engine hands them over in Configure: the
 * refresh-token OAuth kind renewing expiring access tokens, a named connection reaching its own
 * organisation, and the token confusions refused at Configure, before any request.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { startSandbox, type SandboxServer } from "../sandbox/server";
import { ProviderHost } from "./helpers/provider-host";
import { serializedProvider } from "./helpers/serialize";

jest.setTimeout(120_000);

const program = process.env.TP_TEST_PROGRAM!;
const urn = (name: string) => `urn:pulumi:dev::tp-test::pulumi-nodejs:dynamic/travelperk:User::${name}`;
let provider: string;
let hq: SandboxServer;
let emea: SandboxServer;
const hosts: ProviderHost[] = [];
const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "tp-host-cache-"));

beforeAll(async () => {
  provider = await serializedProvider(program, "user");
  hq = await startSandbox({ tokenLifetimeSeconds: 1 });
  emea = await startSandbox();
});
afterAll(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
  await hq.stop();
  await emea.stop();
});

async function host(): Promise<ProviderHost> {
  const started = new ProviderHost(program);
  hosts.push(started);
  await started.start({ TRAVELPERK_TOKEN_CACHE: path.join(cacheDir, `tokens-${String(hosts.length)}.json`) });
  return started;
}

/** The refresh-token OAuth kind's keys for `server`, with the refresh token it holds now. */
function oauthConfig(server: SandboxServer): Record<string, string> {
  return {
    "travelperk:apiUrl": server.apiUrl,
    "travelperk:clientId": server.clientId,
    "travelperk:clientSecret": server.clientSecret,
    "travelperk:refreshToken": server.refreshToken,
  };
}

async function createUser(h: ProviderHost, name: string, extra: Record<string, unknown> = {}) {
  const checked = await h.check(
    urn(name),
    {},
    { __provider: provider, email: `${name}@example.com`, firstName: name, lastName: "Host", ...extra },
  );
  expect(checked.failures).toEqual([]);
  return h.create(urn(name), checked.inputs);
}

test("OAuth in Configure: access tokens renewed on demand as they expire, one grant each, no credential in outputs", async () => {
  const h = await host();
  const refreshToken = hq.refreshToken;
  await h.configure({
    ...oauthConfig(hq),
    "travelperk:emea.apiUrl": emea.apiUrl,
    "travelperk:emea.accessToken": emea.accessToken,
    "travelperk:retryBaseDelayMs": "5",
  });
  hq.clearLog();
  const first = await createUser(h, "ada");
  await new Promise((resolve) => setTimeout(resolve, 1300)); // the access token expires meanwhile
  const second = await createUser(h, "grace");
  const grants = hq.requests.filter((r) => r.grant === "refresh_token");
  // One grant to start, one after the expiry; nothing renewed while idle, no 401 on the API.
  expect(grants).toHaveLength(2);
  expect(hq.requests.filter((r) => r.status === 401)).toEqual([]);
  expect(
    hq
      .listUsers()
      .map((u) => u.email)
      .sort(),
  ).toEqual(["ada@example.com", "grace@example.com"]);

  // connection "emea": the same provider reaches the other organisation with its own token.
  const third = await createUser(h, "linus", { connection: "emea" });
  expect(emea.listUsers().map((u) => u.email)).toEqual(["linus@example.com"]);
  expect(third.properties.connection).toBe("emea");
  expect(first.properties.connection).toBeUndefined();

  const texts = JSON.stringify([first, second, third]) + h.stderr;
  for (const secret of [hq.clientSecret, refreshToken, hq.refreshToken, emea.accessToken])
    expect(texts).not.toContain(secret);
});

test("a connection name that is not one fails check on that field, with no request", async () => {
  const h = await host();
  await h.configure({ "travelperk:apiUrl": emea.apiUrl, "travelperk:accessToken": emea.accessToken });
  emea.clearLog();
  const checked = await h.check(
    urn("bad"),
    {},
    { __provider: provider, email: "bad@example.com", firstName: "B", lastName: "C", connection: "EMEA West" },
  );
  expect(checked.failures.map((f) => f.property)).toEqual(["connection"]);
  expect(emea.requests).toEqual([]);
});

/**
 * What a new host configured with `config` fails with when its first user `name` is created (emea's
 * log cleared first). The host's Configure only keeps the config: the dynamic provider is configured
 * (and refuses) as the first call for it arrives, the check of the first resource, before any request.
 */
async function refusal(config: Record<string, string>, name: string, extra: Record<string, unknown> = {}) {
  const h = await host();
  emea.clearLog();
  const error = await h
    .configure(config)
    .then(() => createUser(h, name, extra))
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

test("a scimToken equal to the REST credential is refused, naming both keys and not the value", async () => {
  const error = await refusal(
    {
      "travelperk:apiUrl": emea.apiUrl,
      "travelperk:userApi": "scim",
      "travelperk:accessToken": emea.accessToken,
      "travelperk:scimToken": emea.accessToken,
    },
    "scim-confused",
  );
  expect(error.message).toMatch(/travelperk:scimToken.*travelperk:accessToken/s);
  expect(emea.requests).toEqual([]);
  expect(error.message).not.toContain(emea.accessToken);
});

test("two credential kinds for one connection are refused, naming the keys and not the values", async () => {
  const error = await refusal(
    {
      "travelperk:emea.apiUrl": emea.apiUrl,
      "travelperk:emea.accessToken": emea.accessToken,
      "travelperk:emea.apiKey": emea.apiKey,
    },
    "two-kinds",
    { connection: "emea" },
  );
  expect(error.message).toMatch(/travelperk:emea\.accessToken/);
  expect(error.message).toMatch(/travelperk:emea\.apiKey/);
  expect(error.message).not.toContain(emea.accessToken);
  expect(error.message).not.toContain(emea.apiKey);
  expect(emea.requests).toEqual([]);
});

test("a plain program's provider, no cache named: a rotation warns once, naming the key and save-token, not the token", async () => {
  const rotating = await startSandbox({ refreshTokenRotation: "rotate" });
  try {
    const h = new ProviderHost(program);
    hosts.push(h);
    // No TRAVELPERK_TOKEN_CACHE: the default file under XDG_CACHE_HOME keeps the chain.
    const cacheHome = fs.mkdtempSync(path.join(os.tmpdir(), "tp-host-xdg-"));
    await h.start({ XDG_CACHE_HOME: cacheHome });
    const refreshToken = rotating.refreshToken;
    await h.configure(oauthConfig(rotating));
    await createUser(h, "rotated");
    expect(rotating.refreshToken).not.toBe(refreshToken);
    await new Promise((resolve) => setTimeout(resolve, 200)); // the provider's stderr reaches us
    const warnings = h.stderr.split("\n").filter((line) => line.includes("rotated the refresh token"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("travelperk:refreshToken");
    expect(warnings[0]).toContain("npx pulumi-travelperk save-token");
    expect(h.stderr).not.toContain(refreshToken);
    expect(h.stderr).not.toContain(rotating.refreshToken);
    const cacheFile = path.join(cacheHome, "pulumi-travelperk/tokens.json");
    expect(fs.statSync(cacheFile).mode & 0o777).toBe(0o600);
  } finally {
    await rotating.stop();
  }
});
