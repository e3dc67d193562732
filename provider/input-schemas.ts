/**
 * The zod schemas of declared values (e-mails, phone numbers, language and country codes, dates, ids,
 * enums), each with a message a user can act on. Client-neutral: the user model declares its fields'
 * validation with them (client/users/model.ts), the resources and the roster file's schema reuse them,
 * so the model never imports a resource.
 */
import { countries, languages } from "countries-list";
import { z } from "zod";

/** The reason shown for a missing value, or the given one for a wrong value. */
function reason(wrong: string) {
  return { error: (issue: { input?: unknown }) => (issue.input === undefined ? "is required" : wrong) };
}

/** A non-empty string (whitespace alone is empty). */
export const nonEmptyString = z
  .string(reason("must be a string"))
  .refine((s) => s.trim() !== "", { error: "must not be empty" });

/** An opaque TravelPerk id: any non-empty string (never assumed to be a UUID). */
export const opaqueIdInput = z
  .string(reason("must be an id (a non-empty string)"))
  .refine((s) => s.trim() !== "", { error: "must be an id (a non-empty string)" });

/** An e-mail address. */
export const emailInput = z.email(reason("must be a valid e-mail address, e.g. jane@example.com"));

/** E.164: a plus sign, a non-zero digit, at most 15 digits in all. */
export const phoneInput = z
  .string(reason("must be a string"))
  .regex(
    /^\+[1-9]\d{1,14}$/,
    "must be an E.164 phone number such as +34600123456 (a plus sign and up to 15 digits, no spaces)",
  );

/** An ISO 639-1 language code in lower case. */
export const languageInput = z
  .string(reason("must be a string"))
  .refine((code) => /^[a-z]{2}$/.test(code) && Object.hasOwn(languages, code), {
    error: 'must be an ISO 639-1 language code in lower case, such as "en" or "es"',
  });

/** An ISO 3166-1 alpha-2 country code in upper case. */
export const countryInput = z
  .string(reason("must be a string"))
  .refine((code) => /^[A-Z]{2}$/.test(code) && Object.hasOwn(countries, code), {
    error: 'must be an ISO 3166-1 alpha-2 country code in upper case, such as "ES" or "GB"',
  });

/** `YYYY-MM-DD`, a real calendar date, not in the future. */
export const pastDateInput = z
  .string(reason("must be a string"))
  .regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date written YYYY-MM-DD")
  .refine((s) => {
    const date = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === s;
  }, "is not a real calendar date")
  .refine((s) => s <= new Date().toISOString().slice(0, 10), "must not be in the future");

/** One of `values`. */
export function enumInput<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, reason(`must be one of ${values.map((v) => `"${v}"`).join(", ")}`));
}

/** `true` or `false`. */
export function booleanInput() {
  return z.boolean(reason("must be true or false"));
}
