/**
 * What the budgets of the windows seen so far say of the limiter: a re-opened window far smaller
 * than the first is a bucket that refills (mirrored by pace-bucket.ts); two budgets that agree
 * confirm a window of that budget. A pure function; the pace (pace.ts) applies the verdict.
 */
import type { RateControl } from "../defaults";

/** The verdict: a bucket of `burst`, a window `budget` (`agreed`: two budgets agree), or nothing new. */
type BudgetVerdict =
  { model: "bucket"; burst: number } | { model: "window"; budget: number; agreed: boolean } | undefined;

/** Reads the budgets (requests accepted per window, the first window first). */
export function readBudgets(
  budgets: readonly number[],
  confirmedBudget: number | undefined,
  control: Pick<RateControl, "bucketShare" | "budgetAgreement">,
): BudgetVerdict {
  const first = budgets.at(0);
  if (first === undefined) return undefined;
  const later = budgets.slice(1);
  const latest = later.at(-1);
  if (latest !== undefined && confirmedBudget === undefined && latest < first * control.bucketShare)
    // Re-opened far smaller than the first window: a bucket that refills, not a window.
    return { model: "bucket", burst: first };
  // The first window may have been entered part-way: budgets agree among the later ones.
  const pair: (number | undefined)[] = later.length >= 2 ? later.slice(-2) : [first, latest];
  const [a, b] = pair;
  if (a !== undefined && b !== undefined && Math.abs(a - b) <= control.budgetAgreement * Math.max(a, b))
    return { model: "window", budget: Math.max(a, b), agreed: true };
  if (confirmedBudget !== undefined && latest !== undefined) return { model: "window", budget: latest, agreed: false };
  return undefined;
}
