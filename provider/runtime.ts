/**
 * Stable entry point `pulumi-travelperk/runtime`: what the serialized providers in state call.
 *
 * Loaded inside the Pulumi provider process, once per process; the run it serves (client/run.ts: the
 * HTTP client, what is known, memory of creates whose answer was lost) is shared by every resource.
 * Its export names are a public contract with state written by every release: never rename them.
 */
import type * as pulumi from "@pulumi/pulumi";
import { runForSettings, startRun } from "./client/run";
import { setStackConfig, validateConnections } from "./config";
import { scopedToConnection } from "./resources/connection";
import { groupMembersProviderImpl } from "./resources/group-members";
import { groupMembershipProviderImpl } from "./resources/group-membership";
import { policyAssignmentProviderImpl } from "./resources/policy-assignment";
import { userProviderImpl } from "./resources/user";

/** The `User` provider, each method in the connection its resource names. */
export const user = scopedToConnection(userProviderImpl);
/** The `GroupMembership` provider, each method in the connection its resource names. */
export const groupMembership = scopedToConnection(groupMembershipProviderImpl);
/** The `GroupMembers` provider, each method in the connection its resource names. */
export const groupMembers = scopedToConnection(groupMembersProviderImpl);
/** The `PolicyAssignment` provider, each method in the connection its resource names. */
export const policyAssignment = scopedToConnection(policyAssignmentProviderImpl);

/**
 * Receives the whole stack config from the engine (secrets unwrapped); read again at each request.
 * A config that differs from the run's starts a new run (see client/run.ts). Credentials that can
 * never work (two kinds for one connection, a SCIM token equal to the REST credential) fail here,
 * so even a preview that would send nothing stops, naming the keys.
 */
export function configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
  // The SDK's Config keeps the raw map; its keys name the connections the stack configures.
  const raw = (req.config as { rawConfig?: Record<string, unknown> }).rawConfig;
  setStackConfig({ get: (key) => req.config.get(key), keys: () => Object.keys(raw ?? {}) });
  runForSettings();
  validateConnections();
  return Promise.resolve();
}

/**
 * Forgets everything this process remembered (known users and members, earlier creates), as if a
 * new command had started a new provider process. The engine never needs it; tests that play several
 * commands in one process do.
 */
export function startNewCommand(): void {
  startRun();
}
