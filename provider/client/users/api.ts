/**
 * The one seam between the resources and TravelPerk's user APIs: a REST and a SCIM implementation,
 * chosen once per run from `travelperk:userApi`. Each implementation maps wire fields in its own
 * field table; what both share (caching, the create recovery) is built on top, in index.ts/create.ts.
 */
import type { UserApiKind } from "../../config";
import type { PostRepeat } from "../retry";
import type { User, UserChanges, UserField, UserFields } from "./model";

/** Why a transport cannot carry a field or a value; undefined when it can. */
export type Carries = (value: unknown) => string | undefined;

/** One transport's user operations. Every method sends requests; none consults the run's knowledge. */
export interface UserApi {
  /** Which transport this is. */
  readonly kind: UserApiKind;
  /** Every user. */
  list(): Promise<User[]>;
  /** One user; NotFoundError when it does not exist. */
  get(id: string, subject?: string): Promise<User>;
  /** A user by e-mail (case-insensitive), read now, never from memory. */
  findByEmail(email: string): Promise<User | undefined>;
  /**
   * One create request. ConflictError when the e-mail exists; ServerError or NetworkError when the
   * answer was lost (the user may exist: see create.ts). After a lost answer the request is repeated
   * as `repeat` says (retry.ts), which for a create is a check that it did not land.
   */
  create(fields: Partial<UserFields> & Pick<UserFields, "email">, repeat?: PostRepeat): Promise<User>;
  /** Writes exactly these changes: one write request (a retry of a refused precondition aside). */
  update(id: string, changes: UserChanges, subject?: string): Promise<void>;
  /** Deletes the user for good; NotFoundError when it is gone already. */
  delete(id: string, subject?: string): Promise<void>;
  /** Sets (or with null clears) the user's travel policy, given the policy's id (or name, see README). */
  setTravelPolicy(userId: string, policyId: string | null, subject?: string): Promise<void>;
  /** The id of the user's travel policy as TravelPerk holds it now, or null. */
  travelPolicyOf(user: User, subject?: string): Promise<string | null>;
}

/** What a transport carries: every model field it can write, with the values it refuses. */
export type CarriedFields = { readonly [K in UserField]?: Carries };

/** The operation an update is named by in errors: an (in)activation when that is all it changes. */
export function updateOperation(changes: UserChanges): string {
  if (Object.keys(changes).join() !== "isActive") return "update user";
  return changes.isActive === false ? "deactivate user" : changes.isActive === true ? "reactivate user" : "update user";
}

/** The operation a travel policy write is named by in errors. */
export function travelPolicyOperation(policyId: string | null): string {
  return policyId === null ? "unassign travel policy" : `assign travel policy ${policyId}`;
}
