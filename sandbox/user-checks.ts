/**
 * The value checks the user field table (user-fields.ts) is written with: REST checks answer why a value
 * is invalid (or undefined), SCIM readers throw ScimInvalid naming the attribute. Small and shared so that
 * REST and SCIM agree on what an e-mail, a phone number or a date is.
 */
import { Json } from "./scim-filter";
import { ScimInvalid } from "./scim-schemas";
import type { SandboxUser } from "./records";
import type { Store } from "./store";

/** A REST check: why the value is invalid, undefined when it is valid. */
export type Check = (value: unknown, store: Store, selfId?: string) => string | undefined;

export const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** An E.164 phone number: "+", a country code, at most 15 digits. */
export const E164 = /^\+[1-9]\d{1,14}$/;
export const isNonEmpty = (v: unknown): v is string => typeof v === "string" && v.trim() !== "";
export const nonEmpty: Check = (v) => (isNonEmpty(v) ? undefined : "must be a non-empty string");
export const pattern =
  (re: RegExp, reason: string): Check =>
  (v) =>
    typeof v === "string" && re.test(v) ? undefined : reason;
export const oneOf =
  (...allowed: string[]): Check =>
  (v) =>
    allowed.includes(v as string) ? undefined : `must be one of: ${allowed.join(", ")}`;
/** A reference is exactly `{id}`: extra keys are refused like unknown fields. */
export const isRef = (v: unknown): v is { id: string } =>
  typeof v === "object" && v !== null && Object.keys(v).length === 1 && isNonEmpty((v as { id?: unknown }).id);

/** Why `v` is not a calendar date YYYY-MM-DD; undefined when it is one. */
export const validDate = (v: unknown): string | undefined => {
  if (typeof v !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(v)) return "must be a date YYYY-MM-DD";
  const date = new Date(`${v}T00:00:00Z`); // a calendar check: 2001-02-30 would come back as March
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(v) ? undefined : "is not a calendar date";
};

// ---- SCIM readers ----

/** The value, which must be a string (`where` names the attribute in the error). */
export const str = (where: string) => (v: unknown) => {
  if (typeof v !== "string") throw new ScimInvalid(`${where} must be a string`);
  return v;
};
/** A string; blank means null (unset). */
export const textOrNull = (where: string) => (v: unknown) => (str(where)(v).trim() === "" ? null : v);
/** The SCIM e-mail a userName or primary e-mail must be. */
export const scimEmail = (reason: string) => (v: unknown) => {
  if (typeof v !== "string" || !EMAIL.test(v)) throw new ScimInvalid(reason);
  return v;
};
export const isWork = (e: Json) => typeof e.type === "string" && e.type.toLowerCase() === "work";
/** How SCIM names a user to others (a manager's displayName): its own displayName, its name, or its e-mail. */
export const displayNameOf = (u: SandboxUser): string =>
  (typeof u.scim?.displayName === "string" && u.scim.displayName) ||
  [u.first_name, u.last_name].filter(Boolean).join(" ") ||
  u.email;
