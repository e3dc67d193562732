/**
 * One request scheduler per run, shared by every resource: a concurrency cap, and a pace that finds
 * the API's unpublished rate limit, whatever its shape. The design, in the order it acts:
 *
 * 1. Server hints. A 429 with `Retry-After` or a reset header (RFC 9110 §10.2.3; the IETF RateLimit
 *    fields) pauses every request until then; that moment is an exact window opening.
 * 2. Windows, learned from when 429s start and stop. `closeAfter` 429s in a row (no acceptance
 *    between) close a window: nothing leaves but one probe at a time, at the predicted opening
 *    (openings.ts: a phase-locked or a relative window model) or, while nothing is predicted, at
 *    growing gaps (exponential backoff). The first accepted probe is the opening; the requests the
 *    window accepted are its budget. Once two windows agree on a budget, each window is sent exactly
 *    its budget as it opens (one more now and then, in case it grew), and the next opening is waited
 *    for without a 429.
 * 3. A refilling bucket. When a re-opened window accepts far less than the first (a token bucket
 *    refills continuously, a window all at once), the limiter is mirrored as a token bucket (GCRA)
 *    whose rate is the accepted rate measured while the limit was binding, probed upwards while
 *    quiet (BBR's idea: the delivery rate at saturation is the bottleneck rate).
 *
 * A 429 that none of this explains (isolated among acceptances: not about our pace) changes no
 * pace: that request alone backs off (full jitter) and is sent again. Requests the scheduler holds,
 * and 429s it absorbs, do not spend the retries of the retry policy; after `maxRateLimitedAttempts`
 * the 429 reaches the caller. Parameters: RATE_CONTROL; `travelperk:rateControl` overrides them.
 *
 * This module is the gate (the queue, the concurrency cap, a fixed ceiling per second, the re-sends
 * of a 429); what is learned of the limit and when it lets a request leave is the pace (pace.ts).
 */
import { DEFAULTS, type RateControl } from "../defaults";
import { Pace, type Ticket } from "./pace";

/** The parameters of the pace, named and documented in DEFAULTS.pace; each can be overridden (`travelperk:rateControl`). */
export const RATE_CONTROL = DEFAULTS.pace;

export type { RateControl };

interface SchedulerOptions {
  /** Requests in flight at once. */
  maxConcurrent: number;
  /** A fixed ceiling of requests per second; undefined = learn the limit only. */
  maxPerSecond?: number;
  /** Overrides of RATE_CONTROL. */
  control?: Partial<RateControl>;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** What the scheduler needs to know of an attempt's outcome. */
export interface Outcome {
  rateLimited: boolean;
  /** The wait a 429 asked for (Retry-After or a reset header), ms. */
  serverDelayMs?: number;
}

/** Counters for benchmarks and logs. */
export interface SchedulerStats {
  sent: number;
  rateLimited: number;
  absorbed: number;
  maxInFlight: number;
  windows: number;
  model: "none" | "window" | "bucket";
  budget: number | undefined;
  bucketRate: number | undefined;
  period: number | undefined;
}

export class RequestScheduler {
  private readonly control: RateControl;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly queue: ((ticket: Ticket) => void)[] = [];
  private inFlight = 0;
  private timer: { at: number; handle: ReturnType<typeof setTimeout> } | undefined;
  private lastSent = -Infinity;
  private readonly pace: Pace;

  /** Counters for benchmarks and logs. */
  readonly stats: SchedulerStats = {
    sent: 0,
    rateLimited: 0,
    absorbed: 0,
    maxInFlight: 0,
    windows: 0,
    model: "none",
    budget: undefined,
    bucketRate: undefined,
    period: undefined,
  };

  constructor(private readonly options: SchedulerOptions) {
    this.control = { ...RATE_CONTROL, ...options.control };
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.pace = new Pace(this.control, options.maxConcurrent, this.stats);
  }

  /**
   * Runs one request: waits for its turn, sends it, and sends it again after a 429 (holding it as
   * the pace says, backing off where the 429 is not about pace) until it is answered otherwise.
   */
  async run<T>(attempt: () => Promise<T>, classify: (outcome: unknown) => Outcome): Promise<T> {
    for (let limited = 0; ;) {
      const ticket = await this.acquire();
      let result: { ok: true; value: T } | { ok: false; error: unknown };
      try {
        result = { ok: true, value: await attempt() };
      } catch (error) {
        result = { ok: false, error };
      }
      const outcome = classify(result.ok ? result.value : result.error);
      this.inFlight--;
      const explained = this.pace.settle(ticket, outcome, this.now(), this.inFlight);
      this.pump();
      if (!outcome.rateLimited || ++limited >= this.control.maxRateLimitedAttempts) {
        if (result.ok) return result.value;
        throw result.error;
      }
      this.stats.absorbed++;
      if (!explained) await this.sleep(this.backoffMs(limited));
    }
  }

  private backoffMs(attempt: number): number {
    const { backoffBaseMs, backoffMaxMs } = this.control;
    return Math.floor(this.random() * Math.min(backoffMaxMs, backoffBaseMs * 2 ** (attempt - 1)));
  }

  private acquire(): Promise<Ticket> {
    return new Promise((resolve) => {
      this.queue.push(resolve);
      this.pump();
    });
  }

  /** Starts every queued request that may leave now; otherwise wakes up when the next one may. */
  private pump(): void {
    while (this.queue.length && this.inFlight < this.options.maxConcurrent) {
      const now = this.now();
      const at = this.earliestSend(now);
      if (at > now) {
        if (Number.isFinite(at)) this.wakeAt(at);
        return;
      }
      const resolve = this.queue.shift();
      resolve?.(this.send(now));
    }
  }

  private wakeAt(at: number): void {
    if (this.timer && this.timer.at <= at) return;
    if (this.timer) clearTimeout(this.timer.handle);
    const delay = Math.max(0, at - this.now());
    const handle = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, delay);
    handle.unref();
    this.timer = { at, handle };
  }

  /** The earliest time the next request may leave (Infinity: when an answer arrives). */
  private earliestSend(now: number): number {
    const { maxPerSecond } = this.options;
    const at = maxPerSecond ? Math.max(now, this.lastSent + 1000 / maxPerSecond) : now;
    return this.pace.earliestSend(at, now, this.inFlight);
  }

  private send(now: number): Ticket {
    this.lastSent = now;
    this.inFlight++;
    this.stats.sent++;
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.inFlight);
    return this.pace.sent(now);
  }
}
