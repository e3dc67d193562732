/**
 * When the next probe of a closed window leaves: inside the predicted opening's interval (forward
 * bisection) or at its end once it is narrow enough; before anything is predicted, at the next
 * moment a window of a common period would open; otherwise at growing gaps (exponential backoff).
 * A pure function of what the pace has learned; the pace (pace.ts) keeps the state.
 */
import type { RateControl } from "../defaults";
import type { Opening, Prediction } from "./openings";

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

/** What the pace knows of the closed window, as the probe schedule needs it. */
interface ProbeState {
  /** When the first request was sent (undefined: nothing sent yet). */
  t0: number | undefined;
  /** The openings seen so far, the latest last. */
  openings: readonly Opening[];
  /** The next opening, as the window models predict it. */
  prediction: Prediction | undefined;
  /** The send time of the latest refused request. */
  lastRefusedAt: number;
  /** The window closed on a lone 429: maybe noise. */
  weakClosing: boolean;
  /** Probes refused since the window closed. */
  refusedProbes: number;
  /** 429s come rarely without a limit. */
  quiet: boolean;
  /** The previous backoff gap (0: none yet). */
  probeGap: number;
}

/** The period between openings so far, ms (0 while no opening is known). */
function periodEstimate(t0: number | undefined, openings: readonly Opening[]): number {
  const last = openings.at(-1);
  if (!last || t0 === undefined) return 0;
  return (last.hi - t0) / Math.max(1, last.index);
}

/** When the next probe leaves, and the backoff gap that leaves it then. `first`: the window just closed. */
export function nextProbe(
  state: ProbeState,
  now: number,
  first: boolean,
  control: RateControl,
): { at: number; probeGap: number } {
  const { firstProbeMs, probeGrowth, openingMarginMs } = control;
  const { prediction, t0, lastRefusedAt } = state;
  const last = state.openings.at(-1);
  // Without an upper bound yet, the guess is that windows open at whole periods from the first request.
  const hi =
    prediction && last && t0 !== undefined && !Number.isFinite(prediction.hi)
      ? t0 + ((last.index + 1) * (last.hi - t0)) / last.index
      : prediction?.hi;
  if (prediction && hi !== undefined && Number.isFinite(hi) && lastRefusedAt < hi) {
    const lo = Math.max(prediction.lo, lastRefusedAt, first ? -Infinity : now);
    const width = hi - lo;
    const period = periodEstimate(t0, state.openings);
    const tolerance = Math.max(control.openingToleranceMs, control.openingToleranceShare * period);
    return { at: width <= tolerance ? hi + openingMarginMs : lo + width / 2, probeGap: state.probeGap };
  }
  // A weak closing is first probed soon, twice: noise would be accepted at once.
  // The common periods are a prior for a limiter that is alone in answering 429s.
  const confirmed = (!state.weakClosing || state.refusedProbes >= 2) && state.quiet;
  if (!prediction && t0 !== undefined && confirmed) {
    const candidate = commonOpening(t0, Math.max(now, lastRefusedAt));
    if (candidate !== undefined) {
      // The first request's own transit opened the window a little after we sent it.
      const margin = Math.max(openingMarginMs, control.openingToleranceShare * (candidate - t0));
      return { at: candidate + margin, probeGap: state.probeGap };
    }
  }
  const probeGap = state.probeGap ? state.probeGap * probeGrowth : firstProbeMs;
  return { at: now + probeGap, probeGap };
}
