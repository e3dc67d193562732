/**
 * How noisy 429s are: the share of 429 answers that are not about our pace (an EWMA over the
 * answers to requests sent while nothing was held). Where 429s come often without a limit, a first
 * 429 holds nothing and more 429s in a row are needed to close a window; the pace (pace.ts) asks.
 */

/** The weight of one answer in the noise estimate (an EWMA over about 20 answers). */
const NOISE_WEIGHT = 0.05;
/** Above this share of 429s without a limit, a first 429 holds nothing. */
const SUSPECT_BELOW_NOISE = 0.1;

export class NoiseEstimate {
  /** The share of 429s among answers to requests sent while open. */
  private share = 0;
  /** 429s in a row of requests sent while open, not yet known to be noise or the limit. */
  private run = 0;

  /** A 429 to a request sent while open. */
  refused(): void {
    this.run++;
  }

  /** An acceptance; `open`: of a request sent while open, so the run of 429s before it was noise. */
  accepted(open: boolean): void {
    if (open) {
      for (; this.run > 0; this.run--) this.share += NOISE_WEIGHT * (1 - this.share);
      this.share += NOISE_WEIGHT * (0 - this.share);
    }
    this.run = 0;
  }

  /** A window closed: the run of 429s was the limit, not noise. */
  limitReached(): void {
    this.run = 0;
  }

  /** 429s come rarely without a limit: what they say of one can be believed. */
  quiet(): boolean {
    return this.share < SUSPECT_BELOW_NOISE;
  }

  /**
   * 429s in a row that close a window: `closeAfter`, or more where 429s come without a limit (so
   * that a run of noise closes one less than once in a thousand), never more than can be in flight.
   */
  closeAfter(closeAfter: number, maxConcurrent: number): number {
    const byNoise = this.share > 0 ? Math.ceil(Math.log(0.001) / Math.log(Math.min(this.share, 0.9))) : 0;
    return Math.max(closeAfter, Math.min(byNoise, maxConcurrent));
  }
}
