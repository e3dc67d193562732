/**
 * Shared input validation for `check`: zod field schemas with messages a user can act on, and the
 * runner that turns zod issues into Pulumi check failures (property + reason). No API call here.
 */
import type * as pulumi from "@pulumi/pulumi";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
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

export const emailInput = z.email(reason("must be a valid e-mail address, e.g. jane@example.com"));

/** E.164: a plus sign, a non-zero digit, at most 15 digits in all. */
export const phoneInput = z
  .string(reason("must be a string"))
  .regex(
    /^\+[1-9]\d{1,14}$/,
    "must be an E.164 phone number such as +34600123456 (a plus sign and up to 15 digits, no spaces)",
  );

export const languageInput = z
  .string(reason("must be a string"))
  .refine((code) => /^[a-z]{2}$/.test(code) && Object.hasOwn(languages, code), {
    error: 'must be an ISO 639-1 language code in lower case, such as "en" or "es"',
  });

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

export function enumInput<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, reason(`must be one of ${values.map((v) => `"${v}"`).join(", ")}`));
}

export function booleanInput() {
  return z.boolean(reason("must be true or false"));
}

/** Whether a value is, or contains, a value Pulumi does not know yet (during preview). */
export function containsUnknown(value: unknown): boolean {
  if (value === unknownValue) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}

/** A property path as users write it: `people[7].email`. Shared with the roster file's errors. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === "number" ? `${acc}[${String(key)}]` : acc ? `${acc}.${String(key)}` : String(key)),
    "",
  );
}

/**
 * Validates `news` against a strict object schema. Properties Pulumi does not know yet are passed
 * through unchecked (they are checked again once known); `__provider` is left to the engine.
 * Returns either failures naming each property, or the validated inputs with defaults filled in.
 */
export function checkInputs(
  schema: z.ZodObject,
  resourceType: string,
  news: Record<string, unknown>,
): pulumi.dynamic.CheckResult {
  // Without a prototype: a key such as "__proto__" stays a plain key, and is refused like any other.
  const known: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const unknown: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [key, value] of Object.entries(news)) {
    if (key === "__provider" || value === undefined || value === null) continue;
    // Own properties only: "constructor" or "toString" are not properties of a resource.
    (containsUnknown(value) && Object.hasOwn(schema.shape, key) ? unknown : known)[key] = value;
  }
  const mask = Object.fromEntries(Object.keys(unknown).map((k) => [k, true]));
  const parsed = schema
    .partial(mask as never)
    .strict()
    .safeParse(known);
  if (!parsed.success) {
    const failures = parsed.error.issues.flatMap((issue) =>
      issue.code === "unrecognized_keys"
        ? issue.keys.map((key) => ({
            property: key,
            reason: `is not a property of ${resourceType}; valid properties: ${Object.keys(schema.shape).join(", ")}`,
          }))
        : [{ property: formatPath(issue.path), reason: issue.message }],
    );
    return { failures };
  }
  return { inputs: { ...(parsed.data as Record<string, unknown>), ...unknown } };
}
