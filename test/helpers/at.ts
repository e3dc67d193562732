/**
 * Indexing that a test can trust under `noUncheckedIndexedAccess`: the element at an index, or the
 * entry of a record, throwing a readable error when it is missing instead of handing `undefined` on
 * to the next assertion. For places where the test has just set up (or asserted) that it is there.
 */

/** The element at `index` (negative counts from the end, as `Array.prototype.at`); throws when out of range. */
export function at<T>(list: readonly T[], index: number): T {
  const value = list.at(index);
  if (value === undefined) throw new Error(`no element at index ${String(index)} of ${String(list.length)}`);
  return value;
}

/** The value under `key`; throws when the record has none. */
export function entry<T>(record: Readonly<Record<string, T>>, key: string): T {
  const value = record[key];
  if (value === undefined)
    throw new Error(`no entry ${JSON.stringify(key)} (the keys are ${Object.keys(record).join(", ")})`);
  return value;
}
