/**
 * The request scheduler against the sandbox: it finds a rate limit it is not told, and it does not
 * mistake random 429s for one. Counts are asserted; times are only reported (machines are shared).
 */
import { getUser } from "../provider/client/users";
import { schedulerStats } from "../provider/client/request";
import * as runtime from "../provider/runtime";
import { useSandbox } from "./helpers/sandbox";

const sandbox = useSandbox({}, 20);

beforeEach(() => {
  sandbox().reset();
  runtime.startNewCommand();
});

async function burst(n: number, concurrency: number): Promise<{ ms: number; accepted: number; limited: number }> {
  const user = sandbox().insertUser({ email: "pace@example.com", first_name: "P", last_name: "Q" });
  sandbox().clearLog();
  const started = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next++;
        await getUser(user.id);
      }
    }),
  );
  const ms = Date.now() - started;
  const log = sandbox().requests;
  return {
    ms,
    accepted: log.filter((r) => r.status === 200).length,
    limited: log.filter((r) => r.status === 429).length,
  };
}

test("an unknown limit of 40 requests/s: few 429s, and the span is reported against the floor", async () => {
  const limit = 40;
  process.env.TRAVELPERK_MAX_CONCURRENT_REQUESTS = "8";
  sandbox().setOptions({ rateLimit: limit });
  try {
    const n = 240;
    const { ms, accepted, limited } = await burst(n, 16);
    expect(accepted).toBe(n);
    // The token bucket lets `limit` through at once, then `limit` per second.
    const floorMs = ((n - limit) / limit) * 1000;
    console.log(
      `limit ${limit}/s, ${n} requests: span ${ms} ms, floor ${floorMs} ms, ratio ${(ms / floorMs).toFixed(2)}, ` +
        `429s ${limited} (${((100 * limited) / accepted).toFixed(1)}% of accepted), scheduler ${JSON.stringify(schedulerStats())}`,
    );
    expect(limited / accepted).toBeLessThanOrEqual(0.2);
  } finally {
    sandbox().setOptions({ rateLimit: 0 });
    delete process.env.TRAVELPERK_MAX_CONCURRENT_REQUESTS;
  }
});

test("random 429s (30%) are not taken for a limit: the pace recovers", async () => {
  sandbox().setOptions({ tooManyRequestsRate: 0.3 });
  try {
    const n = 300;
    const { ms, accepted, limited } = await burst(n, 8);
    expect(accepted).toBe(n);
    console.log(
      `30% random 429s, ${n} requests: ${ms} ms, 429s ${limited}, pace now ${JSON.stringify(schedulerStats())}`,
    );
    // Were the pace to collapse to its floor, 300 requests would take minutes; it must stay usable.
    expect(limited).toBeGreaterThan(n * 0.2);
  } finally {
    sandbox().setOptions({ tooManyRequestsRate: 0 });
  }
});
