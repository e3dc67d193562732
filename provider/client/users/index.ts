/**
 * Users as the resources, lookups and commands see them: one transport chosen per run
 * (`travelperk:userApi`), with what the run knows in front of it, so a refresh of N users costs one
 * listing and a write invalidates what was known of that user.
 */
import { resolveUserApi } from "../../config";
import { currentRun } from "../run";
import type { CarriedFields, UserApi } from "./api";
import type { User, UserChanges } from "./model";
import { REST_CARRIES, restUserApi } from "./rest";
import { SCIM_CARRIES, scimUserApi } from "./scim";

export * from "./model";
export type { UserApi } from "./api";

const APIS = { rest: restUserApi, scim: scimUserApi } as const;
const CARRIES = { rest: REST_CARRIES, scim: SCIM_CARRIES } as const;

/** The user API of the settings in force. */
export function userApi(): UserApi {
  return APIS[resolveUserApi()];
}

/** What the chosen transport carries (for `check`: no request). */
export function carriedFields(): CarriedFields {
  return CARRIES[resolveUserApi()];
}

export async function getUser(id: string, subject?: string): Promise<User> {
  const { knowledge } = currentRun();
  const seq = knowledge.readStarted();
  const user = await userApi().get(id, subject);
  knowledge.learnUsers([user], seq);
  return user;
}

/** Every user. What it reads is remembered for this run (see knowledge.ts). */
export async function listUsers(): Promise<User[]> {
  const { knowledge } = currentRun();
  const seq = knowledge.readStarted();
  const users = await userApi().list();
  knowledge.learnUsers(users, seq);
  return users;
}

/**
 * A user for a refresh: the first call lists every user once (single-flight), later calls are served
 * from that listing unless the user was written since; a user missing from it is asked for directly.
 */
export async function readUser(id: string, subject?: string): Promise<User> {
  const { knowledge } = currentRun();
  await knowledge.ensureSnapshot(listUsers);
  return knowledge.knownUser(id) ?? getUser(id, subject);
}

/** The id of a user's travel policy as TravelPerk holds it now (read as for a refresh). */
export async function readTravelPolicy(userId: string): Promise<string | null> {
  return userApi().travelPolicyOf(await readUser(userId), userId);
}

/** Per run: the newest listing that a find-by-e-mail started, shared by finds that began before it. */
const latestListing = new WeakMap<object, { startedAt: number; users: Promise<User[]> }>();

/**
 * Finds a user by e-mail (case-insensitive), always with a read that started after this call (never
 * remembered facts). On SCIM that is one filtered request; on REST a listing, which concurrent callers share.
 */
export async function findUserByEmail(email: string): Promise<User | undefined> {
  const api = userApi();
  if (api.kind === "scim") return api.findByEmail(email);
  const run = currentRun();
  const askedAt = run.knowledge.readStarted();
  let latest = latestListing.get(run);
  if (!latest || latest.startedAt < askedAt) {
    latest = { startedAt: run.knowledge.readStarted(), users: listUsers() };
    latestListing.set(run, latest);
  }
  const wanted = email.toLowerCase();
  return (await latest.users).find((user) => user.email.toLowerCase() === wanted);
}

/** Writes exactly these changes. */
export async function updateUser(id: string, changes: UserChanges, subject?: string): Promise<void> {
  await currentRun().knowledge.whileWriting(id, () => userApi().update(id, changes, subject));
}

/** Offboarding that keeps the audit trail: `isActive` false. */
export async function deactivateUser(id: string, subject?: string): Promise<void> {
  await updateUser(id, { isActive: false }, subject);
}

/** Deletes the user: permanent and irreversible. */
export async function deleteUser(id: string, subject?: string): Promise<void> {
  await currentRun().knowledge.whileWriting(id, () => userApi().delete(id, subject));
}
