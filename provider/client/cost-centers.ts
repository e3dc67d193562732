/**
 * `/cost_centers`, as the live API serves it (`{offset, limit, cost_centers}`, no total). Read only:
 * a user's cost centre is written with the user (REST `cost_center`, SCIM's enterprise `costCenter`),
 * never with `PUT /cost_centers/{id}/users`, which replaces a cost centre's whole member list.
 */
import { NotFoundError } from "./errors";
import { listAll } from "./listing";
import { wireNamed } from "./wire";

/** A cost centre: an id and its name (what users carry). */
export interface CostCenter {
  id: string;
  name: string;
}

/** Every cost centre; undefined where the organisation serves no listing (404). */
export async function listCostCenters(): Promise<CostCenter[] | undefined> {
  try {
    return await listAll("/cost_centers", wireNamed, { operation: "list cost centers" });
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}
