/**
 * Who books under which travel policy and belongs to which groups. The accounts themselves come from the
 * identity provider (SCIM): add a person here once the IdP has provisioned them, by the e-mail the IdP
 * uses as `userName`.
 */

/** The travel-specific settings of one IdP-owned account. */
export interface TravelAssignment {
  /** The account's e-mail (compared case-insensitively). */
  email: string;
  /** Travel policy name, e.g. "Standard". */
  policy: string;
  /** Group (department) names. */
  groups: string[];
}

export const ASSIGNMENTS: TravelAssignment[] = [
  { email: "ada.lovelace@example.com", policy: "Executive", groups: ["Engineering"] },
  { email: "alan.turing@example.com", policy: "Standard", groups: ["Engineering"] },
  { email: "grace.hopper@example.com", policy: "Standard", groups: ["Engineering", "Operations"] },
  { email: "mary.jackson@example.com", policy: "Sales Team", groups: ["Sales"] },
];
