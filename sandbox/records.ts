/**
 * The records the sandbox keeps, as the wire and the state file show them: users (their fields are the
 * REST wire names; user-fields.ts says what each one means to REST and SCIM), travel policies and groups
 * (`Named`), SCIM meta, the live surface's cost centres and invoice profiles, and the whole-state
 * `Snapshot`. Types only: the store (store.ts) holds them.
 */

export type Role = "traveler" | "travel_manager" | "company_admin";
export type Gender = "male" | "female" | "other";
export interface Named {
  id: string;
  name: string;
}

/** A user as the wire shows it. Only `id` and `email` are guaranteed: odd accounts lack the rest. */
export type SandboxUser = {
  id: string;
  email: string;
  first_name?: string | null;
  last_name?: string | null;
  role?: Role | null;
  gender?: Gender | null;
  phone_number?: string | null;
  language?: string | null;
  date_of_birth?: string | null;
  nationality?: string | null;
  invoicing_profiles?: { id: string }[] | null;
  travel_policy?: Named | null;
  manager_id?: string | null;
  cost_center?: string | null;
  is_active?: boolean | null;
  /**
   * The SCIM attributes a client sent that have no field above (externalId, displayName, title,
   * name.middleName, other e-mails, enterprise department, the emergency contact...), as a SCIM
   * document fragment; absent when there are none. Never shown by the contract's REST API.
   */
  scim?: Record<string, unknown>;
};

/** SCIM `meta` of a user or group: set on creation, `lastModified` and `version` move on every write. */
export interface Meta {
  created: string;
  lastModified: string;
  version: number;
}

/** A cost centre of the live surface; its members are the users whose `cost_center` is its name. */
export interface CostCenter {
  id: string;
  name: string;
  archived: boolean;
}

/** An invoice profile of the live surface, with the billing fields the public clients record. */
export interface InvoiceProfile extends Named {
  payment_method_type: "automatic" | "manual";
  billing_period: "instant" | "weekly" | "biweekly" | "monthly";
  currency: string;
  billing_information: {
    legal_name: string;
    vat_number: string | null;
    address_line_1: string;
    address_line_2: string | null;
    city: string;
    postal_code: string;
    country_name: string;
  };
}

/** The whole state, as the persistence file and `GET /_sandbox/state` hold it. */
export interface Snapshot {
  users: SandboxUser[];
  policies: Named[];
  groups: Named[];
  members: Record<string, string[]>;
  meta?: { users: Record<string, Meta>; groups: Record<string, Meta> };
  /** SCIM attributes of groups with no field in `groups` (externalId). */
  groupScim?: Record<string, Record<string, unknown>>;
  /** Live mode only. */
  costCenters?: CostCenter[];
  /** Live mode only: invoice profiles. */
  profiles?: InvoiceProfile[];
  /** Numeric ids only: the next id of each kind (ids are never reused). */
  next?: { user: number; group: number; costCenter: number };
}
