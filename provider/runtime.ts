/**
 * Stable entry point `pulumi-travelperk/runtime`: what the serialized providers in state call.
 *
 * Loaded inside the Pulumi provider process, once per process; its module-level state (stack config,
 * the HTTP client, memory of POSTs whose answer was lost) is shared by every resource of the run.
 * Its export names are a public contract with state written by every release: never rename them.
 */
import type * as pulumi from "@pulumi/pulumi";
import { forgetAll } from "./client/knowledge";
import { resetClient } from "./client/request";
import { setStackConfig } from "./config";
import { clearLookupCache } from "./lookups";
import { forgetCreates } from "./resources/user";

export { userProviderImpl as user } from "./resources/user";
export { groupMembershipProviderImpl as groupMembership } from "./resources/group-membership";
export { policyAssignmentProviderImpl as policyAssignment } from "./resources/policy-assignment";

/** Receives the whole stack config from the engine (secrets unwrapped); read again at each request. */
export function configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
  setStackConfig(req.config);
  return Promise.resolve();
}

/**
 * Forgets everything this process remembered (known users and members, earlier creates), as if a
 * new command had started a new provider process. The engine never needs it; tests that play several
 * commands in one process do.
 */
export function startNewCommand(): void {
  forgetAll();
  forgetCreates();
  resetClient();
  clearLookupCache();
}
