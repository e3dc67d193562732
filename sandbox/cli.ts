#!/usr/bin/env node
/** Runs the sandbox TravelPerk server until SIGINT/SIGTERM. `--json` prints one line of settings for scripts. */
import { parseArgs } from "node:util";
import { startSandbox } from "./server";

const USAGE = `usage: cli.js [--api contract|live] [--port N] [--host H] [--persist FILE]
              [--rate-limit N] [--rate-limit-window bucket|fixed|sliding] [--rate-limit-period S|second|minute]
              [--rate-limit-burst N] [--rate-limit-headers] [--fault-rate F] [--too-many-requests-rate F]
              [--lost-response-rate F] [--latency MS] [--token-lifetime S] [--page-cap N]
              [--refresh-token-rotation rotate|reuse] [--oauth-deny] [--oauth-client-auth basic|body|either]
              [--access-token T] [--api-key K] [--json]
  --rate-limit N          at most N requests per period per credential, 429 beyond (default: unlimited)
  --rate-limit-window W   bucket (default): a token bucket refilling at N per period, --rate-limit-burst deep;
                          fixed: N per fixed window of one period, windows back to back from the first request;
                          sliding: N within any trailing period
  --rate-limit-period P   the period in seconds (a number > 0), or second (1) or minute (60); default 1
  --rate-limit-burst B    the token bucket's size (bucket only); default max(1, N)
  --rate-limit-headers    429s carry Retry-After and X-RateLimit-Reset
  --token-lifetime S      access tokens' lifetime in seconds, fractions allowed (default 3600; when given,
                          the printed access token expires S seconds after start too)
  --refresh-token-rotation R
                          rotate (default): each refresh answers a new refresh token and the used one dies;
                          reuse: the answer has no refresh_token and the used one stays valid
  --oauth-deny            /oauth2/authorize redirects with error=access_denied instead of a code
  --oauth-client-auth A   how /oauth2/token takes the client's secret: basic (HTTP Basic only), body (form only)
                          or either (default)`;
/** Named periods of --rate-limit-period, in seconds. */
const PERIODS: Partial<Record<string, number>> = { second: 1, minute: 60 };
const NUMBERS = {
  port: "port",
  "rate-limit": "rateLimit",
  "rate-limit-period": "rateLimitPeriod",
  "rate-limit-burst": "rateLimitBurst",
  "fault-rate": "faultRate",
  "too-many-requests-rate": "tooManyRequestsRate",
  "lost-response-rate": "lostResponseRate",
  latency: "latencyMs",
  "token-lifetime": "tokenLifetimeSeconds",
  "page-cap": "pageCap",
} as const;
const STRINGS = {
  api: "api",
  "rate-limit-window": "rateLimitWindow",
  host: "host",
  persist: "persistFile",
  "access-token": "accessToken",
  "api-key": "apiKey",
  "refresh-token-rotation": "refreshTokenRotation",
  "oauth-client-auth": "oauthClientAuthentication",
} as const;
/** Boolean flags: present means true. */
const BOOLEANS = { "rate-limit-headers": "rateLimitHeaders", "oauth-deny": "oauthDeny" } as const;

async function main(): Promise<void> {
  const flags = Object.fromEntries(
    Object.keys({ ...NUMBERS, ...STRINGS }).map((f) => [f, { type: "string" as const }]),
  );
  const { values } = parseArgs({
    options: {
      ...flags,
      ...Object.fromEntries(Object.keys(BOOLEANS).map((f) => [f, { type: "boolean" as const }])),
      json: { type: "boolean" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const given = values as Record<string, string | boolean | undefined>;
  const options: Record<string, string | number | boolean> = {}; // keyed by SandboxOptions names
  for (const [flag, key] of Object.entries(BOOLEANS)) if (given[flag] === true) options[key] = true;
  for (const [flag, key] of Object.entries(STRINGS)) if (given[flag] !== undefined) options[key] = String(given[flag]);
  for (const [flag, key] of Object.entries(NUMBERS)) {
    const raw = given[flag];
    if (raw === undefined) continue;
    const named =
      flag === "rate-limit-period" && typeof raw === "string" && Object.hasOwn(PERIODS, raw) ? PERIODS[raw] : undefined;
    if (named !== undefined) {
      options[key] = named;
      continue;
    }
    if (typeof raw !== "string" || raw.trim() === "" || !Number.isFinite(Number(raw)))
      throw new Error(
        `--${flag} must be a number${flag === "rate-limit-period" ? ", second or minute" : ""}, got "${String(raw)}"`,
      );
    options[key] = Number(raw);
  }

  const s = await startSandbox(options);
  const { api, url, apiUrl, scimUrl, accessToken, apiKey, scimToken, clientId, clientSecret, refreshToken } = s;
  const scimCredential =
    api === "live" ? `the REST credentials, or the SCIM token ${scimToken}` : `SCIM token ${scimToken}`;
  console.log(
    values.json
      ? JSON.stringify({
          api,
          url,
          apiUrl,
          scimUrl,
          accessToken,
          apiKey,
          scimToken,
          clientId,
          clientSecret,
          refreshToken,
        })
      : [
          `TravelPerk sandbox (${api} API) on ${url}${options.persistFile ? `, persisting to ${String(options.persistFile)}` : " (in memory)"}`,
          `  REST API:     ${apiUrl}`,
          `  SCIM API:     ${scimUrl} (${scimCredential})`,
          `  access token: ${accessToken}`,
          `  API key:      ${apiKey}`,
          `  OAuth client: ${clientId} / ${clientSecret}, refresh token ${refreshToken}`,
          "Point the provider at it:",
          `  export TRAVELPERK_API_URL=${apiUrl} TRAVELPERK_ACCESS_TOKEN=${accessToken}`,
          "Ctrl-C stops it.",
        ].join("\n"),
  );
  // stop() flushes the persist file before the process ends.
  const stop = () =>
    void s.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  process.once("SIGINT", stop).once("SIGTERM", stop);
}

main().catch((e: unknown) => {
  console.error(`sandbox: ${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
  process.exit(2);
});
