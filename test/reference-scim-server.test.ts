/**
 * Smoke test of the reference SCIM server (PyPI scim2-server) that the SCIM transport is tested against.
 * Needs `python3 -m pip install -r requirements-test.txt`; fails (does not skip) without it.
 */
import {
  CORE_USER_SCHEMA,
  ENTERPRISE_USER_SCHEMA,
  PATCH_OP_SCHEMA,
  TRAVELPERK_USER_SCHEMA,
} from "./helpers/reference-scim";
import { useReferenceScim } from "./helpers/use-reference-scim";

interface ScimUser {
  id: string;
  userName: string;
  meta: { location: string; version: string };
  [ENTERPRISE_USER_SCHEMA]?: Record<string, unknown>;
  [TRAVELPERK_USER_SCHEMA]?: Record<string, unknown>;
}

describe("reference SCIM server", () => {
  const server = useReferenceScim();

  it("round-trips a user with the enterprise and TravelPerk extensions", async () => {
    const travelperk = {
      gender: "M",
      dateOfBirth: "1815-12-10",
      travelPolicy: "Standard",
      invoiceProfiles: [{ value: "ES-main" }],
      emergencyContact: { name: "Bob", phone: "+34600000000" },
    };
    const created = await server().request("POST", "/Users", {
      schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, TRAVELPERK_USER_SCHEMA],
      userName: "ada@example.com",
      name: { givenName: "Ada", familyName: "Lovelace" },
      emails: [{ value: "ada@example.com", type: "work", primary: true }],
      phoneNumbers: [{ value: "+34600000001", type: "work" }],
      active: true,
      [ENTERPRISE_USER_SCHEMA]: { costCenter: "CC1", manager: { value: "mgr-1" } },
      [TRAVELPERK_USER_SCHEMA]: travelperk,
    });
    expect(created.status).toBe(201);
    const user = created.body as ScimUser;
    expect(created.headers.get("location")).toBe(user.meta.location);
    expect(created.headers.get("etag")).toBe(user.meta.version);

    const read = await server().request("GET", `/Users/${user.id}`);
    expect(read.status).toBe(200);
    const readUser = read.body as ScimUser;
    expect(readUser[TRAVELPERK_USER_SCHEMA]).toEqual(travelperk);
    expect(readUser[ENTERPRISE_USER_SCHEMA]).toEqual({ costCenter: "CC1", manager: { value: "mgr-1" } });

    const patched = await server().request("PATCH", `/Users/${user.id}`, {
      schemas: [PATCH_OP_SCHEMA],
      Operations: [{ op: "replace", path: `${TRAVELPERK_USER_SCHEMA}:travelPolicy`, value: "Executive" }],
    });
    expect(patched.status).toBe(204);
    const after = (await server().request("GET", `/Users/${user.id}`)).body as ScimUser;
    expect(after[TRAVELPERK_USER_SCHEMA]).toEqual({ ...travelperk, travelPolicy: "Executive" });
  });

  it("refuses a request without the bearer token", async () => {
    const response = await fetch(`${server().url}/Users`);
    expect(response.status).toBe(401);
  });

  it("creates groups and adds members", async () => {
    const user = (
      await server().request("POST", "/Users", { schemas: [CORE_USER_SCHEMA], userName: "grace@example.com" })
    ).body as ScimUser;
    const group = await server().createGroup("Sales", [user.id]);
    const found = await server().request("GET", `/Groups?filter=${encodeURIComponent('displayName eq "Sales"')}`);
    expect(found.body).toMatchObject({ totalResults: 1, Resources: [{ id: group.id, members: [{ value: user.id }] }] });
  });
});
