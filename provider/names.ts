/**
 * Finding a travel policy, group or cost centre by name, and the message that lists the names there
 * are when one is unknown ("the groups are: …"). The program's lookups (`getGroup`), the roster's
 * resolution and `export --update` all find things this way, so a reference means the same in each.
 */

/** Something TravelPerk knows by id and by a name: a travel policy, a group, a cost centre. */
export interface Named {
  id: string;
  name: string;
}

/** The item named `name` (case-insensitive), if any. */
export function findByName<T extends Named>(items: readonly T[], name: string): T | undefined {
  const wanted = name.toLowerCase();
  return items.find((item) => item.name.toLowerCase() === wanted);
}

/** The item whose id is `ref`, else the one named `ref` (case-insensitive), if any. */
export function findByIdOrName<T extends Named>(items: readonly T[], ref: string): T | undefined {
  return items.find((item) => item.id === ref) ?? findByName(items, ref);
}

/**
 * What a message about an unknown name lists: `the groups are: "Sales", "Engineering"`, or
 * `the groups are: (none)`. `kind` is singular (`group`, `travel policy`) and gets an `s`.
 */
export function knownNames(kind: string, items: readonly Named[]): string {
  const names = items.map((item) => `"${item.name}"`).join(", ");
  return `the ${kind}s are: ${names || "(none)"}`;
}
