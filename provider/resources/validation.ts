/**
 * Shared input validation for `check`: the runner that turns zod issues into Pulumi check failures
 * (property + reason), the test for values Pulumi does not know yet, and the inputs a `diff` finds
 * changed. The field schemas themselves
 * are in input-schemas.ts (client-neutral: the user model declares its fields with them). No API call here.
 */
import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { resourceLabel, type ResourceKind } from "../type-tokens";

// The roster file's schema reads these through the resources' validation.
export { booleanInput, enumInput, nonEmptyString } from "../input-schemas";

/** Whether a value is, or contains, a value Pulumi does not know yet (during preview). */
export function containsUnknown(value: unknown): boolean {
  if (value === pulumi.runtime.unknownValue) return true;
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
export function checkInputs<S extends z.ZodObject>(
  schema: S,
  resourceType: string,
  news: object,
): pulumi.dynamic.CheckResult<z.output<S>> {
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
  // Unknown values stand in for their fields until Pulumi knows them.
  return { inputs: { ...parsed.data, ...unknown } as z.output<S> };
}

/** A provider's `check` that validates against `schema` only (the resource of `kind` needs nothing more). */
export function schemaCheck<S extends z.ZodObject>(schema: S, kind: ResourceKind) {
  return (_olds: unknown, news: object) => Promise.resolve(checkInputs(schema, resourceLabel(kind), news));
}

/** The `keys` whose new value is not known yet or differs from the old one. */
export function changedKeys<K extends string>(
  olds: { readonly [P in K]?: unknown },
  news: { readonly [P in K]?: unknown },
  keys: readonly K[],
): K[] {
  return keys.filter((key) => containsUnknown(news[key]) || olds[key] !== news[key]);
}
