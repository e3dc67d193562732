/**
 * `export`: the organisation as a roster file, to start managing an existing TravelPerk account.
 * Names instead of ids where they are unambiguous, a key per person, deactivated people as comments
 * (so `up` does not reactivate them) and `adoptExisting: true`, so that export → `up` adopts
 * everyone and changes nobody.
 */
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { stringify } from "yaml";
import { listGroupMembers, listGroups } from "../client/groups";
import { NotFoundError } from "../client/errors";
import { policyDirectory } from "../client/policies";
import { USER_FIELDS, listUsers, type User } from "../client/users";
import { SETTINGS, defaultTokenCachePath, setStackConfig } from "../config";
import { inConnection } from "../connection";
import {
  assertCredentialsSecret,
  configSource,
  rotationMessage,
  saveRotatedRefreshTokens,
  type StackConfigStore,
} from "../stack-credentials";
import { cliEnvironment } from "../runner";

/**
 * Credentials from the stack's config when run in a Pulumi project with a stack, else the
 * environment. A stack holding a credential in clear is refused, as by the other commands; the
 * answer is the stack, to write a rotated refresh token back to after the export.
 */
async function useStackCredentials(stack: string | undefined): Promise<StackConfigStore | undefined> {
  const workDir = process.cwd();
  // The token chain is shared with the other commands on this machine through one named cache.
  process.env[SETTINGS.tokenCache.envVar] ||= defaultTokenCachePath();
  if (!fs.existsSync(path.join(workDir, "Pulumi.yaml")) && !fs.existsSync(path.join(workDir, "Pulumi.yml")))
    return undefined;
  const workspace = await LocalWorkspace.create({ workDir, envVars: cliEnvironment({ workDir }) });
  const name = stack ?? (await workspace.stack())?.name;
  if (!name) return undefined;
  const store: StackConfigStore = {
    name,
    getAllConfig: () => workspace.getAllConfig(name),
    setConfig: (key, value) => workspace.setConfig(name, key, value),
  };
  await assertCredentialsSecret(store);
  setStackConfig(configSource(await store.getAllConfig()));
  return store;
}

/** A reference by name when the name is unique and non-empty, else by id. */
function referencer(items: { id: string; name: string }[]): (id: string) => string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item.name.toLowerCase(), (counts.get(item.name.toLowerCase()) ?? 0) + 1);
  const byId = new Map(items.map((item) => [item.id, item]));
  return (id) => {
    const item = byId.get(id);
    return item && item.name && counts.get(item.name.toLowerCase()) === 1 ? item.name : id;
  };
}

/** Fields written per person: the e-mail comes first, the manager by e-mail, activity by section. */
const PERSON_FIELDS = USER_FIELDS.filter((field) => !["email", "managerId", "isActive"].includes(field));

export async function exportRoster(opts: { stack?: string; connection?: string }): Promise<string> {
  const stack = await useStackCredentials(opts.stack);
  try {
    return await inConnection(opts.connection, () => organisationAsRoster());
  } finally {
    if (stack)
      for (const report of await saveRotatedRefreshTokens(stack))
        process.stderr.write(`${rotationMessage(stack.name, report)}\n`);
  }
}

/** The organisation of the current connection as a roster file's text. */
async function organisationAsRoster(): Promise<string> {
  // An organisation that serves no group or policy listing (TravelPerk's live REST surface) has none to export.
  const none = (error: unknown) => {
    if (error instanceof NotFoundError) return [];
    throw error;
  };
  const [users, groups, policies] = await Promise.all([
    listUsers(),
    listGroups().catch(none),
    policyDirectory().then((listing) => listing ?? []),
  ]);
  const groupsOf = new Map<string, string[]>();
  const groupRef = referencer(groups);
  for (const group of groups) {
    for (const userId of await listGroupMembers(group.id))
      groupsOf.set(userId, [...(groupsOf.get(userId) ?? []), groupRef(group.id)]);
  }
  const policyRef = referencer(policies);
  const active = users.filter((u) => u.isActive !== false).sort((a, b) => a.email.localeCompare(b.email));
  const inactive = users.filter((u) => u.isActive === false).sort((a, b) => a.email.localeCompare(b.email));
  const emailById = new Map(active.map((u) => [u.id, u.email]));

  const person = (user: User): Record<string, unknown> => {
    const entry: Record<string, unknown> = { key: user.email.toLowerCase(), email: user.email };
    for (const field of PERSON_FIELDS) {
      const value = user[field];
      if (value !== null && !(Array.isArray(value) && value.length === 0)) entry[field] = value;
    }
    if (user.travelPolicyId) entry.travelPolicy = policyRef(user.travelPolicyId);
    const memberOf = groupsOf.get(user.id);
    if (memberOf?.length) entry.groups = memberOf.sort();
    if (user.managerId) entry.manager = emailById.get(user.managerId) ?? user.managerId;
    return entry;
  };

  const header = [
    "# yaml-language-server: $schema=./node_modules/pulumi-travelperk/schema/roster.schema.json",
    `# Exported from TravelPerk by pulumi-travelperk export: ${active.length} active people` +
      (inactive.length ? `, ${inactive.length} deactivated (listed as comments at the end).` : "."),
    "# adoptExisting lets `pulumi-travelperk up` take over these accounts without changing them.",
  ].join("\n");
  const body = stringify({ defaults: { adoptExisting: true }, people: active.map(person) }, { lineWidth: 0 });
  const comments = inactive.length
    ? "\n# Deactivated in TravelPerk (uncomment a person to reactivate them):\n" +
      stringify(inactive.map(person), { lineWidth: 0 })
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => `#   ${line}`)
        .join("\n") +
      "\n"
    : "";
  return `${header}\n${body}${comments}`;
}
