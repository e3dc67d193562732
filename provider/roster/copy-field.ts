/**
 * Copying a record's fields by name with their types kept: TypeScript cannot type `to[field] =
 * from[field]` for a union of field names, but can for one generic name. The roster's resolution
 * (fields a person declares) and `export` (fields TravelPerk holds) both build typed person records so.
 */

/**
 * Copies `from[field]` into `to` when `holds` accepts the value (an absent or empty one is left out).
 *
 * @param to The record being built.
 * @param from The record read.
 * @param field The field's name.
 * @param holds Whether the value is one to copy: e.g. not undefined, or not null nor an empty list.
 */
export function copyField<T, F extends keyof T>(
  to: { [K in F]?: NonNullable<T[K]> },
  from: Pick<T, F>,
  field: F,
  holds: (value: T[F]) => value is NonNullable<T[F]>,
): void {
  const value = from[field];
  if (holds(value)) to[field] = value;
}
