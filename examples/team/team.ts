/**
 * The team the demo manages: a dozen people in two departments under two travel policies.
 * Edit a line here (a role, a cost centre, a person) and run `npm run demo -- --preview` to see the plan.
 */
import type { OnDelete, Role } from "pulumi-travelperk";

export interface TeamMember {
  email: string;
  firstName: string;
  lastName: string;
  role?: Role;
  costCenter?: string;
  /** Group (department) names. */
  groups: string[];
  /** Travel policy name. */
  policy: string;
  /** E-mail of the person's manager, who must be in the team too. */
  manager?: string;
  /** What leaving the team does to the account: `deactivate` (default), `delete` or `retain`. */
  onDelete?: OnDelete;
}

export interface Team {
  people: TeamMember[];
}

export const TEAM: Team = {
  people: [
    {
      email: "ada.lovelace@example.com",
      firstName: "Ada",
      lastName: "Lovelace",
      role: "company_admin",
      costCenter: "ENG",
      groups: ["Engineering"],
      policy: "Executive",
    },
    {
      email: "grace.hopper@example.com",
      firstName: "Grace",
      lastName: "Hopper",
      role: "travel_manager",
      costCenter: "ENG",
      groups: ["Engineering"],
      policy: "Standard",
      manager: "ada.lovelace@example.com",
    },
    {
      email: "alan.turing@example.com",
      firstName: "Alan",
      lastName: "Turing",
      costCenter: "ENG",
      groups: ["Engineering"],
      policy: "Standard",
      manager: "grace.hopper@example.com",
    },
    {
      email: "katherine.johnson@example.com",
      firstName: "Katherine",
      lastName: "Johnson",
      costCenter: "ENG",
      groups: ["Engineering"],
      policy: "Standard",
      manager: "grace.hopper@example.com",
    },
    {
      email: "linus.pauling@example.com",
      firstName: "Linus",
      lastName: "Pauling",
      costCenter: "ENG",
      groups: ["Engineering"],
      policy: "Standard",
      manager: "grace.hopper@example.com",
    },
    {
      email: "margaret.hamilton@example.com",
      firstName: "Margaret",
      lastName: "Hamilton",
      costCenter: "ENG",
      groups: ["Engineering"],
      policy: "Standard",
      manager: "ada.lovelace@example.com",
    },
    {
      email: "mary.jackson@example.com",
      firstName: "Mary",
      lastName: "Jackson",
      role: "travel_manager",
      costCenter: "SALES",
      groups: ["Sales"],
      policy: "Executive",
      manager: "ada.lovelace@example.com",
    },
    {
      email: "john.bardeen@example.com",
      firstName: "John",
      lastName: "Bardeen",
      costCenter: "SALES",
      groups: ["Sales"],
      policy: "Standard",
      manager: "mary.jackson@example.com",
    },
    {
      email: "hedy.lamarr@example.com",
      firstName: "Hedy",
      lastName: "Lamarr",
      costCenter: "SALES",
      groups: ["Sales"],
      policy: "Standard",
      manager: "mary.jackson@example.com",
    },
    {
      email: "claude.shannon@example.com",
      firstName: "Claude",
      lastName: "Shannon",
      costCenter: "SALES",
      groups: ["Sales"],
      policy: "Standard",
      manager: "mary.jackson@example.com",
    },
    {
      email: "rosalind.franklin@example.com",
      firstName: "Rosalind",
      lastName: "Franklin",
      costCenter: "SALES",
      groups: ["Sales", "Engineering"],
      policy: "Standard",
      manager: "mary.jackson@example.com",
    },
    {
      email: "tim.berners-lee@example.com",
      firstName: "Tim",
      lastName: "Berners-Lee",
      costCenter: "ENG",
      groups: ["Engineering"],
      policy: "Standard",
      manager: "grace.hopper@example.com",
    },
  ],
};
