/**
 * The roster file's schema, in zod: the single source of the file's validation and of the JSON Schema
 * editors use (`npm run schema` writes schema/roster.schema.json from it).
 */
import { z } from "zod";
import { ON_DELETE, userFieldShape } from "../resources/user";
import { booleanInput, enumInput, nonEmptyString } from "../resources/validation";
import { ROLES } from "../client/users";

/** The user fields a person declares directly; the manager is named by `manager` instead of an id. */
const { managerId: _managerId, ...personUserFields } = userFieldShape;

/** A reference to a travel policy or group: its name (case-insensitive) or its TravelPerk id. */
const reference = nonEmptyString.describe("A name (case-insensitive) or a TravelPerk id");

/** One person in the roster. */
export const personSchema = z
  .strictObject({
    key: nonEmptyString
      .optional()
      .describe(
        "Stable identity of the person in Pulumi state (default: the e-mail, lower-cased). Keep it when the e-mail changes.",
      ),
    ...personUserFields,
    travelPolicy: reference.optional().describe("Travel policy name or id (default: defaults.travelPolicy)"),
    groups: z
      .array(reference, { error: "must be a list of group names or ids" })
      .optional()
      .describe("Groups (departments) by name or id"),
    manager: nonEmptyString.optional().describe("The manager's e-mail (someone in this roster) or TravelPerk user id"),
    isActive: booleanInput().optional().describe("Whether the account is active (default true)"),
    onDelete: enumInput(ON_DELETE)
      .optional()
      .describe("What removing the person does: deactivate (default), delete or retain"),
    adoptExisting: booleanInput()
      .optional()
      .describe("Manage an existing active account with this e-mail (default: defaults.adoptExisting, else false)"),
  })
  .describe("A person on the roster");

/** Roster-wide defaults, applied to each person who does not say otherwise. */
export const defaultsSchema = z
  .strictObject({
    adoptExisting: booleanInput().optional(),
    onDelete: enumInput(ON_DELETE).optional(),
    travelPolicy: reference.optional(),
    role: enumInput(ROLES).optional(),
    language: userFieldShape.language,
  })
  .describe("Defaults for every person");

/** The whole file. */
export const rosterFileSchema = z
  .strictObject({
    $schema: z.string().optional(),
    defaults: defaultsSchema.optional(),
    people: z.array(personSchema, { error: "must be a list of people" }),
  })
  .describe("A TravelPerk roster for pulumi-travelperk");

export type PersonInput = z.input<typeof personSchema>;
export type Person = z.output<typeof personSchema>;
export type RosterDefaults = z.output<typeof defaultsSchema>;
export type RosterFile = z.output<typeof rosterFileSchema>;

/** The JSON Schema of the roster file, for editors (`npm run schema`). */
export function rosterJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(rosterFileSchema, { unrepresentable: "any", io: "input" }),
    $id: "https://github.com/pulumi-travelperk/pulumi-travelperk/schema/roster.schema.json",
    title: "pulumi-travelperk roster",
  };
}
