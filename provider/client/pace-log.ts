/**
 * Our side of the API's counting: the send times of requests accepted or still in flight (a sliding
 * log: a window's budget is no more than that many granted within its period) and the send times of
 * accepted requests (the accepted rate, measured while the limit binds). Both keep the latest few
 * thousand times.
 */

/** The logs keep at most this many times, dropping the older half beyond it. */
const LOG_LIMIT = 4096;

/** Appends `time` to a log, dropping its older half once it is full. */
function append(log: number[], time: number): void {
  log.push(time);
  if (log.length > LOG_LIMIT) log.splice(0, LOG_LIMIT / 2);
}

export class SendLog {
  /** Send times of the requests accepted or still in flight. */
  private readonly granted: number[] = [];
  /** Send times of the accepted requests. */
  private readonly accepts: number[] = [];

  /** A request left at `sentAt`. */
  sent(sentAt: number): void {
    append(this.granted, sentAt);
  }

  /** The request sent at `sentAt` was accepted. */
  accepted(sentAt: number): void {
    append(this.accepts, sentAt);
  }

  /** The request sent at `sentAt` was refused: it holds no slot. */
  refused(sentAt: number): void {
    const at = this.granted.lastIndexOf(sentAt);
    if (at >= 0) this.granted.splice(at, 1);
  }

  /**
   * When a sliding window of `budget` per `period` frees its next slot: the send `budget` grants
   * back plus the period (and a margin); -Infinity when nothing holds it back. A sliding window
   * frees its slots one by one; a fixed window is never held back by this.
   */
  slotFreeAt(budget: number, period: number | undefined, marginMs: number): number {
    const oldest = this.granted.at(-budget);
    if (period === undefined || budget < 1 || oldest === undefined) return -Infinity;
    return oldest + period + marginMs;
  }

  /** Accepted requests per second among those sent after `since`, up to `now`. */
  acceptedRate(since: number, now: number): number {
    const count = this.accepts.filter((t) => t > since).length;
    return (count * 1000) / Math.max(1, now - since);
  }
}
