/**
 * Calendar days of the roster: `startDate`/`endDate` are plain dates (`YYYY-MM-DD`), read in one
 * IANA time zone (`defaults.timeZone`, default UTC). "Today" is a date in that zone, or `--today`,
 * so runs are reproducible. Dates compare as strings: `YYYY-MM-DD` sorts as the calendar does.
 */

/** The zone dates are read in when the roster names none. */
export const DEFAULT_TIME_ZONE = "UTC";

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether `text` is a real calendar date written `YYYY-MM-DD` (2025-02-30 is not). */
export function isCalendarDate(text: string): boolean {
  const match = DATE.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** Whether `zone` is an IANA time zone name this runtime knows (e.g. `Europe/Madrid`). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The date in `zone` at the instant `now`, as `YYYY-MM-DD`. */
export function todayIn(zone: string = DEFAULT_TIME_ZONE, now: Date = new Date()): string {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).formatToParts(now);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${part("year")}-${part("month")}-${part("day")}`;
}

/** Days from `from` to `to` (both `YYYY-MM-DD`); negative when `to` is earlier. */
export function daysBetween(from: string, to: string): number {
  const ms = (text: string) => Date.parse(`${text}T00:00:00Z`);
  return Math.round((ms(to) - ms(from)) / 86_400_000);
}

/** `date` plus `days` days, as `YYYY-MM-DD`. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * Where a person stands on `today`: `pending` before their first working day (`startDate`), `ended`
 * after their last (`endDate`), else `current`.
 */
export type Tenure = "pending" | "current" | "ended";

export function tenure(person: { startDate?: string; endDate?: string }, today: string): Tenure {
  if (person.startDate !== undefined && today < person.startDate) return "pending";
  if (person.endDate !== undefined && today > person.endDate) return "ended";
  return "current";
}

/**
 * Parses a `--today` flag value.
 *
 * @throws Error naming the flag when it is not a calendar date.
 */
export function parseToday(text: string): string {
  if (!isCalendarDate(text)) throw new Error(`--today must be a date written YYYY-MM-DD, got "${text}"`);
  return text;
}
