/**
 * One request scheduler per provider process, shared by every resource: a concurrency cap and a pace
 * that finds the API's unpublished rate limit.
 *
 * TravelPerk does not publish its limits and does not promise Retry-After, so the pace is learned:
 * it starts fast; when a 429 arrives the accepted rate of the last second is, by definition, about
 * the limit, so the pace drops to just above it (a few 429s a second keep the limit saturated without
 * wasting many requests); a second without 429 raises the pace again (additive increase), in case the
 * limit was higher. An optional fixed cap (`travelperk:maxRequestsPerSecond`) bounds it all.
 */

export interface SchedulerOptions {
  /** Requests in flight at once. */
  maxConcurrent: number;
  /** A fixed ceiling of requests per second; undefined = learn the limit only. */
  maxPerSecond?: number;
  /** The pace before the first 429, in requests per second. */
  initialRate?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** How the pace reacts, in one place. */
export const PACE = {
  initialRate: 200,
  minRate: 0.5,
  /** After 429s, pace at this multiple of the rate the API accepted in the window. */
  aboveAccepted: 1.05,
  /** A window whose 429 share stays within this margin of the tolerated share raises the pace by `increase`. */
  margin: 0.05,
  increase: 0.1,
  windowMs: 1000,
  /** A window needs this many answers before it says anything. */
  minSamples: 4,
  /** Judging whether a slow-down helped needs this many answers in each window, and a real slow-down. */
  judgeSamples: 20,
  /** Never tolerate more 429s than this share as noise. */
  maxToleratedShare: 0.5,
  /** A slow-down never goes below this share of the best rate accepted in a whole window (which decays). */
  floorOfBest: 0.5,
  bestDecay: 0.95,
  judgeSlowDown: 0.8,
};

interface Window {
  start: number;
  accepted: number;
  limited: number;
  sent: number;
}

export class RequestScheduler {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private rate: number;
  private gate: Promise<void> = Promise.resolve();
  private lastSent = -Infinity;
  private window: Window;
  /** The 429 share that slowing down did not reduce: not about our pace, so tolerated. */
  private toleratedShare = 0;
  /** The last slow-down, to check in the next window whether it helped. */
  private lastSlowDown:
    { rateBefore: number; rateAfter: number; share: number; acceptedRate: number; answers: number } | undefined;
  private slowedDownOnce = false;
  /** The highest accepted rate of a whole window, decaying: random 429s cannot ratchet the pace below half of it. */
  private bestAccepted = 0;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  /** Counters for benchmarks and logs. */
  readonly stats = { sent: 0, rateLimited: 0, maxInFlight: 0 };

  constructor(private readonly options: SchedulerOptions) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.rate = Math.min(options.initialRate ?? PACE.initialRate, options.maxPerSecond ?? Infinity);
    this.window = { start: this.now(), accepted: 0, limited: 0, sent: 0 };
  }

  /** The current pace, in requests per second. */
  get currentRate(): number {
    return this.rate;
  }

  /** Runs one request attempt under the cap and the pace; `isRateLimited` classifies its outcome. */
  async run<T>(attempt: () => Promise<T>, isRateLimited: (outcome: unknown) => boolean): Promise<T> {
    await this.acquire();
    try {
      const result = await attempt();
      this.settle(isRateLimited(result));
      return result;
    } catch (error) {
      this.settle(isRateLimited(error));
      throw error;
    } finally {
      this.release();
    }
  }

  private async acquire(): Promise<void> {
    while (this.inFlight >= this.options.maxConcurrent) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.inFlight++;
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.inFlight);
    // Requests leave one at a time, 1/rate after the previous one, at the pace in force at their turn.
    const turn = this.gate.then(async () => {
      const wait = this.lastSent + 1000 / this.rate - this.now();
      if (wait > 0) await this.sleep(wait);
      this.lastSent = this.now();
    });
    this.gate = turn;
    await turn;
    this.stats.sent++;
    this.window.sent++;
  }

  private release(): void {
    this.inFlight--;
    this.waiting.shift()?.();
  }

  private settle(rateLimited: boolean): void {
    if (rateLimited) {
      this.stats.rateLimited++;
      this.window.limited++;
    } else {
      this.window.accepted++;
    }
    const now = this.now();
    const elapsed = now - this.window.start;
    // A window closes after windowMs; when most answers are 429s it closes after a tenth of that, so
    // a pace far above the limit (the fast start) comes down before retries run out.
    const { accepted, limited } = this.window;
    const early =
      limited >= PACE.minSamples && (limited > accepted || !this.slowedDownOnce) && elapsed >= PACE.windowMs / 10;
    if ((elapsed < PACE.windowMs && !early) || this.window.accepted + this.window.limited < PACE.minSamples) return;
    this.adjust(this.window, elapsed, elapsed >= PACE.windowMs);
    this.window = { start: now, accepted: 0, limited: 0, sent: 0 };
  }

  /** Once per window: slow down to the accepted rate, undo a slow-down that did not help, or speed up. */
  private adjust(window: Window, elapsed: number, full: boolean): void {
    const answers = window.accepted + window.limited;
    const share = window.limited / answers;
    const acceptedRate = (window.accepted * 1000) / elapsed;
    const previous = this.lastSlowDown;
    this.lastSlowDown = undefined;
    if (full) this.bestAccepted = Math.max(this.bestAccepted * PACE.bestDecay, acceptedRate);
    // A real limit keeps accepting about as much after a slow-down, with fewer 429s. If instead fewer
    // requests got through and the 429 share stayed, the 429s are not about our pace: undo, tolerate.
    const judgeable = previous !== undefined && answers >= PACE.judgeSamples && previous.answers >= PACE.judgeSamples;
    if (
      judgeable &&
      previous.rateAfter <= previous.rateBefore * PACE.judgeSlowDown &&
      share > 0 &&
      share >= previous.share * 0.8 &&
      acceptedRate <= previous.acceptedRate * 0.9
    ) {
      this.rate = this.capped(previous.rateBefore);
      this.toleratedShare = Math.min(share, PACE.maxToleratedShare);
      return;
    }
    if (share > this.toleratedShare + PACE.margin) {
      const rateBefore = this.rate;
      const floor = Math.max(PACE.minRate, this.bestAccepted * PACE.floorOfBest);
      this.rate = this.capped(Math.max(floor, Math.min(this.rate, acceptedRate * PACE.aboveAccepted)));
      // The first slow-down may measure a burst the API allowed once; it is not judged.
      if (this.slowedDownOnce) this.lastSlowDown = { rateBefore, rateAfter: this.rate, share, acceptedRate, answers };
      this.slowedDownOnce = true;
      return;
    }
    // A whole quiet window in which the pace was actually used: probe upwards.
    if (full && (window.sent * 1000) / elapsed >= this.rate * 0.8) {
      this.rate = this.capped(this.rate * (1 + PACE.increase));
    }
  }

  private capped(rate: number): number {
    return Math.min(rate, this.options.maxPerSecond ?? Infinity);
  }
}
