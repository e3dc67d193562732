/**
 * The credentials core: which credential a connection resolves to (provider/config.ts), the token
 * cache the processes of a command share (client/token-cache.ts), the OAuth refresh-token session
 * against the sandbox's strict OAuth server (client/credentials.ts), and the request core end to end
 * with short-lived access tokens, rotation and a revocation in the middle of a run.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  ConflictingCredentialsError,
  DEFAULT_API_URL,
  IncompleteCredentialsError,
  InvalidConnectionError,
  MissingCredentialsError,
  ScimTokenConfusionError,
  checkConnectionName,
  configuredConnections,
  resolveApiUrl,
  resolveCredentials,
  resolveSettings,
  resolveTokenCache,
  setStackConfig,
  settingFor,
  validateConnections,
  type ConfigSource,
  type Credentials,
} from "../provider/config";
import { CredentialError, OAuthSession } from "../provider/client/credentials";
import { AuthenticationError } from "../provider/client/errors";
import { credentialStats } from "../provider/client/request";
import {
  TokenCache,
  TokenCacheInRepositoryError,
  assertOutsideRepository,
  fingerprint,
  type TokenChain,
} from "../provider/client/token-cache";
import { getUser } from "../provider/client/users";
import * as runtime from "../provider/runtime";
import { startSandbox, type SandboxServer } from "../sandbox/server";
import { at } from "./helpers/at";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A ConfigSource over a plain map, as the engine's `configure` delivers one. */
function config(values: Record<string, string>): ConfigSource {
  return { get: (key) => values[key], keys: () => Object.keys(values) };
}

const tmpDirs: string[] = [];
function tmpDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** Throws what `fn` throws, for assertions on the error itself. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a throw");
}

async function rejected(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

// ---------------------------------------------------------------------------------------------
// provider/config.ts
// ---------------------------------------------------------------------------------------------

describe("resolveCredentials", () => {
  const SECRET = "cs-VALUE-never-printed";
  const REFRESH = "rt-VALUE-never-printed";
  const ACCESS = "at-VALUE-never-printed";
  const KEY = "key-VALUE-never-printed";
  const VALUES = [SECRET, REFRESH, ACCESS, KEY];
  const expectNoValue = (message: string) => {
    for (const value of VALUES) expect(message).not.toContain(value);
  };

  test("oauth from stack config: client id, secret and refresh token, token URL from the API URL", () => {
    const source = config({
      "travelperk:apiUrl": "https://api.example.test/api/v2",
      "travelperk:clientId": "client-1",
      "travelperk:clientSecret": SECRET,
      "travelperk:refreshToken": REFRESH,
    });
    expect(resolveCredentials({}, "", source)).toEqual({
      kind: "oauth",
      clientId: "client-1",
      clientSecret: SECRET,
      refreshToken: REFRESH,
      tokenUrl: "https://api.example.test/oauth2/token",
      from: "travelperk:refreshToken",
    });
  });

  test("oauth from the environment, with tokenUrl as set", () => {
    const env = {
      TRAVELPERK_CLIENT_ID: "client-1",
      TRAVELPERK_CLIENT_SECRET: SECRET,
      TRAVELPERK_REFRESH_TOKEN: REFRESH,
      TRAVELPERK_TOKEN_URL: "https://auth.example.test/token",
    };
    expect(resolveCredentials(env, "", config({}))).toEqual({
      kind: "oauth",
      clientId: "client-1",
      clientSecret: SECRET,
      refreshToken: REFRESH,
      tokenUrl: "https://auth.example.test/token",
      from: "TRAVELPERK_REFRESH_TOKEN",
    });
  });

  test("an access token or an API key, from stack config or environment; stack config wins", () => {
    expect(resolveCredentials({}, "", config({ "travelperk:accessToken": ACCESS }))).toEqual({
      kind: "accessToken",
      token: ACCESS,
      from: "travelperk:accessToken",
    });
    expect(resolveCredentials({ TRAVELPERK_ACCESS_TOKEN: ACCESS }, "", config({}))).toEqual({
      kind: "accessToken",
      token: ACCESS,
      from: "TRAVELPERK_ACCESS_TOKEN",
    });
    expect(resolveCredentials({}, "", config({ "travelperk:apiKey": KEY }))).toEqual({
      kind: "apiKey",
      key: KEY,
      from: "travelperk:apiKey",
    });
    expect(resolveCredentials({ TRAVELPERK_API_KEY: KEY }, "", undefined)).toEqual({
      kind: "apiKey",
      key: KEY,
      from: "TRAVELPERK_API_KEY",
    });
    expect(
      resolveCredentials({ TRAVELPERK_API_KEY: "from-env" }, "", config({ "travelperk:apiKey": "from-stack" })),
    ).toMatchObject({ key: "from-stack", from: "travelperk:apiKey" });
    // An empty value is not a value.
    expect(resolveCredentials({ TRAVELPERK_API_KEY: "" }, "", config({ "travelperk:apiKey": "" }))).toBeUndefined();
  });

  test("two kinds at once: ConflictingCredentialsError naming both keys, never a value", () => {
    const cases: [NodeJS.ProcessEnv, Record<string, string>, string[]][] = [
      [
        {},
        { "travelperk:accessToken": ACCESS, "travelperk:apiKey": KEY },
        ["travelperk:accessToken", "travelperk:apiKey"],
      ],
      [
        { TRAVELPERK_API_KEY: KEY },
        {
          "travelperk:clientId": "c",
          "travelperk:clientSecret": SECRET,
          "travelperk:refreshToken": REFRESH,
        },
        ["travelperk:refreshToken", "TRAVELPERK_API_KEY"],
      ],
      [
        { TRAVELPERK_ACCESS_TOKEN: ACCESS, TRAVELPERK_REFRESH_TOKEN: REFRESH },
        {},
        ["TRAVELPERK_REFRESH_TOKEN", "TRAVELPERK_ACCESS_TOKEN"],
      ],
    ];
    for (const [env, values, keys] of cases) {
      const error = thrown(() => resolveCredentials(env, "", config(values)));
      expect(error).toBeInstanceOf(ConflictingCredentialsError);
      for (const key of keys) expect(error.message).toContain(key);
      expectNoValue(error.message);
    }
    // All three: every key named.
    const all = thrown(() =>
      resolveCredentials(
        { TRAVELPERK_CLIENT_ID: "c", TRAVELPERK_CLIENT_SECRET: SECRET },
        "",
        config({ "travelperk:refreshToken": REFRESH, "travelperk:accessToken": ACCESS, "travelperk:apiKey": KEY }),
      ),
    );
    expect(all).toBeInstanceOf(ConflictingCredentialsError);
    for (const key of ["travelperk:refreshToken", "travelperk:accessToken", "travelperk:apiKey"])
      expect(all.message).toContain(key);
    expectNoValue(all.message);
  });

  test("none: undefined, and resolveSettings throws MissingCredentialsError naming every way", () => {
    expect(resolveCredentials({}, "", config({}))).toBeUndefined();
    setStackConfig(undefined);
    const error = thrown(() => resolveSettings({}, ""));
    expect(error).toBeInstanceOf(MissingCredentialsError);
    // Every way to sign in, for the default connection and for a named one.
    const ways: [string, string][] = [
      ["npx pulumi-travelperk login", "npx pulumi-travelperk login --connection emea"],
      ["travelperk:clientId", "travelperk:emea.clientId"],
      ["travelperk:clientSecret", "travelperk:emea.clientSecret"],
      ["travelperk:refreshToken", "travelperk:emea.refreshToken"],
      ["TRAVELPERK_CLIENT_ID", "TRAVELPERK_EMEA_CLIENT_ID"],
      ["TRAVELPERK_CLIENT_SECRET", "TRAVELPERK_EMEA_CLIENT_SECRET"],
      ["TRAVELPERK_REFRESH_TOKEN", "TRAVELPERK_EMEA_REFRESH_TOKEN"],
      ["travelperk:accessToken", "travelperk:emea.accessToken"],
      ["TRAVELPERK_ACCESS_TOKEN", "TRAVELPERK_EMEA_ACCESS_TOKEN"],
      ["travelperk:apiKey", "travelperk:emea.apiKey"],
      ["TRAVELPERK_API_KEY", "TRAVELPERK_EMEA_API_KEY"],
    ];
    for (const [way] of ways) expect(error.message).toContain(way);
    expect(error.message).toContain("the default connection");

    const emea = thrown(() => resolveSettings({}, "emea"));
    expect(emea).toBeInstanceOf(MissingCredentialsError);
    for (const [, way] of ways) expect(emea.message).toContain(way);
    expect(emea.message).toContain('connection "emea"');
  });

  test("a refresh token without its client: IncompleteCredentialsError naming what is missing", () => {
    const none = thrown(() => resolveCredentials({}, "", config({ "travelperk:refreshToken": REFRESH })));
    expect(none).toBeInstanceOf(IncompleteCredentialsError);
    expect(none.message).toContain("travelperk:refreshToken is set");
    expect(none.message).toContain(
      "travelperk:clientId (or TRAVELPERK_CLIENT_ID) and travelperk:clientSecret (or TRAVELPERK_CLIENT_SECRET) are not",
    );
    expectNoValue(none.message);

    const noSecret = thrown(() =>
      resolveCredentials({ TRAVELPERK_REFRESH_TOKEN: REFRESH, TRAVELPERK_CLIENT_ID: "c" }, "", config({})),
    );
    expect(noSecret).toBeInstanceOf(IncompleteCredentialsError);
    expect(noSecret.message).toContain("travelperk:clientSecret (or TRAVELPERK_CLIENT_SECRET) is not");
    expect(noSecret.message).not.toContain("travelperk:clientId");
    expectNoValue(noSecret.message);

    const noId = thrown(() =>
      resolveCredentials({}, "", config({ "travelperk:refreshToken": REFRESH, "travelperk:clientSecret": SECRET })),
    );
    expect(noId).toBeInstanceOf(IncompleteCredentialsError);
    expect(noId.message).toContain("travelperk:clientId (or TRAVELPERK_CLIENT_ID) is not");
    expectNoValue(noId.message);
  });

  test("client id and secret without a refresh token are not a credential (they are for login)", () => {
    const client = { "travelperk:clientId": "c", "travelperk:clientSecret": SECRET };
    expect(resolveCredentials({}, "", config(client))).toBeUndefined();
    expect(resolveCredentials({}, "", config({ ...client, "travelperk:accessToken": ACCESS }))).toEqual({
      kind: "accessToken",
      token: ACCESS,
      from: "travelperk:accessToken",
    });
    expect(resolveCredentials({ TRAVELPERK_API_KEY: KEY }, "", config(client))).toMatchObject({ kind: "apiKey" });
  });

  test("a SCIM token equal to the REST credential: ScimTokenConfusionError naming both keys, never the value", () => {
    const oauth = { "travelperk:clientId": "c", "travelperk:clientSecret": SECRET, "travelperk:refreshToken": REFRESH };
    const cases: [NodeJS.ProcessEnv, Record<string, string>, string, string][] = [
      [
        {},
        { "travelperk:accessToken": ACCESS, "travelperk:scimToken": ACCESS },
        "travelperk:scimToken",
        "travelperk:accessToken",
      ],
      [{ TRAVELPERK_SCIM_TOKEN: KEY }, { "travelperk:apiKey": KEY }, "TRAVELPERK_SCIM_TOKEN", "travelperk:apiKey"],
      [{}, { ...oauth, "travelperk:scimToken": REFRESH }, "travelperk:scimToken", "travelperk:refreshToken"],
      [{}, { ...oauth, "travelperk:scimToken": SECRET }, "travelperk:scimToken", "travelperk:clientSecret"],
    ];
    for (const [env, values, scimKey, restKey] of cases) {
      const error = thrown(() => resolveCredentials(env, "", config(values)));
      expect(error).toBeInstanceOf(ScimTokenConfusionError);
      expect(error.message).toContain(`${scimKey} holds the same value as ${restKey}`);
      expect(error.message).toContain(`leave ${scimKey} unset`);
      expectNoValue(error.message);
    }
    // A different SCIM token is the separate credential SCIM requests carry.
    setStackConfig(config({ "travelperk:accessToken": ACCESS, "travelperk:scimToken": "scim-other" }));
    try {
      const settings = resolveSettings({}, "");
      expect(settings.credentials).toMatchObject({ kind: "accessToken", token: ACCESS });
      expect(settings.scimCredentials).toEqual({
        kind: "scimToken",
        token: "scim-other",
        from: "travelperk:scimToken",
      });
    } finally {
      setStackConfig(undefined);
    }
  });
});

describe("named connections", () => {
  test("settingFor: travelperk:<name>.X and TRAVELPERK_<NAME>_X; the default connection is unprefixed", () => {
    expect(settingFor("refreshToken", "emea")).toEqual({
      configKey: "travelperk:emea.refreshToken",
      envVar: "TRAVELPERK_EMEA_REFRESH_TOKEN",
    });
    expect(settingFor("apiUrl", "us-west")).toEqual({
      configKey: "travelperk:us-west.apiUrl",
      envVar: "TRAVELPERK_US_WEST_API_URL",
    });
    expect(settingFor("clientId", "")).toEqual({ configKey: "travelperk:clientId", envVar: "TRAVELPERK_CLIENT_ID" });
  });

  test("a connection's credentials come from its own keys only", () => {
    const source = config({
      "travelperk:emea.clientId": "emea-client",
      "travelperk:emea.clientSecret": "emea-secret",
      "travelperk:emea.refreshToken": "emea-refresh",
      "travelperk:emea.apiUrl": "https://emea.example.test/api/v2",
      "travelperk:accessToken": "default-access",
    });
    expect(resolveCredentials({}, "emea", source)).toEqual({
      kind: "oauth",
      clientId: "emea-client",
      clientSecret: "emea-secret",
      refreshToken: "emea-refresh",
      tokenUrl: "https://emea.example.test/oauth2/token",
      from: "travelperk:emea.refreshToken",
    });
    // The default connection's access token does not conflict with emea's OAuth, and is the default's own.
    expect(resolveCredentials({}, "", source)).toEqual({
      kind: "accessToken",
      token: "default-access",
      from: "travelperk:accessToken",
    });
    // The emea environment variables work too.
    expect(resolveCredentials({ TRAVELPERK_EMEA_API_KEY: "emea-key" }, "emea", config({}))).toEqual({
      kind: "apiKey",
      key: "emea-key",
      from: "TRAVELPERK_EMEA_API_KEY",
    });
  });

  test("nothing of the default connection reaches another: credentials, client, URLs", () => {
    const defaults = config({
      "travelperk:accessToken": "default-access",
      "travelperk:apiKey": "unused",
      "travelperk:apiUrl": "https://default.example.test/api/v2",
    });
    const env = {
      TRAVELPERK_ACCESS_TOKEN: "default-env-access",
      TRAVELPERK_CLIENT_ID: "default-client",
      TRAVELPERK_CLIENT_SECRET: "default-secret",
      TRAVELPERK_REFRESH_TOKEN: "default-refresh",
    };
    expect(resolveCredentials(env, "emea", defaults)).toBeUndefined();
    expect(resolveApiUrl(env, "emea", defaults)).toBe(DEFAULT_API_URL);
    // emea's refresh token does not borrow the default connection's client.
    const incomplete = thrown(() =>
      resolveCredentials(env, "emea", config({ "travelperk:emea.refreshToken": "emea-refresh" })),
    );
    expect(incomplete).toBeInstanceOf(IncompleteCredentialsError);
    expect(incomplete.message).toContain(
      "travelperk:emea.clientId (or TRAVELPERK_EMEA_CLIENT_ID) and travelperk:emea.clientSecret (or TRAVELPERK_EMEA_CLIENT_SECRET) are not",
    );
    // emea's SCIM token is compared with emea's credential only.
    expect(
      resolveCredentials(
        {},
        "emea",
        config({
          "travelperk:accessToken": "same-value",
          "travelperk:emea.apiKey": "emea-key",
          "travelperk:emea.scimToken": "same-value",
        }),
      ),
    ).toMatchObject({ kind: "apiKey", key: "emea-key" });
    // Without credentials of its own, emea is missing them, whatever the default connection holds.
    setStackConfig(defaults);
    try {
      const error = thrown(() => resolveSettings(env, "emea"));
      expect(error).toBeInstanceOf(MissingCredentialsError);
      expect(error.message).toContain('connection "emea"');
    } finally {
      setStackConfig(undefined);
    }
  });

  test("the token cache and tuning settings fall back to the default connection's; its own win", () => {
    const cacheDir = tmpDir("tp-cred-conn-");
    const source = config({
      "travelperk:tokenCache": path.join(cacheDir, "shared.json"),
      "travelperk:maxRetries": "3",
      "travelperk:retryBaseDelayMs": "7",
      "travelperk:maxConcurrentRequests": "2",
      "travelperk:rateControl": '{"closeAfter": 4}',
      "travelperk:emea.apiKey": "emea-key",
      "travelperk:apac.apiKey": "apac-key",
      "travelperk:apac.tokenCache": path.join(cacheDir, "apac.json"),
      "travelperk:apac.maxRetries": "1",
    });
    expect(resolveTokenCache({}, "emea", source)).toEqual({ path: path.join(cacheDir, "shared.json"), named: true });
    expect(resolveTokenCache({}, "apac", source)).toEqual({ path: path.join(cacheDir, "apac.json"), named: true });
    expect(resolveTokenCache({ TRAVELPERK_TOKEN_CACHE: path.join(cacheDir, "env.json") }, "emea", config({}))).toEqual({
      path: path.join(cacheDir, "env.json"),
      named: true,
    });
    setStackConfig(source);
    try {
      const emea = resolveSettings({ TRAVELPERK_REQUEST_TIMEOUT_MS: "1234" }, "emea");
      expect(emea).toMatchObject({
        connection: "emea",
        maxRetries: 3,
        retryBaseDelayMs: 7,
        requestTimeoutMs: 1234,
        maxConcurrentRequests: 2,
        rateControl: { closeAfter: 4 },
        credentials: { kind: "apiKey", key: "emea-key", from: "travelperk:emea.apiKey" },
      });
      const apac = resolveSettings({}, "apac");
      expect(apac.maxRetries).toBe(1);
      expect(apac.tokenCache.path).toBe(path.join(cacheDir, "apac.json"));
    } finally {
      setStackConfig(undefined);
    }
  });

  test("invalid connection names are refused", () => {
    for (const name of ["EMEA", "1emea", "em ea", "emea.", "a.b", "emea-", "-emea", "a__b", "émea", "travelperk:x"]) {
      expect(() => settingFor("apiKey", name)).toThrow(InvalidConnectionError);
      expect(() => {
        checkConnectionName(name);
      }).toThrow(InvalidConnectionError);
      expect(() => resolveCredentials({}, name, config({}))).toThrow(InvalidConnectionError);
    }
    for (const name of ["", "emea", "us-west", "us_west2", "a1-b2-c3"])
      expect(() => {
        checkConnectionName(name);
      }).not.toThrow();
    const error = thrown(() => settingFor("apiKey", "Bad Name"));
    expect(error.message).toContain('"Bad Name"');
  });

  test("configuredConnections: the default first, then each connection a travelperk:<name>.<setting> key names", () => {
    expect(configuredConnections(undefined)).toEqual([""]);
    expect(configuredConnections({ get: () => undefined })).toEqual([""]);
    const source = config({
      "travelperk:accessToken": "a",
      "travelperk:emea.accessToken": "b",
      "travelperk:us-west.apiUrl": "https://x.test",
      "travelperk:emea.clientId": "c",
      "travelperk:apac.notASetting": "d",
      "other:nordics.apiKey": "e",
      "travelperk:a.b.apiKey": "f",
    });
    expect(configuredConnections(source)).toEqual(["", "emea", "us-west"]);
    // A badly named connection is listed, and `configure`'s validation refuses it.
    setStackConfig(config({ "travelperk:EMEA.apiKey": "k" }));
    try {
      expect(configuredConnections()).toEqual(["", "EMEA"]);
      expect(() => {
        validateConnections({});
      }).toThrow(InvalidConnectionError);
      // Two names that read the same variables are refused, naming both.
      setStackConfig(config({ "travelperk:us-west.apiKey": "k1", "travelperk:us_west.apiKey": "k2" }));
      expect(() => {
        validateConnections({});
      }).toThrow(/"us-west" and "us_west" share the environment variables TRAVELPERK_US_WEST_\*/);
    } finally {
      setStackConfig(undefined);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// provider/client/token-cache.ts
// ---------------------------------------------------------------------------------------------

/** A `change` that stores `next` over the chain it is handed. */
const store =
  (next: (chain: TokenChain) => Partial<TokenChain>) =>
  (chain: TokenChain): Promise<{ chain: TokenChain; result: TokenChain }> => {
    const changed = { ...chain, ...next(chain) };
    return Promise.resolve({ chain: changed, result: changed });
  };

/** A rotation: `next` becomes the head, the old head is spent. */
const rotateTo = (next: string) => store((chain) => ({ head: next, spent: [...chain.spent, fingerprint(chain.head)] }));

describe("TokenCache", () => {
  test("writes the file with mode 0600 in a 0700 folder, by rename (no temporary file left)", async () => {
    const dir = path.join(tmpDir("tp-cache-"), "new", "folder");
    const file = path.join(dir, "tokens.json");
    const cache = new TokenCache(file);
    const first = await cache.update(
      "client",
      "rt-0",
      store(() => ({})),
    );
    expect(first).toMatchObject({ client: "client", head: "rt-0", spent: [] });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    // A file that was readable by others becomes 0600 on the next write: it is replaced, not rewritten.
    fs.chmodSync(file, 0o644);
    const inode = fs.statSync(file).ino;
    await cache.update(
      "client",
      "rt-0",
      store(() => ({ access: { token: "at", expiresAt: 1, lifetimeMs: 1 } })),
    );
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(file).ino).not.toBe(inode);
    expect(fs.readdirSync(dir).sort()).toEqual(["tokens.json"]);
    const content = JSON.parse(fs.readFileSync(file, "utf8")) as { version: number; chains: TokenChain[] };
    expect(content.version).toBe(1);
    expect(content.chains).toHaveLength(1);
  });

  test("a chain follows rotation: found by any token it held, handing over the newest head", async () => {
    const file = path.join(tmpDir("tp-cache-"), "tokens.json");
    const cache = new TokenCache(file);
    await cache.update("client", "rt-0", rotateTo("rt-1"));
    await cache.update("client", "rt-0", rotateTo("rt-2")); // found by the spent rt-0
    await cache.update("client", "rt-2", rotateTo("rt-3")); // found by its head
    for (const token of ["rt-0", "rt-1", "rt-2", "rt-3"])
      expect(cache.find("client", token)).toMatchObject({
        head: "rt-3",
        spent: [fingerprint("rt-0"), fingerprint("rt-1"), fingerprint("rt-2")],
      });
    // `update` hands the chain's newest head to whoever comes with a spent token.
    let handed = "";
    await cache.update(
      "client",
      "rt-1",
      store((chain) => {
        handed = chain.head;
        return {};
      }),
    );
    expect(handed).toBe("rt-3");
    // Spent tokens are kept as fingerprints only.
    const text = fs.readFileSync(file, "utf8");
    for (const spent of ["rt-0", "rt-1", "rt-2"]) expect(text).not.toContain(`"${spent}"`);
    // Another client, or a token the chain never held, finds nothing.
    expect(cache.find("other-client", "rt-0")).toBeUndefined();
    expect(cache.find("client", "rt-9")).toBeUndefined();
    // A second chain of the same client lives beside the first.
    await cache.update("client", "rt-x", rotateTo("rt-y"));
    expect(cache.find("client", "rt-x")!.head).toBe("rt-y");
    expect(cache.find("client", "rt-0")!.head).toBe("rt-3");
  });

  test("a long chain is still found by the token it began from (the one a stack config keeps)", async () => {
    const file = path.join(tmpDir("tp-cache-"), "tokens.json");
    const cache = new TokenCache(file);
    const ROTATIONS = 100;
    for (let i = 1; i <= ROTATIONS; i++) await cache.update("client", "rt-0", rotateTo(`rt-${String(i)}`));
    const chain = cache.find("client", "rt-0");
    expect(chain?.head).toBe(`rt-${String(ROTATIONS)}`);
    const content = JSON.parse(fs.readFileSync(file, "utf8")) as { chains: TokenChain[] };
    expect(content.chains).toHaveLength(1);
    // What is kept stays bounded: the first token and the newest spent ones.
    expect(chain!.spent.length).toBeLessThanOrEqual(64);
    expect(chain!.spent[0]).toBe(fingerprint("rt-0"));
    expect(chain!.spent.at(-1)).toBe(fingerprint(`rt-${String(ROTATIONS - 1)}`));
    expect(cache.find("client", `rt-${String(ROTATIONS - 2)}`)?.head).toBe(`rt-${String(ROTATIONS)}`);
  });

  test("a damaged file is rebuilt; a chain untouched for 90 days is dropped", async () => {
    const file = path.join(tmpDir("tp-cache-"), "tokens.json");
    fs.writeFileSync(file, "{ half a fi", { mode: 0o600 });
    const cache = new TokenCache(file);
    expect(cache.find("client", "rt-0")).toBeUndefined();
    await cache.update("client", "rt-0", rotateTo("rt-1"));
    expect(cache.find("client", "rt-0")!.head).toBe("rt-1");
    const content = JSON.parse(fs.readFileSync(file, "utf8")) as { chains: TokenChain[] };
    at(content.chains, 0).updatedAt = Date.now() - 91 * 24 * 3600_000;
    fs.writeFileSync(file, JSON.stringify(content));
    await cache.update(
      "client",
      "rt-other",
      store(() => ({})),
    );
    expect(cache.find("client", "rt-0")).toBeUndefined();
    expect(cache.find("client", "rt-other")).toBeDefined();
  });

  test("two OS processes updating at once lose no update, and a reader never sees half a file", async () => {
    // The children load the sources through a transpiling require hook: no build needed.
    const module = path.resolve(__dirname, "../provider/client/token-cache.ts");
    const registerTs = path.resolve(__dirname, "helpers/register-ts.js");
    const file = path.join(tmpDir("tp-cache-"), "tokens.json");
    const PER_CHILD = 40;
    // Each update appends the child's mark to the shared chain after a pause inside `change`: a
    // read-modify-write without the lock would lose the other child's marks.
    const script = `
      const { TokenCache } = require(process.env.TP_MODULE);
      const cache = new TokenCache(process.env.TP_FILE);
      const id = process.env.TP_ID;
      const pause = (ms) => new Promise((r) => setTimeout(r, ms));
      (async () => {
        for (let i = 0; i < Number(process.env.TP_N); i++) {
          await cache.update("shared", "rt-shared", async (chain) => {
            await pause(1);
            const marks = chain.access ? chain.access.token + "," : "";
            return { chain: { ...chain, access: { token: marks + id + "-" + i, expiresAt: 0, lifetimeMs: 0 } }, result: 0 };
          });
          await cache.update("own-" + id, "rt-" + id, async (chain) => {
            await pause(Math.random() * 2);
            const count = Number(chain.access ? chain.access.token : 0) + 1;
            return { chain: { ...chain, access: { token: String(count), expiresAt: 0, lifetimeMs: 0 } }, result: 0 };
          });
        }
      })().catch((error) => { console.error(error); process.exit(1); });
    `;
    const run = (id: string) =>
      new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, ["-r", registerTs, "-e", script], {
          env: { ...process.env, TP_MODULE: module, TP_FILE: file, TP_ID: id, TP_N: String(PER_CHILD) },
          stdio: ["ignore", "ignore", "pipe"],
        });
        let stderr = "";
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        child.on("error", reject);
        child.on("close", (code) => {
          resolve({ code, stderr });
        });
      });
    const reading = { on: true };
    let reads = 0;
    const reader = (async () => {
      while (reading.on) {
        let text: string | undefined;
        try {
          text = fs.readFileSync(file, "utf8");
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        }
        if (text !== undefined) {
          JSON.parse(text); // throws on half a file
          reads += 1;
        }
        await sleep(1);
      }
    })();
    const results = await Promise.all([run("a"), run("b")]);
    reading.on = false;
    await reader;
    for (const result of results) expect(result).toEqual({ code: 0, stderr: "" });
    expect(reads).toBeGreaterThan(0);
    const cache = new TokenCache(file);
    const marks = cache.find("shared", "rt-shared")!.access!.token.split(",").sort();
    const expected = ["a", "b"].flatMap((id) => Array.from({ length: PER_CHILD }, (_, i) => `${id}-${String(i)}`));
    expect(marks).toEqual(expected.sort());
    expect(cache.find("own-a", "rt-a")!.access!.token).toBe(String(PER_CHILD));
    expect(cache.find("own-b", "rt-b")!.access!.token).toBe(String(PER_CHILD));
    const content = JSON.parse(fs.readFileSync(file, "utf8")) as { chains: TokenChain[] };
    expect(content.chains).toHaveLength(3);
    expect(fs.readdirSync(path.dirname(file)).sort()).toEqual(["tokens.json"]);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  test("assertOutsideRepository refuses a file inside a git work tree or a Pulumi project", () => {
    const base = tmpDir("tp-cache-roots-");
    const repo = path.join(base, "repo");
    fs.mkdirSync(path.join(repo, ".git"), { recursive: true });
    fs.mkdirSync(path.join(repo, "deep", "er"), { recursive: true });
    const project = path.join(base, "project");
    fs.mkdirSync(path.join(project, "src"), { recursive: true });
    fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: p\nruntime: nodejs\n");
    const worktree = path.join(base, "worktree");
    fs.mkdirSync(worktree);
    fs.writeFileSync(path.join(worktree, ".git"), "gitdir: /elsewhere\n"); // a linked work tree or submodule
    const outside = path.join(base, "outside", "tokens.json");

    const inRepo = thrown(() => {
      assertOutsideRepository(path.join(repo, "tokens.json"), "travelperk:tokenCache", path.join(repo, "deep", "er"));
    });
    expect(inRepo).toBeInstanceOf(TokenCacheInRepositoryError);
    expect(inRepo.message).toContain("travelperk:tokenCache");
    expect(inRepo.message).toContain(`inside ${repo}`);
    // Relative paths resolve against the process's directory; the roots are found from `cwd`.
    expect(() => {
      assertOutsideRepository(path.join(repo, "deep", ".cache", "t.json"), "TRAVELPERK_TOKEN_CACHE", repo);
    }).toThrow(TokenCacheInRepositoryError);
    expect(() => {
      assertOutsideRepository(path.join(project, "tokens.json"), "travelperk:tokenCache", path.join(project, "src"));
    }).toThrow(TokenCacheInRepositoryError);
    expect(() => {
      assertOutsideRepository(path.join(worktree, "t.json"), "k", worktree);
    }).toThrow(TokenCacheInRepositoryError);
    // A name that merely starts with two dots is still inside.
    expect(() => {
      assertOutsideRepository(path.join(repo, "..tokens.json"), "k", repo);
    }).toThrow(TokenCacheInRepositoryError);
    expect(() => {
      assertOutsideRepository(path.join(repo, "..cache", "t.json"), "k", repo);
    }).toThrow(TokenCacheInRepositoryError);
    // Outside every root: allowed, from inside the repository or the project too.
    expect(() => {
      assertOutsideRepository(outside, "k", path.join(repo, "deep"));
    }).not.toThrow();
    expect(() => {
      assertOutsideRepository(outside, "k", project);
    }).not.toThrow();
    expect(() => {
      assertOutsideRepository(path.join(base, "repo-sibling", "t.json"), "k", repo);
    }).not.toThrow();
  });
});

// ---------------------------------------------------------------------------------------------
// provider/client/credentials.ts: OAuthSession against the sandbox
// ---------------------------------------------------------------------------------------------

const CLIENT_SECRET = "tp_secret_NEVER-IN-A-MESSAGE-0123456789";

describe("OAuthSession against the sandbox", () => {
  let sandbox: SandboxServer;
  let cacheFile: string;
  const messages: string[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox({ clientId: "tp_client_test", clientSecret: CLIENT_SECRET });
  });
  afterAll(() => sandbox.stop());
  beforeEach(() => {
    sandbox.setOptions({ tokenLifetimeSeconds: undefined, refreshTokenRotation: undefined });
    sandbox.reset();
    cacheFile = path.join(tmpDir("tp-session-"), "tokens.json");
    messages.length = 0;
  });

  const oauthCredentials = (
    overrides: Partial<Extract<Credentials, { kind: "oauth" }>> = {},
  ): Extract<Credentials, { kind: "oauth" }> => ({
    kind: "oauth",
    clientId: sandbox.clientId,
    clientSecret: sandbox.clientSecret,
    refreshToken: sandbox.refreshToken,
    tokenUrl: `${sandbox.url}/oauth2/token`,
    from: "travelperk:refreshToken",
    ...overrides,
  });

  const session = (
    options: Partial<ConstructorParameters<typeof OAuthSession>[1]> = {},
    credentials = oauthCredentials(),
  ) =>
    new OAuthSession(credentials, {
      cacheFile,
      cacheNamed: true,
      cacheKey: "travelperk:tokenCache",
      connection: "",
      timeoutMs: 5000,
      notice: (message) => messages.push(message),
      ...options,
    });

  /** The REST API's answer to `authorization` (200: the token works). */
  const restStatus = async (authorization: string) =>
    (await fetch(`${sandbox.apiUrl}/users`, { headers: { authorization } })).status;
  const refreshGrants = () => sandbox.oauthStats().grants.refresh_token;
  const client = () => fingerprint(`${sandbox.url}/oauth2/token`, sandbox.clientId);

  test("20 concurrent authorization() calls send one refresh grant (single-flight)", async () => {
    const s = session();
    const headers = await Promise.all(Array.from({ length: 20 }, () => s.authorization()));
    expect(new Set(headers).size).toBe(1);
    expect(headers[0]).toMatch(/^Bearer tp_at_/);
    expect(refreshGrants()).toBe(1);
    expect(s.stats.grants).toBe(1);
    expect(await restStatus(at(headers, 0))).toBe(200);
    // Later calls reuse the token.
    expect(await s.authorization()).toBe(headers[0]);
    expect(refreshGrants()).toBe(1);
  });

  test("renews on demand shortly before expiry, not before", async () => {
    sandbox.setOptions({ tokenLifetimeSeconds: 60 });
    let now = Date.now();
    const s = session({ now: () => now });
    const first = await s.authorization();
    expect(refreshGrants()).toBe(1);
    now += 44_000; // a quarter of the lifetime before expiry is the margin: 45 s
    expect(await s.authorization()).toBe(first);
    expect(refreshGrants()).toBe(1);
    now += 2_000;
    const second = await s.authorization();
    expect(second).not.toBe(first);
    expect(refreshGrants()).toBe(2);
    // Renewed before expiry: the server still takes the first token.
    expect(await restStatus(first)).toBe(200);
    expect(await restStatus(second)).toBe(200);
  });

  test("a token endpoint slower than the renewal margin: the token just obtained is used, no grant loop", async () => {
    // 0.2 s tokens answered after 0.17 s: each arrives inside its own margin (a quarter of its life).
    sandbox.setOptions({ tokenLifetimeSeconds: 0.2, latencyMs: 170 });
    try {
      const s = session();
      const header = await s.authorization();
      expect(header).toMatch(/^Bearer tp_at_/);
      expect(refreshGrants()).toBe(1);
    } finally {
      sandbox.setOptions({ latencyMs: undefined });
    }
  });

  test("access tokens that arrive already expired: a CredentialError after 3 grants, not an endless loop", async () => {
    // 0.05 s tokens answered after 0.1 s: expired (counted from the request) before they arrive.
    sandbox.setOptions({ tokenLifetimeSeconds: 0.05, latencyMs: 100 });
    const s = session();
    const error = await rejected(s.authorization());
    sandbox.setOptions({ latencyMs: undefined });
    expect(error).toBeInstanceOf(CredentialError);
    expect(error.message).toMatch(/expired before they could be used \(3 grants in a row\)/);
    expect(refreshGrants()).toBe(3);
    expect(error.message).not.toContain(CLIENT_SECRET);
  });

  test.each(["basic", "body", "either"] as const)(
    "a token endpoint that takes the client's secret %s: grants succeed, at most one refused try, ever",
    async (accepted) => {
      const server = await startSandbox({ oauthClientAuthentication: accepted, tokenLifetimeSeconds: 0.3 });
      try {
        const s = new OAuthSession(
          {
            kind: "oauth",
            clientId: server.clientId,
            clientSecret: server.clientSecret,
            refreshToken: server.refreshToken,
            tokenUrl: `${server.url}/oauth2/token`,
            from: "travelperk:refreshToken",
          },
          { cacheFile, cacheNamed: true, cacheKey: "travelperk:tokenCache", connection: "", timeoutMs: 5000 },
        );
        const first = await s.authorization();
        await new Promise((resolve) => setTimeout(resolve, 350));
        const second = await s.authorization();
        expect(second).not.toBe(first);
        const tokenRequests = server.requests.filter((r) => r.path.endsWith("/oauth2/token"));
        const refused = tokenRequests.filter((r) => r.status === 401);
        // HTTP Basic first (every server must take it); the body once, and from then on, where it is refused.
        expect(refused).toHaveLength(accepted === "body" ? 1 : 0);
        expect(tokenRequests.filter((r) => r.status === 200)).toHaveLength(2);
      } finally {
        await server.stop();
      }
    },
  );

  test("no renewal while idle: past expiry nothing is sent until the next call", async () => {
    sandbox.setOptions({ tokenLifetimeSeconds: 0.4 });
    const s = session();
    const first = await s.authorization();
    expect(refreshGrants()).toBe(1);
    await sleep(900);
    expect(refreshGrants()).toBe(1);
    expect(s.stats.grants).toBe(1);
    expect(await restStatus(first)).toBe(401); // it did expire meanwhile
    const second = await s.authorization();
    expect(second).not.toBe(first);
    expect(refreshGrants()).toBe(2);
    expect(await restStatus(second)).toBe(200);
  });

  test("renew(sent) after a 401 renews once, however many callers ask", async () => {
    const s = session();
    const revokedHeader = await s.authorization();
    sandbox.revokeTokens(revokedHeader.replace(/^Bearer /, ""));
    expect(await restStatus(revokedHeader)).toBe(401);
    const answers = await Promise.all(Array.from({ length: 10 }, () => s.renew(revokedHeader)));
    expect(answers).toEqual(Array.from({ length: 10 }, () => true));
    expect(refreshGrants()).toBe(2);
    const renewed = await s.authorization();
    expect(renewed).not.toBe(revokedHeader);
    expect(await restStatus(renewed)).toBe(200);
    // A caller that comes late with the old token is told to try the new one; nothing is sent.
    expect(await s.renew(revokedHeader)).toBe(true);
    expect(await s.authorization()).toBe(renewed);
    expect(refreshGrants()).toBe(2);
  });

  test("a second process adopts the cached access token, but never one a 401 rejected", async () => {
    const one = session();
    const header = await one.authorization();
    const two = session();
    expect(await two.authorization()).toBe(header);
    expect(two.stats).toMatchObject({ grants: 0, adopted: 1 });
    expect(refreshGrants()).toBe(1);
    sandbox.revokeTokens(header.replace(/^Bearer /, ""));
    expect(await two.renew(header)).toBe(true);
    const renewed = await two.authorization();
    expect(renewed).not.toBe(header);
    expect(two.stats.grants).toBe(1);
    expect(refreshGrants()).toBe(2);
    expect(await restStatus(renewed)).toBe(200);
  });

  test("rotation: the new refresh token is used, the spent one recorded; a fresh session from the spent token adopts the chain's head", async () => {
    sandbox.setOptions({ refreshTokenRotation: "rotate" });
    const original = sandbox.refreshToken;
    let now = Date.now();
    const notices: string[] = [];
    const one = session({ now: () => now, cacheNamed: false, notice: (m) => notices.push(m) });
    const first = await one.authorization();
    const head1 = sandbox.refreshToken;
    expect(head1).not.toBe(original);
    const chain1 = new TokenCache(cacheFile).find(client(), original)!;
    expect(chain1.head).toBe(head1);
    expect(chain1.spent).toEqual([fingerprint(original)]);
    expect(chain1.access?.token).toBe(first.replace(/^Bearer /, ""));
    expect(one.stats.rotations).toBe(1);

    now += 3600_000; // the token is due: the next grant must use the rotated refresh token
    const second = await one.authorization();
    expect(second).not.toBe(first);
    expect(sandbox.oauthStats()).toMatchObject({ grants: { refresh_token: 2 }, refused: 0 });
    const head2 = sandbox.refreshToken;
    const chain2 = new TokenCache(cacheFile).find(client(), original)!;
    expect(chain2.head).toBe(head2);
    expect(chain2.spent).toEqual([fingerprint(original), fingerprint(head1)]);
    expect(fs.readFileSync(cacheFile, "utf8")).not.toContain(original);
    // One warning per process, naming the cache and save-token, never a token.
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain(cacheFile);
    expect(notices[0]).toContain("npx pulumi-travelperk save-token");
    for (const token of [original, head1, head2, CLIENT_SECRET]) expect(notices[0]).not.toContain(token);

    // A fresh process starting from the stack's (spent) token goes on from the chain's head.
    let later = now + 3600_000;
    const fresh = session({ now: () => later }, oauthCredentials({ refreshToken: original }));
    const third = await fresh.authorization();
    expect(fresh.stats).toMatchObject({ grants: 1, adopted: 0 });
    expect(sandbox.oauthStats()).toMatchObject({ grants: { refresh_token: 3 }, refused: 0 });
    expect(new TokenCache(cacheFile).find(client(), original)!.head).toBe(sandbox.refreshToken);
    expect(await restStatus(third)).toBe(200);
    // Within the token's lifetime, a fresh process adopts it instead of sending a grant.
    later += 1000;
    const another = session({ now: () => later }, oauthCredentials({ refreshToken: original }));
    expect(await another.authorization()).toBe(third);
    expect(another.stats).toMatchObject({ grants: 0, adopted: 1 });
  });

  test("two sessions due at once, rotating: one grant, the other adopts its token (no spent token is sent)", async () => {
    const original = sandbox.refreshToken;
    const [one, two] = [session(), session()];
    const [a, b] = await Promise.all([one.authorization(), two.authorization()]);
    expect(a).toBe(b);
    expect(sandbox.oauthStats()).toMatchObject({ grants: { refresh_token: 1 }, refused: 0 });
    expect(one.stats.grants + two.stats.grants).toBe(1);
    expect(one.stats.adopted + two.stats.adopted).toBe(1);
    expect(new TokenCache(cacheFile).find(client(), original)!.head).toBe(sandbox.refreshToken);
  });

  test("reuse: a refresh answer without a new refresh token keeps the chain's head", async () => {
    sandbox.setOptions({ refreshTokenRotation: "reuse" });
    const original = sandbox.refreshToken;
    let now = Date.now();
    const s = session({ now: () => now });
    await s.authorization();
    now += 3600_000;
    await s.authorization();
    expect(refreshGrants()).toBe(2);
    expect(s.stats.rotations).toBe(0);
    expect(new TokenCache(cacheFile).find(client(), original)).toMatchObject({ head: original, spent: [] });
  });

  test("a revoked refresh token: CredentialError telling to sign in again, with no token or secret", async () => {
    const original = sandbox.refreshToken;
    sandbox.revokeTokens(original);
    const error = await rejected(session().authorization());
    expect(error).toBeInstanceOf(CredentialError);
    expect(error).toMatchObject({ status: 400 });
    expect(error.message).toContain("travelperk:refreshToken");
    expect(error.message).toContain("invalid_grant");
    expect(error.message).toContain("Sign in again: npx pulumi-travelperk login");
    for (const secret of [original, CLIENT_SECRET]) expect(error.message).not.toContain(secret);

    // For a named connection, the command names it.
    const emea = await rejected(
      session({ connection: "emea" }, oauthCredentials({ from: "travelperk:emea.refreshToken" })).authorization(),
    );
    expect(emea.message).toContain("Sign in again: npx pulumi-travelperk login --connection emea");
    expect(emea.message).toContain("travelperk:emea.refreshToken");
  });

  test("a revoked chain after rotation: the message points at the cache, never at a token", async () => {
    const original = sandbox.refreshToken;
    let now = Date.now();
    const s = session({ now: () => now });
    const first = await s.authorization();
    const head = sandbox.refreshToken;
    sandbox.revokeTokens();
    now += 3600_000;
    const error = await rejected(s.authorization());
    expect(error).toBeInstanceOf(CredentialError);
    expect(error.message).toContain(`the newest token of its chain, kept in ${cacheFile}`);
    expect(error.message).toContain("Sign in again");
    for (const secret of [original, head, first.replace(/^Bearer /, ""), CLIENT_SECRET])
      expect(error.message).not.toContain(secret);
    // The chain is left as it was: a later sign-in is what mends it.
    expect(new TokenCache(cacheFile).find(client(), original)!.head).toBe(head);
  });

  test("a wrong client secret: CredentialError naming invalid_client, never either secret", async () => {
    const wrong = "tp_secret_WRONG-ONE-9876543210";
    const error = await rejected(session({}, oauthCredentials({ clientSecret: wrong })).authorization());
    expect(error).toBeInstanceOf(CredentialError);
    expect(error).toMatchObject({ status: 401 });
    expect(error.message).toContain("invalid_client");
    expect(error.message).toContain("travelperk:refreshToken");
    for (const secret of [wrong, CLIENT_SECRET, sandbox.refreshToken]) expect(error.message).not.toContain(secret);
    expect(sandbox.oauthStats().refused).toBe(1);
  });

  test("a named cache inside the repository is refused before anything is sent", () => {
    const inside = path.join(process.cwd(), ".tp-test-cache", "tokens.json");
    expect(() => session({ cacheFile: inside, cacheNamed: true })).toThrow(TokenCacheInRepositoryError);
    expect(fs.existsSync(path.dirname(inside))).toBe(false);
    expect(sandbox.oauthStats().grants.refresh_token).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// The request core end to end: settings from the environment, OAuth through the sandbox
// ---------------------------------------------------------------------------------------------

describe("the request core with OAuth credentials", () => {
  const ENV_KEYS = [
    "TRAVELPERK_API_URL",
    "TRAVELPERK_ACCESS_TOKEN",
    "TRAVELPERK_API_KEY",
    "TRAVELPERK_CLIENT_ID",
    "TRAVELPERK_CLIENT_SECRET",
    "TRAVELPERK_REFRESH_TOKEN",
    "TRAVELPERK_TOKEN_CACHE",
    "TRAVELPERK_TOKEN_URL",
    "TRAVELPERK_RETRY_BASE_DELAY_MS",
    "TRAVELPERK_USER_API",
    "TRAVELPERK_SCIM_TOKEN",
  ];
  const saved: Record<string, string | undefined> = {};
  let sandbox: SandboxServer;
  let userId: string;

  beforeAll(async () => {
    sandbox = await startSandbox({ clientSecret: CLIENT_SECRET });
    for (const key of ENV_KEYS) saved[key] = process.env[key];
  });
  afterAll(async () => {
    for (const key of ENV_KEYS) {
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- delete is how an environment variable is unset
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    setStackConfig(undefined);
    runtime.startNewCommand();
    await sandbox.stop();
  });
  beforeEach(() => {
    sandbox.setOptions({ tokenLifetimeSeconds: undefined, refreshTokenRotation: undefined });
    sandbox.reset();
    userId = sandbox.insertUser({ email: "oauth@example.com", first_name: "O", last_name: "Auth" }).id;
    for (const key of [
      "TRAVELPERK_ACCESS_TOKEN",
      "TRAVELPERK_API_KEY",
      "TRAVELPERK_TOKEN_URL",
      "TRAVELPERK_USER_API",
      "TRAVELPERK_SCIM_TOKEN",
    ]) {
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- delete is how an environment variable is unset
      delete process.env[key];
    }
    Object.assign(process.env, {
      TRAVELPERK_API_URL: sandbox.apiUrl,
      TRAVELPERK_CLIENT_ID: sandbox.clientId,
      TRAVELPERK_CLIENT_SECRET: sandbox.clientSecret,
      TRAVELPERK_REFRESH_TOKEN: sandbox.refreshToken,
      TRAVELPERK_TOKEN_CACHE: path.join(tmpDir("tp-core-"), "tokens.json"),
      TRAVELPERK_RETRY_BASE_DELAY_MS: "5",
    });
    setStackConfig(undefined);
    runtime.startNewCommand();
  });

  /** The access token the command's chain holds now, from the token cache. */
  const cachedAccess = () =>
    new TokenCache(process.env.TRAVELPERK_TOKEN_CACHE!).find(
      fingerprint(`${sandbox.url}/oauth2/token`, sandbox.clientId),
      process.env.TRAVELPERK_REFRESH_TOKEN!,
    )?.access;

  test("short-lived tokens over ~3 s: every request succeeds, grants follow time, a revoked token is renewed once", async () => {
    const LIFETIME_S = 1;
    sandbox.setOptions({ tokenLifetimeSeconds: LIFETIME_S });
    const started = Date.now();
    let requests = 0;
    let revokedAt = -1;
    let revoked = "";
    while (Date.now() - started < 3000) {
      const users = await Promise.all(Array.from({ length: 8 }, () => getUser(userId)));
      requests += users.length;
      for (const user of users) expect(user.email).toBe("oauth@example.com");
      // Half-way, revoke the access token in use while it has a while to live, as a server may at any time.
      const access = cachedAccess();
      if (!revoked && Date.now() - started > 1500 && access && access.expiresAt - LIFETIME_S * 250 - Date.now() > 300) {
        revoked = access.token;
        revokedAt = sandbox.requests.length;
        expect(sandbox.revokeTokens(revoked)).toBe(1);
      }
      await sleep(15);
    }
    const elapsedS = (Date.now() - started) / 1000;
    expect(revoked).not.toBe("");
    const stats = sandbox.oauthStats();
    // Renewals follow time (one each 3/4 of a lifetime, plus the first and the revocation's), not requests.
    expect(requests).toBeGreaterThan(60);
    expect(stats.grants.refresh_token).toBeGreaterThanOrEqual(Math.floor(elapsedS / LIFETIME_S));
    expect(stats.grants.refresh_token).toBeLessThanOrEqual(Math.ceil(elapsedS / (0.75 * LIFETIME_S)) + 2);
    expect(stats.refused).toBe(0);
    expect(credentialStats()).toMatchObject({ grants: stats.grants.refresh_token });
    expect(credentialStats()!.renewalsAfter401).toBeGreaterThanOrEqual(1);
    // The 401s came right after the revocation, and each was followed by a successful retry.
    const after = sandbox.requests.slice(revokedAt);
    const unauthorized = after.filter((r) => r.status === 401);
    expect(unauthorized.length).toBeGreaterThanOrEqual(1);
    const userReads = sandbox.requests.filter((r) => r.method === "GET" && r.path.endsWith(`/users/${userId}`));
    expect(userReads.filter((r) => r.status === 200)).toHaveLength(requests);
  });

  test("an access token revoked mid-run: one renewal, then the requests succeed", async () => {
    await getUser(userId);
    expect(sandbox.oauthStats().grants.refresh_token).toBe(1);
    const access = cachedAccess()!;
    sandbox.revokeTokens(access.token);
    const users = await Promise.all(Array.from({ length: 6 }, () => getUser(userId)));
    expect(users.map((u) => u.id)).toEqual(Array.from({ length: 6 }, () => userId));
    expect(sandbox.oauthStats().grants.refresh_token).toBe(2);
    expect(sandbox.requests.filter((r) => r.status === 401).length).toBeGreaterThanOrEqual(1);
    expect(cachedAccess()!.token).not.toBe(access.token);
    expect(credentialStats()).toMatchObject({ grants: 2 });
  });

  test("a revoked refresh token fails the request with an AuthenticationError that says to sign in again", async () => {
    const refreshToken = sandbox.refreshToken;
    sandbox.revokeTokens(refreshToken);
    const error = await rejected(getUser(userId));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toContain("Sign in again: npx pulumi-travelperk login");
    expect(error.message).toContain("TRAVELPERK_REFRESH_TOKEN");
    for (const secret of [refreshToken, CLIENT_SECRET]) expect(error.message).not.toContain(secret);
    expect(sandbox.requests.filter((r) => r.path.endsWith(`/users/${userId}`))).toHaveLength(0);
  });
});
