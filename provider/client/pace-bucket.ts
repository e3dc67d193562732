/**
 * The bucket mirror: once the API's limiter is known to refill continuously (a token bucket, not a
 * window), the pace keeps a copy of it on our side (GCRA) and sends only when the copy holds a
 * token. Its rate is the accepted rate measured while the limit was binding, raised a little per
 * quiet second in case the limit is higher (BBR's idea), and reset from a new measurement on a 429.
 */

export class BucketMirror {
  private tokens = 0;
  private at: number;
  private quietSince: number;

  /**
   * @param rate - tokens per second, as measured
   * @param burst - the most tokens the bucket holds (the first window's budget)
   * @param now - the moment the bucket starts, empty
   * @param probeUp - the share by which the rate rises per quiet second
   */
  constructor(
    public rate: number,
    private readonly burst: number,
    now: number,
    private readonly probeUp: number,
  ) {
    this.at = now;
    this.quietSince = now;
  }

  /** The earliest moment from `now` on at which a token is there. */
  readyAt(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? now : now + ((1 - this.tokens) / this.rate) * 1000;
  }

  /** One request leaves: it takes a token. */
  take(now: number): void {
    this.refill(now);
    this.tokens -= 1;
  }

  /** The copy was ahead of the server (a 429): empty from now, at a new rate. */
  restart(rate: number, now: number): void {
    this.rate = rate;
    this.tokens = 0;
    this.at = now;
    this.quietSince = now;
  }

  private refill(now: number): void {
    if (now - this.quietSince >= 1000) {
      this.rate *= 1 + this.probeUp;
      this.quietSince = now;
    }
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
  }
}
