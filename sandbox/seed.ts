/**
 * What a seeded sandbox starts with: three travel policies, four groups and, on the live surface, three
 * cost centres and two invoice profiles with the billing fields public clients record. Data only.
 */
import type { InvoiceProfile } from "./records";

export const SEED_POLICIES = ["Standard", "Executive", "Sales Team"];
export const SEED_GROUPS = ["Engineering", "Sales", "Marketing", "Operations"];
export const SEED_COST_CENTERS = ["ENG", "SALES", "OPS"];

export const SEED_PROFILES: Omit<InvoiceProfile, "id">[] = [
  {
    name: "Acme Europe S.L.",
    payment_method_type: "automatic",
    billing_period: "instant",
    currency: "EUR",
    billing_information: {
      legal_name: "Acme Europe S.L.",
      vat_number: "ESB00000000",
      address_line_1: "Calle Ejemplo 1",
      address_line_2: "Planta 2",
      city: "Barcelona",
      postal_code: "08001",
      country_name: "Spain",
    },
  },
  {
    name: "Acme Inc.",
    payment_method_type: "manual",
    billing_period: "monthly",
    currency: "USD",
    billing_information: {
      legal_name: "Acme Inc.",
      vat_number: "US000000000",
      address_line_1: "1 Example Avenue",
      address_line_2: "Suite 100",
      city: "New York",
      postal_code: "10001",
      country_name: "United States",
    },
  },
];
