/**
 * The user model in the provider's words, shared by both transports (REST and SCIM): what a user is,
 * independent of how a wire spells it. Each field is declared once, in USER_MODEL (its doc, the
 * validation of a declared value, whether a User must declare it); the field types, the resources'
 * input schema and each transport's one field table (users/rest.ts, users/scim-fields.ts) follow from it.
 */
import { z } from "zod";
import * as schemas from "../../input-schemas";

/** Roles TravelPerk knows. */
export const ROLES = ["traveler", "travel_manager", "company_admin"] as const;
/** A TravelPerk role: `traveler`, `travel_manager` or `company_admin`. */
export type Role = (typeof ROLES)[number];
/** Genders TravelPerk knows. */
export const GENDERS = ["male", "female", "other"] as const;
/** A gender as TravelPerk records it: `male`, `female` or `other`. */
export type Gender = (typeof GENDERS)[number];

/** One user field as the model declares it: the validation of a declared value, and whether it is required. */
interface FieldDeclaration {
  /** The schema a declared value must pass (its output is the field's type). */
  readonly input: z.ZodType;
  /** A User must declare it (the others are optional: "not managed" when absent). */
  readonly required?: true;
}

/**
 * Every writable user field, in the model's order: one entry per field. Adding a field means one entry
 * here, one line in each transport's table (rest.ts, scim-fields.ts; the compiler asks for REST's),
 * and its documented argument and output in resources/user.ts (the compiler asks for both).
 */
export const USER_MODEL = {
  /** E-mail address, the user's TravelPerk login; compared case-insensitively. Required. */
  email: { input: schemas.emailInput, required: true },
  /** Given name. Required. */
  firstName: { input: schemas.nonEmptyString, required: true },
  /** Family name. Required. */
  lastName: { input: schemas.nonEmptyString, required: true },
  /** `traveler`, `travel_manager` or `company_admin`. Default: not managed. */
  role: { input: schemas.enumInput(ROLES) },
  /** Phone number in E.164 form, e.g. `+34600123456`. Default: not managed. */
  phoneNumber: { input: schemas.phoneInput },
  /** ISO 639-1 language code, e.g. `en`. Default: not managed. */
  language: { input: schemas.languageInput },
  /** `male`, `female` or `other`. Default: not managed. */
  gender: { input: schemas.enumInput(GENDERS) },
  /** Date of birth, `YYYY-MM-DD`, not in the future. Default: not managed. */
  dateOfBirth: { input: schemas.pastDateInput },
  /** ISO 3166-1 alpha-2 country code, e.g. `ES`. Default: not managed. */
  nationality: { input: schemas.countryInput },
  /** Ids of the invoicing profiles the user may book on. Default: not managed. */
  invoicingProfiles: { input: z.array(schemas.opaqueIdInput, { error: "must be a list of invoicing profile ids" }) },
  /** Cost centre, free text. Default: not managed. */
  costCenter: { input: z.string({ error: "must be a string" }) },
  /** TravelPerk id of the user's manager. Default: not managed. */
  managerId: { input: schemas.opaqueIdInput },
  /** Whether the account is active. */
  isActive: { input: schemas.booleanInput() },
} as const satisfies Record<string, FieldDeclaration>;

type Model = typeof USER_MODEL;

/** A writable user field's name. */
export type UserField = keyof Model;

/** The writable user fields, in the provider's words (each as USER_MODEL documents it). `null` clears a field on PATCH. */
export type UserFields = { -readonly [K in UserField]: z.output<Model[K]["input"]> };

/**
 * A user as read from the API: only `id` and `email` are guaranteed, anything else may be null.
 *
 * @interface
 * @property id The user's TravelPerk id.
 * @property email E-mail address, the user's login.
 * @property travelPolicyId The id of the user's travel policy, or null.
 * @property firstName Given name.
 * @property lastName Family name.
 * @property role The user's role.
 * @property phoneNumber Phone number in E.164 form, e.g. `+34600123456`.
 * @property language ISO 639-1 language code, e.g. `en`.
 * @property gender Gender.
 * @property dateOfBirth Date of birth, `YYYY-MM-DD`.
 * @property nationality ISO 3166-1 alpha-2 country code, e.g. `ES`.
 * @property invoicingProfiles Ids of the invoicing profiles the user may book on.
 * @property costCenter Cost centre, free text.
 * @property managerId TravelPerk id of the user's manager.
 * @property isActive Whether the account is active.
 */
export type User = { id: string; email: string; travelPolicyId: string | null } & {
  [K in Exclude<UserField, "email">]: UserFields[K] | null;
};

/** Every writable user field, in the model's order. */
export const USER_FIELDS = Object.keys(USER_MODEL) as readonly UserField[];

/** Fields to write: only the keys given change; `null` clears a field. */
export type UserChanges = Partial<{ [K in UserField]: UserFields[K] | null }>;

/** A zod shape of field declarations: a required field's schema as it is, the others optional. */
type InputShape<T extends Record<string, FieldDeclaration>> = {
  -readonly [K in keyof T]: T[K] extends { required: true } ? T[K]["input"] : z.ZodOptional<T[K]["input"]>;
};

/**
 * The zod shape that validates declared `fields`. Through Pick it keeps USER_MODEL's doc comments, so
 * the types inferred from it (a roster person's fields) are documented.
 */
export type UserInputShape<F extends UserField> = InputShape<Pick<Model, F>>;

/** The input shape of `fields` (for a resource's or the roster file's schema), in the model's order. */
export function userInputShape<F extends UserField>(fields: readonly F[]): UserInputShape<F> {
  const declaration = (field: F): FieldDeclaration => USER_MODEL[field];
  return Object.fromEntries(
    fields.map((field) => {
      const { input, required } = declaration(field);
      return [field, required ? input : input.optional()];
    }),
  ) as UserInputShape<F>;
}
