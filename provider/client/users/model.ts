/**
 * The user model in the provider's words, shared by both transports (REST and SCIM): what a user is,
 * independent of how a wire spells it. Each transport maps it in its own field table.
 */

/** Roles TravelPerk knows. */
export const ROLES = ["traveler", "travel_manager", "company_admin"] as const;
/** A TravelPerk role: `traveler`, `travel_manager` or `company_admin`. */
export type Role = (typeof ROLES)[number];
/** Genders TravelPerk knows. */
export const GENDERS = ["male", "female", "other"] as const;
/** A gender as TravelPerk records it: `male`, `female` or `other`. */
export type Gender = (typeof GENDERS)[number];

/** The writable user fields, in the provider's words. `null` clears a field on PATCH. */
export interface UserFields {
  /** E-mail address, the user's login. */
  email: string;
  /** Given name. */
  firstName: string;
  /** Family name. */
  lastName: string;
  /** The user's role. */
  role: Role;
  /** Phone number in E.164 form, e.g. `+34600123456`. */
  phoneNumber: string;
  /** ISO 639-1 language code, e.g. `en`. */
  language: string;
  /** Gender. */
  gender: Gender;
  /** Date of birth, `YYYY-MM-DD`. */
  dateOfBirth: string;
  /** ISO 3166-1 alpha-2 country code, e.g. `ES`. */
  nationality: string;
  /** Ids of the invoicing profiles the user may book on. */
  invoicingProfiles: string[];
  /** Cost centre, free text. */
  costCenter: string;
  /** TravelPerk id of the user's manager. */
  managerId: string;
  /** Whether the account is active. */
  isActive: boolean;
}

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
  [K in Exclude<keyof UserFields, "email">]: UserFields[K] | null;
};

/** Every writable user field, in the model's order. */
export const USER_FIELDS = [
  "email",
  "firstName",
  "lastName",
  "role",
  "phoneNumber",
  "language",
  "gender",
  "dateOfBirth",
  "nationality",
  "invoicingProfiles",
  "costCenter",
  "managerId",
  "isActive",
] as const satisfies readonly (keyof UserFields)[];

/** A writable user field's name. */
export type UserField = (typeof USER_FIELDS)[number];

/** Fields to write: only the keys given change; `null` clears a field. */
export type UserChanges = Partial<{ [K in UserField]: UserFields[K] | null }>;
