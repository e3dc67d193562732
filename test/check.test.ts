/** A table of bad inputs: each fails `check` naming the field, and no request reaches the sandbox. */
import * as pulumi from "@pulumi/pulumi";
import * as runtime from "../provider/runtime";
import { useSandbox } from "./helpers/sandbox";

const { unknownValue } = pulumi.runtime;

const sandbox = useSandbox();
const validUser = { email: "jane@example.com", firstName: "Jane", lastName: "Doe" };

const badUsers: [string, Record<string, unknown>, string, RegExp][] = [
  ["missing e-mail", { email: undefined }, "email", /required/],
  ["malformed e-mail", { email: "jane.example.com" }, "email", /e-mail/],
  ["missing first name", { firstName: undefined }, "firstName", /required/],
  ["blank last name", { lastName: "   " }, "lastName", /empty/],
  ["unknown role", { role: "admin" }, "role", /"traveler", "travel_manager", "company_admin"/],
  ["phone with spaces", { phoneNumber: "+34 600 123 456" }, "phoneNumber", /E\.164/],
  ["phone without plus", { phoneNumber: "34600123456" }, "phoneNumber", /E\.164/],
  ["language in upper case", { language: "EN" }, "language", /ISO 639-1/],
  ["three-letter language", { language: "eng" }, "language", /ISO 639-1/],
  ["unknown language", { language: "xx" }, "language", /ISO 639-1/],
  ["unknown gender", { gender: "unknown" }, "gender", /"male", "female", "other"/],
  ["date in another format", { dateOfBirth: "26/11/1990" }, "dateOfBirth", /YYYY-MM-DD/],
  ["impossible date", { dateOfBirth: "1990-02-30" }, "dateOfBirth", /calendar/],
  ["future date", { dateOfBirth: "2999-01-01" }, "dateOfBirth", /future/],
  ["nationality not ISO", { nationality: "UK" }, "nationality", /ISO 3166-1/],
  ["nationality lower case", { nationality: "es" }, "nationality", /ISO 3166-1/],
  ["empty manager id", { managerId: "" }, "managerId", /id/],
  ["invoicing profiles not a list", { invoicingProfiles: "ip1" }, "invoicingProfiles", /list/],
  ["an empty invoicing profile id", { invoicingProfiles: ["ip1", ""] }, "invoicingProfiles[1]", /id/],
  ["isActive not a boolean", { isActive: "yes" }, "isActive", /true or false/],
  ["unknown onDelete", { onDelete: "archive" }, "onDelete", /"deactivate", "delete", "retain"/],
  ["adoptExisting not a boolean", { adoptExisting: 1 }, "adoptExisting", /true or false/],
  ["a misspelt property", { phone: "+34600123456" }, "phone", /not a property of travelperk:User/],
  ["cost centre not text", { costCenter: 12 }, "costCenter", /string/],
];

test.each(badUsers)("User with %s fails on %s", async (_name, change, property, reason) => {
  sandbox().clearLog();
  const result = await runtime.user.check({}, { ...validUser, ...change });
  expect(result.inputs).toBeUndefined();
  const failure = result.failures?.find((f) => f.property === property);
  expect(failure?.reason).toMatch(reason);
  expect(sandbox().requests).toHaveLength(0);
});

test("several bad fields are all reported at once", async () => {
  const result = await runtime.user.check({}, { email: "x", firstName: "", lastName: "D", nationality: "Spain" });
  expect(result.failures?.map((f) => f.property).sort()).toEqual(["email", "firstName", "nationality"]);
});

test("valid input passes, keeps the user's words and fills in the defaults", async () => {
  const result = await runtime.user.check(
    {},
    {
      ...validUser,
      email: "Jane@Example.com",
      role: "company_admin",
      phoneNumber: "+34600123456",
      language: "es",
      gender: "female",
      dateOfBirth: "1990-02-28",
      nationality: "ES",
      invoicingProfiles: ["ip-1"],
      managerId: "42",
      costCenter: "",
    },
  );
  expect(result.failures ?? []).toEqual([]);
  expect(result.inputs).toMatchObject({
    email: "Jane@Example.com",
    isActive: true,
    onDelete: "deactivate",
    adoptExisting: false,
    managerId: "42",
  });
});

test("values Pulumi does not know yet (preview) pass check untouched", async () => {
  const result = await runtime.user.check({}, { ...validUser, managerId: unknownValue });
  expect(result.failures ?? []).toEqual([]);
  expect(result.inputs).toMatchObject({ managerId: unknownValue });
  const membership = await runtime.groupMembership.check({}, { groupId: "g1", userId: unknownValue });
  expect(membership.failures ?? []).toEqual([]);
});

const badMemberships: [string, Record<string, unknown>, string][] = [
  ["missing group", { userId: "u1" }, "groupId"],
  ["empty user id", { groupId: "g1", userId: "" }, "userId"],
  ["numeric group id", { groupId: 7, userId: "u1" }, "groupId"],
  ["extra property", { groupId: "g1", userId: "u1", role: "x" }, "role"],
];
test.each(badMemberships)("GroupMembership with %s fails on %s", async (_name, news, property) => {
  const result = await runtime.groupMembership.check({}, news);
  expect(result.failures?.map((f) => f.property)).toContain(property);
});

const badAssignments: [string, Record<string, unknown>, string][] = [
  ["missing policy", { userId: "u1" }, "policyId"],
  ["blank user id", { userId: " ", policyId: "p1" }, "userId"],
];
test.each(badAssignments)("PolicyAssignment with %s fails on %s", async (_name, news, property) => {
  const result = await runtime.policyAssignment.check({}, news);
  expect(result.failures?.map((f) => f.property)).toContain(property);
});

afterAll(() => {
  expect(sandbox().requests).toHaveLength(0);
});
