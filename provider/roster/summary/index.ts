/**
 * The summary a reviewer reads in seconds: who is added, changed (each field old → new) and offboarded,
 * with membership and policy changes under the person, counts first and nothing about what did not
 * change; and the offboarding guard. Built from the engine's own step events (Automation API events,
 * `pulumi preview --event-log`) or from `pulumi preview --json`.
 *
 * In pieces: steps.ts reads the engine's steps, names.ts reads child names back, people.ts,
 * group-lists.ts and calendar.ts build the summary, guard.ts judges it and markdown.ts renders it.
 * This module puts the builders together and is what the rest of the package imports.
 */
import type { RosterCalendar } from "../lifecycle";
import { withCalendar } from "./calendar";
import { withGroupLists } from "./group-lists";
import type { LiveMembers, RosterSummary } from "./model";
import { summarizePeople } from "./people";
import type { PlannedStep } from "./steps";

export { stepsFromEngineEvents, stepsFromEventLog, stepsFromPreviewJson, type PlannedStep } from "./steps";
export type { GroupRemoval, LiveMembers, PersonChange, RosterSummary } from "./model";
export {
  offboardGuard,
  rosterGuard,
  type AdminFloor,
  type GuardOptions,
  type GuardResult,
  type ProtectedChange,
} from "./guard";
export { summaryMarkdown } from "./markdown";

/**
 * Builds the summary.
 *
 * @param steps The planned or applied steps, from one of the `stepsFrom…` functions.
 * @param labels Policy and group names by id, when known. Default: none (ids are shown).
 * @param calendar The roster file's dates and protection on the run's day ({@link rosterCalendar}), when
 *   known: offboardings then carry their reason, protected people are marked and people starting or
 *   leaving within the horizon are listed. Default: none (those parts are absent).
 * @param live The members of the groups a `GroupMembers` takes over, and users' e-mails, as read
 *   before the plan. Default: none (a takeover's removals are not known; changes of a stored list are).
 */
export function summarize(
  steps: readonly PlannedStep[],
  labels: ReadonlyMap<string, string> = new Map(),
  calendar?: RosterCalendar,
  live: LiveMembers = {},
): RosterSummary {
  return withCalendar(withGroupLists(summarizePeople(steps, labels), steps, labels, live), steps, calendar);
}
