/**
 * The sandbox's strict OAuth 2.0 server over real HTTP on loopback: authorize with state and PKCE S256,
 * the code exchange, refresh-token rotation or reuse, expiry, revocation (admin API, Sandbox method,
 * RFC 7009) and the counts and log fields tests read.
 */
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { SandboxServer, startSandbox, type OAuthStats, type SandboxOptions } from "../sandbox/server";

let s: SandboxServer;
beforeAll(async () => {
  s = await startSandbox();
});
afterAll(() => s.stop());
beforeEach(() => {
  s.setOptions({ tokenLifetimeSeconds: undefined, refreshTokenRotation: undefined, oauthDeny: undefined });
  s.reset();
});

const REDIRECT = "http://127.0.0.1:8765/callback";
const DEFAULT_SCOPE = "users:read users:write companies:read";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface TokenAnswer {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token?: string;
  scope: string;
}
interface OAuthRefusal {
  error: string;
  error_description?: string;
}

/** A fresh PKCE pair: a 43-character verifier and its S256 challenge. */
function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

/** GET /oauth2/authorize with these parameters (undefined drops one), without following the redirect. */
async function authorize(params: Record<string, string | undefined>, server = s) {
  const q = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined));
  const r = await fetch(`${server.url}/oauth2/authorize?${q.toString()}`, { redirect: "manual" });
  const text = await r.text();
  return {
    status: r.status,
    body: text ? (JSON.parse(text) as OAuthRefusal) : undefined,
    location: r.headers.get("location") ? new URL(r.headers.get("location")!) : undefined,
  };
}

/** A well-formed authorize request, with `overrides` on top. */
const authorizeParams = (challenge: string, overrides: Record<string, string | undefined> = {}) => ({
  response_type: "code",
  client_id: s.clientId,
  redirect_uri: REDIRECT,
  scope: "users:read users:write",
  state: "st-123",
  code_challenge: challenge,
  code_challenge_method: "S256",
  ...overrides,
});

/** POST a form to the token endpoint (or another OAuth path); client credentials in the body unless `basic`. */
async function post(fields: Record<string, string>, { basic = false, url = `${s.url}/oauth2/token` } = {}) {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  const body = new URLSearchParams(fields);
  if (basic) headers.authorization = `Basic ${Buffer.from(`${s.clientId}:${s.clientSecret}`).toString("base64")}`;
  else {
    body.set("client_id", s.clientId);
    body.set("client_secret", s.clientSecret);
  }
  const r = await fetch(url, { method: "POST", headers, body });
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : undefined) as unknown, headers: r.headers };
}

/** The whole code flow: authorize, then exchange the code with the verifier; answers the token. */
async function codeFlow(scope?: string): Promise<TokenAnswer> {
  const { verifier, challenge } = pkce();
  const { location } = await authorize(authorizeParams(challenge, { scope }));
  const code = location?.searchParams.get("code");
  if (!code) throw new Error(`no code in ${String(location)}`);
  const r = await post({ grant_type: "authorization_code", code, redirect_uri: REDIRECT, code_verifier: verifier });
  expect(r.status).toBe(200);
  return r.body as TokenAnswer;
}

const refresh = (refresh_token: string) => post({ grant_type: "refresh_token", refresh_token });
/** The status of REST GET /users with this bearer token. */
async function restStatus(token: string, server = s): Promise<{ status: number; body: unknown; auth: string | null }> {
  const r = await fetch(`${server.apiUrl}/users`, { headers: { authorization: `Bearer ${token}` } });
  return { status: r.status, body: await r.json(), auth: r.headers.get("www-authenticate") };
}
const admin = async (method: string, p: string, body?: unknown) => {
  const r = await fetch(`${s.url}/_sandbox${p}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : undefined) as unknown };
};

describe("authorize", () => {
  test("refuses a request without state, without PKCE, with plain or another method, or a malformed challenge", async () => {
    const { challenge } = pkce();
    const refused: [Record<string, string | undefined>, string, string][] = [
      [{ state: undefined }, "invalid_request", "state is required"],
      [{ state: "" }, "invalid_request", "state is required"],
      [{ code_challenge: undefined }, "invalid_request", "code_challenge is required (PKCE)"],
      [{ code_challenge_method: undefined }, "invalid_request", "code_challenge_method must be S256"],
      [{ code_challenge_method: "plain" }, "invalid_request", "code_challenge_method must be S256"],
      [{ code_challenge_method: "S512" }, "invalid_request", "code_challenge_method must be S256"],
      [{ code_challenge: "too-short" }, "invalid_request", "code_challenge must be 43 BASE64URL characters (S256)"],
      [{ redirect_uri: "/callback" }, "invalid_request", "redirect_uri must be an absolute URL without a fragment"],
      [{ redirect_uri: `${REDIRECT}#x` }, "invalid_request", "redirect_uri must be an absolute URL without a fragment"],
      [{ client_id: "someone-else" }, "unauthorized_client", "unknown client_id"],
    ];
    for (const [overrides, error, description] of refused) {
      const r = await authorize(authorizeParams(challenge, overrides));
      expect([JSON.stringify(overrides), r.status, r.body]).toEqual([
        JSON.stringify(overrides),
        400,
        { error, error_description: description },
      ]);
      expect(r.location).toBeUndefined();
    }
    expect((await authorize(authorizeParams(challenge, { response_type: "token" }))).body).toEqual({
      error: "unsupported_response_type",
    });
    // A repeated parameter is refused (RFC 6749 §3.1).
    const twice = await fetch(
      `${s.url}/oauth2/authorize?${new URLSearchParams(authorizeParams(challenge)).toString()}&state=again`,
      { redirect: "manual" },
    );
    expect(twice.status).toBe(400);
    expect(s.oauthStats().codes).toBe(0);
  });

  test("auto-approves: a 302 to the redirect_uri with a code and the state, keeping the redirect's own query", async () => {
    const { challenge } = pkce();
    const r = await authorize(authorizeParams(challenge, { redirect_uri: `${REDIRECT}?keep=1` }));
    expect(r.status).toBe(302);
    expect(`${r.location!.origin}${r.location!.pathname}`).toBe(REDIRECT);
    expect(r.location!.searchParams.get("keep")).toBe("1");
    expect(r.location!.searchParams.get("state")).toBe("st-123");
    expect(r.location!.searchParams.get("code")).toMatch(/^tp_code_/);
    expect(r.location!.searchParams.get("error")).toBeNull();
    expect(s.oauthStats().codes).toBe(1);
  });

  test("oauthDeny: an access_denied redirect with a description and the state, no code", async () => {
    s.setOptions({ oauthDeny: true });
    const { challenge } = pkce();
    const r = await authorize(authorizeParams(challenge, { state: "keep-me" }));
    expect(r.status).toBe(302);
    expect(Object.fromEntries(r.location!.searchParams)).toEqual({
      error: "access_denied",
      error_description: "the user denied the request",
      state: "keep-me",
    });
    // Still strict: a bad request is a 400, not a denial.
    expect((await authorize(authorizeParams(challenge, { state: undefined }))).status).toBe(400);
    expect(s.oauthStats()).toMatchObject({ codes: 0, denied: 1 });
    s.setOptions({ oauthDeny: false });
    expect((await authorize(authorizeParams(challenge))).location!.searchParams.get("code")).toMatch(/^tp_code_/);
  });
});

describe("authorization_code grant", () => {
  test("the right verifier gets a token that works on REST; the scope asked is echoed, the default otherwise", async () => {
    const token = await codeFlow("users:read");
    expect(token).toMatchObject({ token_type: "Bearer", expires_in: 3600, scope: "users:read" });
    expect(token.refresh_token).toMatch(/^tp_rt_/);
    expect((await restStatus(token.access_token)).status).toBe(200);
    expect((await codeFlow()).scope).toBe(DEFAULT_SCOPE);
    // The refresh token from the code keeps its scope; a refresh may narrow it, never widen it.
    const refreshed = await refresh(token.refresh_token!);
    expect(refreshed).toMatchObject({ status: 200, body: { scope: "users:read" } });
    const widened = await post({
      grant_type: "refresh_token",
      refresh_token: (refreshed.body as TokenAnswer).refresh_token!,
      scope: "users:read users:write",
    });
    expect(widened).toMatchObject({ status: 400, body: { error: "invalid_scope" } });
  });

  test("client authentication by HTTP Basic works as well as in the body", async () => {
    const { verifier, challenge } = pkce();
    const code = (await authorize(authorizeParams(challenge))).location!.searchParams.get("code")!;
    const r = await post(
      { grant_type: "authorization_code", code, redirect_uri: REDIRECT, code_verifier: verifier },
      { basic: true },
    );
    expect(r.status).toBe(200);
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect((await restStatus((r.body as TokenAnswer).access_token)).status).toBe(200);
  });

  test("a wrong or missing verifier is invalid_grant, and the code is spent", async () => {
    const { verifier, challenge } = pkce();
    const fields = (code: string, code_verifier?: string) => ({
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT,
      ...(code_verifier !== undefined && { code_verifier }),
    });
    const code = (await authorize(authorizeParams(challenge))).location!.searchParams.get("code")!;
    const wrong = await post(fields(code, pkce().verifier));
    expect(wrong).toMatchObject({
      status: 400,
      body: { error: "invalid_grant", error_description: "code_verifier does not match the code_challenge" },
    });
    expect((await post(fields(code, verifier))).body).toEqual({ error: "invalid_grant" }); // spent by the failure

    const code2 = (await authorize(authorizeParams(challenge))).location!.searchParams.get("code")!;
    expect((await post(fields(code2))).body).toEqual({
      error: "invalid_grant",
      error_description: "code_verifier is required (PKCE)",
    });
    // The challenge itself is not the verifier (that would be "plain").
    const code3 = (await authorize(authorizeParams(challenge))).location!.searchParams.get("code")!;
    expect((await post(fields(code3, challenge))).status).toBe(400);
    expect(s.oauthStats()).toMatchObject({ grants: { authorization_code: 0 }, refused: 4 });
  });

  test("a code works once: reused, it is invalid_grant; a redirect_uri that differs is invalid_grant", async () => {
    const { verifier, challenge } = pkce();
    const code = (await authorize(authorizeParams(challenge))).location!.searchParams.get("code")!;
    const exchange = (redirect_uri = REDIRECT) =>
      post({ grant_type: "authorization_code", code, redirect_uri, code_verifier: verifier });
    expect((await exchange()).status).toBe(200);
    expect(await exchange()).toMatchObject({ status: 400, body: { error: "invalid_grant" } });

    const other = (await authorize(authorizeParams(challenge))).location!.searchParams.get("code")!;
    const mismatch = await post({
      grant_type: "authorization_code",
      code: other,
      redirect_uri: "http://127.0.0.1:8766/callback",
      code_verifier: verifier,
    });
    expect(mismatch.body).toEqual({ error: "invalid_grant", error_description: "redirect_uri does not match" });
  });
});

describe("refresh_token grant", () => {
  test('"rotate" (default): a new refresh token each time, the used one refused at once, the new one works', async () => {
    const first = s.refreshToken;
    const r1 = await refresh(first);
    expect(r1.status).toBe(200);
    const second = (r1.body as TokenAnswer).refresh_token!;
    expect(second).toMatch(/^tp_rt_/);
    expect(second).not.toBe(first);
    expect(s.refreshToken).toBe(second);
    expect(await refresh(first)).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    const r2 = await refresh(second);
    expect(r2.status).toBe(200);
    expect((await restStatus((r2.body as TokenAnswer).access_token)).status).toBe(200);
    expect(s.refreshToken).toBe((r2.body as TokenAnswer).refresh_token);
  });

  test('"reuse": the answer has no refresh_token, and the used one keeps working', async () => {
    s.setOptions({ refreshTokenRotation: "reuse" });
    const rt = s.refreshToken;
    const answers = [await refresh(rt), await refresh(rt), await refresh(rt)];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    for (const a of answers) expect(a.body).not.toHaveProperty("refresh_token");
    expect(new Set(answers.map((a) => (a.body as TokenAnswer).access_token)).size).toBe(3);
    expect((await restStatus((answers[2]?.body as TokenAnswer).access_token)).status).toBe(200);
    expect(s.refreshToken).toBe(rt);
    // Back to rotation: the same token rotates away.
    s.setOptions({ refreshTokenRotation: "rotate" });
    expect((await refresh(rt)).body).toHaveProperty("refresh_token");
    expect((await refresh(rt)).status).toBe(400);
  });
});

describe("expiry", () => {
  test("tokenLifetimeSeconds: 1: a minted token works, then answers 401 after about a second (logged as 401)", async () => {
    s.setOptions({ tokenLifetimeSeconds: 1 });
    const token = (await refresh(s.refreshToken)).body as TokenAnswer;
    expect(token.expires_in).toBe(1);
    expect((await restStatus(token.access_token)).status).toBe(200);
    await sleep(1100);
    const expired = await restStatus(token.access_token);
    expect(expired).toMatchObject({ status: 401, body: { error: "access token expired" } });
    expect(expired.auth).toBe('Bearer error="invalid_token"');
    expect(s.requests.filter((r) => r.path === "/api/v2/users").map((r) => [r.status, r.credential])).toEqual([
      [200, "bearer"],
      [401, "bearer"],
    ]);
    // The refresh token outlives the access token: the client refreshes and carries on.
    const again = (await refresh(token.refresh_token!)).body as TokenAnswer;
    expect((await restStatus(again.access_token)).status).toBe(200);
  });

  test("a fractional lifetime: expires_in says it exactly, and the token lasts exactly that long", async () => {
    s.setOptions({ tokenLifetimeSeconds: 1.5 });
    const token = (await codeFlow()).access_token;
    const minted = Date.now();
    expect((await refresh(s.refreshToken)).body).toMatchObject({ expires_in: 1.5 });
    await sleep(Math.max(0, minted + 1100 - Date.now()));
    expect((await restStatus(token)).status).toBe(200); // past 1 s, still within 1.5 s
    await sleep(Math.max(0, minted + 1600 - Date.now()));
    expect((await restStatus(token)).status).toBe(401);
  });

  test("the lifetime is a checked knob: finite and >= 0", () => {
    for (const bad of [-1, Infinity, NaN])
      expect(() => {
        s.setOptions({ tokenLifetimeSeconds: bad });
      }).toThrow(RangeError);
    expect(() => {
      s.setOptions({ refreshTokenRotation: "never" as "reuse" });
    }).toThrow(RangeError);
    expect(() => {
      s.setOptions({ oauthDeny: "yes" as unknown as boolean });
    }).toThrow(RangeError);
  });
});

describe("revocation", () => {
  test("one refresh token through the admin API: refused from then on; access tokens it minted stay valid", async () => {
    const token = await codeFlow();
    const rt = token.refresh_token!;
    expect(await admin("POST", "/revoke", { token: rt })).toEqual({ status: 200, body: { revoked: 1 } });
    expect(await refresh(rt)).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    expect((await restStatus(token.access_token)).status).toBe(200);
    expect((await refresh(s.refreshToken)).status).toBe(200); // other refresh tokens are untouched
    expect(await admin("POST", "/revoke", { token: rt })).toEqual({ status: 200, body: { revoked: 0 } });
    expect((await admin("POST", "/revoke", { token: 5 })).status).toBe(400);
  });

  test("one access token through revokeTokens: 401 'access token revoked'", async () => {
    const token = await codeFlow();
    expect(s.revokeTokens(token.access_token)).toBe(1);
    const r = await restStatus(token.access_token);
    expect(r).toMatchObject({ status: 401, body: { error: "access token revoked" } });
    expect(r.auth).toBe('Bearer error="invalid_token"');
    expect((await refresh(token.refresh_token!)).status).toBe(200);
  });

  test("everything: every refresh token and minted access token dies; the configured access token stays unless named", async () => {
    const fromCode = await codeFlow();
    const fromRefresh = (await refresh(s.refreshToken)).body as TokenAnswer;
    const { body } = await admin("POST", "/revoke");
    expect(body).toEqual({ revoked: 4 }); // two access tokens, two refresh tokens
    for (const t of [fromCode, fromRefresh]) {
      expect(await restStatus(t.access_token)).toMatchObject({ status: 401, body: { error: "access token revoked" } });
      expect((await refresh(t.refresh_token!)).status).toBe(400);
    }
    expect((await refresh(s.refreshToken)).status).toBe(400);
    expect((await restStatus(s.accessToken)).status).toBe(200);
    expect(s.revokeTokens(s.accessToken)).toBe(1);
    expect((await restStatus(s.accessToken)).status).toBe(401);
    // New grants work after a revocation; reset() brings the configured tokens back.
    expect((await restStatus((await codeFlow()).access_token)).status).toBe(200);
    s.reset();
    expect((await restStatus(s.accessToken)).status).toBe(200);
    expect((await refresh(s.refreshToken)).status).toBe(200);
  });

  test("RFC 7009 POST /oauth2/revoke: client auth, 200 for known and unknown tokens, 400 without one", async () => {
    const token = await codeFlow();
    const revoke = (fields: Record<string, string>, basic = true) =>
      post(fields, { basic, url: `${s.url}/oauth2/revoke` });
    const r = await revoke({ token: token.refresh_token!, token_type_hint: "refresh_token" });
    expect(r.status).toBe(200);
    expect((await refresh(token.refresh_token!)).status).toBe(400);
    expect((await revoke({ token: token.access_token }, false)).status).toBe(200);
    expect((await restStatus(token.access_token)).status).toBe(401);
    expect((await revoke({ token: "never-issued" })).status).toBe(200);
    expect(await revoke({})).toMatchObject({ status: 400, body: { error: "invalid_request" } });
    const badClient = await fetch(`${s.url}/oauth2/revoke`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: s.refreshToken, client_id: s.clientId, client_secret: "wrong" }),
    });
    expect(badClient.status).toBe(401);
    expect((await refresh(s.refreshToken)).status).toBe(200); // the bad client revoked nothing
    expect(s.oauthStats().revoked).toBe(2);
  });
});

describe("observability", () => {
  test("oauthStats and GET /_sandbox/oauth count grants and refusals; the log names the grant, never a token", async () => {
    const zero: OAuthStats = {
      grants: { authorization_code: 0, refresh_token: 0 },
      refused: 0,
      codes: 0,
      denied: 0,
      revoked: 0,
    };
    expect(s.oauthStats()).toEqual(zero);
    const token = await codeFlow();
    await refresh(token.refresh_token!);
    await refresh(token.refresh_token!); // rotated away: refused
    await refresh(s.refreshToken);
    await post({ grant_type: "client_credentials" });
    await post({ grant_type: token.refresh_token! }); // nonsense: must not land in the log
    const expected: OAuthStats = { ...zero, grants: { authorization_code: 1, refresh_token: 2 }, refused: 3, codes: 1 };
    expect(s.oauthStats()).toEqual(expected);
    expect(await admin("GET", "/oauth")).toEqual({ status: 200, body: expected });
    const tokenCalls = s.requests.filter((r) => r.path === "/oauth2/token");
    expect(tokenCalls.map((r) => [r.grant, r.status])).toEqual([
      ["authorization_code", 200],
      ["refresh_token", 200],
      ["refresh_token", 400],
      ["refresh_token", 200],
      ["client_credentials", 400],
      ["other", 400],
    ]);
    const authorizeCall = s.requests.find((r) => r.path === "/oauth2/authorize");
    expect(authorizeCall).toMatchObject({ status: 302 });
    expect(authorizeCall).not.toHaveProperty("grant");
    const log = JSON.stringify(s.requests);
    for (const secret of [token.access_token, token.refresh_token!, s.refreshToken, s.clientSecret])
      expect(log).not.toContain(secret);
    s.reset();
    expect(s.oauthStats()).toEqual(zero);
  });

  test("knobs through PATCH /_sandbox/options", async () => {
    const r = await admin("PATCH", "/options", {
      refreshTokenRotation: "reuse",
      oauthDeny: true,
      tokenLifetimeSeconds: 2,
    });
    expect(r.body).toMatchObject({
      options: { refreshTokenRotation: "reuse", oauthDeny: true, tokenLifetimeSeconds: 2 },
    });
    expect((await refresh(s.refreshToken)).body).toMatchObject({ expires_in: 2 });
    expect((await admin("PATCH", "/options", { refreshTokenRotation: "sometimes" })).status).toBe(400);
  });
});

describe("live mode", () => {
  test("authorize on the live host and the clients' /accounts/oauth2/token/ are as strict", async () => {
    const live = await startSandbox({ api: "live" } satisfies SandboxOptions);
    try {
      const { verifier, challenge } = pkce();
      const params = { ...authorizeParams(challenge), client_id: live.clientId };
      expect((await authorize({ ...params, code_challenge: undefined }, live)).status).toBe(400);
      const code = (await authorize(params, live)).location!.searchParams.get("code")!;
      const exchange = (code_verifier: string, c = code) =>
        fetch(`${live.url}/accounts/oauth2/token/`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({
            grant_type: "authorization_code",
            code: c,
            redirect_uri: REDIRECT,
            code_verifier,
            client_id: live.clientId,
            client_secret: live.clientSecret,
          }),
        });
      const ok = await exchange(verifier);
      expect(ok.status).toBe(200);
      expect((await restStatus(((await ok.json()) as TokenAnswer).access_token, live)).status).toBe(200);
      const code2 = (await authorize(params, live)).location!.searchParams.get("code")!;
      expect((await exchange(pkce().verifier, code2)).status).toBe(400);
      expect(live.requests.filter((r) => r.grant).map((r) => [r.path, r.grant, r.status])).toEqual([
        ["/accounts/oauth2/token/", "authorization_code", 200],
        ["/accounts/oauth2/token/", "authorization_code", 400],
      ]);
      expect(live.oauthStats().grants.authorization_code).toBe(1);
    } finally {
      await live.stop();
    }
  });
});

describe("CLI", () => {
  test("--refresh-token-rotation, --oauth-deny and a fractional --token-lifetime reach the server", async () => {
    const cli = path.resolve(__dirname, "../dist/sandbox/cli.js");
    const child = spawn(
      process.execPath,
      [cli, "--json", "--refresh-token-rotation", "reuse", "--oauth-deny", "--token-lifetime", "1.5"],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once("line", resolve);
        child.once("exit", (code) => {
          reject(new Error(`the sandbox CLI exited with ${String(code)}`));
        });
      });
      const { url } = JSON.parse(line) as { url: string };
      const options = await fetch(`${url}/_sandbox/options`, {
        method: "PATCH",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      expect(((await options.json()) as { options: unknown }).options).toMatchObject({
        refreshTokenRotation: "reuse",
        oauthDeny: true,
        tokenLifetimeSeconds: 1.5,
      });
    } finally {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
  });

  test("a bad --refresh-token-rotation is refused with exit code 2", async () => {
    const cli = path.resolve(__dirname, "../dist/sandbox/cli.js");
    const child = spawn(process.execPath, [cli, "--refresh-token-rotation", "sometimes"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('refreshTokenRotation must be "rotate" or "reuse"');
  });
});
