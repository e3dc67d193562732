/**
 * `export`: the organisation as a roster file, to start managing an existing TravelPerk account.
 * Names instead of ids where they are unambiguous, a key per person, deactivated people as comments
 * (so `up` does not reactivate them) and `adoptExisting: true`, so that export → `up` adopts
 * everyone and changes nobody. `export --update FILE` instead writes what differs in TravelPerk into
 * an existing roster file (see roster/update.ts); `--check` only says what it would change.
 */
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { stringify } from "yaml";
import { listGroupMembers, listGroups } from "../client/groups";
import { NotFoundError } from "../client/errors";
import { policyDirectory } from "../client/policies";
import { listUsers } from "../client/users";
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
import { hasProjectFile } from "../project-file";
import { readRosterFile } from "../roster/load";
import { organisationOf, type Organisation } from "../roster/organisation";
import { updateRoster } from "../roster/update";
import type { RosterUpdate } from "../roster/update-changes";

/**
 * Credentials from the stack's config when run in a Pulumi project with a stack, else the
 * environment. A stack holding a credential in clear is refused, as by the other commands; the
 * answer is the stack, to write a rotated refresh token back to after the export.
 */
async function useStackCredentials(stack: string | undefined): Promise<StackConfigStore | undefined> {
  const workDir = process.cwd();
  // The token chain is shared with the other commands on this machine through one named cache.
  process.env[SETTINGS.tokenCache.envVar] ||= defaultTokenCachePath();
  if (!hasProjectFile(workDir)) return undefined;
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

/** Exit code of `export --update FILE --check` when the file and the organisation differ. */
export const EXIT_DRIFT = 4;

/** Options of the `export` command. */
interface ExportOptions {
  stack?: string;
  connection?: string;
  /** Today (`YYYY-MM-DD`) for `--update`: who is past their `endDate`. Default: today in `defaults.timeZone`. */
  today?: string;
}

export async function exportRoster(opts: ExportOptions): Promise<string> {
  return withStack(opts, async () => organisationAsRoster(await readOrganisation()));
}

/**
 * `export --update FILE [--check]`: what differs in TravelPerk written into the roster file in place
 * (edits of its YAML document: comments, order and formatting stay). With `check`, the file is left alone.
 * The file is read and checked before any request.
 */
export async function exportUpdate(file: string, opts: ExportOptions & { check?: boolean }): Promise<RosterUpdate> {
  const source = path.relative(process.cwd(), file) || file;
  readRosterFile(file); // an unreadable or invalid file fails here, before any request
  const text = fs.readFileSync(file, "utf8");
  const organisation = await withStack(opts, () => readOrganisation());
  const update = updateRoster(text, organisation, { today: opts.today, source });
  if (!opts.check && update.text !== text) fs.writeFileSync(file, update.text);
  return update;
}

/** `fn` in the connection, with the stack's credentials; a rotated refresh token is written back after it. */
async function withStack<T>(opts: ExportOptions, fn: () => Promise<T>): Promise<T> {
  const stack = await useStackCredentials(opts.stack);
  try {
    return await inConnection(opts.connection, fn);
  } finally {
    if (stack)
      for (const report of await saveRotatedRefreshTokens(stack))
        process.stderr.write(`${rotationMessage(stack.name, report)}\n`);
  }
}

/** The organisation of the current connection: users, groups with their members, policies. */
async function readOrganisation(): Promise<Organisation> {
  // An organisation that serves no group or policy listing (TravelPerk's live REST surface) has none to export.
  const none = (error: unknown) => {
    if (error instanceof NotFoundError) return [];
    throw error;
  };
  const [users, groups, policies] = await Promise.all([listUsers(), listGroups().catch(none), policyDirectory()]);
  const members = new Map<string, string[]>();
  for (const group of groups) members.set(group.id, await listGroupMembers(group.id));
  return organisationOf({ users, groups, members, policies });
}

/** The organisation as a roster file's text. */
function organisationAsRoster(organisation: Organisation): string {
  const active = organisation.people.filter((p) => p.user.isActive !== false).map((p) => p.entry);
  const inactive = organisation.people.filter((p) => p.user.isActive === false).map((p) => p.entry);
  const header = [
    "# yaml-language-server: $schema=./node_modules/pulumi-travelperk/schema/roster.schema.json",
    `# Exported from TravelPerk by pulumi-travelperk export: ${active.length} active people` +
      (inactive.length ? `, ${inactive.length} deactivated (listed as comments at the end).` : "."),
    "# adoptExisting lets `pulumi-travelperk up` take over these accounts without changing them.",
  ].join("\n");
  const body = stringify({ defaults: { adoptExisting: true }, people: active }, { lineWidth: 0 });
  const comments = inactive.length
    ? "\n# Deactivated in TravelPerk (uncomment a person to reactivate them):\n" +
      stringify(inactive, { lineWidth: 0 })
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => `#   ${line}`)
        .join("\n") +
      "\n"
    : "";
  return `${header}\n${body}${comments}`;
}
