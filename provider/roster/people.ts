/**
 * Who a roster person is: their key (the name of their `User` resource, the e-mail unless the file
 * gives one, lower-cased) and how a reference such as `manager:` names them (by e-mail or by key,
 * case-insensitive). Reading, resolving, the calendar and `export --update` all identify people here.
 */

/** What identifies a person: a key when the file gives one, and the e-mail. */
interface Identified {
  key?: string;
  email: string;
}

/** A person's key: `key` when the file gives one, else the e-mail; lower-cased. */
export function personKey(person: Identified): string {
  return (person.key ?? person.email).toLowerCase();
}

/** Whether `ref` (an e-mail or a key, any case) names this person. */
export function isPersonNamed(person: Identified, ref: string): boolean {
  const wanted = ref.toLowerCase();
  return person.email.toLowerCase() === wanted || personKey(person) === wanted;
}
