/** Naming the person in an error when a call only knew their id (memberships, policy assignments). */
import { TravelPerkError } from "../client/errors";
import { getUser } from "../client/users";

/**
 * Runs `call`; if it fails with a TravelPerkError whose subject is the bare user id, looks the user
 * up (best effort, one GET) so the error names them by e-mail.
 */
export async function namingUser<T>(userId: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof TravelPerkError) || error.subject !== userId) throw error;
    const email = await getUser(userId).then(
      (user) => user.email,
      () => undefined,
    );
    if (!email) throw error;
    throw error.aboutSubject(`${email} (user ${userId})`);
  }
}
