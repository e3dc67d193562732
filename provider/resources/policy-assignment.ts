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
import { namingUser } from "./subject";
import { opaqueIdInput } from "../input-schemas";
import { checkInputs, containsUnknown } from "./validation";
import { z } from "zod";

/** Arguments of a {@link PolicyAssignment}. */
export interface PolicyAssignmentArgs {
  /** TravelPerk id of the user, e.g. a `User`'s `id`. Changing it replaces the assignment. */
  userId: pulumi.Input<string>;
  /** TravelPerk id of the travel policy, e.g. from `getTravelPolicy` (on SCIM without a policy listing: its name). Changing it updates in place. */
  policyId: pulumi.Input<string>;
  /** The organisation's connection: settings from `travelperk:<connection>.*` (env `TRAVELPERK_<CONNECTION>_*`). Default: the default connection. Changing it replaces the resource. */
  connection?: pulumi.Input<string>;
}

const assignmentSchema = z.object({ userId: opaqueIdInput, policyId: opaqueIdInput });

/** Inputs; outputs are the same, with `policyId` as TravelPerk holds it (null when cleared outside). */
export type PolicyAssignmentInputs = z.infer<typeof assignmentSchema>;

const RESOURCE_TYPE = "travelperk:PolicyAssignment";

/** The PolicyAssignment provider; served by `pulumi-travelperk/runtime` inside the provider process. */
export const policyAssignmentProviderImpl: Required<Omit<pulumi.dynamic.ResourceProvider, "configure">> = {
  check(_olds, news: Record<string, unknown>) {
    return Promise.resolve(checkInputs(assignmentSchema, RESOURCE_TYPE, news));
  },

  diff(_id, olds: Record<string, unknown>, news: Record<string, unknown>) {
    const userChanged = containsUnknown(news.userId) || olds.userId !== news.userId;
    const policyChanged = containsUnknown(news.policyId) || olds.policyId !== news.policyId;
    // A new policy for the same user is a PATCH; replacing would clear the new policy on delete.
    return Promise.resolve({ changes: userChanged || policyChanged, replaces: userChanged ? ["userId"] : [] });
  },

  async create(props) {
    const { userId, policyId } = props as PolicyAssignmentInputs;
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
    const { userId } = props as PolicyAssignmentInputs;
    try {
      // A policy changed or cleared outside Pulumi shows as drift; the next `up` assigns it again.
      const current = { userId, policyId: await readTravelPolicy(userId) };
      return { id, props: current, inputs: current };
    } catch (error) {
      if (error instanceof NotFoundError) return {}; // the user is gone
      throw error;
    }
  },

  async update(_id, _olds, news) {
    const { userId, policyId } = news as PolicyAssignmentInputs;
    await namingUser(userId, () => setTravelPolicy(userId, policyId));
    return { outs: { userId, policyId } };
  },

  async delete(_id, props) {
    const { userId, policyId } = props as PolicyAssignmentInputs;
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
    super(policyProvider, name, { ...args }, opts, "travelperk", "PolicyAssignment");
  }
}
