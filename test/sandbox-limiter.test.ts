/** The sandbox's rate limiter in each shape: on a fake clock, then through the server over real HTTP. */
import { Limiter, type LimiterOptions } from "../sandbox/limiter";
import { startSandbox, type SandboxOptions, type SandboxServer } from "../sandbox/server";

/** A clock the test moves by hand, in ms. */
function fakeClock(start = 1_000_000) {
  const clock = { t: start, now: () => clock.t };
  return clock;
}

/** A limiter on a fake clock, and `at(ms)`: the answer of `take` at that time (undefined = passed). */
function limiterAt(options: LimiterOptions, start = 1_000_000) {
  const clock = fakeClock(start);
  const limiter = new Limiter({ ...options, now: clock.now });
  const at = (ms: number, key = "k") => {
    clock.t = start + ms;
    return limiter.take(key);
  };
  /** How many of the takes at these times passed. */
  const passed = (times: number[], key = "k") => times.filter((ms) => at(ms, key) === undefined).length;
  return { limiter, clock, at, passed };
}

const times = (from: number, n: number, step = 1) => Array.from({ length: n }, (_, i) => from + i * step);

describe("Limiter: bucket", () => {
  test("burst of rateLimit by default, then the steady rate; Retry-After until the next token", () => {
    const { at, passed } = limiterAt({ rateLimit: 5 });
    expect(passed(times(0, 5, 0))).toBe(5);
    expect(at(0)).toBeCloseTo(0.2); // 1 token at 5/s
    expect(at(100)).toBeCloseTo(0.1);
    expect(at(200)).toBeUndefined();
    expect(at(200)).toBeCloseTo(0.2);
    // steady: one request per 200 ms passes, one more in between does not
    for (let t = 400; t <= 2000; t += 200) {
      expect(at(t)).toBeUndefined();
      expect(at(t + 100)).toBeCloseTo(0.1);
    }
  });

  test("rateLimitBurst sets the depth; rateLimitPeriod divides the rate", () => {
    const burst = limiterAt({ rateLimit: 10, rateLimitBurst: 2 });
    expect(burst.passed([0, 0, 0])).toBe(2);
    expect(burst.at(0)).toBeCloseTo(0.1);
    expect(burst.at(1000)).toBeUndefined(); // refilled to 2, not 10
    expect(burst.passed([1000, 1000])).toBe(1);

    const perMinute = limiterAt({ rateLimit: 60, rateLimitPeriod: 60 });
    expect(perMinute.limiter.burst).toBe(60);
    expect(perMinute.passed(times(0, 61, 0))).toBe(60);
    expect(perMinute.at(0)).toBeCloseTo(1); // 60 per minute: one token a second
    expect(perMinute.at(1000)).toBeUndefined();
  });

  test("a refused request consumes nothing", () => {
    const { at } = limiterAt({ rateLimit: 1 });
    expect(at(0)).toBeUndefined();
    for (let t = 0; t < 1000; t += 50) expect(at(t)).toBeGreaterThan(0);
    expect(at(1000)).toBeUndefined();
  });
});

describe("Limiter: fixed windows", () => {
  test("exactly rateLimit per window; windows open at the first request and follow back to back", () => {
    const { at, passed } = limiterAt({ rateLimit: 3, rateLimitWindow: "fixed" });
    expect(passed([500, 600, 700])).toBe(3); // the first window is [500, 1500)
    expect(at(1499)).toBeCloseTo(0.001);
    expect(at(800)).toBeCloseTo(0.7);
    expect(passed([1500, 1500, 1500, 1500])).toBe(3); // [1500, 2500): reopens at 1500, not on a whole second
    expect(passed([2499])).toBe(0);
    expect(passed(times(5600, 5))).toBe(3); // a later window [5500, 6500), idle ones skipped
    expect(at(6499)).toBeCloseTo(0.001);
  });

  test("rateLimitPeriod sets the window; Retry-After until the window reopens", () => {
    const { at, passed } = limiterAt({ rateLimit: 2, rateLimitWindow: "fixed", rateLimitPeriod: 60 });
    expect(passed([0, 30_000])).toBe(2);
    expect(at(30_000)).toBeCloseTo(30);
    expect(at(59_999)).toBeCloseTo(0.001);
    expect(passed([60_000, 60_000, 60_000])).toBe(2);
  });

  test("a refused request consumes nothing and wait() counts nothing", () => {
    const { limiter, at, passed } = limiterAt({ rateLimit: 2, rateLimitWindow: "fixed" });
    expect(limiter.wait("k")).toBeUndefined();
    expect(limiter.wait("k")).toBeUndefined();
    expect(limiter.wait("k")).toBeUndefined();
    expect(passed([0, 1, 2, 3, 4, 500, 999])).toBe(2);
    expect(at(999)).toBeCloseTo(0.001);
    expect(passed([1000, 1001, 1002])).toBe(2);
  });
});

describe("Limiter: sliding window", () => {
  test("at most rateLimit within any trailing period; Retry-After until the oldest counted request leaves", () => {
    const { at, passed } = limiterAt({ rateLimit: 3, rateLimitWindow: "sliding" });
    expect(passed([0, 100, 200])).toBe(3);
    expect(at(500)).toBeCloseTo(0.5); // 0 leaves at 1000
    expect(at(999)).toBeCloseTo(0.001);
    expect(at(1000)).toBeUndefined(); // (0, 1000] holds 100 and 200
    expect(at(1050)).toBeCloseTo(0.05); // 100 leaves at 1100
    expect(passed([1100, 1150, 1200])).toBe(2);
    expect(at(1200)).toBeCloseTo(0.8); // the window holds 1000, 1100 and 1200: 1000 leaves at 2000
  });

  test("a refused request consumes nothing", () => {
    const { at, passed } = limiterAt({ rateLimit: 2, rateLimitWindow: "sliding", rateLimitPeriod: 10 });
    expect(passed([0, 5000])).toBe(2);
    expect(passed(times(5001, 50, 100))).toBe(0); // up to 9901
    expect(at(10_000)).toBeUndefined(); // 0 left; refusals left nothing behind
    expect(at(10_000)).toBeCloseTo(5);
  });
});

describe("Limiter: floors (the shortest span a limit allows)", () => {
  test("windows: (⌈accepted ÷ budget⌉ − 1) × period, plus a second per boundary with whole-second hints", () => {
    expect(new Limiter({ rateLimit: 10, rateLimitWindow: "fixed" }).floorMs(300)).toBe(29_000);
    expect(new Limiter({ rateLimit: 10, rateLimitWindow: "sliding" }).floorMs(301)).toBe(30_000);
    expect(new Limiter({ rateLimit: 120, rateLimitWindow: "fixed", rateLimitPeriod: 60 }).floorMs(300)).toBe(120_000);
    expect(new Limiter({ rateLimit: 40, rateLimitWindow: "fixed", rateLimitPeriod: 8 }).floorMs(300, true)).toBe(
      63_000,
    );
    expect(new Limiter({ rateLimit: 10, rateLimitWindow: "fixed" }).floorMs(10)).toBe(0);
  });

  test("bucket: (accepted − burst) ÷ rate; unlimited: 0", () => {
    expect(new Limiter({ rateLimit: 15 }).floorMs(300)).toBe(19_000);
    expect(new Limiter({ rateLimit: 15, rateLimitBurst: 5, rateLimitPeriod: 2 }).floorMs(20)).toBe(2000);
    expect(new Limiter({ rateLimit: 15 }).floorMs(10)).toBe(0);
    expect(new Limiter({}).floorMs(1000)).toBe(0);
  });
});

describe("Limiter: shapes compared", () => {
  test("at a window edge fixed windows accept 2·rateLimit within 15 ms, a sliding window only rateLimit", () => {
    // The first request opens the fixed windows [0, 1000), [1000, 2000), [2000, 3000)...
    const burst = [0, ...times(1990, 5), ...times(2000, 5)];
    const fixed = limiterAt({ rateLimit: 5, rateLimitWindow: "fixed" });
    const sliding = limiterAt({ rateLimit: 5, rateLimitWindow: "sliding" });
    const bucket = limiterAt({ rateLimit: 5 });
    expect(fixed.passed(burst)).toBe(11);
    expect(sliding.passed(burst)).toBe(6);
    expect(sliding.at(2004)).toBeCloseTo(0.986); // 1990 leaves at 2990
    expect(bucket.passed(burst)).toBe(6); // full again by 1990: 5 pass, and no token refills in the next 14 ms
  });

  test("budgets are per key", () => {
    for (const rateLimitWindow of ["bucket", "fixed", "sliding"] as const) {
      const { passed } = limiterAt({ rateLimit: 2, rateLimitWindow });
      expect([passed([0, 0, 0], "a"), passed([0, 0, 0], "b"), passed([1, 1], "a")]).toEqual([2, 2, 0]);
    }
  });

  test("unlimited without rateLimit; clear() makes every budget whole", () => {
    const unlimited = limiterAt({ rateLimitWindow: "sliding" });
    expect(unlimited.passed(times(0, 1000, 0))).toBe(1000);
    const { limiter, passed } = limiterAt({ rateLimit: 2, rateLimitWindow: "sliding" });
    expect(passed([0, 0, 0])).toBe(2);
    limiter.clear();
    expect(passed([1, 1, 1])).toBe(2);
  });

  test("options are checked with clear RangeErrors", () => {
    const bad: [LimiterOptions, RegExp][] = [
      [{ rateLimit: -1 }, /rateLimit must be a number from 0/],
      [{ rateLimitWindow: "hourly" as never }, /rateLimitWindow must be "bucket", "fixed" or "sliding"/],
      [{ rateLimitPeriod: 0 }, /rateLimitPeriod must be a number of seconds greater than 0/],
      [{ rateLimitPeriod: Infinity }, /rateLimitPeriod/],
      [{ rateLimitBurst: 0.5 }, /rateLimitBurst must be a number from 1 up/],
      [{ rateLimit: 2.5, rateLimitWindow: "fixed" }, /rateLimit must be a whole number .* "fixed", got 2.5/],
      [{ rateLimit: 0.5, rateLimitWindow: "sliding" }, /whole number/],
    ];
    for (const [options, message] of bad) expect(() => new Limiter(options)).toThrow(message);
    expect(() => new Limiter({ rateLimit: 2.5 })).not.toThrow(); // a bucket may refill at any rate
    expect(() => new Limiter({ rateLimit: 2.5, rateLimitWindow: "bucket" })).not.toThrow();
  });
});

describe("the server's limiter over HTTP", () => {
  let s: SandboxServer | undefined;
  afterEach(async () => {
    await s?.stop();
    s = undefined;
  });
  const start = async (options: SandboxOptions) => (s = await startSandbox(options));
  const get = async (server: SandboxServer, auth = `Bearer ${server.accessToken}`) => {
    const r = await fetch(`${server.apiUrl}/users`, { headers: { authorization: auth, "api-version": "1" } });
    await r.text();
    return r;
  };
  const statuses = async (server: SandboxServer, n: number) =>
    (await Promise.all(Array.from({ length: n }, () => get(server)))).map((r) => r.status);

  test.each(["bucket", "fixed", "sliding"] as const)(
    "%s: a fast burst of 10 at 4 a minute is answered 6 × 429 (logged rate_limited); `at` is set and in order",
    async (rateLimitWindow) => {
      const server = await start({ rateLimit: 4, rateLimitWindow, rateLimitPeriod: 60, rateLimitHeaders: true });
      const before = Date.now();
      const answers = await statuses(server, 10);
      const after = Date.now();
      expect(answers.filter((x) => x === 429)).toHaveLength(6);
      expect(answers.filter((x) => x === 200)).toHaveLength(4);
      const log = [...server.requests].sort((a, b) => a.seq - b.seq);
      expect(log.filter((r) => r.fault === "rate_limited")).toHaveLength(6);
      for (const r of log) {
        expect(typeof r.at).toBe("number");
        expect(r.at).toBeGreaterThanOrEqual(before);
        expect(r.at).toBeLessThanOrEqual(after);
      }
      const arrivals = log.map((r) => r.at);
      expect(arrivals).toEqual([...arrivals].sort((a, b) => a - b));
      // A different credential has its own budget.
      expect((await get(server, `ApiKey ${server.apiKey}`)).status).toBe(200);
    },
  );

  test("on an injected clock: Retry-After and X-RateLimit-Reset of a fixed window, `at` from that clock", async () => {
    const clock = fakeClock(1_700_000_000_500);
    const server = await start({
      rateLimit: 2,
      rateLimitWindow: "fixed",
      rateLimitPeriod: 60,
      rateLimitHeaders: true,
      now: clock.now,
    });
    expect((await get(server)).status).toBe(200);
    clock.t += 10_000;
    expect((await get(server)).status).toBe(200);
    const limited = await get(server);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("50");
    expect(limited.headers.get("x-ratelimit-reset")).toBe("1700000061"); // ceil(1_700_000_060.5)
    clock.t += 49_700; // 0.3 s before the window reopens: at least 1
    expect((await get(server)).headers.get("retry-after")).toBe("1");
    clock.t += 300;
    expect((await get(server)).status).toBe(200);
    expect(server.requests.map((r) => [r.at - 1_700_000_000_500, r.status])).toEqual([
      [0, 200],
      [10_000, 200],
      [10_000, 429],
      [59_700, 429],
      [60_000, 200],
    ]);
  });

  test("sliding and bucket Retry-After on an injected clock; no headers unless asked", async () => {
    const clock = fakeClock();
    const server = await start({ rateLimit: 2, rateLimitWindow: "sliding", rateLimitPeriod: 10, now: clock.now });
    await get(server);
    clock.t += 2500;
    await get(server);
    clock.t += 1000;
    const quiet = await get(server);
    expect(quiet.status).toBe(429);
    expect(quiet.headers.get("retry-after")).toBeNull();
    expect(quiet.headers.get("x-ratelimit-reset")).toBeNull();
    server.setOptions({ rateLimitHeaders: true }); // keeps the limiter's state
    expect((await get(server)).headers.get("retry-after")).toBe("7"); // the first leaves 6.5 s later
    server.setOptions({ rateLimitWindow: "bucket", rateLimitBurst: 1 }); // a new limiter: budget whole
    expect((await get(server)).status).toBe(200);
    expect((await get(server)).headers.get("retry-after")).toBe("5"); // 2 per 10 s: a token every 5 s
  });

  test("a random 429 (tooManyRequestsRate) consumes no budget either", async () => {
    const server = await start({ rateLimit: 2, rateLimitWindow: "fixed", rateLimitPeriod: 60, tooManyRequestsRate: 1 });
    expect(await statuses(server, 5)).toEqual([429, 429, 429, 429, 429]);
    server.setOptions({ tooManyRequestsRate: 0 });
    expect((await statuses(server, 3)).sort()).toEqual([200, 200, 429]);
  });

  test("setOptions and the admin API change the shape, check it, and start the limiter afresh", async () => {
    const server = await start({ rateLimit: 1, rateLimitWindow: "sliding", rateLimitPeriod: 60 });
    expect((await statuses(server, 2)).sort()).toEqual([200, 429]);
    server.setOptions({ rateLimitPeriod: 120 });
    expect((await statuses(server, 2)).sort()).toEqual([200, 429]); // cleared by the change
    server.setOptions({ rateLimit: 2.5, rateLimitWindow: "bucket" });
    expect(() => {
      server.setOptions({ rateLimitWindow: "fixed" });
    }).toThrow(/whole number/);
    expect(() => {
      server.setOptions({ rateLimitPeriod: -1 });
    }).toThrow(RangeError);
    expect(() => {
      server.setOptions({ rateLimitBurst: 0 });
    }).toThrow(RangeError);
    expect(() => {
      server.setOptions({ now: Date.now });
    }).toThrow(/cannot change at run time: now/);

    const admin = (body: unknown) =>
      fetch(`${server.url}/_sandbox/options`, {
        method: "PATCH",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const ok = await admin({ rateLimit: 3, rateLimitWindow: "fixed", rateLimitPeriod: 60, rateLimitBurst: null });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { options: Record<string, unknown> }).options).toMatchObject({
      rateLimit: 3,
      rateLimitWindow: "fixed",
      rateLimitPeriod: 60,
      rateLimitBurst: null,
    });
    expect((await statuses(server, 5)).filter((x) => x === 429)).toHaveLength(2);
    const refused = await admin({ rateLimitWindow: "leaky" });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toMatch(/rateLimitWindow must be/);
    await expect(startSandbox({ rateLimit: 1.5, rateLimitWindow: "sliding" })).rejects.toThrow(/whole number/);
  });
});
