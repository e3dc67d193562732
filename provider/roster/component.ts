/**
 * `travelperk:index:Roster`: a whole roster (a YAML file, or people given inline) as one component:
 * a `User`, its `GroupMembership`s and a `PolicyAssignment` per person, and one `GroupMembers` per
 * authoritative group (the roster owns its whole member list) instead of those groups' memberships.
 * Children are named by the person's key, so reordering the file changes nothing and a new e-mail
 * under the same key is an in-place update.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { GroupMembers } from "../resources/group-members";
import { GroupMembership } from "../resources/group-membership";
import { PolicyAssignment } from "../resources/policy-assignment";
import { User } from "../resources/user";
import { loadDirectory, loadGroupMembers } from "../lookups";
import { checkRosterData, readRosterFile } from "./load";
import { needsDirectory, resolveGroups, resolveRoster, type ResolvedGroup, type ResolvedPerson } from "./resolve";
import { isCalendarDate, tenure, todayIn } from "./dates";
import { PROTECTED_KEYS_OUTPUT, rosterTimeZone } from "./lifecycle";
import type { GroupSettings, PersonInput, RosterDefaults } from "./schema";
import { ROSTER_TYPE } from "../type-tokens";

/** Arguments of a {@link Roster}: a file, or the people inline. */
export interface RosterArgs {
  /** Path of a roster YAML file, relative to the working directory. Either this or `people`. */
  file?: string;
  /** The people, inline (same fields as the file). Either this or `file`. */
  people?: PersonInput[];
  /** Roster-wide defaults for inline people (`adoptExisting`, `onDelete`, `travelPolicy`, `role`, `language`). */
  defaults?: RosterDefaults;
  /** For inline people: groups by name or id and how the roster treats each, e.g. `{ Sales: { authoritative: true } }`. Default: every group additive. */
  groups?: Record<string, GroupSettings>;
  /** The organisation's connection (`travelperk:<connection>.*`) for every child and lookup. Default: the default connection. */
  connection?: string;
  /**
   * The day the dates are applied on, `YYYY-MM-DD`: people before their `startDate` are not declared,
   * people after their `endDate` are offboarded. Default: today in the roster's `defaults.timeZone` (UTC).
   */
  today?: string;
  /**
   * Keys of the people the stack already holds (the roster commands pass them from state). A person
   * before their `startDate` who is among them stays declared, so moving a start date later never
   * offboards someone already created. Default: none (a person before their start date is not declared).
   */
  existingKeys?: string[];
}

/** The type token of the component (declared with the others); the roster commands find its children by it. */
export { ROSTER_TYPE };

/** Child resource names, from the person's key (an authoritative group's list: from the group's label). The summary reads them back. */
export const childNames = {
  user: (key: string) => key,
  group: (key: string, label: string) => `${key}/group/${label}`,
  policy: (key: string) => `${key}/policy`,
  groupMembers: (label: string) => `group/${label}`,
};

/** {@link childNames} read back: what a child's name says, or undefined when the name is not of that form. */
export const readChildName = {
  /** `<key>/group/<label>`: the person's key and the group's label (the first `/group/` parts them). */
  group: (name: string): { key: string; label: string } | undefined => {
    const separator = childNames.group("", "");
    const at = name.indexOf(separator);
    return at > 0 ? { key: name.slice(0, at), label: name.slice(at + separator.length) } : undefined;
  },
  /** `<key>/policy`: the person's key. */
  policy: (name: string): string | undefined => {
    const suffix = childNames.policy("");
    return name.length > suffix.length && name.endsWith(suffix) ? name.slice(0, -suffix.length) : undefined;
  },
  /** `group/<label>`: the authoritative group's label. */
  groupMembers: (name: string): string | undefined => {
    const prefix = childNames.groupMembers("");
    return name.startsWith(prefix) ? name.slice(prefix.length) : undefined;
  },
};

/** A roster of TravelPerk users with their groups and travel policies. */
export class Roster extends pulumi.ComponentResource {
  /** TravelPerk user ids by person key. */
  readonly userIds: pulumi.Output<Record<string, string>>;
  /** Settles once every child is registered; rejects with a RosterError when the roster is invalid. */
  readonly ready: Promise<Record<string, pulumi.Output<string>>>;

  /**
   * Declares the roster's people as child resources.
   *
   * @param name The component's unique name in the Pulumi program.
   * @param args The roster: a `file`, or `people` (and `defaults`) inline.
   * @param opts Pulumi component options (`parent`, `providers`, `protect`, …). Default: none.
   */
  constructor(name: string, args: RosterArgs, opts?: pulumi.ComponentResourceOptions) {
    super(ROSTER_TYPE, name, {}, opts);
    this.ready = this.declareChildren(args);
    this.ready.catch(() => undefined); // reported once, through registerOutputs below
    this.userIds = pulumi.output(this.ready);
    // Registering the outputs keeps the program alive until the children are declared, and fails it
    // (before any write) when the roster is invalid. The protected keys stay in state, so the guard
    // still knows a person was protected once the file no longer says so (or no longer lists them).
    this.registerOutputs({
      userIds: this.userIds,
      [PROTECTED_KEYS_OUTPUT]: this.userIds.apply(() => this.protectedKeys),
    });
  }

  /** Keys of the people the file protects, known once the children are declared. */
  private protectedKeys: string[] = [];

  private async declareChildren(args: RosterArgs): Promise<Record<string, pulumi.Output<string>>> {
    if ((args.file === undefined) === (args.people === undefined)) {
      throw new Error("Roster needs exactly one of `file` or `people`");
    }
    if (args.today !== undefined && !isCalendarDate(args.today))
      throw new Error(`Roster today must be a date written YYYY-MM-DD, got "${args.today}"`);
    const parsed =
      args.file !== undefined
        ? readRosterFile(path.resolve(args.file))
        : checkRosterData({ people: args.people, defaults: args.defaults, groups: args.groups }, "roster");
    const directory = needsDirectory(parsed) ? await loadDirectory(args.connection) : { policies: [], groups: [] };
    const resolved = resolveRoster(parsed, directory);
    // Authoritative groups: one GroupMembers each, holding every declared person of the group. Their
    // current members are read first, so a summary can name whom a takeover removes.
    const authoritative = new Map<string, ResolvedGroup>(
      resolveGroups(parsed, directory)
        .filter((group) => group.authoritative)
        .map((group) => [group.id, group]),
    );
    if (authoritative.size > 0) await loadGroupMembers([...authoritative.keys()], args.connection);
    const ownedMembers = new Map<string, pulumi.Output<string>[]>([...authoritative.keys()].map((id) => [id, []]));
    this.protectedKeys = resolved.filter((p) => p.protect).map((p) => p.key);
    const today = args.today ?? todayIn(rosterTimeZone(parsed));
    // Before the first working day a person is not declared (unless already created); after the last
    // they are not declared either, so they are offboarded exactly as if removed from the file.
    const inState = new Set((args.existingKeys ?? []).map((key) => key.toLowerCase()));
    const people = resolved.filter((p) => {
      const standing = tenure(p, today);
      return standing === "current" || (standing === "pending" && inState.has(p.key));
    });
    const users = new Map<string, User>();
    const byKey = new Map(people.map((p) => [p.key, p]));
    const personByKey = (key: string): ResolvedPerson => {
      const person = byKey.get(key);
      if (!person) throw new Error(`no person with key ${key} in the roster`); // resolveRoster guarantees one
      return person;
    };
    const declare = (person: ResolvedPerson): User => {
      const existing = users.get(person.key);
      if (existing) return existing;
      // Managers first: a report's managerId is always a real user (resolveRoster refused cycles). A
      // manager not declared today (before their start date, after their end date) is not managed.
      const manager = person.manager;
      const managerId =
        manager === undefined
          ? undefined
          : "id" in manager
            ? manager.id
            : byKey.has(manager.key)
              ? declare(personByKey(manager.key)).id
              : undefined;
      const user = new User(
        childNames.user(person.key),
        {
          ...(person.fields as { email: string; firstName: string; lastName: string }),
          managerId,
          onDelete: person.onDelete,
          adoptExisting: person.adoptExisting,
          connection: args.connection,
        },
        { parent: this },
      );
      users.set(person.key, user);
      for (const group of person.groups) {
        const owned = ownedMembers.get(group.id);
        if (owned) {
          owned.push(user.id);
          continue;
        }
        new GroupMembership(
          childNames.group(person.key, group.label),
          { groupId: group.id, userId: user.id, connection: args.connection },
          { parent: this },
        );
      }
      if (person.policy) {
        new PolicyAssignment(
          childNames.policy(person.key),
          { userId: user.id, policyId: person.policy.id, connection: args.connection },
          { parent: this },
        );
      }
      return user;
    };
    for (const person of people) declare(person);
    // A group switched from additive to authoritative: the old memberships' deletes (last in the run)
    // leave the members this list holds (GroupMembers notes them at check).
    for (const [groupId, userIds] of ownedMembers) {
      new GroupMembers(
        childNames.groupMembers(authoritative.get(groupId)?.label ?? groupId),
        { groupId, userIds, connection: args.connection },
        { parent: this },
      );
    }
    return Object.fromEntries([...users].map(([key, user]) => [key, user.id]));
  }
}
