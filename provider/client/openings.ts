/**
 * When a rate-limit window opens next, from when earlier ones were seen to open. Pure functions on
 * times in ms; no clock, no state.
 *
 * An opening is observed as an interval (lo, hi]: `hi` is when the first accepted request after a
 * run of 429s was sent, `lo` when the last refused one before it was. Two models of a window, the
 * two ways real limiters count:
 *
 * - phase-locked (a fixed window): window k opens at φ + k·W. Every observation is a pair of linear
 *   constraints on (φ, W), and window 0 (open at the first request t0) adds φ ≤ t0 < φ + W. The next
 *   opening φ + K·W is bounded by the least and the most it can be over that feasible polygon (a
 *   linear program in two variables, solved by visiting the polygon's corners).
 * - relative (a sliding window): a window opens a period D after the opening that started the
 *   previous burst: D is bounded by each consecutive pair, and the next opening is hi + D.
 *
 * The phase model is preferred while it is feasible (it knows the true phase, so it is never late
 * twice); when it is not (the openings drift with our own bursts), the relative one is used.
 */

export interface Opening {
  /** The window's index since the first request (window 0 opened at or before it). */
  index: number;
  /** The latest send that was refused before it opened (−Infinity when none is known). */
  lo: number;
  /** The send that found it open. */
  hi: number;
}

export interface Prediction {
  /** The next opening is after `lo` and at or before `hi` (Infinity: no upper bound yet). */
  lo: number;
  hi: number;
  model: "phase" | "relative";
}

/** A half-plane a·φ + b·W ≤ c. */
type HalfPlane = [a: number, b: number, c: number];

const EPS = 1e-6;

function phaseConstraints(t0: number, openings: readonly Opening[]): HalfPlane[] {
  const planes: HalfPlane[] = [
    [1, 0, t0], // φ ≤ t0: window 0 was open at the first request
    [-1, -1, -t0], // φ + W ≥ t0: ...and had not yet closed
    [0, -1, -1], // W ≥ 1 ms
  ];
  for (const { index, lo, hi } of openings) {
    planes.push([1, index, hi]);
    if (Number.isFinite(lo)) planes.push([-1, -index, -lo]);
  }
  return planes;
}

/** The least and greatest value of φ + k·W over the polygon, or undefined when it is empty. */
function extremes(planes: readonly HalfPlane[], k: number, box: number): [number, number] | undefined {
  // A bounding box keeps the polygon closed; a corner on it means "unbounded" in that direction.
  const boxed: HalfPlane[] = [...planes, [0, 1, box], [-1, 0, box]];
  const feasible = (phi: number, w: number) =>
    boxed.every(([a, b, c]) => a * phi + b * w <= c + EPS * (1 + Math.abs(c)));
  let min = Infinity;
  let max = -Infinity;
  for (const [i, [a1, b1, c1]] of boxed.entries()) {
    for (const [a2, b2, c2] of boxed.slice(i + 1)) {
      const det = a1 * b2 - a2 * b1;
      if (Math.abs(det) < EPS) continue;
      const phi = (c1 * b2 - c2 * b1) / det;
      const w = (a1 * c2 - a2 * c1) / det;
      if (!feasible(phi, w)) continue;
      const value = phi + k * w;
      min = Math.min(min, value);
      max = Math.max(max, value);
    }
  }
  return min <= max ? [min, max] : undefined;
}

/** The phase-locked model's bounds on the opening of window `next`, or undefined when infeasible. */
function phasePrediction(t0: number, openings: readonly Opening[], next: number): Prediction | undefined {
  const planes = phaseConstraints(t0, openings);
  // Times are relative to t0 inside, so the box is about durations (a day is far beyond any window).
  const shifted = planes.map(([a, b, c]): HalfPlane => [a, b, c - a * t0]);
  const box = 86_400_000;
  const range = extremes(shifted, next, box);
  if (!range) return undefined;
  const [lo, hi] = range;
  return { lo: lo + t0, hi: hi >= box / 2 ? Infinity : hi + t0, model: "phase" };
}

/** The relative model's bounds on the next opening after `last`, or undefined when infeasible or unknown. */
function relativePrediction(openings: readonly Opening[]): Prediction | undefined {
  let dLo = -Infinity;
  let dHi = Infinity;
  let pairs = 0;
  // Consecutive windows only: the openings' list skips the windows no probe saw open.
  openings.forEach((current, i) => {
    const previous = i > 0 ? openings.at(i - 1) : undefined;
    if (previous === undefined || current.index !== previous.index + 1) return;
    pairs++;
    if (Number.isFinite(current.lo)) dLo = Math.max(dLo, current.lo - previous.hi);
    dHi = Math.min(dHi, current.hi - previous.hi);
  });
  const last = openings.at(-1);
  if (!last || pairs === 0 || dLo > dHi + EPS) return undefined;
  return { lo: last.hi + Math.max(0, dLo), hi: last.hi + dHi, model: "relative" };
}

/** The next opening after the last observed one: the phase model if it still fits, else the relative one. */
export function predictOpening(t0: number, openings: readonly Opening[]): Prediction | undefined {
  const last = openings.at(-1);
  if (!last) return undefined;
  return phasePrediction(t0, openings, last.index + 1) ?? relativePrediction(openings);
}

/**
 * The index of a new opening seen at (lo, hi]: the window after the last one, unless the phase model
 * says whole windows passed unseen (an idle spell); undefined when no index up to `maxSkip` fits.
 */
export function indexOfOpening(t0: number, openings: readonly Opening[], lo: number, hi: number, maxSkip = 8): number {
  const after = (openings.at(-1)?.index ?? 0) + 1;
  for (let index = after; index < after + maxSkip; index++) {
    if (phasePrediction(t0, [...openings, { index, lo, hi }], index + 1)) return index;
  }
  return after;
}
