/**
 * The roster file's dates and protection applied to a summary: who is protected (by the file, or as
 * the stack's state recorded), why each person is offboarded (an end date passed, or removed from the
 * file), and who starts or leaves within the horizon.
 */
import { PROTECTED_KEYS_OUTPUT, upcoming, type RosterCalendar } from "../lifecycle";
import { ROSTER_TYPE } from "../../type-tokens";
import type { PersonChange, RosterSummary } from "./model";
import type { PlannedStep } from "./steps";

/** Keys the stack's state records as protected: the old outputs of each Roster component in the steps. */
function protectedInState(steps: readonly PlannedStep[]): Set<string> {
  const keys = new Set<string>();
  for (const step of steps) {
    if (step.type !== ROSTER_TYPE) continue;
    const recorded = step.oldOutputs?.[PROTECTED_KEYS_OUTPUT];
    if (Array.isArray(recorded)) for (const key of recorded) if (typeof key === "string") keys.add(key.toLowerCase());
  }
  return keys;
}

/**
 * `summary` with protection, offboarding reasons and the horizon lists; `summary` itself when the
 * calendar is not known.
 *
 * @param summary The summary so far (its people are marked in place).
 * @param steps The plan's steps: the Roster's old outputs say whom the state protects.
 * @param calendar The roster file's dates and protection on the run's day, when known.
 */
export function withCalendar(
  summary: RosterSummary,
  steps: readonly PlannedStep[],
  calendar?: RosterCalendar,
): RosterSummary {
  if (!calendar) return summary;
  const recorded = protectedInState(steps);
  const byKey = new Map(calendar.people.map((p) => [p.key, p]));
  const byEmail = new Map(calendar.people.map((p) => [p.email.toLowerCase(), p]));
  const inFile = (p: PersonChange) => byKey.get(p.key.toLowerCase()) ?? byEmail.get(p.email.toLowerCase());
  for (const p of [...summary.added, ...summary.changed, ...summary.offboarded]) {
    if (inFile(p)?.protect || recorded.has(p.key.toLowerCase())) p.protected = true;
  }
  for (const p of summary.offboarded) {
    const person = inFile(p);
    if (person?.tenure === "ended") {
      p.reason = "endDate";
      p.endDate = person.endDate;
    } else p.reason = "removed";
  }
  const { starting, leaving } = upcoming(calendar);
  return {
    ...summary,
    today: calendar.today,
    timeZone: calendar.timeZone,
    horizonDays: calendar.horizonDays,
    starting,
    leaving,
  };
}
