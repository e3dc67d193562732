/** The seam for groups (departments) and their members: the REST members collection or SCIM Groups. */
import type { UserApiKind } from "../../config";

/** A TravelPerk group (a department), as {@link getGroup} returns it. */
export interface Group {
  /** The group's TravelPerk id. */
  id: string;
  /** The group's name; an empty string when TravelPerk has none. */
  name: string;
}

/** One transport's group operations. */
export interface MembershipApi {
  /** Which transport this is. */
  readonly kind: UserApiKind;
  /** Every group. */
  listGroups(): Promise<Group[]>;
  /** The ids of a group's members; NotFoundError when the group does not exist. */
  listMembers(groupId: string): Promise<string[]>;
  /** Adds a member; false when the server said it was a member already. */
  add(groupId: string, userId: string, subject?: string): Promise<boolean>;
  /** Removes a member; false when the server said it was not a member. */
  remove(groupId: string, userId: string, subject?: string): Promise<boolean>;
}
