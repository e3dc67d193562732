/**
 * `travelperk:PolicyAssignment`: which travel policy a user books under. A new policy is an in-place
 * PATCH; a different user replaces the resource. Deleting it clears the user's policy.
 */
import * as pulumi from "@pulumi/pulumi";
import { NotFoundError } from "../client/errors";
import { setTravelPolicy } from "../client/policies";
import { currentRun } from "../client/run";
import { readTravelPolicy } from "../client/users";
import policyProvider from "../entry/policy-assignment";
import { opaqueIdInput } from "../input-schemas";
import { DYNAMIC_MODULE, RESOURCE_KINDS } from "../type-tokens";
import type { ConnectionArgs, ResourceProviderImpl } from "./connection";
import { namingUser } from "./subject";
import { changedKeys, schemaCheck } from "./validation";
import { z } from "zod";

/** Arguments of a {@link PolicyAssignment}. */
export interface PolicyAssignmentArgs extends ConnectionArgs {
  /** TravelPerk id of the user, e.g. a `User`'s `id`. Changing it replaces the assignment. */
  userId: pulumi.Input<string>;
  /** TravelPerk id of the travel policy, e.g. from `getTravelPolicy` (on SCIM without a policy listing: its name). Changing it updates in place. */
  policyId: pulumi.Input<string>;
}

const assignmentSchema = z.object({ userId: opaqueIdInput, policyId: opaqueIdInput });

/** Inputs as `check` returns them: the user and the policy. */
export type PolicyAssignmentInputs = z.infer<typeof assignmentSchema>;

/** Outputs: the same, with `policyId` as TravelPerk holds it (null when cleared outside Pulumi). */
export type PolicyAssignmentOutputs = { userId: string; policyId: string | null };

/** The PolicyAssignment provider; served by `pulumi-travelperk/runtime` inside the provider process. */
export const policyAssignmentProviderImpl: ResourceProviderImpl<PolicyAssignmentInputs, PolicyAssignmentOutputs> = {
  check: schemaCheck(assignmentSchema, RESOURCE_KINDS.policyAssignment),

  diff(_id, olds, news) {
    const changed = changedKeys(olds, news, ["userId", "policyId"]);
    // A new policy for the same user is a PATCH; replacing would clear the new policy on delete.
    return Promise.resolve({ changes: changed.length > 0, replaces: changed.filter((key) => key === "userId") });
  },

  async create({ userId, policyId }) {
    // An adopted user may hold the policy already (this process just read it): no write then.
    const { knowledge } = currentRun();
    if (knowledge.knownUser(userId)?.travelPolicyId !== policyId) {
      await namingUser(userId, () => setTravelPolicy(userId, policyId));
    } else {
      knowledge.noteFoundInPlace(`policy:${userId}:${policyId}`);
    }
    return { id: userId, outs: { userId, policyId } };
  },

  async read(id, props) {
    // The assignment's id is its user's.
    const userId = props?.userId ?? id;
    try {
      // A policy changed or cleared outside Pulumi shows as drift; the next `up` assigns it again.
      const current = { userId, policyId: await readTravelPolicy(userId) };
      return { id, props: current, inputs: current };
    } catch (error) {
      if (error instanceof NotFoundError) return {}; // the user is gone
      throw error;
    }
  },

  async update(_id, _olds, { userId, policyId }) {
    await namingUser(userId, () => setTravelPolicy(userId, policyId));
    return { outs: { userId, policyId } };
  },

  async delete(_id, { userId, policyId }) {
    // Another resource of this run took this assignment over (found it in place): it is not cleared.
    if (currentRun().knowledge.wasFoundInPlace(`policy:${userId}:${policyId}`)) return;
    try {
      await namingUser(userId, () => setTravelPolicy(userId, null));
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error; // the user is gone: nothing to clear
    }
  },
};

/** The travel policy a TravelPerk user books under. Deleting the resource clears the user's policy. */
export class PolicyAssignment extends pulumi.dynamic.Resource {
  /** The user's TravelPerk id. */
  declare readonly userId: pulumi.Output<string>;
  /** The assigned travel policy's TravelPerk id. */
  declare readonly policyId: pulumi.Output<string>;

  /**
   * Declares a user's travel policy.
   *
   * @param name The resource's unique name in the Pulumi program.
   * @param args The user and the policy.
   * @param opts Pulumi resource options (`parent`, `dependsOn`, `protect`, …). Default: none.
   */
  constructor(name: string, args: PolicyAssignmentArgs, opts?: pulumi.CustomResourceOptions) {
    super(policyProvider, name, { ...args }, opts, DYNAMIC_MODULE, RESOURCE_KINDS.policyAssignment);
  }
}
