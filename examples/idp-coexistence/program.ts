/**
 * Coexisting with an identity provider: the IdP's SCIM sync creates, renames and deactivates the
 * TravelPerk accounts; this program manages only what SCIM cannot write, each person's travel policy and
 * group memberships. It declares no `User`: accounts are looked up by e-mail, never created or changed.
 *
 * An account the IdP has deactivated is skipped (with a warning), so a leaver's policy and memberships
 * are released; the account itself stays as the IdP left it.
 */
import * as pulumi from "@pulumi/pulumi";
import * as tp from "pulumi-travelperk";
import type { TravelAssignment } from "./people";

/** The program for `assignments`: pass it to the Automation API, or export it from a project's entry point. */
export function idpProgram(assignments: TravelAssignment[]): () => Promise<{ users: Record<string, string> }> {
  return async () => {
    const seen = new Set<string>();
    for (const { email } of assignments) {
      if (seen.has(email.toLowerCase())) throw new Error(`${email} is listed twice`);
      seen.add(email.toLowerCase());
    }
    // Each run looks at TravelPerk as it is now, also when one process runs the program more than once.
    tp.clearLookupCache();

    // Every lookup first, so that a typo fails the run before anything is declared, with every problem at once.
    const problems = new Set<string>();
    const attempt = async <T>(find: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await find();
      } catch (error) {
        problems.add(error instanceof Error ? error.message : String(error));
        return undefined;
      }
    };
    const resolved = await Promise.all(
      assignments.map(async (person) => {
        const [user, policy, groups] = await Promise.all([
          attempt(() => tp.getUser({ email: person.email })),
          attempt(() => tp.getTravelPolicy({ name: person.policy })),
          Promise.all(person.groups.map((name) => attempt(() => tp.getGroup({ name })))),
        ]);
        return { person, user, policy, groups };
      }),
    );
    if (problems.size > 0) throw new Error(`cannot assign travel settings:\n  ${[...problems].join("\n  ")}`);

    const users: Record<string, string> = {};
    for (const { person, user, policy, groups } of resolved) {
      if (!user || !policy) continue; // not reached: every failed lookup is a problem above
      if (user.isActive === false) {
        void pulumi.log.warn(`${person.email} is deactivated in TravelPerk: its travel policy and groups are released`);
        continue;
      }
      users[person.email] = user.id;
      // Named by TravelPerk ids, which never change: with e-mails or group names in the names, an e-mail
      // the IdP changes (or a renamed group) would create the new resource and then delete the old one,
      // which clears the very policy or membership just set.
      new tp.PolicyAssignment(`${user.id}/policy`, { userId: user.id, policyId: policy.id });
      for (const groupId of new Set(groups.flatMap((group) => (group ? [group.id] : [])))) {
        new tp.GroupMembership(`${user.id}/group/${groupId}`, { groupId, userId: user.id });
      }
    }
    return { users };
  };
}
