/**
 * A team roster as a Pulumi program: one `User` per person, one `GroupMembership` per department and
 * one `PolicyAssignment` each. Managers are referenced by `managerId`, so Pulumi creates them first.
 */
import * as tp from "pulumi-travelperk";
import type { Team, TeamMember } from "./team";

/** Ids by name. Without them, names are looked up with `getGroup`/`getTravelPolicy` (one request per list). */
export interface TeamIds {
  groups: Record<string, string>;
  policies: Record<string, string>;
}

/** How the program declares people. */
export interface TeamOptions {
  /**
   * Manage each person's role (default `true`: `traveler` unless the team says otherwise). SCIM
   * (`travelperk:userApi scim`) cannot carry a role: set it to `false` there.
   */
  roles?: boolean;
}

/** The program for `team`: pass it to the Automation API, or export it from a Pulumi project's entry point. */
export function teamProgram(
  team: Team,
  ids?: TeamIds,
  options: TeamOptions = {},
): () => Promise<{ users: Record<string, unknown> }> {
  return async () => {
    const groupId = async (name: string) => ids?.groups[name] ?? (await tp.getGroup({ name })).id;
    const policyId = async (name: string) => ids?.policies[name] ?? (await tp.getTravelPolicy({ name })).id;
    const byEmail = new Map(team.people.map((person) => [person.email, person]));
    const users = new Map<string, tp.User>();

    const declare = async (person: TeamMember): Promise<tp.User> => {
      const existing = users.get(person.email);
      if (existing) return existing;
      const manager = person.manager ? byEmail.get(person.manager) : undefined;
      if (person.manager && !manager) throw new Error(`${person.email}: manager ${person.manager} is not in the team`);
      const managerUser = manager ? await declare(manager) : undefined;
      const user = new tp.User(person.email, {
        email: person.email,
        firstName: person.firstName,
        lastName: person.lastName,
        role: options.roles === false ? undefined : (person.role ?? "traveler"),
        costCenter: person.costCenter,
        managerId: managerUser?.id,
        onDelete: person.onDelete,
      });
      users.set(person.email, user);
      for (const group of person.groups) {
        new tp.GroupMembership(`${person.email}/${group}`, { groupId: await groupId(group), userId: user.id });
      }
      new tp.PolicyAssignment(`${person.email}/policy`, { userId: user.id, policyId: await policyId(person.policy) });
      return user;
    };

    for (const person of team.people) await declare(person);
    return { users: Object.fromEntries([...users].map(([email, user]) => [email, user.id])) };
  };
}
