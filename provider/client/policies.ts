/**
 * `/travel_policies`, and the policy names the SCIM extension uses in place of ids. The live API
 * serves no policy listing (404): there a policy is known by its name, and the name is its id.
 */
import { NotFoundError } from "./errors";
import { listAll } from "./listing";
import { currentRun } from "./run";
import { userApi } from "./users";
import { wireNamed } from "./wire";

/** A TravelPerk travel policy, as {@link getTravelPolicy} returns it. */
export interface TravelPolicy {
  /** The policy's TravelPerk id; where the organisation serves no policy listing, its name. */
  id: string;
  /** The policy's name; an empty string when TravelPerk has none. */
  name: string;
}

/** Every travel policy, read now; NotFoundError where the organisation serves no listing. */
export async function listTravelPolicies(): Promise<TravelPolicy[]> {
  return listAll("/travel_policies", wireNamed, { operation: "list travel policies" });
}

/** The policy listing, once per run; undefined where the organisation serves none (404). */
export function policyDirectory(): Promise<TravelPolicy[] | undefined> {
  return currentRun().transportState("policies", () =>
    listTravelPolicies().catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }),
  );
}

const sameName = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** The name SCIM writes for a policy id (an id that is already a name, where no listing exists, stays). */
export async function policyNameForId(policyId: string): Promise<string> {
  const policies = await policyDirectory();
  return (
    (policies?.find((p) => p.id === policyId) ?? policies?.find((p) => sameName(p.name, policyId)))?.name ?? policyId
  );
}

/** The id of a policy SCIM names; the name itself where no listing exists or it is not in it. */
export async function policyIdForName(name: string): Promise<string> {
  const policies = await policyDirectory();
  return policies?.find((p) => sameName(p.name, name))?.id ?? name;
}

/** Sets (or with `null` clears) a user's travel policy, through the run's user API. */
export async function setTravelPolicy(userId: string, policyId: string | null, subject?: string): Promise<void> {
  await currentRun().knowledge.whileWriting(userId, () => userApi().setTravelPolicy(userId, policyId, subject));
}
