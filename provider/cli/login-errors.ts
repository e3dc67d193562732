/**
 * The two ways `login` fails, apart so that every step of the sign-in (the flags, the listener, the
 * pulumi CLI, the dotenv file) can throw them: a usage problem, exit code 2, found before the
 * browser is asked; or a sign-in that did not complete, exit code 1.
 */

/** A wrong or missing flag: exit code 2. */
export class LoginUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LoginUsageError";
  }
}

/** The sign-in did not complete (denied, timed out, refused by the token endpoint, not stored): exit code 1. */
export class LoginError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LoginError";
  }
}
