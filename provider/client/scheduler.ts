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
 */
import { DEFAULTS, type RateControl } from "../defaults";
import { type Opening, type Prediction, indexOfOpening, predictOpening } from "./openings";

/** The parameters of the pace, named and documented in DEFAULTS.pace; each can be overridden (`travelperk:rateControl`). */
export const RATE_CONTROL = DEFAULTS.pace;

export type { RateControl };

export interface SchedulerOptions {
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

interface Ticket {
  sentAt: number;
  window: number;
  probe: boolean;
  /** Sent while nothing was held: its answer says how noisy 429s are. */
  open: boolean;
}

type Phase = "open" | "suspect" | "closed";

/** The weight of one answer in the noise estimate (an EWMA over about 20 answers). */
const NOISE_WEIGHT = 0.05;
/** Above this share of 429s without a limit, a first 429 holds nothing. */
const SUSPECT_BELOW_NOISE = 0.1;

/** The periods rate-limit windows commonly have, ms: probed first, before anything is known. */
const COMMON_PERIODS_MS = [
  100, 200, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 20_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000,
  1_800_000, 3_600_000,
];

/**
 * The next moment after `after` at which the first window would end if its period were a common
 * one: one period after the first request (a window that starts with its first request), or, for
 * periods of a second and more, the first multiple of the period on the clock after it (a window on
 * clock boundaries). Undefined once every common period has been tried.
 */
function commonOpening(t0: number, after: number): number | undefined {
  let best: number | undefined;
  for (const period of COMMON_PERIODS_MS) {
    const onClock = period >= 1000 ? Math.ceil((t0 + 1) / period) * period : Infinity;
    for (const at of [t0 + period, onClock]) if (at > after && (best === undefined || at < best)) best = at;
  }
  return best;
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

  private phase: Phase = "open";
  private inARow = 0;
  /** The share of 429s among answers to requests sent while open (EWMA): 429s of no limit at all. */
  private noise = 0;
  private noiseRun = 0;
  /** The window in force closed on a lone 429 (nothing else was in flight): maybe noise. */
  private weakClosing = false;
  private refusedProbes = 0;
  /** The send time of the latest 429 while open: a later-sent acceptance contradicts a weak closing. */
  private closingSentAt = -Infinity;
  /** Server hint: nothing leaves before this. */
  private holdUntil = -Infinity;
  // The closed phase: one probe at a time.
  private probeInFlight = false;
  private nextProbeAt = -Infinity;
  private probeGap = 0;
  private lastRefusedAt = -Infinity;
  private prediction: Prediction | undefined;
  // The window in force and what was learned of the earlier ones.
  private t0: number | undefined;
  private window = 0;
  private windowSent = 0;
  private windowAccepted = 0;
  private readonly budgets: number[] = [];
  private openings: Opening[] = [];
  private confirmedBudget: number | undefined;
  // The bucket mirror (GCRA), once the limiter is known to refill continuously.
  private bucket: { rate: number; burst: number; tokens: number; at: number; quietSince: number } | undefined;
  private readonly accepts: number[] = [];
  /** Send times of the requests accepted or still in flight: our side of a sliding log. */
  private readonly granted: number[] = [];
  private windowFirstSent = -Infinity;
  private mirrorPeriod: number | undefined;
  /** The first closing: accepted rates are measured after it (the first burst says nothing of a rate). */
  private firstClosedAt: number | undefined;

  /** Counters for benchmarks and logs. */
  readonly stats = {
    sent: 0,
    rateLimited: 0,
    absorbed: 0,
    maxInFlight: 0,
    windows: 0,
    model: "none" as "none" | "window" | "bucket",
    budget: undefined as number | undefined,
    bucketRate: undefined as number | undefined,
    period: undefined as number | undefined,
  };

  constructor(private readonly options: SchedulerOptions) {
    this.control = { ...RATE_CONTROL, ...options.control };
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
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
      const explained = this.settle(ticket, outcome);
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
    let at = Math.max(now, this.holdUntil);
    if (this.options.maxPerSecond) at = Math.max(at, this.lastSent + 1000 / this.options.maxPerSecond);
    if (this.phase === "suspect") return Infinity;
    if (this.phase === "closed") return this.probeInFlight ? Infinity : Math.max(at, this.nextProbeAt);
    if (this.bucket) return Math.max(at, this.bucketReadyAt(at));
    at = Math.max(at, this.mirrorReadyAt());
    if (this.confirmedBudget !== undefined && this.windowSent >= this.allowance()) {
      this.close(now, true);
      return this.probeInFlight ? Infinity : Math.max(at, this.nextProbeAt);
    }
    // Beyond the last budget of an unconfirmed window, one at a time: one 429 says it closed.
    const lastBudget = this.budgets.at(-1);
    const careful = lastBudget !== undefined && this.confirmedBudget === undefined && this.quiet();
    if (careful && this.windowSent >= lastBudget && this.inFlight > 0) return Infinity;
    return at;
  }

  /**
   * A window's budget is also a sliding log on our side: no more than the budget granted within the
   * period measured between openings. A sliding window frees its slots one by one, at the times
   * the previous burst was accepted plus its period; a fixed window is never held back by it.
   */
  private mirrorReadyAt(): number {
    const budget = this.confirmedBudget ?? Math.max(0, ...this.budgets);
    if (this.mirrorPeriod === undefined || budget < 1 || this.granted.length < budget) return -Infinity;
    return this.granted[this.granted.length - budget] + this.mirrorPeriod + this.control.openingMarginMs;
  }

  private allowance(): number {
    const budget = this.confirmedBudget ?? Infinity;
    const probing = this.window % this.control.budgetProbeEvery === 0;
    return probing ? budget + 1 : budget;
  }

  private send(now: number): Ticket {
    if (this.t0 === undefined) {
      this.t0 = now;
      this.windowFirstSent = now;
    }
    this.lastSent = now;
    this.inFlight++;
    this.stats.sent++;
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.inFlight);
    this.windowSent++;
    this.granted.push(now);
    if (this.granted.length > 4096) this.granted.splice(0, 2048);
    if (this.bucket) {
      this.refill(now);
      this.bucket.tokens -= 1;
    }
    const probe = this.phase === "closed";
    if (probe) this.probeInFlight = true;
    return { sentAt: now, window: this.window, probe, open: this.phase === "open" && !this.bucket };
  }

  /** Learns from one answer; true when a 429 is explained by a limit (the request just waits its turn). */
  private settle(ticket: Ticket, outcome: Outcome): boolean {
    const now = this.now();
    if (ticket.probe) this.probeInFlight = false;
    if (!outcome.rateLimited) {
      // A run of 429s that an acceptance ends before it closed a window was noise: learn its share.
      if (ticket.open) {
        for (; this.noiseRun > 0; this.noiseRun--) this.noise += NOISE_WEIGHT * (1 - this.noise);
        this.noise += NOISE_WEIGHT * (0 - this.noise);
      }
      this.noiseRun = 0;
      this.inARow = 0;
      this.accepts.push(ticket.sentAt);
      if (this.accepts.length > 4096) this.accepts.splice(0, 2048);
      if (this.phase === "closed" && ticket.probe) this.opened(ticket, now);
      else if (this.phase === "closed" && this.weakClosing && ticket.sentAt > this.closingSentAt) {
        // Sent after the 429 that closed the window, and accepted: that 429 was noise. Open again.
        this.phase = "open";
        this.stats.windows--;
        this.windowAccepted++;
      } else if (ticket.window === this.window) this.windowAccepted++;
      if (this.phase === "suspect") this.phase = "open";
      return false;
    }
    this.stats.rateLimited++;
    this.inARow++;
    const at = this.granted.lastIndexOf(ticket.sentAt);
    if (at >= 0) this.granted.splice(at, 1);
    if (ticket.open) this.noiseRun++;
    this.lastRefusedAt = Math.max(this.lastRefusedAt, ticket.sentAt);
    if (outcome.serverDelayMs !== undefined) {
      const until = now + Math.min(outcome.serverDelayMs, this.control.maxServerDelayMs);
      this.holdUntil = Math.max(this.holdUntil, until);
      if (this.phase !== "closed") this.close(now, false);
      this.nextProbeAt = this.holdUntil + this.control.openingMarginMs;
      return true;
    }
    if (this.phase === "closed") {
      if (ticket.probe) {
        this.refusedProbes++;
        this.scheduleProbe(now);
      }
      return true;
    }
    if (this.bucket) {
      // The mirror was ahead of the server: start from empty at the rate measured while binding.
      this.bucket.rate = Math.max(0.1, this.measuredRate(now) * this.control.bucketRateGain);
      this.bucket.tokens = 0;
      this.bucket.at = now;
      this.bucket.quietSince = now;
      return true;
    }
    const pastBudget = this.windowSent > (this.confirmedBudget ?? Infinity);
    if (pastBudget || this.inARow >= this.closeAfter()) {
      this.close(now, false);
      return true;
    }
    this.closingSentAt = ticket.sentAt;
    // A first 429 holds new requests until an answer in flight says whether it closed, unless 429s
    // come often without a limit (then holding on each would only slow everything down).
    if (this.quiet()) this.phase = "suspect";
    else if (this.confirmedBudget !== undefined) this.forgetModel();
    if (this.inFlight === 0 && this.quiet()) {
      // Nothing else in flight can tell whether the limit closed: treat it as closed, probe soon.
      this.close(now, false, true);
      return true;
    }
    return false;
  }

  /** The window in force is closed (by 429s, or because its known budget was sent). */
  private close(now: number, expected: boolean, weak = false): void {
    this.phase = "closed";
    this.weakClosing = weak;
    this.refusedProbes = 0;
    this.noiseRun = 0; // those 429s were the limit
    this.firstClosedAt ??= now;
    this.stats.windows++;
    this.prediction = predictOpening(this.t0 ?? now, this.openings);
    this.probeGap = 0;
    this.scheduleProbe(now, expected);
  }

  /** When the next probe leaves: inside the predicted interval (forward bisection), at its end, or by backoff. */
  private scheduleProbe(now: number, first = false): void {
    const { firstProbeMs, probeGrowth, openingMarginMs } = this.control;
    const prediction = this.prediction;
    const last = this.openings.at(-1);
    // Without an upper bound yet, the guess is that windows open at whole periods from the first request.
    const hi =
      prediction && last && this.t0 !== undefined && !Number.isFinite(prediction.hi)
        ? this.t0 + ((last.index + 1) * (last.hi - this.t0)) / last.index
        : prediction?.hi;
    if (prediction && hi !== undefined && Number.isFinite(hi) && this.lastRefusedAt < hi) {
      const lo = Math.max(prediction.lo, this.lastRefusedAt, first ? -Infinity : now);
      const width = hi - lo;
      const period = this.periodEstimate();
      const tolerance = Math.max(this.control.openingToleranceMs, this.control.openingToleranceShare * period);
      this.nextProbeAt = width <= tolerance ? hi + openingMarginMs : lo + width / 2;
      return;
    }
    // A weak closing is first probed soon, twice: noise would be accepted at once.
    // The common periods are a prior for a limiter that is alone in answering 429s.
    const confirmed = (!this.weakClosing || this.refusedProbes >= 2) && this.quiet();
    if (!prediction && this.t0 !== undefined && confirmed) {
      const candidate = commonOpening(this.t0, Math.max(now, this.lastRefusedAt));
      if (candidate !== undefined) {
        // The first request's own transit opened the window a little after we sent it.
        const margin = Math.max(openingMarginMs, this.control.openingToleranceShare * (candidate - this.t0));
        this.nextProbeAt = candidate + margin;
        return;
      }
    }
    this.probeGap = this.probeGap ? this.probeGap * probeGrowth : firstProbeMs;
    this.nextProbeAt = now + this.probeGap;
  }

  private periodEstimate(): number {
    const last = this.openings.at(-1);
    if (!last || this.t0 === undefined) return 0;
    return (last.hi - this.t0) / Math.max(1, last.index);
  }

  /**
   * 429s in a row that close a window: `closeAfter`, or more where 429s come without a limit (so
   * that a run of noise closes one less than once in a thousand), never more than can be in flight.
   */
  private closeAfter(): number {
    const { closeAfter } = this.control;
    const byNoise = this.noise > 0 ? Math.ceil(Math.log(0.001) / Math.log(Math.min(this.noise, 0.9))) : 0;
    return Math.max(closeAfter, Math.min(byNoise, this.options.maxConcurrent));
  }

  /** The first acceptance after a closing: a window opened. */
  private opened(ticket: Ticket, now: number): void {
    const budget = this.windowAccepted;
    this.budgets.push(budget);
    const lo = this.lastRefusedAt < ticket.sentAt ? this.lastRefusedAt : -Infinity;
    const t0 = this.t0 ?? ticket.sentAt;
    const index = indexOfOpening(t0, this.openings, lo, ticket.sentAt);
    this.openings.push({ index, lo, hi: ticket.sentAt });
    if (this.openings.length > 12) this.openings = this.openings.slice(-12);
    if (!predictOpening(t0, this.openings)) this.openings = this.openings.slice(-1);
    // The period of the sliding log: from the first send of the window that closed to this opening.
    const period = ticket.sentAt - this.windowFirstSent;
    if (period > 0) this.mirrorPeriod = Math.min(this.mirrorPeriod ?? Infinity, period);
    this.stats.period = this.mirrorPeriod;
    this.windowFirstSent = ticket.sentAt;
    this.window = index;
    this.windowSent = 1;
    this.windowAccepted = 1;
    this.phase = "open";
    this.inARow = 0;
    this.lastRefusedAt = -Infinity;
    this.learnModel(now);
  }

  private learnModel(now: number): void {
    const [first, ...later] = this.budgets;
    if (this.budgets.length === 0 || this.bucket !== undefined) return;
    const latest = later.at(-1);
    // Where 429s come anyway, budgets and openings say nothing of a limit: no model.
    if (!this.quiet()) {
      this.forgetModel();
      return;
    }
    if (latest !== undefined && this.confirmedBudget === undefined && latest < first * this.control.bucketShare) {
      // Re-opened far smaller than the first window: a bucket that refills, not a window.
      const burst = first;
      this.bucket = { rate: Math.max(0.1, this.measuredRate(now)), burst, tokens: 0, at: now, quietSince: now };
      this.stats.model = "bucket";
      this.stats.bucketRate = this.bucket.rate;
      return;
    }
    // The first window may have been entered part-way: budgets agree among the later ones.
    const pair: (number | undefined)[] = later.length >= 2 ? later.slice(-2) : [first, latest];
    const [a, b] = pair;
    if (a !== undefined && b !== undefined && Math.abs(a - b) <= this.control.budgetAgreement * Math.max(a, b)) {
      this.confirmedBudget = Math.max(a, b);
      this.stats.model = "window";
      this.stats.budget = this.confirmedBudget;
    } else if (this.confirmedBudget !== undefined && latest !== undefined) {
      this.confirmedBudget = latest;
    }
  }

  /** 429s come rarely without a limit: what they say of one can be believed. */
  private quiet(): boolean {
    return this.noise < SUSPECT_BELOW_NOISE;
  }

  private forgetModel(): void {
    this.confirmedBudget = undefined;
    this.mirrorPeriod = undefined;
    this.bucket = undefined;
    this.budgets.length = 0;
    this.openings = [];
    this.stats.model = "none";
  }

  /** Accepted requests per second over the last two seconds, and since the first closing. */
  private measuredRate(now: number): number {
    const since = Math.max(now - 2000, this.firstClosedAt ?? this.t0 ?? now);
    const count = this.accepts.filter((t) => t > since).length;
    return (count * 1000) / Math.max(1, now - since);
  }

  private refill(now: number): void {
    const bucket = this.bucket;
    if (!bucket) return;
    if (now - bucket.quietSince >= 1000) {
      bucket.rate *= 1 + this.control.bucketProbeUp;
      bucket.quietSince = now;
    }
    bucket.tokens = Math.min(bucket.burst, bucket.tokens + ((now - bucket.at) / 1000) * bucket.rate);
    bucket.at = now;
    this.stats.bucketRate = bucket.rate;
  }

  private bucketReadyAt(now: number): number {
    this.refill(now);
    const bucket = this.bucket;
    if (!bucket) return now;
    return bucket.tokens >= 1 ? now : now + ((1 - bucket.tokens) / bucket.rate) * 1000;
  }
}
