/**
 * The pace: what the scheduler (scheduler.ts) has learned of the API's rate limit, and when that
 * lets the next request leave. It reads the answers (429 or not) and keeps the phase of the window
 * in force (open, suspect after a first 429, closed), the noise of 429s that are not about pace, the
 * budgets and openings of past windows (openings.ts predicts the next), server hints, and, once the
 * limiter is known to refill continuously, a bucket mirror (pace-bucket.ts). The design is described
 * at the top of scheduler.ts; the parameters are RATE_CONTROL (DEFAULTS.pace).
 */
import type { RateControl } from "../defaults";
import { BucketMirror } from "./pace-bucket";
import { readBudgets } from "./pace-model";
import { SendLog } from "./pace-log";
import { NoiseEstimate } from "./pace-noise";
import { nextProbe } from "./pace-probes";
import { type Opening, type Prediction, indexOfOpening, predictOpening } from "./openings";
import type { Outcome, SchedulerStats } from "./scheduler";

/** One request sent: what its answer teaches depends on when and how it was sent. */
export interface Ticket {
  sentAt: number;
  window: number;
  probe: boolean;
  /** Sent while nothing was held: its answer says how noisy 429s are. */
  open: boolean;
}

type Phase = "open" | "suspect" | "closed";

export class Pace {
  private phase: Phase = "open";
  private inARow = 0;
  /** The share of 429s that are of no limit at all. */
  private readonly noise = new NoiseEstimate();
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
  private bucket: BucketMirror | undefined;
  /** Our side of the API's counting: what was granted and accepted when. */
  private readonly log = new SendLog();
  private windowFirstSent = -Infinity;
  private mirrorPeriod: number | undefined;
  /** The first closing: accepted rates are measured after it (the first burst says nothing of a rate). */
  private firstClosedAt: number | undefined;

  /**
   * @param control - the parameters (RATE_CONTROL with overrides)
   * @param maxConcurrent - requests in flight at once: no more 429s in a row can be waited for
   * @param stats - the scheduler's counters; the pace writes its own into them
   */
  constructor(
    private readonly control: RateControl,
    private readonly maxConcurrent: number,
    private readonly stats: SchedulerStats,
  ) {}

  /**
   * The earliest time the next request may leave, no earlier than `at` (Infinity: when an answer
   * arrives). `inFlight`: requests sent and not yet answered.
   */
  earliestSend(at: number, now: number, inFlight: number): number {
    at = Math.max(at, this.holdUntil);
    if (this.phase === "suspect") return Infinity;
    if (this.phase === "closed") return this.probeInFlight ? Infinity : Math.max(at, this.nextProbeAt);
    if (this.bucket) {
      const ready = this.bucket.readyAt(at);
      this.stats.bucketRate = this.bucket.rate;
      return Math.max(at, ready);
    }
    at = Math.max(at, this.mirrorReadyAt());
    if (this.confirmedBudget !== undefined && this.windowSent >= this.allowance()) {
      this.close(now, true);
      return this.probeInFlight ? Infinity : Math.max(at, this.nextProbeAt);
    }
    // Beyond the last budget of an unconfirmed window, one at a time: one 429 says it closed.
    const lastBudget = this.budgets.at(-1);
    const careful = lastBudget !== undefined && this.confirmedBudget === undefined && this.quiet();
    if (careful && this.windowSent >= lastBudget && inFlight > 0) return Infinity;
    return at;
  }

  /** A request leaves now. */
  sent(now: number): Ticket {
    if (this.t0 === undefined) {
      this.t0 = now;
      this.windowFirstSent = now;
    }
    this.windowSent++;
    this.log.sent(now);
    if (this.bucket) {
      this.bucket.take(now);
      this.stats.bucketRate = this.bucket.rate;
    }
    const probe = this.phase === "closed";
    if (probe) this.probeInFlight = true;
    return { sentAt: now, window: this.window, probe, open: this.phase === "open" && !this.bucket };
  }

  /**
   * Learns from one answer; true when a 429 is explained by a limit (the request just waits its
   * turn). `inFlight`: the requests still unanswered, this one no longer among them.
   */
  settle(ticket: Ticket, outcome: Outcome, now: number, inFlight: number): boolean {
    if (ticket.probe) this.probeInFlight = false;
    if (!outcome.rateLimited) {
      this.accepted(ticket, now);
      return false;
    }
    this.stats.rateLimited++;
    this.inARow++;
    this.log.refused(ticket.sentAt);
    if (ticket.open) this.noise.refused();
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
      this.bucket.restart(Math.max(0.1, this.measuredRate(now) * this.control.bucketRateGain), now);
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
    if (inFlight === 0 && this.quiet()) {
      // Nothing else in flight can tell whether the limit closed: treat it as closed, probe soon.
      this.close(now, false, true);
      return true;
    }
    return false;
  }

  /** An answer other than 429. */
  private accepted(ticket: Ticket, now: number): void {
    // A run of 429s that an acceptance ends before it closed a window was noise: learn its share.
    this.noise.accepted(ticket.open);
    this.inARow = 0;
    this.log.accepted(ticket.sentAt);
    if (this.phase === "closed" && ticket.probe) this.opened(ticket, now);
    else if (this.phase === "closed" && this.weakClosing && ticket.sentAt > this.closingSentAt) {
      // Sent after the 429 that closed the window, and accepted: that 429 was noise. Open again.
      this.phase = "open";
      this.stats.windows--;
      this.windowAccepted++;
    } else if (ticket.window === this.window) this.windowAccepted++;
    if (this.phase === "suspect") this.phase = "open";
  }

  /** A window's budget is also a sliding log on our side: no more than the budget within the period between openings. */
  private mirrorReadyAt(): number {
    const budget = this.confirmedBudget ?? Math.max(0, ...this.budgets);
    return this.log.slotFreeAt(budget, this.mirrorPeriod, this.control.openingMarginMs);
  }

  private allowance(): number {
    const budget = this.confirmedBudget ?? Infinity;
    const probing = this.window % this.control.budgetProbeEvery === 0;
    return probing ? budget + 1 : budget;
  }

  /** The window in force is closed (by 429s, or because its known budget was sent). */
  private close(now: number, expected: boolean, weak = false): void {
    this.phase = "closed";
    this.weakClosing = weak;
    this.refusedProbes = 0;
    this.noise.limitReached();
    this.firstClosedAt ??= now;
    this.stats.windows++;
    this.prediction = predictOpening(this.t0 ?? now, this.openings);
    this.probeGap = 0;
    this.scheduleProbe(now, expected);
  }

  private scheduleProbe(now: number, first = false): void {
    const { at, probeGap } = nextProbe(
      {
        t0: this.t0,
        openings: this.openings,
        prediction: this.prediction,
        lastRefusedAt: this.lastRefusedAt,
        weakClosing: this.weakClosing,
        refusedProbes: this.refusedProbes,
        quiet: this.quiet(),
        probeGap: this.probeGap,
      },
      now,
      first,
      this.control,
    );
    this.nextProbeAt = at;
    this.probeGap = probeGap;
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
    if (this.budgets.length === 0 || this.bucket !== undefined) return;
    // Where 429s come anyway, budgets and openings say nothing of a limit: no model.
    if (!this.quiet()) {
      this.forgetModel();
      return;
    }
    const verdict = readBudgets(this.budgets, this.confirmedBudget, this.control);
    if (verdict?.model === "bucket") {
      const rate = Math.max(0.1, this.measuredRate(now));
      this.bucket = new BucketMirror(rate, verdict.burst, now, this.control.bucketProbeUp);
      this.stats.model = "bucket";
      this.stats.bucketRate = rate;
    } else if (verdict) {
      this.confirmedBudget = verdict.budget;
      if (verdict.agreed) {
        this.stats.model = "window";
        this.stats.budget = verdict.budget;
      }
    }
  }

  private closeAfter(): number {
    return this.noise.closeAfter(this.control.closeAfter, this.maxConcurrent);
  }

  private quiet(): boolean {
    return this.noise.quiet();
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
    return this.log.acceptedRate(Math.max(now - 2000, this.firstClosedAt ?? this.t0 ?? now), now);
  }
}
