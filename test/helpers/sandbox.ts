/** Starts a fresh sandbox for a test file and points the provider's environment settings at it. */
import { startSandbox, type SandboxOptions, type SandboxServer, type LoggedRequest } from "../../sandbox/server";
import { setStackConfig } from "../../provider/config";

const ENV_KEYS = [
  "TRAVELPERK_API_URL",
  "TRAVELPERK_ACCESS_TOKEN",
  "TRAVELPERK_API_KEY",
  "TRAVELPERK_RETRY_BASE_DELAY_MS",
  "TRAVELPERK_MAX_RETRIES",
  "TRAVELPERK_USER_API",
  "TRAVELPERK_SCIM_URL",
  "TRAVELPERK_SCIM_TOKEN",
];

/** Registers beforeAll/afterAll hooks; call `sandbox()` inside tests to reach the server. */
export function useSandbox(
  options: SandboxOptions = {},
  retryBaseDelayMs = 5,
  settings: (server: SandboxServer) => Record<string, string> = () => ({}),
): () => SandboxServer {
  let server: SandboxServer | undefined;
  const saved: Record<string, string | undefined> = {};
  beforeAll(async () => {
    server = await startSandbox(options);
    for (const key of ENV_KEYS) saved[key] = process.env[key];
    process.env.TRAVELPERK_API_URL = server.apiUrl;
    process.env.TRAVELPERK_ACCESS_TOKEN = server.accessToken;
    delete process.env.TRAVELPERK_API_KEY;
    // Tests wait milliseconds, not seconds, between retries.
    process.env.TRAVELPERK_RETRY_BASE_DELAY_MS = String(retryBaseDelayMs);
    for (const key of ["TRAVELPERK_USER_API", "TRAVELPERK_SCIM_URL", "TRAVELPERK_SCIM_TOKEN"]) {
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- delete is how an environment variable is unset
      delete process.env[key];
    }
    Object.assign(process.env, settings(server));
    setStackConfig(undefined);
  });
  afterAll(async () => {
    for (const key of ENV_KEYS) {
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- delete is how an environment variable is unset
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error("sandbox not started");
    return server;
  };
}

/** "METHOD /path" for each logged request, the shape the tests assert on. */
export function requestLine(r: LoggedRequest): string {
  return `${r.method} ${r.path.replace(/^\/api\/v2/, "")}`;
}

export function writes(requests: LoggedRequest[]): LoggedRequest[] {
  return requests.filter((r) => r.method !== "GET");
}
