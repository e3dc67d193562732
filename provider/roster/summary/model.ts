/**
 * What a summary is: the people a plan adds, changes and offboards, the members authoritative groups
 * lose, and the roster's dates. The builders (people.ts, group-lists.ts, calendar.ts) fill it in; the
 * guard and the Markdown read it.
 */
import type { DatedPerson } from "../lifecycle";

/** What happens to one person. */
export interface PersonChange {
  /** The person's key: the name of their `User` resource. */
  key: string;
  /** The person's e-mail (the key when no e-mail is known). */
  email: string;
  /** Field changes of the user (changed people). */
  fields: {
    /** The field's name, e.g. `role`. */
    field: string;
    /** The value before the change; undefined when the field was not set. */
    from: unknown;
    /** The value after the change; undefined when the field is no longer set. */
    to: unknown;
  }[];
  /** Groups the person joins, by name where known, else by id. */
  joins: string[];
  /** Groups the person leaves, by name where known, else by id. */
  leaves: string[];
  /**
   * The travel policy change, by name where known, else by id; undefined when the policy does not change.
   *
   * @property __type.from The policy before; undefined when none was assigned.
   * @property __type.to The policy after; undefined when it is removed.
   */
  policy?: { from?: string; to?: string };
  /** For offboarded people: what the provider does to the account. */
  offboard?: "deactivated" | "deleted" | "retained";
  /** First and last name, when the inputs hold them. */
  name?: string;
  /** The role, when the inputs declare one. */
  role?: string;
  /**
   * For offboarded people, when the roster file is known: `endDate` (their last working day passed:
   * a scheduled offboarding) or `removed` (no longer in the file).
   */
  reason?: "endDate" | "removed";
  /** For a scheduled offboarding: the last working day that passed, `YYYY-MM-DD`. */
  endDate?: string;
  /** Whether the person is protected (`protect: true` in the file, or recorded so in the stack's state). */
  protected?: boolean;
}

/**
 * A member an authoritative group's list (`GroupMembers`) removes who is no person of the roster: someone
 * added to the group in TravelPerk directly. (People of the roster who leave such a group show under
 * the person, as `leaves`.)
 */
export interface GroupRemoval {
  /** The group, by name where known, else by id. */
  group: string;
  /** The member's TravelPerk user id. */
  userId: string;
  /** The member's e-mail, where known (the roster commands read the users for it). */
  email?: string;
}

/**
 * What was read of TravelPerk before the plan, for what the steps cannot tell: state holds no member
 * list for a group a `GroupMembers` is about to take over. The roster commands pass what the Roster
 * read (see `loadGroupMembers` in lookups.ts).
 */
export interface LiveMembers {
  /** Each group's members now, by group id. */
  groupMembers?: ReadonlyMap<string, readonly string[]>;
  /** Users' e-mails by user id. */
  emails?: ReadonlyMap<string, string>;
}

/** What a preview or update does to the roster: who is added, changed and offboarded, each sorted by e-mail. */
export interface RosterSummary {
  /** People who get a new (or reactivated or adopted) account. */
  added: PersonChange[];
  /** People whose fields, groups or travel policy change. */
  changed: PersonChange[];
  /** People removed from the roster: deactivated, deleted or retained according to their `onDelete`. */
  offboarded: PersonChange[];
  /** People managed before this change (User resources in the old state). */
  peopleBefore: number;
  /** Members removed from authoritative groups who are not people of the roster, by group then e-mail (or id). */
  removedFromGroups: GroupRemoval[];
  /** The day the roster's dates were applied on (`--today`), when the roster file is known. */
  today?: string;
  /** The zone the dates are read in (`defaults.timeZone`), when the roster file is known. */
  timeZone?: string;
  /** Days ahead `starting` and `leaving` look (`--horizon`, today+N included), when the roster file is known. */
  horizonDays?: number;
  /** People whose first working day is from today through today+horizonDays, by date. */
  starting?: DatedPerson[];
  /** People whose last working day is from today through today+horizonDays, by date. */
  leaving?: DatedPerson[];
}

/** Whether a person's entry says anything: a field, a group or the travel policy changes. */
export function hasChanges(p: PersonChange): boolean {
  return p.fields.length > 0 || p.joins.length > 0 || p.leaves.length > 0 || p.policy !== undefined;
}
