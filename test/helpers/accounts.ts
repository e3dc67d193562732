/**
 * Accounts in the sandbox for the user suites of both transports: one made outside Pulumi (by an IdP
 * or an admin) to be found, reactivated or adopted, and the check that a create left exactly one
 * account for an e-mail.
 */
import type { SandboxServer } from "../../sandbox/server";

/** The wire fields an inserted account may set besides its e-mail. */
type AccountFields = Omit<Parameters<SandboxServer["insertUser"]>[0], "email">;

/** Inserts an account with `email`, named `first` `last` and active or not, plus any other wire `fields`. */
export function insertAccount(
  server: SandboxServer,
  email: string,
  [first, last]: [string, string],
  isActive: boolean,
  fields: AccountFields = {},
) {
  return server.insertUser({ email, first_name: first, last_name: last, is_active: isActive, ...fields });
}

/** The sandbox holds exactly one account with `email`, and it is the one with `id`. */
export function expectOnlyAccount(server: SandboxServer, email: string, id: string): void {
  expect(server.listUsers().filter((u) => u.email === email)).toHaveLength(1);
  expect(id).toBe(server.findUserByEmail(email)?.id);
}
