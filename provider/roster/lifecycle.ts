/**
 * The roster's calendar and protection, as the summary and the guard use them: where each person
 * stands on a given day (`startDate`/`endDate` read in `defaults.timeZone`), who starts or leaves
 * within a horizon, who is protected, and how roles rank (for "lowers their role").
 */
import type { Role } from "../client/users";
import { DEFAULT_TIME_ZONE, addDays, daysBetween, isCalendarDate, tenure, todayIn, type Tenure } from "./dates";
import { RosterError, dateProblems, type ParsedRoster } from "./load";
import { personKey } from "./people";

/** The Roster component's output listing the keys of protected people; the guard reads it from the old state. */
export const PROTECTED_KEYS_OUTPUT = "protectedKeys";

/** Days ahead the summary lists people starting or leaving (`--horizon`). */
export const DEFAULT_HORIZON_DAYS = 14;

/** Fewest active company admins a plan may leave when it demotes or offboards one (`--min-admins`). */
export const DEFAULT_MIN_ADMINS = 1;

/** One person of the roster file as the calendar sees them. */
export interface CalendarPerson {
  /** The person's key (the name of their `User` resource). */
  key: string;
  /** The person's e-mail, as written. */
  email: string;
  /** First working day, `YYYY-MM-DD`; undefined when none. */
  startDate?: string;
  /** Last working day, `YYYY-MM-DD`; undefined when none. */
  endDate?: string;
  /** Whether the file protects the person (`protect: true`). */
  protect: boolean;
  /** Where the person stands on the calendar's day: `pending`, `current` or `ended`. */
  tenure: Tenure;
}

/** The roster file's dates and protection on one day. */
export interface RosterCalendar {
  /** The day, `YYYY-MM-DD` in `timeZone`: `--today`, else today in that zone. */
  today: string;
  /** The IANA zone the dates are read in (`defaults.timeZone`, default UTC). */
  timeZone: string;
  /** Days ahead "starting" and "leaving" look (today+N included). */
  horizonDays: number;
  /** Everyone in the file, in file order. */
  people: CalendarPerson[];
}

/** A person with a date within the horizon. */
export interface DatedPerson {
  /** The person's e-mail. */
  email: string;
  /** The person's key. */
  key: string;
  /** The date: the first working day (starting) or the last (leaving), `YYYY-MM-DD`. */
  date: string;
  /** Days from today to the date (0: today). */
  inDays: number;
}

/** The zone a roster's dates are read in: `defaults.timeZone`, else UTC. */
export function rosterTimeZone(parsed: ParsedRoster): string {
  return parsed.roster.defaults?.timeZone ?? DEFAULT_TIME_ZONE;
}

/**
 * The calendar of a parsed roster on a day.
 *
 * @param parsed The roster, schema-checked.
 * @param options `today` (`YYYY-MM-DD`; default: today in the roster's zone) and `horizonDays` (default 14).
 * @throws {@link RosterError} when an `endDate` is before its `startDate` (file:line and field).
 */
export function rosterCalendar(
  parsed: ParsedRoster,
  options: { today?: string; horizonDays?: number } = {},
): RosterCalendar {
  const problems = dateProblems(parsed);
  if (problems.length > 0) throw new RosterError(parsed.source, problems);
  const timeZone = rosterTimeZone(parsed);
  if (options.today !== undefined && !isCalendarDate(options.today))
    throw new Error(`today must be a date written YYYY-MM-DD, got "${options.today}"`);
  const today = options.today ?? todayIn(timeZone);
  return {
    today,
    timeZone,
    horizonDays: options.horizonDays ?? DEFAULT_HORIZON_DAYS,
    people: parsed.roster.people.map((person) => ({
      key: personKey(person),
      email: person.email,
      startDate: person.startDate,
      endDate: person.endDate,
      protect: person.protect ?? false,
      tenure: tenure(person, today),
    })),
  };
}

/**
 * People whose first working day (`starting`) or last working day (`leaving`) falls from today
 * through today + `horizonDays`, both included; each list sorted by date, then e-mail.
 */
export function upcoming(calendar: RosterCalendar): { starting: DatedPerson[]; leaving: DatedPerson[] } {
  const last = addDays(calendar.today, calendar.horizonDays);
  const within = (date: string | undefined): date is string =>
    date !== undefined && date >= calendar.today && date <= last;
  const dated = (p: CalendarPerson, date: string): DatedPerson => ({
    email: p.email,
    key: p.key,
    date,
    inDays: daysBetween(calendar.today, date),
  });
  const order = (a: DatedPerson, b: DatedPerson) => a.date.localeCompare(b.date) || a.email.localeCompare(b.email);
  const list = (dateOf: (p: CalendarPerson) => string | undefined) =>
    calendar.people
      .flatMap((p) => {
        const date = dateOf(p);
        return within(date) ? [dated(p, date)] : [];
      })
      .sort(order);
  return { starting: list((p) => p.startDate), leaving: list((p) => p.endDate) };
}

/** How roles rank for "lowers their role": company_admin 2, travel_manager 1, any other 0. */
const ROLE_RANK: Readonly<Record<Role, number>> = { company_admin: 2, travel_manager: 1, traveler: 0 };

/** The rank of a role (unknown roles rank 0, as travelers). */
function roleRank(role: unknown): number {
  return typeof role === "string" && role in ROLE_RANK ? ROLE_RANK[role as Role] : 0;
}

/**
 * Whether a role change lowers the role. A role no longer declared (`to` undefined: not managed any
 * more, TravelPerk keeps it) is not a demotion.
 */
export function isDemotion(from: unknown, to: unknown): boolean {
  if (to === undefined || to === null || from === undefined || from === null) return false;
  return roleRank(to) < roleRank(from);
}

/**
 * Parses `--horizon`: a whole number of days, 0 or more.
 *
 * @throws Error naming the flag otherwise.
 */
export function parseHorizon(text: string): number {
  if (!/^\s*\d+\s*$/.test(text)) throw new Error(`--horizon must be a whole number of days, got "${text}"`);
  return Number(text);
}

/**
 * Parses `--min-admins`: a whole number, 0 or more (0 turns the admin floor off).
 *
 * @throws Error naming the flag otherwise.
 */
export function parseMinAdmins(text: string): number {
  if (!/^\s*\d+\s*$/.test(text)) throw new Error(`--min-admins must be a whole number, got "${text}"`);
  return Number(text);
}
