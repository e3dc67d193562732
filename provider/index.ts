/**
 * pulumi-travelperk: TravelPerk users, department groups and travel policies as Pulumi resources.
 *
 * ```ts
 * import * as tp from "pulumi-travelperk";
 * const jane = new tp.User("jane", { email: "jane@example.com", firstName: "Jane", lastName: "Doe" });
 * new tp.GroupMembership("jane-eng", { groupId: "<group id>", userId: jane.id });
 * new tp.PolicyAssignment("jane-policy", { userId: jane.id, policyId: "<policy id>" });
 * ```
 */
export { User, UserExistsError, DuplicateUserError, ON_DELETE, type UserArgs, type OnDelete } from "./resources/user";
export { GroupMembership, type GroupMembershipArgs } from "./resources/group-membership";
export { GroupMembers, type GroupMembersArgs } from "./resources/group-members";
export { PolicyAssignment, type PolicyAssignmentArgs } from "./resources/policy-assignment";
export { ROLES, GENDERS, type Role, type Gender } from "./client/users";
export {
  TravelPerkError,
  InvalidRequestError,
  AuthenticationError,
  NotFoundError,
  ConflictError,
  RateLimitError,
  ServerError,
  NetworkError,
  MalformedResponseError,
  type RequestContext,
  type RequestTarget,
  type ErrorDetails,
} from "./client/errors";
export {
  SETTINGS,
  DEFAULT_API_URL,
  MissingCredentialsError,
  ConflictingCredentialsError,
  IncompleteCredentialsError,
  ScimTokenConfusionError,
  InvalidConnectionError,
} from "./config";
export { OAuthGrantError } from "./client/oauth";
export { getTravelPolicy, getGroup, getUser, clearLookupCache } from "./lookups";
export type { TravelPolicy } from "./client/policies";
export type { Group } from "./client/groups";
export type { User as TravelPerkUser } from "./client/users";
export { Roster, ROSTER_TYPE, type RosterArgs } from "./roster/component";
export { RosterError, parseRoster, readRosterFile } from "./roster/load";
export type { GroupSettings, PersonInput, RosterDefaults } from "./roster/schema";
export {
  summarize,
  summaryMarkdown,
  offboardGuard,
  rosterGuard,
  stepsFromEngineEvents,
  stepsFromEventLog,
  stepsFromPreviewJson,
} from "./roster/summary";
export type {
  PlannedStep,
  PersonChange,
  RosterSummary,
  GuardResult,
  GuardOptions,
  ProtectedChange,
  AdminFloor,
  GroupRemoval,
  LiveMembers,
} from "./roster/summary";
export { rosterCalendar, DEFAULT_HORIZON_DAYS, DEFAULT_MIN_ADMINS } from "./roster/lifecycle";
export type { RosterCalendar, CalendarPerson, DatedPerson } from "./roster/lifecycle";
export type { Tenure } from "./roster/dates";
