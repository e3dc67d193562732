/**
 * The scheduler against every limiter shape, on a simulated clock (jest's fake timers): the sandbox's
 * own Limiter answers each attempt after a simulated latency. Fast and deterministic, so the ratios
 * to each shape's floor are asserted tightly here; test/rate-limits.test.ts measures the same over
 * HTTP, and the benchmark under the real CLI.
 */
import { Limiter, type LimiterOptions } from "../sandbox/limiter";
import { RequestScheduler } from "../provider/client/scheduler";
import { at } from "./helpers/at";

interface Shape {
  name: string;
  limiter: LimiterOptions;
  requests: number;
  hints?: boolean;
  maxRatio: number;
}

const SHAPES: Shape[] = [
  {
    name: "token bucket 15/s, burst 15",
    limiter: { rateLimit: 15, rateLimitWindow: "bucket" },
    requests: 300,
    maxRatio: 1.1,
  },
  {
    name: "token bucket 40/s, burst 40",
    limiter: { rateLimit: 40, rateLimitWindow: "bucket" },
    requests: 240,
    maxRatio: 1.1,
  },
  {
    name: "fixed window 10 per second",
    limiter: { rateLimit: 10, rateLimitWindow: "fixed" },
    requests: 300,
    maxRatio: 1.2,
  },
  {
    name: "fixed window 120 per minute",
    limiter: { rateLimit: 120, rateLimitWindow: "fixed", rateLimitPeriod: 60 },
    requests: 300,
    maxRatio: 1.25,
  },
  {
    name: "sliding window 10 per second",
    limiter: { rateLimit: 10, rateLimitWindow: "sliding" },
    requests: 300,
    maxRatio: 1.2,
  },
  {
    name: "fixed window 40 per 8 s with Retry-After",
    limiter: { rateLimit: 40, rateLimitWindow: "fixed", rateLimitPeriod: 8 },
    requests: 300,
    hints: true,
    maxRatio: 1.1,
  },
];

async function simulate(
  shape: Shape,
  latencyMs = 4,
  randomShare = 0,
  /** Work between two requests of one lane (the engine's own time per resource). */
  engineMs = 0,
): Promise<{ span: number; accepted: number; limited: number; ninetyPercent: number; stats: unknown }> {
  const limiter = new Limiter({ ...shape.limiter, now: Date.now });
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const scheduler = new RequestScheduler({ maxConcurrent: 8 });
  const log: { at: number; status: number }[] = [];
  const attempt = async () => {
    await new Promise((resolve) => setTimeout(resolve, latencyMs / 2));
    const arrived = Date.now();
    const wait = random() < randomShare ? 1 : limiter.take("k");
    log.push({ at: arrived, status: wait === undefined ? 200 : 429 });
    await new Promise((resolve) => setTimeout(resolve, latencyMs / 2));
    if (wait !== undefined) throw Object.assign(new Error("429"), { status: 429, wait });
    return 200;
  };
  const classify = (outcome: unknown) => {
    const e = outcome as { status?: number; wait?: number };
    if (e.status !== 429) return { rateLimited: false };
    return { rateLimited: true, serverDelayMs: shape.hints ? Math.max(1, Math.ceil(e.wait!)) * 1000 : undefined };
  };
  let next = 0;
  let completed = 0;
  let ninetyPercent = 0;
  const started = Date.now();
  const lanes = Array.from({ length: 8 }, async () => {
    while (next < shape.requests) {
      next++;
      if (engineMs) await new Promise((resolve) => setTimeout(resolve, engineMs));
      await scheduler.run(attempt, classify);
      if (++completed === Math.ceil(0.9 * shape.requests)) ninetyPercent = Date.now() - started;
    }
  });
  const state = { done: false };
  const all = Promise.all(lanes).then(() => (state.done = true));
  while (!state.done) await jest.advanceTimersByTimeAsync(1);
  await all;
  const accepted = log.filter((r) => r.status === 200);
  return {
    span: at(log, -1).at - at(log, 0).at,
    accepted: accepted.length,
    limited: log.length - accepted.length,
    ninetyPercent,
    stats: scheduler.stats,
  };
}

beforeEach(() => jest.useFakeTimers({ now: 1_700_000_000_000 }));
afterEach(() => jest.useRealTimers());

describe.each(SHAPES)("$name", (shape) => {
  test(`span ≤ ${String(shape.maxRatio)}× the floor, 429s ≤ 20% of accepted`, async () => {
    const { span, accepted, limited } = await simulate(shape);
    const floor = new Limiter(shape.limiter).floorMs(accepted, shape.hints);
    console.log(
      `${shape.name}: span ${String(span)} ms, floor ${String(floor)} ms, ratio ${(span / floor).toFixed(3)}, ` +
        `429s ${String(limited)} (${((100 * limited) / accepted).toFixed(1)}%)`,
    );
    expect(accepted).toBe(shape.requests);
    expect(span / floor).toBeLessThanOrEqual(shape.maxRatio);
    expect(limited / accepted).toBeLessThanOrEqual(0.2);
  }, 60_000);
});

test("30% random 429s that are not about pace: 90% of the requests done at least half as fast as without", async () => {
  const none: Shape = { name: "no limit", limiter: {}, requests: 300, maxRatio: 0 };
  // Requests of 20 ms, 100 ms of the engine's own work per resource (the CLI's is about 200 ms).
  const clean = await simulate(none, 20, 0, 100);
  const noisy = await simulate(none, 20, 0.3, 100);
  console.log(
    `no limit: 90% in ${String(clean.ninetyPercent)} ms; with 30% random 429s: ${String(noisy.ninetyPercent)} ms ` +
      `(${(clean.ninetyPercent / noisy.ninetyPercent).toFixed(2)}× as fast), ${String(noisy.limited)} × 429, ${JSON.stringify(noisy.stats)}`,
  );
  expect(noisy.accepted).toBe(300);
  expect(noisy.limited).toBeGreaterThan(60); // the 429s did happen
  expect(clean.ninetyPercent / noisy.ninetyPercent).toBeGreaterThanOrEqual(0.5);
}, 60_000);
