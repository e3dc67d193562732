/**
 * Creating a user safely, on either transport: a lost create answer never makes a second user, an
 * existing account with the e-mail is reactivated or adopted under the rules below, and two resources
 * of one run never claim the same e-mail. What the run remembers for this lives in run.ts.
 */
import { ConflictError, NetworkError, ServerError, type TravelPerkError } from "../errors";
import { currentRun } from "../run";
import { findUserByEmail, userApi } from "./index";
import type { User, UserFields } from "./model";

/** Raised when an active user with the declared e-mail exists and adoption was not asked for. */
export class UserExistsError extends Error {
  /**
   * Names the account and says how to adopt it.
   *
   * @param email The declared e-mail.
   * @param id The TravelPerk id of the existing account.
   */
  constructor(email: string, id: string) {
    super(
      `TravelPerk user ${email} already exists and is active (id ${id}). To manage this user with Pulumi, ` +
        `set adoptExisting: true on the User (or in the roster defaults) and run again; ` +
        `to leave the account alone, remove it from the program.`,
    );
    this.name = "UserExistsError";
  }
}

/** Raised when two User resources in one program declare the same e-mail. */
export class DuplicateUserError extends Error {
  /**
   * Names the e-mail both resources declare.
   *
   * @param email The declared e-mail.
   */
  constructor(email: string) {
    super(`Two User resources declare the e-mail ${email}; a TravelPerk account can be managed by one resource only.`);
    this.name = "DuplicateUserError";
  }
}

/**
 * One create, safe against lost answers: after a 5xx or a dropped connection the create may have been
 * committed, so before each repeat (retry.ts decides when) and after the last failure the user is
 * looked up by e-mail; an account found is the one this create made.
 */
async function postUser(fields: Partial<UserFields> & { email: string }): Promise<User> {
  const { knowledge, creates } = currentRun();
  let found: User | undefined;
  let lookupFailure: { error: unknown } | undefined;
  const lookUp = async () => {
    creates.uncertainPosts.add(fields.email.toLowerCase());
    try {
      found = await findUserByEmail(fields.email);
    } catch (error) {
      lookupFailure = { error }; // the create's fate is unknown: say why, do not repeat the lookup
      throw error;
    }
    return found;
  };
  const seq = knowledge.readStarted();
  try {
    const user = await userApi().create(fields, { unlessLanded: async () => (await lookUp()) !== undefined });
    knowledge.learnUsers([user], seq);
    return user;
  } catch (error) {
    const answerLost = error instanceof ServerError || error instanceof NetworkError;
    if (!answerLost) throw error;
    if (lookupFailure) throw lookupFailure.error;
    const existing = found ?? (await lookUp());
    if (existing) return existing;
    throw error;
  }
}

/** What the resource declares, as far as the create path needs it. */
export interface CreateRequest {
  /** The fields to create the user with. */
  fields: Partial<UserFields> & { email: string };
  /** Take over an existing active account with this e-mail. */
  adoptExisting: boolean;
  /** Whether an existing account already holds every declared field (then it is taken over, with a warning). */
  matches: (existing: User) => boolean;
}

/** After a "the e-mail exists" answer: the existing user to take over, or an error saying why not. */
async function existingUserToManage(request: CreateRequest, conflict: TravelPerkError): Promise<User> {
  const { email } = request.fields;
  const existing = await findUserByEmail(email);
  if (!existing) throw conflict;
  const { uncertainPosts, takenOver } = currentRun().creates;
  const ours = uncertainPosts.has(email.toLowerCase());
  if (existing.isActive === false || ours) return existing;
  if (request.adoptExisting) {
    takenOver.add(email.toLowerCase());
    return existing;
  }
  // A run that crashed after its create leaves an account Pulumi never recorded; the next run meets it
  // here. An account that already matches every declared field is that one, or indistinguishable.
  if (request.matches(existing)) {
    console.warn(
      `warning: TravelPerk user ${email} (id ${existing.id}) already existed with exactly the declared ` +
        `fields; it is now managed by this stack (an earlier run was probably interrupted after creating it).`,
    );
    takenOver.add(email.toLowerCase());
    return existing;
  }
  throw new UserExistsError(email, existing.id);
}

/**
 * Creates the user, or finds the account this create should manage: an inactive one (reactivated by
 * the caller's reconcile), one whose create answer this run lost, or an adoptable one.
 */
export async function createOrAdopt(request: CreateRequest): Promise<User> {
  const key = request.fields.email.toLowerCase();
  const { claimed } = currentRun().creates;
  if (claimed.has(key)) throw new DuplicateUserError(request.fields.email);
  claimed.add(key);
  try {
    return await postUser(request.fields);
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    return existingUserToManage(request, error);
  }
}

/** Whether a create of this run took over the active account with this e-mail from whoever had it. */
export function wasTakenOver(email: string): boolean {
  return currentRun().creates.takenOver.has(email.toLowerCase());
}
