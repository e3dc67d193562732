/**
 * Departments the roster owns (`groups: { Sales: { authoritative: true } }`) through the roster
 * commands, under the real CLI against the sandbox: members added in TravelPerk directly ("outsiders")
 * are listed by the summary, counted by `--max-offboard` and removed by `up`; roster members stay, also
 * while a group switches from additive to authoritative and back. The steps build on each other.
 */
import * as fs from "fs";
import * as path from "path";
import { RosterError, parseRoster } from "../provider/roster/load";
import { resolveRoster, type Directory } from "../provider/roster/resolve";
import type { GuardResult, RosterSummary } from "../provider/roster/summary";
import type { Run } from "./helpers/roster-project";
import { expectCode, useRosterSuite } from "./helpers/roster-suite";
import { requestLine, writes } from "./helpers/sandbox";

jest.setTimeout(120_000);

const { sandbox, projects, project, tp } = useRosterSuite("groups-roster", "roster-groups");
const json = (run: Run) => JSON.parse(run.stdout) as { summary: RosterSummary; guard?: GuardResult; applied?: boolean };
const emails = (list: { email: string }[]) => list.map((p) => p.email);
const markdown = () => fs.readFileSync(path.join(project(), "summary.md"), "utf8");

/** The roster: each person's groups by first name (the e-mail is <name>@example.com), and the groups it owns. */
function writeRoster(people: Record<string, string[]>, authoritative: string[]): void {
  const groups = authoritative.length
    ? `groups:\n${authoritative.map((g) => `  ${g}:\n    authoritative: true`).join("\n")}\n`
    : "";
  const list = Object.entries(people)
    .map(
      ([name, groupNames]) =>
        `  - email: ${name}@example.com\n    firstName: ${name}\n    lastName: Example\n    groups: [${groupNames.join(", ")}]`,
    )
    .join("\n");
  fs.writeFileSync(path.join(project(), "roster.yaml"), `${groups}people:\n${list}\n`);
}

const group = (name: string) =>
  sandbox()
    .listGroups()
    .find((g) => g.name === name)!;
const idOf = (email: string) => sandbox().findUserByEmail(email)!.id;
/** A user made in TravelPerk directly and put in a group there. */
function outsider(email: string, groupName: string): string {
  const id = sandbox().insertUser({ email, first_name: "Out", last_name: "Sider", is_active: true }).id;
  const g = group(groupName);
  sandbox().setGroupMembers(g.id, [...sandbox().groupMembers(g.id), id]);
  return id;
}
const membersOf = (name: string) => sandbox().groupMembers(group(name).id).sort();
const idsOf = (...list: string[]) => list.map(idOf).sort();
/** The roster's children in the stack's state, as `Type::name`. */
async function children(): Promise<string[]> {
  const exported = await projects().pulumi(["stack", "export", "--stack", "dev"], project());
  const deployment = JSON.parse(exported.stdout) as { deployment: { resources?: { urn: string }[] } };
  return (deployment.deployment.resources ?? [])
    .map((r) => r.urn.split("::").slice(2).join("::").replace(/^.*\$/, ""))
    .filter((urn) => urn.startsWith("pulumi-nodejs:dynamic/travelperk:"))
    .map((urn) => urn.replace("pulumi-nodejs:dynamic/travelperk:", ""))
    .sort();
}

test("the groups map: an unknown group and a group named twice fail with file:line at the key", () => {
  const text = [
    "groups:",
    "  Sales:",
    "    authoritative: true",
    "  Slaes:",
    "    authoritative: true",
    "  grp_eng: {}",
    "  engineering: { authoritative: true }",
    "people: []",
  ].join("\n");
  const directory: Directory = {
    policies: [],
    groups: [
      { id: "grp_sales", name: "Sales" },
      { id: "grp_eng", name: "Engineering" },
    ],
  };
  let error: unknown;
  try {
    resolveRoster(parseRoster(text, "roster.yaml"), directory);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(RosterError);
  expect((error as RosterError).problems).toEqual([
    'roster.yaml:4 groups.Slaes: unknown group "Slaes"; the groups are: "Sales", "Engineering"',
    'roster.yaml:7 groups.engineering: group "engineering" is listed twice (also as "grp_eng", roster.yaml:6)',
  ]);
});

test("additive at first: a roster member joins Sales through a membership", async () => {
  writeRoster({ rita: ["Sales"], max: ["Engineering"] }, []);
  expectCode(await tp(["up"]), 0);
  expect(membersOf("Sales")).toEqual(idsOf("rita@example.com"));
  expect(await children()).toContain("GroupMembership::rita@example.com/group/Sales");
});

test("an authoritative group with one outsider and one roster member: the guard counts the outsider, up removes them, the member stays", async () => {
  const out = outsider("outsider@example.com", "Sales");
  // Sales becomes authoritative, and a newcomer joins it (their id is unknown at preview).
  writeRoster({ rita: ["Sales"], max: ["Engineering"], nia: ["Sales"] }, ["Sales"]);
  sandbox().clearLog();
  const preview = await tp(["preview", "--max-offboard", "0", "--json"]);
  expectCode(preview, 3);
  const { summary, guard } = json(preview);
  expect(summary.removedFromGroups).toEqual([{ group: "Sales", userId: out, email: "outsider@example.com" }]);
  expect(emails(summary.added)).toEqual(["nia@example.com"]);
  expect(summary.changed).toEqual([]); // rita's membership is taken over by the list: she neither leaves nor joins
  expect(summary.offboarded).toEqual([]);
  expect(guard).toMatchObject({
    tripped: true,
    limit: 0,
    offboarding: [],
    removedFromGroups: ["outsider@example.com (Sales)"],
  });
  expect(guard?.reasons).toEqual([
    "1 people would be offboarded or removed from authoritative groups; the limit is 0 (--max-offboard 0): outsider@example.com (Sales)",
  ]);
  const blocked = await tp(["up", "--max-offboard", "0", "--summary", "summary.md"]);
  expectCode(blocked, 3);
  expect(markdown()).toContain(
    "### Removed from authoritative groups (1)\n\n- **outsider@example.com** — leaves Sales (not in the roster)",
  );
  expect(markdown()).toContain(
    "**Offboarding guard tripped:** 1 people would be offboarded or removed from authoritative groups; the limit is 0 (--max-offboard 0): outsider@example.com (Sales)",
  );
  expect(writes(sandbox().requests)).toEqual([]);
  expect(membersOf("Sales")).toEqual(idsOf("rita@example.com", "outsider@example.com"));

  sandbox().clearLog();
  const up = await tp(["up", "--max-offboard", "1", "--json", "--summary", "summary.md"]);
  expectCode(up, 0);
  expect(json(up).summary.removedFromGroups).toEqual([{ group: "Sales", userId: out, email: "outsider@example.com" }]);
  expect(markdown()).toMatch(/1 added, 0 changed, 0 offboarded, 1 removed from authoritative groups/);
  expect(membersOf("Sales")).toEqual(idsOf("rita@example.com", "nia@example.com"));
  expect(sandbox().findUserByEmail("outsider@example.com")?.is_active).toBe(true); // only the membership goes
  // Exactly: nia created and added, the outsider removed. Rita's old membership let go of her, no write.
  const sales = group("Sales").id;
  expect(
    writes(sandbox().requests)
      .map(requestLine)
      .filter((line) => line.includes("/groups/"))
      .sort(),
  ).toEqual([`DELETE /groups/${sales}/members/${out}`, `POST /groups/${sales}/members`]);
  const state = await children();
  expect(state).toContain("GroupMembers::group/Sales");
  expect(state).not.toContain("GroupMembership::rita@example.com/group/Sales");
  expect(state).toContain("GroupMembership::max@example.com/group/Engineering"); // other groups stay additive
});

test("a no-op preview reads the group once; drift shows on --refresh, trips the guard and up --refresh removes it", async () => {
  sandbox().clearLog();
  const noop = await tp(["preview", "--max-offboard", "0", "--json"]);
  expectCode(noop, 0);
  expect(json(noop).summary).toMatchObject({ added: [], changed: [], offboarded: [], removedFromGroups: [] });
  expect(writes(sandbox().requests)).toEqual([]);
  console.log(
    `no-op preview with an authoritative group: ${sandbox().requests.length} requests (${sandbox().requests.map(requestLine).join(", ")})`,
  );

  const late = outsider("late@example.com", "Sales");
  sandbox().clearLog();
  const drift = await tp(["preview", "--refresh", "--max-offboard", "0", "--json"]);
  expectCode(drift, 3);
  expect(json(drift).summary.removedFromGroups).toEqual([{ group: "Sales", userId: late, email: "late@example.com" }]);
  expect(writes(sandbox().requests)).toEqual([]);
  const sales = group("Sales").id;
  const listings = sandbox().requests.filter((r) => requestLine(r) === `GET /groups/${sales}/members`).length;
  console.log(`preview --refresh: ${sandbox().requests.length} requests, of which ${listings} listings of Sales`);

  sandbox().clearLog();
  expectCode(await tp(["up", "--refresh"]), 0);
  expect(membersOf("Sales")).toEqual(idsOf("rita@example.com", "nia@example.com"));
  expect(writes(sandbox().requests).map(requestLine)).toEqual([`DELETE /groups/${sales}/members/${late}`]);
});

test("a roster member leaving an authoritative group is a change of that person, not a removal the guard counts", async () => {
  writeRoster({ rita: [], max: ["Engineering"], nia: ["Sales"] }, ["Sales"]);
  const up = await tp(["up", "--max-offboard", "0", "--json"]);
  expectCode(up, 0);
  expect(json(up).summary).toMatchObject({
    removedFromGroups: [],
    changed: [expect.objectContaining({ email: "rita@example.com", leaves: ["Sales"], joins: [] })],
  });
  expect(membersOf("Sales")).toEqual(idsOf("nia@example.com"));
});

test("back to additive: the list's delete leaves the members memberships now hold, and people it never listed", async () => {
  const other = outsider("other@example.com", "Sales");
  writeRoster({ rita: ["Sales"], max: ["Engineering"], nia: ["Sales"] }, []);
  sandbox().clearLog();
  const up = await tp(["up", "--max-offboard", "0", "--json"]);
  expectCode(up, 0);
  // Rita joins; nia was a member through the list and stays one through her membership: no change.
  expect(json(up).summary).toMatchObject({
    removedFromGroups: [],
    changed: [expect.objectContaining({ email: "rita@example.com", joins: ["Sales"], leaves: [] })],
  });
  expect(membersOf("Sales")).toEqual([...idsOf("rita@example.com", "nia@example.com"), other].sort());
  const sales = group("Sales").id;
  expect(writes(sandbox().requests).map(requestLine)).toEqual([`POST /groups/${sales}/members`]);
  const state = await children();
  expect(state).not.toContain("GroupMembers::group/Sales");
  expect(state).toEqual(
    expect.arrayContaining([
      "GroupMembership::nia@example.com/group/Sales",
      "GroupMembership::rita@example.com/group/Sales",
    ]),
  );
});
