/** `/travel_policies` and the assignment of a policy to a user (a PATCH of `travel_policy`). */
import { z } from "zod";
import { whileWriting } from "./knowledge";
import { listAll, request } from "./request";
import { wireNamed } from "./users";

/** A TravelPerk travel policy, as {@link getTravelPolicy} returns it. */
export interface TravelPolicy {
  /** The policy's TravelPerk id. */
  id: string;
  /** The policy's name; an empty string when TravelPerk has none. */
  name: string;
}

export async function listTravelPolicies(): Promise<TravelPolicy[]> {
  return listAll("/travel_policies", wireNamed, { operation: "list travel policies" });
}

/**
 * Sets (or with `null` clears) a user's travel policy. Written as `{travel_policy: {id}}`; the
 * contract says it may not be settable in the create POST, so it is always a separate PATCH.
 */
export async function setTravelPolicy(userId: string, policyId: string | null, subject?: string): Promise<void> {
  await whileWriting(userId, () =>
    request({
      method: "PATCH",
      path: `/users/${encodeURIComponent(userId)}`,
      body: { travel_policy: policyId === null ? null : { id: policyId } },
      schema: z.record(z.string(), z.unknown()),
      context: {
        operation: policyId === null ? "unassign travel policy" : `assign travel policy ${policyId}`,
        subject: subject ?? userId,
      },
    }),
  );
}
