/**
 * REST user bodies, as the contract's API checks them: validation (unknown keys refused, required
 * fields, nulls where allowed) and the full user a create makes, both derived from the user field table
 * (user-fields.ts), so REST and SCIM can never disagree about which fields exist.
 */
import type { SandboxUser } from "./records";
import type { Store } from "./store";
import { ROWS, rowOf } from "./user-fields";

/** Field name -> why it is invalid. */
export type FieldErrors = Record<string, string>;

/**
 * Validates a POST body (`selfId` undefined) or a PATCH body. Strict where the contract allows it:
 * unknown keys are refused, and so is `travel_policy` on create ("may not be settable atomically").
 */
export function validateUserBody(body: Record<string, unknown>, store: Store, selfId?: string): FieldErrors {
  const errors: FieldErrors = {};
  for (const [key, value] of Object.entries(body)) {
    const row = key === "id" ? undefined : rowOf(key);
    const reason =
      key === "id"
        ? "is read-only"
        : !row
          ? "unknown field"
          : selfId === undefined && key === "travel_policy"
            ? "cannot be set on create: PATCH it after creation"
            : value === null && row.nullable
              ? undefined
              : row.check(value, store, selfId);
    if (reason) errors[key] = reason;
  }
  if (selfId === undefined)
    for (const [key, row] of ROWS) if (row.required && !(key in body)) errors[key] = "is required";
  return errors;
}

/** The full user a create makes (the store gives the id): each field its blank (optional scalars null, no profiles, no policy, active). */
export function newUser({ email, ...fields }: Record<string, unknown> & { email: string }): Omit<SandboxUser, "id"> {
  const blank = Object.fromEntries(ROWS.filter(([, row]) => "blank" in row).map(([key, row]) => [key, row.blank]));
  return { email, ...blank, ...fields };
}
