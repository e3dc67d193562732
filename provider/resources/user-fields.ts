/**
 * How a `travelperk:User` compares and reports its declared fields: which model fields a resource
 * declares, which of them differ from what TravelPerk holds (e-mails case-insensitively, lists as
 * sets, unknown values as different), the outputs for them, and the fields the chosen transport
 * cannot carry. Every loop runs over the model's fields (client/users/model.ts), so a new field needs
 * nothing here.
 */
import type * as pulumi from "@pulumi/pulumi";
import { USER_FIELDS, carriedFields, type User as ApiUser, type UserField, type UserFields } from "../client/users";
import { resolveUserApi } from "../config";
import type { OnDelete, UserOutputs } from "./user";
import { containsUnknown } from "./validation";

/** Any bag of user fields: validated inputs, outputs in state, a user as read. */
export type FieldValues = { readonly [K in UserField]?: unknown };

/** The lifecycle settings a resource carries besides its fields. */
export interface UserSettings {
  onDelete: OnDelete;
  adoptExisting: boolean;
}

/** Declared user fields: those present in inputs or outputs, in the model's order. */
export function declaredFields(props: FieldValues): UserField[] {
  return USER_FIELDS.filter((field) => props[field] !== undefined);
}

/** A list's JSON with its items sorted: equal for the same items in any order. */
function sortedJson(values: readonly unknown[]): string {
  return JSON.stringify([...values].sort());
}

function sameValue(field: UserField, a: unknown, b: unknown): boolean {
  if (field === "email" && typeof a === "string" && typeof b === "string") return a.toLowerCase() === b.toLowerCase();
  if (Array.isArray(a) && Array.isArray(b)) return sortedJson(a) === sortedJson(b);
  return a === b;
}

/** Declared fields whose wanted value differs from `current` (unknown values count as different). */
export function changedFields(current: FieldValues, wanted: FieldValues): UserField[] {
  return declaredFields(wanted).filter(
    (field) => containsUnknown(wanted[field]) || !sameValue(field, current[field] ?? null, wanted[field]),
  );
}

/** The field values a user, inputs or outputs hold: each of its field's type, or null. */
type HeldValues = { readonly [K in UserField]?: UserFields[K] | null };

/** The values of `fields` in `source`, in the model's words. */
function valuesOf(source: HeldValues, fields: readonly UserField[]): HeldValues {
  return Object.fromEntries(fields.map((field) => [field, source[field]] as const));
}

/** The values of declared `fields` in validated inputs (a declared field is never null there). */
export function pick(source: HeldValues, fields: readonly UserField[]): Partial<UserFields> {
  return valuesOf(source, fields) as Partial<UserFields>;
}

/** The outputs for `declared` fields, valued as `user` holds them now. */
export function outputsFor(declared: readonly UserField[], user: ApiUser, settings: UserSettings): UserOutputs {
  return { ...valuesOf(user, declared), email: user.email, travelPolicyId: user.travelPolicyId, ...settings };
}

/** The outputs after an update that sent nothing: the fields still declared, as `olds` recorded them. */
export function outputsKept(declared: readonly UserField[], olds: UserOutputs, settings: UserSettings): UserOutputs {
  return { ...valuesOf(olds, declared), email: olds.email, travelPolicyId: olds.travelPolicyId ?? null, ...settings };
}

/** The settings `props` hold, with their defaults. */
export function settingsOf(props: { onDelete?: unknown; adoptExisting?: unknown } | undefined): UserSettings {
  return {
    onDelete: (props?.onDelete as OnDelete | undefined) ?? "deactivate",
    adoptExisting: props?.adoptExisting === true,
  };
}

/**
 * Inputs the chosen transport cannot carry (`travelperk:userApi`): each a check failure naming the
 * field and why, so nothing is silently dropped and no request is sent.
 */
export function transportFailures(inputs: FieldValues): pulumi.dynamic.CheckFailure[] {
  const carried = carriedFields();
  return declaredFields(inputs).flatMap((field) => {
    const value = inputs[field];
    if (containsUnknown(value)) return [];
    const carries = carried[field];
    const reason = carries
      ? carries(value)
      : `cannot be carried by the ${resolveUserApi().toUpperCase()} user API (travelperk:userApi ${resolveUserApi()}); leave it unmanaged or use travelperk:userApi rest`;
    return reason ? [{ property: field, reason }] : [];
  });
}
