/**
 * Stable entry point `pulumi-travelperk/runtime`: what the serialized providers in state call.
 *
 * Loaded inside the Pulumi provider process, once per process; the run it serves (client/run.ts: the
 * HTTP client, what is known, memory of creates whose answer was lost) is shared by every resource.
 * Its export names are a public contract with state written by every release: never rename them.
 */
import type * as pulumi from "@pulumi/pulumi";
import { runForSettings, startRun } from "./client/run";
import { setStackConfig } from "./config";

export { userProviderImpl as user } from "./resources/user";
export { groupMembershipProviderImpl as groupMembership } from "./resources/group-membership";
export { policyAssignmentProviderImpl as policyAssignment } from "./resources/policy-assignment";

/**
 * Receives the whole stack config from the engine (secrets unwrapped); read again at each request.
 * A config that differs from the run's starts a new run (see client/run.ts).
 */
export function configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
  setStackConfig(req.config);
  runForSettings();
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
