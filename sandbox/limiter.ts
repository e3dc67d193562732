/**
 * The sandbox's rate limiter: one budget per key (the server keys it by the credential presented), in
 * the shapes real APIs use, so a client's pacing can be measured against each. No I/O and no timers:
 * it reads the time from an injectable clock, so it can be tested without sleeping.
 */

/** The shape of a rate limit: a token bucket, fixed windows, or a sliding window (log). */
export type RateLimitWindow = "bucket" | "fixed" | "sliding";

const RATE_LIMIT_WINDOWS: readonly RateLimitWindow[] = ["bucket", "fixed", "sliding"];

export interface LimiterOptions {
  /**
   * Requests per `rateLimitPeriod` per key; 0 or undefined = unlimited. "bucket": any number > 0 (the
   * refill rate is rateLimit / rateLimitPeriod per second). "fixed" and "sliding": an integer >= 1, the
   * most requests accepted per window.
   */
  rateLimit?: number;
  /**
   * Default "bucket".
   * - "bucket": a token bucket that refills smoothly at rateLimit / rateLimitPeriod tokens per second up
   *   to `rateLimitBurst` tokens, and starts full; each accepted request takes one token.
   * - "fixed": at most `rateLimit` accepted requests per fixed window of `rateLimitPeriod` seconds. The
   *   first window opens at the key's first request (t0) and windows follow back to back from there:
   *   window k is [t0 + k·P, t0 + (k+1)·P).
   * - "sliding": at most `rateLimit` accepted requests within any trailing `rateLimitPeriod` seconds (a
   *   sliding log: a request at t counts the accepted requests at times in (t − P, t]).
   */
  rateLimitWindow?: RateLimitWindow;
  /** The period P in seconds, a number > 0; default 1. */
  rateLimitPeriod?: number;
  /** "bucket" only (ignored by the windows): the bucket's size, a number >= 1; default max(1, rateLimit). */
  rateLimitBurst?: number;
  /** The clock, in milliseconds; default Date.now. */
  now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}
interface Fixed {
  /** When the key's first window opened. */
  t0: number;
  /** The current window's index k, and how many requests it accepted. */
  k: number;
  count: number;
}

/**
 * One rate limit over many keys. `wait(key)` says whether a request may pass now, without counting it;
 * `take(key)` counts it when it may pass. A refused request (a 429) never consumes budget.
 */
export class Limiter {
  readonly rateLimit: number;
  readonly window: RateLimitWindow;
  /** The period in seconds. */
  readonly period: number;
  /** The bucket's size ("bucket" only). */
  readonly burst: number;
  private readonly now: () => number;
  private readonly buckets = new Map<string, Bucket>();
  private readonly fixed = new Map<string, Fixed>();
  /** Per key, the times (ms) of the accepted requests still inside the trailing period, oldest first. */
  private readonly logs = new Map<string, number[]>();

  constructor(options: LimiterOptions = {}) {
    checkLimiterOptions(options);
    this.rateLimit = options.rateLimit ?? 0;
    this.window = options.rateLimitWindow ?? "bucket";
    this.period = options.rateLimitPeriod ?? 1;
    this.burst = options.rateLimitBurst ?? Math.max(1, this.rateLimit);
    this.now = options.now ?? Date.now;
  }

  /**
   * The shortest span (ms, first to last request) in which this limit can accept `accepted`
   * requests, its first window opening at the first request: a window's (⌈accepted ÷ budget⌉ − 1) ×
   * period, plus up to a second per window boundary when 429s say Retry-After in whole seconds
   * (`wholeSecondHints`); a bucket's (accepted − burst) ÷ rate. 0 when unlimited.
   */
  floorMs(accepted: number, wholeSecondHints = false): number {
    if (!this.limited) return 0;
    if (this.window === "bucket") return (Math.max(0, accepted - this.burst) / (this.rateLimit / this.period)) * 1000;
    const boundaries = Math.ceil(accepted / this.rateLimit) - 1;
    return boundaries * (this.period * 1000 + (wholeSecondHints ? 1000 : 0));
  }

  /** Whether this limiter ever refuses anything. */
  get limited(): boolean {
    return this.rateLimit > 0;
  }

  /** Undefined when a request for `key` may pass now, else the seconds (> 0) until one would. Counts nothing. */
  wait(key: string): number | undefined {
    return this.decide(key, false);
  }

  /** Like `wait`, but a request that may pass is counted against the key's budget. */
  take(key: string): number | undefined {
    return this.decide(key, true);
  }

  /** Forgets every key's state: every budget is whole again. */
  clear(): void {
    this.buckets.clear();
    this.fixed.clear();
    this.logs.clear();
  }

  private decide(key: string, count: boolean): number | undefined {
    if (!this.limited) return undefined;
    const now = this.now();
    switch (this.window) {
      case "bucket":
        return this.bucket(key, now, count);
      case "fixed":
        return this.fixedWindow(key, now, count);
      case "sliding":
        return this.sliding(key, now, count);
    }
  }

  private bucket(key: string, now: number, count: boolean): number | undefined {
    const rate = this.rateLimit / this.period; // tokens per second
    const last = this.buckets.get(key);
    // A clock that steps back refills nothing. Only a counted request changes the bucket, so a run of
    // refusals neither drains it nor drifts it by adding up rounding errors.
    const tokens = last ? Math.min(this.burst, last.tokens + (Math.max(0, now - last.at) / 1000) * rate) : this.burst;
    if (tokens < 1) return (1 - tokens) / rate;
    if (count) this.buckets.set(key, { tokens: tokens - 1, at: last ? Math.max(last.at, now) : now });
    return undefined;
  }

  private fixedWindow(key: string, now: number, count: boolean): number | undefined {
    const periodMs = this.period * 1000;
    // The key's first request to reach the limiter opens its first window, whether or not it is counted.
    const state = this.fixed.get(key) ?? { t0: now, k: 0, count: 0 };
    this.fixed.set(key, state);
    const k = Math.max(state.k, Math.floor((now - state.t0) / periodMs));
    if (k !== state.k) {
      state.k = k;
      state.count = 0;
    }
    if (state.count >= this.rateLimit) return (state.t0 + (k + 1) * periodMs - now) / 1000;
    if (count) state.count++;
    return undefined;
  }

  private sliding(key: string, now: number, count: boolean): number | undefined {
    const periodMs = this.period * 1000;
    const log = this.logs.get(key) ?? [];
    const firstKept = log.findIndex((t) => t > now - periodMs);
    log.splice(0, firstKept < 0 ? log.length : firstKept); // the log is in time order: drop the expired head
    this.logs.set(key, log);
    // The request passes once fewer than rateLimit accepted requests remain in (now − P, now]: it waits
    // for the one that leaves last of those that must leave.
    const leaving = log.at(-this.rateLimit);
    if (log.length >= this.rateLimit && leaving !== undefined) return (leaving + periodMs - now) / 1000;
    if (count) log.push(now);
    return undefined;
  }
}

/** Throws a RangeError naming the first rate-limit option that is not valid (alone, or with the others). */
export function checkLimiterOptions(o: LimiterOptions): void {
  const { rateLimit, rateLimitWindow, rateLimitPeriod, rateLimitBurst } = o;
  if (rateLimit !== undefined && !(typeof rateLimit === "number" && rateLimit >= 0 && rateLimit < Infinity))
    throw new RangeError("sandbox option rateLimit must be a number from 0 up (0 = unlimited)");
  if (rateLimitWindow !== undefined && !RATE_LIMIT_WINDOWS.includes(rateLimitWindow))
    throw new RangeError('sandbox option rateLimitWindow must be "bucket", "fixed" or "sliding"');
  if (
    rateLimitPeriod !== undefined &&
    !(typeof rateLimitPeriod === "number" && rateLimitPeriod > 0 && rateLimitPeriod < Infinity)
  )
    throw new RangeError("sandbox option rateLimitPeriod must be a number of seconds greater than 0");
  if (
    rateLimitBurst !== undefined &&
    !(typeof rateLimitBurst === "number" && rateLimitBurst >= 1 && rateLimitBurst < Infinity)
  )
    throw new RangeError("sandbox option rateLimitBurst must be a number from 1 up");
  if (rateLimitWindow && rateLimitWindow !== "bucket" && rateLimit && !Number.isInteger(rateLimit))
    throw new RangeError(
      `sandbox option rateLimit must be a whole number of requests with rateLimitWindow "${rateLimitWindow}", got ${String(rateLimit)}`,
    );
  if (o.now !== undefined && typeof o.now !== "function")
    throw new RangeError("sandbox option now must be a function returning milliseconds");
}
