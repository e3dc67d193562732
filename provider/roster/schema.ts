/**
 * The roster file's schema, in zod: the single source of the file's validation and of the JSON Schema
 * editors use (`npm run schema` writes schema/roster.schema.json from it).
 */
import { z } from "zod";
import { ON_DELETE, userFieldShape } from "../resources/user";
import { booleanInput, enumInput, nonEmptyString } from "../resources/validation";
import { ROLES, USER_FIELDS, type UserField } from "../client/users";
import { isCalendarDate, isTimeZone } from "./dates";

/** A calendar date, `YYYY-MM-DD`. */
const calendarDate = z
  .string({ error: "must be a date written YYYY-MM-DD" })
  .refine(isCalendarDate, { error: "must be a real calendar date written YYYY-MM-DD" });

/** The user fields a person declares directly; the manager is named by `manager` instead of an id. */
const { managerId: _managerId, ...personUserFields } = userFieldShape;

/** A reference to a travel policy or group: its name (case-insensitive) or its TravelPerk id. */
const reference = nonEmptyString.describe("A name (case-insensitive) or a TravelPerk id");

/** One person in the roster. */
const personSchema = z
  .strictObject({
    /** Stable identity of the person in Pulumi state. Default: the e-mail, lower-cased. Keep it when the e-mail changes. */
    key: nonEmptyString
      .optional()
      .describe(
        "Stable identity of the person in Pulumi state (default: the e-mail, lower-cased). Keep it when the e-mail changes.",
      ),
    ...personUserFields,
    /** Travel policy, by name (case-insensitive) or TravelPerk id. Default: `defaults.travelPolicy`, else not managed. */
    travelPolicy: reference.optional().describe("Travel policy name or id (default: defaults.travelPolicy)"),
    /** Groups (departments), by name (case-insensitive) or TravelPerk id. Default: none. */
    groups: z
      .array(reference, { error: "must be a list of group names or ids" })
      .optional()
      .describe("Groups (departments) by name or id"),
    /** The manager: the e-mail of someone in this roster, or a TravelPerk user id. Default: not managed. */
    manager: nonEmptyString.optional().describe("The manager's e-mail (someone in this roster) or TravelPerk user id"),
    /** Whether the account is active. Default: `true`. */
    isActive: booleanInput().optional().describe("Whether the account is active (default true)"),
    /** What removing the person does: `deactivate`, `delete` or `retain`. Default: `defaults.onDelete`, else `deactivate`. */
    onDelete: enumInput(ON_DELETE)
      .optional()
      .describe("What removing the person does: deactivate (default), delete or retain"),
    /** Manage an existing active account with this e-mail instead of failing. Default: `defaults.adoptExisting`, else `false`. */
    adoptExisting: booleanInput()
      .optional()
      .describe("Manage an existing active account with this e-mail (default: defaults.adoptExisting, else false)"),
    /** The first working day (`YYYY-MM-DD`, in `defaults.timeZone`): the account is created by a run on or after it. Default: none (now). */
    startDate: calendarDate
      .optional()
      .describe("First working day, YYYY-MM-DD in defaults.timeZone: created by a run on or after it"),
    /** The last working day (`YYYY-MM-DD`): active through it, offboarded by a run on any later day. Default: none. */
    endDate: calendarDate
      .optional()
      .describe("Last working day, YYYY-MM-DD in defaults.timeZone: offboarded by a run on any later day"),
    /** A plan that offboards, deletes or demotes this person fails the guard unless `--allow-protected` names them. Default: `false`. */
    protect: booleanInput()
      .optional()
      .describe("Offboarding, deleting or demoting this person fails the guard unless --allow-protected names them"),
  })
  .describe("A person on the roster");

/** How the roster treats one group (department). */
const groupSettingsSchema = z
  .strictObject({
    /** The roster owns the group's whole member list: members it does not list are removed by `up`. Default: `false` (additive). */
    authoritative: booleanInput()
      .optional()
      .describe("The roster owns the whole member list: members it does not list are removed (default false)"),
  })
  .describe("How the roster treats one group");

/** Roster-wide defaults, applied to each person who does not say otherwise. */
const defaultsSchema = z
  .strictObject({
    /** Default of each person's `adoptExisting`. Default: `false`. */
    adoptExisting: booleanInput().optional(),
    /** Default of each person's `onDelete`. Default: `deactivate`. */
    onDelete: enumInput(ON_DELETE).optional(),
    /** Default travel policy, by name or id. Default: none (policies not managed). */
    travelPolicy: reference.optional(),
    /** Default role. Default: none (roles not managed). */
    role: enumInput(ROLES).optional(),
    /** Default ISO 639-1 language code. Default: none (languages not managed). */
    language: userFieldShape.language,
    /** The IANA time zone `startDate`, `endDate` and "today" are read in, e.g. `Europe/Madrid`. Default: `UTC`. */
    timeZone: z
      .string()
      .refine(isTimeZone, { error: "must be an IANA time zone name such as Europe/Madrid or UTC" })
      .optional()
      .describe("IANA time zone the dates are read in (default UTC)"),
  })
  .describe("Defaults for every person");

/** The whole file. */
export const rosterFileSchema = z
  .strictObject({
    /** The JSON Schema an editor validates the file with, e.g. `node_modules/pulumi-travelperk/schema/roster.schema.json`. Ignored. */
    $schema: z.string().optional(),
    /** Defaults for every person. Default: none. */
    defaults: defaultsSchema.optional(),
    /** Groups by name (case-insensitive) or id, and how the roster treats each. Default: every group additive. */
    groups: z
      .record(reference, groupSettingsSchema, { error: "must map group names to settings" })
      .optional()
      .describe("Groups by name or id: { Sales: { authoritative: true } }"),
    /** The people on the roster. Required. */
    people: z.array(personSchema, { error: "must be a list of people" }),
  })
  .describe("A TravelPerk roster for pulumi-travelperk");

/**
 * One person of a roster, as written in the file or given inline to a {@link Roster}.
 *
 * @interface
 */
export type PersonInput = z.input<typeof personSchema>;
/** One person of a roster, schema-checked: what reading, resolving and `export --update` work with. */
export type Person = z.output<typeof personSchema>;

/** A user field a person declares directly: any but `managerId` (a person names their `manager` instead). */
export type PersonUserField = Exclude<UserField, "managerId">;

/** The user fields a person declares directly, in the model's order. */
export const PERSON_USER_FIELDS = USER_FIELDS.filter((field): field is PersonUserField => field !== "managerId");

/** A person's user fields as the schema reads them (e-mail and names required, the others when declared). */
export type PersonUserFields = Pick<Person, PersonUserField>;
/**
 * Roster-wide defaults, applied to each person who does not say otherwise.
 *
 * @interface
 */
export type RosterDefaults = z.output<typeof defaultsSchema>;
export type RosterFile = z.output<typeof rosterFileSchema>;
/**
 * How the roster treats one group.
 *
 * @interface
 */
export type GroupSettings = z.output<typeof groupSettingsSchema>;

/** The JSON Schema of the roster file, for editors (`npm run schema`). */
export function rosterJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(rosterFileSchema, { unrepresentable: "any", io: "input" }),
    $id: "https://github.com/pulumi-travelperk/pulumi-travelperk/schema/roster.schema.json",
    title: "pulumi-travelperk roster",
  };
}
