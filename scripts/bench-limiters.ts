/**
 * The limiter rows of `npm run bench -- --limiters`: which limiter shapes the sandbox is started with
 * (the provider is not told), the floor each shape sets, the targets, and the report. The runs
 * themselves (a real `pulumi up` through the Automation API) are bench.ts's: it hands `runLimiters` a
 * `LimiterBench` that runs one up against a fresh sandbox with given options and returns the
 * measurement with the sandbox's request log.
 *
 * Every time here comes from the sandbox's own request log (`at`, ms on the sandbox clock, sorted),
 * except the no-limit row's, which is the engine-floor ratio of the size benchmark (wall ÷ floor wall).
 */
import type { LoggedRequest, SandboxOptions } from "../sandbox/server";
import { Limiter } from "../sandbox/limiter";

/** What the limiter rows read of one measured up (bench.ts's Measurement has these and more). */
export interface UpSummary {
  n: number;
  ok: boolean;
  error?: string;
  wallMs: number;
  requests: number;
  accepted: number;
  rateLimited: number;
}

export interface LimiterBench<M extends UpSummary> {
  /** One `up` of N people against a fresh sandbox started with `sandbox`; `key` names its folders. */
  up(key: string, label: string, n: number, sandbox: SandboxOptions): Promise<{ up: M; log: LoggedRequest[] }>;
  /** The same up on the engine's floor program (no-op dynamic resources, same graph). */
  floorUp(n: number): Promise<M>;
  progress(text: string): void;
}

/** 429s may be at most this share of the accepted requests, for every limiter shape. */
export const MAX_429_SHARE = 0.2;
/** The per-minute row sends about this many requests: N = round((this − group listings) ÷ 3). */
export const PER_MINUTE_REQUESTS = 300;
/** The random-429 row: the share of requests answered 429 whatever the pace, and the least speed kept. */
export const RANDOM_429_RATE = 0.3;
export const RANDOM_MIN_SPEED = 0.5;
/** The random-429 row compares the time to this share of the user creates. */
export const CREATES_SHARE = 0.9;

export interface LimiterShape {
  key: string;
  label: string;
  sandbox: SandboxOptions;
  /** "second": the per-second people (100, or --limiter-people); "minute": ≈ PER_MINUTE_REQUESTS requests. */
  people: "second" | "minute";
  floorFormula: string;
  /** span ÷ floor at most. */
  maxRatio: number;
}

export const LIMITER_SHAPES: LimiterShape[] = [
  {
    key: "bucket-15",
    label: "token bucket 15/s, burst 15",
    sandbox: { rateLimit: 15, rateLimitWindow: "bucket", rateLimitBurst: 15 },
    people: "second",
    floorFormula: "(accepted − 15) ÷ 15 s",
    maxRatio: 1.1,
  },
  {
    key: "fixed-10s",
    label: "fixed window 10 per second",
    sandbox: { rateLimit: 10, rateLimitWindow: "fixed", rateLimitPeriod: 1 },
    people: "second",
    floorFormula: "(⌈accepted ÷ 10⌉ − 1) × 1 s",
    maxRatio: 1.2,
  },
  {
    key: "sliding-10s",
    label: "sliding window 10 per second",
    sandbox: { rateLimit: 10, rateLimitWindow: "sliding", rateLimitPeriod: 1 },
    people: "second",
    floorFormula: "(⌈accepted ÷ 10⌉ − 1) × 1 s",
    maxRatio: 1.2,
  },
  {
    key: "fixed-40-8s-retry-after",
    label: "fixed window 40 per 8 s, Retry-After",
    sandbox: { rateLimit: 40, rateLimitWindow: "fixed", rateLimitPeriod: 8, rateLimitHeaders: true },
    people: "second",
    // Retry-After is whole seconds, rounded up: up to 1 s more at each window boundary (floorMs).
    floorFormula: "(⌈accepted ÷ 40⌉ − 1) × 8 s + 1 s per boundary",
    maxRatio: 1.1,
  },
  {
    key: "fixed-120-min",
    label: "fixed window 120 per minute",
    sandbox: { rateLimit: 120, rateLimitWindow: "fixed", rateLimitPeriod: 60 },
    people: "minute",
    floorFormula: "(⌈accepted ÷ 120⌉ − 1) × 60 s",
    maxRatio: 1.25,
  },
];

/** People for the per-minute row: 3 requests each (create, PATCH, group membership) plus one listing per group. */
export function perMinutePeople(groups: number): number {
  return Math.max(1, Math.round((PER_MINUTE_REQUESTS - groups) / 3));
}

// ---- reading the request log ----------------------------------------------------------------------

const byArrival = (log: LoggedRequest[]) => [...log].sort((a, b) => a.at - b.at || a.seq - b.seq);

/** First to last request on the sandbox clock (ms); 0 for fewer than two requests. */
export function spanOf(log: LoggedRequest[]): number {
  const sorted = byArrival(log);
  const first = sorted.at(0);
  const last = sorted.at(-1);
  return first && last ? last.at - first.at : 0;
}

/**
 * From the first request to the arrival of the user create (a POST to the users collection answered
 * 2xx) that completes `share` of N creates; undefined when fewer creates succeeded.
 */
export function timeToCreates(log: LoggedRequest[], n: number, share = CREATES_SHARE): number | undefined {
  const sorted = byArrival(log);
  const creates = sorted.filter((r) => r.method === "POST" && /\/users$/i.test(r.path) && r.status < 300);
  const need = Math.max(1, Math.ceil(share * n));
  const first = sorted.at(0);
  const create = creates.at(need - 1);
  return first && create ? create.at - first.at : undefined;
}

// ---- the rows -------------------------------------------------------------------------------------

export interface LimiterRow<M extends UpSummary = UpSummary> {
  kind: "shape" | "none" | "random";
  key: string;
  limiter: string;
  sandbox: SandboxOptions;
  n: number;
  ok: boolean;
  error?: string;
  requests: number;
  accepted: number;
  rateLimited: number;
  /** 429s ÷ accepted. */
  rateLimitedShare: number;
  /** First to last request in the sandbox log, ms. */
  spanMs: number;
  /** "shape": the limit's floor for the accepted requests; "none": the floor program's up wall time. */
  floorMs?: number;
  floorFormula: string;
  /** "shape": span ÷ floor; "none": wall ÷ floor wall; "random": clean ÷ noisy time to CREATES_SHARE of the creates. */
  ratio?: number;
  target: string;
  /** undefined: nothing to decide in one run (the no-limit row), or no floor to compare with. */
  met?: boolean;
  misses: string[];
  /** "random": time to CREATES_SHARE of the creates, with and without the random 429s. */
  createsMs?: number;
  cleanCreatesMs?: number;
  up: M;
  floorUp?: M;
}

function base<M extends UpSummary>(
  kind: LimiterRow["kind"],
  key: string,
  limiter: string,
  sandbox: SandboxOptions,
  up: M,
  log: LoggedRequest[],
): Omit<LimiterRow<M>, "floorFormula" | "target" | "misses"> {
  return {
    kind,
    key,
    limiter,
    sandbox,
    n: up.n,
    ok: up.ok,
    ...(up.error !== undefined && { error: up.error.split("\n")[0] }),
    requests: up.requests,
    accepted: up.accepted,
    rateLimited: up.rateLimited,
    rateLimitedShare: up.accepted === 0 ? 0 : up.rateLimited / up.accepted,
    spanMs: spanOf(log),
    up,
  };
}

const pct = (share: number) => `${(share * 100).toFixed(1)} %`;
const sec = (ms: number | undefined) => (ms === undefined ? "—" : (ms / 1000).toFixed(1));
const times = (r: number | undefined) => (r === undefined ? "—" : `${r.toFixed(2)}×`);

function shapeRow<M extends UpSummary>(shape: LimiterShape, up: M, log: LoggedRequest[]): LimiterRow<M> {
  const row = base("shape", shape.key, shape.label, shape.sandbox, up, log);
  const floorMs = new Limiter(shape.sandbox).floorMs(row.accepted, shape.sandbox.rateLimitHeaders);
  const ratio = floorMs > 0 ? row.spanMs / floorMs : undefined;
  const misses: string[] = [];
  if (!row.ok) misses.push("the up failed");
  if (ratio !== undefined && ratio > shape.maxRatio) misses.push(`span ${times(ratio)} > ${times(shape.maxRatio)}`);
  if (row.rateLimitedShare > MAX_429_SHARE)
    misses.push(`429s ${pct(row.rateLimitedShare)} > ${pct(MAX_429_SHARE)} of accepted`);
  return {
    ...row,
    floorMs,
    floorFormula: shape.floorFormula,
    ratio,
    target: `span ≤ ${times(shape.maxRatio)} floor, 429s ≤ ${String(MAX_429_SHARE * 100)} %, up ok`,
    // A floor of 0 (everything fits in the burst or the first window) leaves the span nothing to compare with.
    met: misses.length > 0 ? false : ratio === undefined ? undefined : true,
    misses,
  };
}

/**
 * Runs the rows in this order: no limit (and its floor up), 30 % random 429s, then every limiter shape.
 * `people` is for the per-second rows, the no-limit and the random row; `minutePeople` for the per-minute row.
 */
export async function runLimiters<M extends UpSummary>(
  bench: LimiterBench<M>,
  people: number,
  minutePeople: number,
): Promise<LimiterRow<M>[]> {
  const rows: LimiterRow<M>[] = [];
  const done = (row: LimiterRow<M>) => {
    rows.push(row);
    bench.progress(
      `limiter ${row.limiter}: span ${sec(row.spanMs)} s, ratio ${times(row.ratio)}, ${String(row.rateLimited)} × 429 ` +
        `(${pct(row.rateLimitedShare)} of accepted): ${metText(row)}`,
    );
  };

  bench.progress(`=== limiters: no limit (N=${String(people)}) ===`);
  const clean = await bench.up("none", "up (no limit)", people, {});
  const floorUp = await bench.floorUp(people);
  done({
    ...base("none", "none", "no limit", {}, clean.up, clean.log),
    floorMs: floorUp.wallMs,
    floorFormula: "the floor program's up (wall)",
    ratio: floorUp.wallMs > 0 ? clean.up.wallMs / floorUp.wallMs : undefined,
    target: "engine-floor ratio unchanged",
    misses: clean.up.ok ? [] : ["the up failed"],
    ...(!clean.up.ok && { met: false }),
    floorUp,
  });

  bench.progress(`=== limiters: ${pct(RANDOM_429_RATE)} random 429s (N=${String(people)}) ===`);
  const randomSandbox: SandboxOptions = { tooManyRequestsRate: RANDOM_429_RATE };
  const noisy = await bench.up("random-429", "up (30 % random 429s)", people, randomSandbox);
  const createsMs = timeToCreates(noisy.log, people);
  const cleanCreatesMs = timeToCreates(clean.log, people);
  const speed = createsMs && cleanCreatesMs !== undefined ? cleanCreatesMs / createsMs : undefined;
  const misses: string[] = [];
  if (!noisy.up.ok) misses.push("the up failed");
  if (speed === undefined) misses.push(`fewer than ${pct(CREATES_SHARE)} of the creates succeeded`);
  else if (speed < RANDOM_MIN_SPEED) misses.push(`speed ${times(speed)} < ${times(RANDOM_MIN_SPEED)}`);
  done({
    ...base(
      "random",
      "random-429",
      `${String(RANDOM_429_RATE * 100)} % random 429s, no limit`,
      randomSandbox,
      noisy.up,
      noisy.log,
    ),
    floorFormula: `the same up without them: time to ${String(CREATES_SHARE * 100)} % of the creates`,
    ratio: speed,
    target: `≥ ${times(RANDOM_MIN_SPEED)} as fast to ${String(CREATES_SHARE * 100)} % of the creates (clean ÷ noisy)`,
    met: misses.length === 0,
    misses,
    ...(createsMs !== undefined && { createsMs }),
    ...(cleanCreatesMs !== undefined && { cleanCreatesMs }),
  });

  for (const shape of LIMITER_SHAPES) {
    const n = shape.people === "minute" ? minutePeople : people;
    bench.progress(`=== limiters: ${shape.label} (N=${String(n)}) ===`);
    const { up, log } = await bench.up(shape.key, `up (${shape.label})`, n, shape.sandbox);
    done(shapeRow(shape, up, log));
  }
  return rows;
}

// ---- the report -----------------------------------------------------------------------------------

function metText(row: LimiterRow): string {
  if (row.met === false) return `no: ${row.misses.join("; ")}`;
  if (row.met === true) return "yes";
  return row.kind === "none" ? "— (no baseline in one run)" : "— (floor 0)";
}

function cells(values: (string | number)[]): string {
  return `| ${values.map(String).join(" | ")} |`;
}

export function limiterReport(rows: LimiterRow[]): string {
  const header = [
    "limiter",
    "N",
    "requests",
    "accepted",
    "429s",
    "429 % of accepted",
    "span s",
    "floor s",
    "ratio",
    "target",
    "met",
  ];
  const lines = [cells(header), cells(header.map((h, i) => (i === 0 || i >= 9 ? "---" : "---:")))];
  for (const r of rows) {
    let floor = `${sec(r.floorMs)} = ${r.floorFormula}`;
    let ratio = times(r.ratio);
    if (r.kind === "none") {
      floor = `${sec(r.floorMs)}: the floor up's wall time¹`;
      ratio = `${times(r.ratio)}: wall ${sec(r.up.wallMs)} s ÷ floor¹`;
    } else if (r.kind === "random") {
      floor = "—";
      ratio = `${times(r.ratio)}: clean ${sec(r.cleanCreatesMs)} s ÷ noisy ${sec(r.createsMs)} s²`;
    }
    lines.push(
      cells([
        r.ok ? r.limiter : `${r.limiter} (FAILED)`,
        r.n,
        r.requests,
        r.accepted,
        r.rateLimited,
        pct(r.rateLimitedShare),
        sec(r.spanMs),
        floor,
        ratio,
        r.target,
        metText(r),
      ]),
    );
  }
  const shapes = rows.filter((r) => r.kind === "shape");
  if (shapes.length) {
    const worst = Math.max(...shapes.map((r) => r.rateLimitedShare));
    const over = shapes.filter((r) => r.rateLimitedShare > MAX_429_SHARE);
    lines.push(
      cells([
        "every shape",
        "—",
        shapes.reduce((s, r) => s + r.requests, 0),
        shapes.reduce((s, r) => s + r.accepted, 0),
        shapes.reduce((s, r) => s + r.rateLimited, 0),
        `max ${pct(worst)}`,
        "—",
        "—",
        "—",
        `429s ≤ ${String(MAX_429_SHARE * 100)} % of accepted, each shape`,
        over.length ? `no: ${over.map((r) => r.limiter).join(", ")}` : "yes",
      ]),
    );
  }
  lines.push(
    "",
    "requests: the sandbox log of the up; accepted: every answer not 429; span: first to last request on the " +
      "sandbox clock; floor: the least span the limit allows for the accepted requests; ratio: span ÷ floor. " +
      "The provider is not told the limit.",
    "¹ no limit: the engine-floor ratio of the size benchmark, the up's wall time ÷ the floor program's up " +
      "(no-op dynamic resources, same graph); its target (unchanged) needs a baseline from another run.",
    `² time from the first request to the user create that completes ${String(CREATES_SHARE * 100)} % of the creates, ` +
      "without the random 429s (the no-limit up) ÷ with them.",
  );
  return lines.join("\n") + "\n";
}
