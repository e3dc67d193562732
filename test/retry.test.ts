/** The retry policy as a table: which failures retry, and how long to wait. */
import {
  DO_NOT_RETRY,
  backoffDelayMs,
  isRetryable,
  retryDelayMs,
  serverRequestedDelayMs,
} from "../provider/client/retry";

function failure(method: string, status?: number, headers: Record<string, string> = {}, code?: string) {
  return {
    config: { method } as never,
    response: status === undefined ? undefined : ({ status, headers } as never),
    code,
  };
}

describe("which failures are retried", () => {
  const table: [string, number | undefined, boolean, boolean][] = [
    // method, status (undefined = no answer), idempotent POST, retried?
    ["get", 429, false, true],
    ["post", 429, false, true],
    ["patch", 429, false, true],
    ["get", 500, false, true],
    ["get", 503, false, true],
    ["patch", 502, false, true],
    ["delete", 500, false, true],
    ["get", undefined, false, true],
    ["delete", undefined, false, true],
    ["post", 500, false, false],
    ["post", undefined, false, false],
    ["post", 500, true, true],
    ["post", undefined, true, true],
    ["get", 400, false, false],
    ["get", 401, false, false],
    ["get", 403, false, false],
    ["get", 404, false, false],
    ["post", 409, true, false],
    ["post", 422, false, false],
    ["patch", 400, false, false],
  ];
  test.each(table)("%s answered %s (idempotent POST: %s) → retried: %s", (method, status, idempotent, expected) => {
    expect(isRetryable(failure(method, status), idempotent)).toBe(expected);
  });

  test("every do-not-retry status is final, whatever the method", () => {
    for (const status of DO_NOT_RETRY) {
      for (const method of ["get", "patch", "delete", "post"])
        expect(isRetryable(failure(method, status), true)).toBe(false);
    }
  });

  test("a POST repeated unless it landed: the check runs only where a repeat is in question", async () => {
    const checked: string[] = [];
    const unlessLanded = (landed: boolean) => ({
      unlessLanded: () => {
        checked.push(String(landed));
        return Promise.resolve(landed);
      },
    });
    await expect(isRetryable(failure("post", 503), unlessLanded(false))).resolves.toBe(true);
    await expect(isRetryable(failure("post", undefined), unlessLanded(true))).resolves.toBe(false);
    expect(checked).toEqual(["false", "true"]);
    // Not a lost answer, or a request safe to repeat anyway: decided without the check.
    expect(isRetryable(failure("post", 422), unlessLanded(false))).toBe(false);
    expect(isRetryable(failure("post", 429), unlessLanded(true))).toBe(true);
    expect(isRetryable(failure("get", 500), unlessLanded(true))).toBe(true);
    expect(checked).toHaveLength(2);
  });

  test("a cancelled request is not retried", () => {
    expect(isRetryable(failure("get", undefined, {}, "ERR_CANCELED"))).toBe(false);
  });
});

describe("how long to wait", () => {
  const now = Date.parse("2026-11-26T12:00:00Z");

  test("Retry-After in seconds", () => {
    expect(serverRequestedDelayMs(failure("get", 429, { "retry-after": "3" }), now)).toBe(3000);
  });
  test("Retry-After as an HTTP date", () => {
    const at = new Date(now + 5000).toUTCString();
    expect(serverRequestedDelayMs(failure("get", 429, { "retry-after": at }), now)).toBe(5000);
  });
  test("X-RateLimit-Reset as seconds from now and as an epoch time", () => {
    expect(serverRequestedDelayMs(failure("get", 429, { "x-ratelimit-reset": "2" }), now)).toBe(2000);
    expect(serverRequestedDelayMs(failure("get", 429, { "ratelimit-reset": String(now / 1000 + 4) }), now)).toBe(4000);
  });
  test("no header: exponential backoff with full jitter, capped", () => {
    expect(serverRequestedDelayMs(failure("get", 429), now)).toBeUndefined();
    expect(backoffDelayMs(1, 100, 30_000, () => 0.999)).toBe(99);
    expect(backoffDelayMs(4, 100, 30_000, () => 0.999)).toBe(799);
    expect(backoffDelayMs(30, 100, 30_000, () => 0.999)).toBe(29_970);
    expect(backoffDelayMs(4, 100, 30_000, () => 0)).toBe(0);
    expect(retryDelayMs(3, failure("get", 503), 100, () => 0.5)).toBe(200);
  });
  test("a server-requested delay wins over backoff, within a cap", () => {
    expect(retryDelayMs(1, failure("get", 429, { "retry-after": "1" }), 100, () => 0)).toBe(1000);
    expect(retryDelayMs(1, failure("get", 429, { "retry-after": "100000" }), 100)).toBe(120_000);
  });
});
