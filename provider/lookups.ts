/**
 * Lookups by name for programs: travel policies, groups and users. They run in the program's process
 * with the same credentials as the provider (stack config `travelperk:*`, then environment), fetch each
 * list once per run however many resources use it, and return plain (not secret) values.
 */
import * as pulumi from "@pulumi/pulumi";
import { listCostCenters, type CostCenter } from "./client/cost-centers";
import { listGroupMembers, listGroups, type Group } from "./client/groups";
import { policyDirectory, type TravelPolicy } from "./client/policies";
import { currentRun } from "./client/run";
import { listUsers, type User } from "./client/users";
import { resolveUserApi, setStackConfig } from "./config";
import { inConnection } from "./connection";
import { findByName, knownNames, type Named } from "./names";

/** One fetch per list per run: concurrent callers share the same promise. */
function once<T>(key: string, load: () => Promise<T[]>): Promise<T[]> {
  const { lookups: lists, fetched } = currentRun();
  let list = lists.get(key) as Promise<T[]> | undefined;
  if (!list) {
    // The program's stack config, read raw: secrets are unwrapped here and never leave this process.
    setStackConfig({ get: (configKey) => pulumi.runtime.getConfig(configKey) });
    list = load();
    list.then(
      (items) => fetched.set(key, items),
      () => lists.delete(key), // a failed fetch may be tried again
    );
    lists.set(key, list);
  }
  return list;
}

/** The item named `name` (case-insensitive); an Error naming every existing one when none is. */
function byName<T extends Named>(kind: string, items: readonly T[], name: string): T {
  const found = findByName(items, name);
  if (!found) throw new Error(`TravelPerk has no ${kind} named "${name}"; ${knownNames(kind, items)}`);
  return found;
}

/**
 * Finds a travel policy by name (case-insensitive). The list is fetched once per run.
 *
 * @param args The policy to find.
 * @param args.name The policy's name, e.g. `Standard`.
 * @param args.connection The organisation's connection (`travelperk:<connection>.*`). Default: the default connection.
 * @throws Error naming every existing policy when none has this name.
 */
export function getTravelPolicy(args: { name: string; connection?: string }): Promise<TravelPolicy> {
  return inConnection(args.connection, async () => {
    const served = await once("policyListing", async () => [await policyDirectory()]);
    const policies = served[0];
    // An organisation without a policy listing (the live API) knows policies by name: the name is the id.
    if (!policies) return { id: args.name, name: args.name };
    return byName("travel policy", policies, args.name);
  });
}

/** The policies, or none where the organisation serves no listing (then roster names are not checked). */
async function policies(): Promise<TravelPolicy[] | undefined> {
  return (await once("policyListing", async () => [await policyDirectory()]))[0];
}

/**
 * Finds a group (department) by name (case-insensitive). The list is fetched once per run.
 *
 * @param args The group to find.
 * @param args.name The group's name, e.g. `Engineering`.
 * @param args.connection The organisation's connection (`travelperk:<connection>.*`). Default: the default connection.
 * @throws Error naming every existing group when none has this name.
 */
export function getGroup(args: { name: string; connection?: string }): Promise<Group> {
  return inConnection(args.connection, async () => byName("group", await once("groups", listGroups), args.name));
}

/**
 * Finds a user by e-mail (case-insensitive), e.g. one an identity provider created. The list is
 * fetched once per run.
 *
 * @param args The user to find.
 * @param args.email The user's e-mail.
 * @param args.connection The organisation's connection (`travelperk:<connection>.*`). Default: the default connection.
 * @throws Error when no user has this e-mail.
 */
export function getUser(args: { email: string; connection?: string }): Promise<User> {
  return inConnection(args.connection, async () => {
    const users = await once("users", listUsers);
    const found = users.find((user) => user.email.toLowerCase() === args.email.toLowerCase());
    if (!found) throw new Error(`TravelPerk has no user with e-mail ${args.email}`);
    return found;
  });
}

/** Forgets the lists fetched so far (for long-lived processes and tests). */
export function clearLookupCache(): void {
  currentRun().lookups.clear();
  currentRun().fetched.clear();
}

/** What a roster refers to by name. `undefined` lists are not served by this organisation. */
export interface Directory {
  policies: TravelPolicy[] | undefined;
  groups: Group[];
  costCenters: CostCenter[] | undefined;
}

/** The travel policies, groups and cost centres a roster refers to by name: one request per list per run. */
export function loadDirectory(connection?: string): Promise<Directory> {
  return inConnection(connection, async () => {
    const [policyList, groups, costCenters] = await Promise.all([
      policies(),
      once("groups", listGroups),
      // Cost centres are a listing of the live surface: asked for with the SCIM transport only.
      once("costCenters", async () => [resolveUserApi() === "scim" ? await listCostCenters() : undefined]),
    ]);
    return { policies: policyList, groups, costCenters: costCenters[0] };
  });
}

/** The travel policies and groups fetched so far in this process, without sending a request. */
export function cachedDirectory(connection?: string): { policies: TravelPolicy[]; groups: Group[] } {
  const { fetched } = inConnection(connection, currentRun);
  const listing = fetched.get("policyListing") as (TravelPolicy[] | undefined)[] | undefined;
  return {
    policies: listing?.[0] ?? [],
    groups: (fetched.get("groups") ?? []) as Group[],
  };
}

/**
 * Reads, once per run, the members of these groups and the organisation's users: what a roster
 * summary needs to name the members a `GroupMembers` taking a group over would remove (state holds
 * no list for a group not yet managed). Members by group id and e-mails by user id then come from
 * {@link cachedGroupMembers}.
 */
export function loadGroupMembers(groupIds: readonly string[], connection?: string): Promise<void> {
  return inConnection(connection, async () => {
    await Promise.all([
      ...groupIds.map((id) => once(`members:${id}`, () => listGroupMembers(id))),
      once("users", listUsers),
    ]);
  });
}

/** The group members and user e-mails {@link loadGroupMembers} read in this process, without a request. */
export function cachedGroupMembers(connection?: string): {
  groupMembers: Map<string, string[]>;
  emails: Map<string, string>;
} {
  const { fetched } = inConnection(connection, currentRun);
  const groupMembers = new Map<string, string[]>();
  for (const [key, list] of fetched)
    if (key.startsWith("members:")) groupMembers.set(key.slice("members:".length), list as string[]);
  const users = (fetched.get("users") ?? []) as User[];
  return { groupMembers, emails: new Map(users.map((user) => [user.id, user.email])) };
}
