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
  /** After a 429, pace at this multiple of the rate the API accepted in the last window. */
  aboveAccepted: 1.05,
  /** Each window without a 429 adds this share of the current rate. */
  increase: 0.1,
  windowMs: 1000,
};

export class RequestScheduler {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private rate: number;
  private nextSlot = 0;
  /** Completion times of accepted requests, for the accepted rate of the last window. */
  private accepted: number[] = [];
  private lastLimited = -Infinity;
  private lastAdjust: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  /** Counters for benchmarks and logs. */
  readonly stats = { sent: 0, rateLimited: 0, maxInFlight: 0 };

  constructor(private readonly options: SchedulerOptions) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.rate = Math.min(options.initialRate ?? PACE.initialRate, options.maxPerSecond ?? Infinity);
    this.lastAdjust = this.now();
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
    // Space requests 1/rate apart: reserve the next slot, then wait for it.
    const now = this.now();
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = slot + 1000 / this.rate;
    if (slot > now) await this.sleep(slot - now);
    this.stats.sent++;
  }

  private release(): void {
    this.inFlight--;
    this.waiting.shift()?.();
  }

  private settle(rateLimited: boolean): void {
    const now = this.now();
    this.accepted = this.accepted.filter((t) => now - t < PACE.windowMs);
    if (rateLimited) {
      this.stats.rateLimited++;
      // React once per window: the 429s of requests already in flight say the same thing.
      if (now - this.lastLimited >= PACE.windowMs) {
        const acceptedRate = (this.accepted.length * 1000) / PACE.windowMs;
        this.rate = this.capped(Math.max(PACE.minRate, Math.min(this.rate, acceptedRate * PACE.aboveAccepted)));
        this.lastLimited = now;
        this.lastAdjust = now;
        this.nextSlot = now + 1000 / this.rate;
      }
      return;
    }
    this.accepted.push(now);
    if (now - this.lastAdjust >= PACE.windowMs && now - this.lastLimited >= PACE.windowMs) {
      this.rate = this.capped(this.rate * (1 + PACE.increase));
      this.lastAdjust = now;
    }
  }

  private capped(rate: number): number {
    return Math.min(rate, this.options.maxPerSecond ?? Infinity);
  }
}
