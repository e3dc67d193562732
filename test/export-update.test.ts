/**
 * `export --update FILE [--check]`: drift from TravelPerk written back into the roster file.
 *
 * First the document edit alone (roster/update.ts `updateRoster`: the file's text and the
 * organisation in, the new text and the change list out), then the command as a team runs it: the
 * installed CLI under the real Pulumi CLI against the sandbox, after `up` of the 30-person example.
 */
import * as fs from "fs";
import * as path from "path";
import fc from "fast-check";
import { parse } from "yaml";
import { buildCli } from "../provider/cli/main";
import type { User } from "../provider/client/users";
import { RosterError } from "../provider/roster/load";
import type { Named } from "../provider/names";
import { organisationOf, type Organisation } from "../provider/roster/organisation";
import { updateRoster } from "../provider/roster/update";
import { describeChange, describeUpdate, type RosterUpdate } from "../provider/roster/update-changes";
import { startSandbox, type SandboxServer } from "../sandbox/server";
import { at } from "./helpers/at";
import { RosterProject } from "./helpers/roster-project";
import { requestLine, writes } from "./helpers/sandbox";

const ROOT = path.resolve(__dirname, "..");
const EXAMPLE = fs.readFileSync(path.join(ROOT, "examples/roster/roster.yaml"), "utf8");

/**
 * The lines of `before` that are not in `after` and those of `after` not in `before`, in order (a
 * longest-common-subsequence line diff): what a reviewer sees in the pull request.
 */
function lineDiff(before: string, after: string): { removed: string[]; added: string[] } {
  const a = before.split("\n");
  const b = after.split("\n");
  // lcs[i][j]: the length of the longest common subsequence of a[i..] and b[j..]; 0 past either end.
  const lcs = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  const common = (i: number, j: number) => lcs[i]?.[j] ?? 0;
  for (let i = a.length - 1; i >= 0; i--) {
    const row = at(lcs, i);
    for (let j = b.length - 1; j >= 0; j--)
      row[j] = a[i] === b[j] ? common(i + 1, j + 1) + 1 : Math.max(common(i + 1, j), common(i, j + 1));
  }
  const removed: string[] = [];
  const added: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      i++;
      j++;
    } else if (j < b.length && (i >= a.length || common(i, j + 1) >= common(i + 1, j))) added.push(at(b, j++));
    else removed.push(at(a, i++));
  }
  return { removed, added };
}

/** An edit of `before` as the pull request shows it: the change list the command prints, and the line diff. */
function review(before: string, result: RosterUpdate): { changes: string[]; removed: string[]; added: string[] } {
  return { changes: result.changes.map(describeChange), ...lineDiff(before, result.text) };
}

// ---------------------------------------------------------------------------------------------------
// An organisation that holds exactly what a roster says (as `up` would leave it), to be edited.

interface FilePerson {
  email: string;
  key?: string;
  firstName: string;
  lastName: string;
  role?: string;
  language?: string;
  nationality?: string;
  costCenter?: string;
  travelPolicy?: string;
  groups?: string[];
  manager?: string;
  isActive?: boolean;
}

const POLICIES: Named[] = [
  { id: "pol_standard", name: "Standard" },
  { id: "pol_executive", name: "Executive" },
  { id: "pol_sales", name: "Sales Team" },
];
const GROUPS: Named[] = ["Operations", "Engineering", "Sales", "Marketing"].map((name) => ({
  id: `grp_${name.toLowerCase()}`,
  name,
}));
const idOf = (email: string) => `usr_${at(email.split("@"), 0).replace(/\W/g, "_")}`;

class Org {
  users: User[];
  members = new Map<string, string[]>(GROUPS.map((g) => [g.id, []]));

  constructor(text: string) {
    const file = parse(text) as { defaults?: { travelPolicy?: string }; people: FilePerson[] };
    this.users = file.people.map((p) => this.user(p, file.defaults?.travelPolicy));
  }

  user(p: FilePerson, defaultPolicy?: string): User {
    const policy = p.travelPolicy ?? defaultPolicy;
    const id = idOf(p.email);
    for (const name of p.groups ?? []) this.members.get(GROUPS.find((g) => g.name === name)!.id)!.push(id);
    return {
      id,
      email: p.email,
      firstName: p.firstName,
      lastName: p.lastName,
      role: (p.role ?? "traveler") as User["role"],
      phoneNumber: null,
      language: p.language ?? null,
      gender: null,
      dateOfBirth: null,
      nationality: p.nationality ?? null,
      invoicingProfiles: [],
      costCenter: p.costCenter ?? null,
      managerId: p.manager ? idOf(p.manager) : null,
      isActive: p.isActive ?? true,
      travelPolicyId: policy ? POLICIES.find((x) => x.name === policy)!.id : null,
    };
  }

  get(email: string): User {
    const user = this.users.find((u) => u.email === email);
    if (!user) throw new Error(`no ${email}`);
    return user;
  }

  add(p: FilePerson): void {
    this.users.push(this.user(p));
  }

  /** `listed: false`: an organisation that serves no policy listing. */
  organisation({ listed = true } = {}): Organisation {
    const policies = listed ? POLICIES : undefined;
    return organisationOf({ users: this.users, groups: GROUPS, members: this.members, policies });
  }
}

const TODAY = "2025-06-15";
const update = (text: string, org: Org, today = TODAY) =>
  updateRoster(text, org.organisation(), { today, source: "roster.yaml" });

describe("the document edit (updateRoster)", () => {
  test("a file that agrees with the organisation is left as it is", () => {
    const result = update(EXAMPLE, new Org(EXAMPLE));
    expect(result.changes).toEqual([]);
    expect(result.text).toBe(EXAMPLE);
    expect(describeUpdate(result, "roster.yaml", true)).toBe("roster.yaml agrees with TravelPerk: no change.\n");
  });

  test("a changed field is one changed line; a default that differs becomes the person's own field", () => {
    const org = new Org(EXAMPLE);
    org.get("jonas.weber@example.com").costCenter = "ENG-300";
    org.get("chloe.dubois@example.com").travelPolicyId = "pol_executive"; // the file says nothing: defaults.travelPolicy
    const result = update(EXAMPLE, org);
    expect(review(EXAMPLE, result)).toEqual({
      changes: [
        "jonas.weber@example.com: costCenter ENG-200 → ENG-300",
        "chloe.dubois@example.com: travelPolicy Standard (defaults) → Executive",
      ],
      removed: ["    costCenter: ENG-200"],
      added: ["    costCenter: ENG-300", "    travelPolicy: Executive"],
    });
    // Where export would put it: after costCenter, before groups.
    expect(result.text).toContain(
      "    costCenter: ENG-200\n    travelPolicy: Executive\n    groups: [Engineering]\n    manager: amara.okafor@example.com\n  - email: mateo.rossi",
    );
    expect(update(result.text, org).changes).toEqual([]);
  });

  test("fields the file does not set are not managed: left absent", () => {
    const org = new Org(EXAMPLE);
    Object.assign(org.get("jonas.weber@example.com"), {
      phoneNumber: "+4915112345678",
      gender: "male",
      role: "travel_manager",
    });
    expect(update(EXAMPLE, org).changes).toEqual([]);
    // defaults.role manages the role of everyone without one.
    const withRole = EXAMPLE.replace("  onDelete: deactivate\n", "  onDelete: deactivate\n  role: traveler\n");
    const result = update(withRole, org);
    expect(review(withRole, result)).toEqual({
      changes: ["jonas.weber@example.com: role traveler (defaults) → travel_manager"],
      removed: [],
      added: ["    role: travel_manager"],
    });
    expect(result.text).toContain("    lastName: Weber\n    role: travel_manager\n    language: de\n");
  });

  test("names and ids: a reference TravelPerk agrees with, by id or in another case, is no change", () => {
    const text = EXAMPLE.replace(
      "travelPolicy: Sales Team\n    groups: [Sales]\n    manager: isabel",
      "travelPolicy: pol_sales\n    groups: [grp_sales]\n    manager: isabel",
    )
      .replace("groups: [Marketing, Sales]", "groups: [marketing, SALES]")
      .replace("travelPolicy: Standard", "travelPolicy: standard");
    expect(text).not.toBe(EXAMPLE);
    expect(update(text, new Org(EXAMPLE)).changes).toEqual([]);
    // An organisation that serves no policy listing: a reference is its id.
    const org = new Org(EXAMPLE);
    const unlisted = updateRoster(text, org.organisation({ listed: false }), { today: TODAY });
    expect(unlisted.changes.map(describeChange)).toContain(
      "jonas.weber@example.com: travelPolicy standard (defaults) → pol_standard",
    );
    expect(unlisted.changes.map(describeChange)).not.toContain(expect.stringMatching(/^ethan\.clarke/));
  });

  test("groups: the references that stay keep their spelling and the file's flow style", () => {
    const text = EXAMPLE.replace("groups: [Marketing, Sales]", "groups: [marketing, Sales]");
    const org = new Org(EXAMPLE);
    const grace = org.get("grace.mensah@example.com").id;
    org.members.set(
      "grp_sales",
      org.members.get("grp_sales")!.filter((id) => id !== grace),
    );
    org.members.get("grp_operations")!.push(grace);
    expect(review(text, update(text, org))).toEqual({
      changes: ["grace.mensah@example.com: groups marketing, Sales → marketing, Operations"],
      removed: ["    groups: [marketing, Sales]"],
      added: ["    groups: [marketing, Operations]"],
    });
  });

  test("authoritative groups: a membership TravelPerk added is the file's even for a person without groups", () => {
    const text = EXAMPLE.replace("people:\n", "groups:\n  Sales:\n    authoritative: true\npeople:\n").replace(
      "    costCenter: ENG-200\n    groups: [Engineering]\n    manager: amara.okafor@example.com\n  - email: chloe",
      "    costCenter: ENG-200\n    manager: amara.okafor@example.com\n  - email: chloe",
    ); // jonas.weber lists no groups
    const org = new Org(EXAMPLE);
    const jonas = org.get("jonas.weber@example.com").id;
    expect(update(text, org).changes).toEqual([]); // Engineering is additive: not the file's
    org.members.get("grp_sales")!.push(jonas);
    const result = update(text, org);
    // With the person's other groups: from now on the file lists them all.
    expect(review(text, result)).toEqual({
      changes: ["jonas.weber@example.com: groups (none) → Engineering, Sales"],
      removed: [],
      added: ["    groups: [Engineering, Sales]"],
    });
    expect(result.text).toContain(
      "    costCenter: ENG-200\n    groups: [Engineering, Sales]\n    manager: amara.okafor@example.com\n",
    );
    expect(update(result.text, org).changes).toEqual([]);
  });

  test("manager: another manager by e-mail; one cleared in TravelPerk removes the line", () => {
    const org = new Org(EXAMPLE);
    org.get("jonas.weber@example.com").managerId = idOf("sofia.martinez@example.com");
    org.get("yuki.tanaka@example.com").managerId = null;
    const result = update(EXAMPLE, org);
    expect(review(EXAMPLE, result)).toEqual({
      changes: [
        "jonas.weber@example.com: manager amara.okafor@example.com → sofia.martinez@example.com",
        "yuki.tanaka@example.com: manager amara.okafor@example.com → (none)",
      ],
      removed: ["    manager: amara.okafor@example.com", "    manager: amara.okafor@example.com"],
      added: ["    manager: sofia.martinez@example.com"],
    });
    expect(result.text.endsWith("    groups: [Engineering]\n")).toBe(true);
    // A manager named by key is the same person.
    const byKey = EXAMPLE.replace(
      "  - email: amara.okafor@example.com\n",
      "  - email: amara.okafor@example.com\n    key: amara\n",
    ).replace("    manager: amara.okafor@example.com\n  - email: chloe", "    manager: amara\n  - email: chloe");
    expect(update(byKey, new Org(EXAMPLE)).changes).toEqual([]);
  });

  test("deactivated in TravelPerk: isActive false, unless the person's endDate has passed", () => {
    const ended = EXAMPLE.replace("    costCenter: ENG-210\n", "    costCenter: ENG-210\n    endDate: 2025-05-31\n"); // mateo (first ENG-210)
    const org = new Org(EXAMPLE);
    for (const email of ["noah.jensen@example.com", "mateo.rossi@example.com"]) org.get(email).isActive = false;
    const result = update(ended, org);
    expect(review(ended, result)).toEqual({
      changes: ["noah.jensen@example.com: isActive true → false"],
      removed: [],
      added: ["    isActive: false"],
    });
    expect(result.text).toContain("    email: noah.jensen@example.com".replace("    ", "  - "));
    expect(result.text).toMatch(
      /noah\.jensen@example\.com\n(?: {4}.*\n)*? {4}manager: amara\.okafor@example\.com\n {4}isActive: false\n/,
    );
    // Before mateo's last day, a deactivated account is drift too.
    expect(update(ended, org, "2025-05-31").changes.map(describeChange)).toEqual([
      "mateo.rossi@example.com: isActive true → false",
      "noah.jensen@example.com: isActive true → false",
    ]);
    // The written file and the organisation agree.
    expect(update(result.text, org).changes).toEqual([]);
    // Reactivated in TravelPerk: the file's isActive false flips.
    org.get("noah.jensen@example.com").isActive = true;
    expect(update(result.text, org).changes.map(describeChange)).toEqual([
      "noah.jensen@example.com: isActive false → true",
    ]);
  });

  test("people the organisation has and the file lacks are appended with adoptExisting; people it lacks are notes", () => {
    const org = new Org(EXAMPLE);
    org.add({
      email: "kai.berg@example.com",
      firstName: "Kai",
      lastName: "Berg",
      language: "de",
      costCenter: "ENG-200",
      travelPolicy: "Standard",
      groups: ["Engineering", "Sales"],
      manager: "amara.okafor@example.com",
    });
    org.add({ email: "old.timer@example.com", firstName: "Old", lastName: "Timer", isActive: false });
    org.users = org.users.filter((u) => u.email !== "ravi.patel@example.com");
    const result = update(EXAMPLE, org);
    expect(result.changes).toEqual([{ kind: "added", email: "kai.berg@example.com" }]);
    expect(describeChange(at(result.changes, 0))).toBe("new: kai.berg@example.com (adoptExisting)");
    expect(result.notes).toEqual(["not in TravelPerk: ravi.patel@example.com (up creates them)"]);
    expect(result.text.startsWith(EXAMPLE)).toBe(true);
    expect(result.text.slice(EXAMPLE.length)).toBe(
      [
        "  - email: kai.berg@example.com",
        "    firstName: Kai",
        "    lastName: Berg",
        "    role: traveler",
        "    language: de",
        "    costCenter: ENG-200",
        "    travelPolicy: Standard",
        "    groups: [Engineering, Sales]",
        "    manager: amara.okafor@example.com",
        "    adoptExisting: true",
        "",
      ].join("\n"),
    );
    expect(update(result.text, org).changes).toEqual([]);
    expect(describeUpdate(result, "roster.yaml", false)).toBe(
      [
        "roster.yaml: 1 change from TravelPerk (not written: --check)",
        "",
        "- new: kai.berg@example.com (adoptExisting)",
        "",
        "Not written:",
        "",
        "- not in TravelPerk: ravi.patel@example.com (up creates them)",
        "",
      ].join("\n"),
    );
  });

  test("comments, blank lines, quoting, odd spacing and another indentation stay byte for byte", () => {
    const text = [
      "# The roster.   Two spaces after the full stop.",
      "defaults:",
      "    travelPolicy: 'Standard'   # everyone",
      "",
      "people:",
      "# Engineering",
      "- key: ana",
      '  email: "ana@example.com"',
      "  firstName: Ana",
      "  lastName: 'Ruiz'",
      '  costCenter: "ENG-1"    # moved in May',
      "  groups: [ Engineering ]",
      "",
      "",
      "# Sales",
      "- email: bo@example.com",
      "  firstName: Bo",
      "  lastName: Ek",
      "  groups:",
      "    - Sales",
      "# the end",
      "",
    ].join("\n");
    const org = new Org(text);
    org.get("ana@example.com").costCenter = "ENG-2";
    org.add({
      email: "cy@example.com",
      firstName: "Cy",
      lastName: "O'Neil",
      groups: ["Sales"],
      travelPolicy: "Standard",
    });
    const result = update(text, org);
    expect(review(text, result)).toEqual({
      changes: ["ana@example.com: costCenter ENG-1 → ENG-2", "new: cy@example.com (adoptExisting)"],
      removed: ['  costCenter: "ENG-1"    # moved in May'],
      added: [
        '  costCenter: "ENG-2" # moved in May',
        "- key: cy@example.com",
        "  email: cy@example.com",
        "  firstName: Cy",
        "  lastName: O'Neil",
        "  role: traveler",
        "  travelPolicy: Standard",
        "  groups: [ Sales ]",
        "  adoptExisting: true",
      ],
    });
    // The newcomer is the last person, before the closing comment.
    expect(result.text.endsWith("  adoptExisting: true\n# the end\n")).toBe(true);
    // Windows line endings stay.
    const crlf = update(text.replace(/\n/g, "\r\n"), org).text;
    expect(crlf).toBe(result.text.replace(/\n/g, "\r\n"));
  });

  test("an exported file: a newcomer joins the people, before the deactivated people's comments", () => {
    const exported = [
      "# Exported from TravelPerk by pulumi-travelperk export: 1 active people, 1 deactivated (listed as comments at the end).",
      "defaults:",
      "  adoptExisting: true",
      "people:",
      "  - key: ana@example.com",
      "    email: ana@example.com",
      "    firstName: Ana",
      "    lastName: Ruiz",
      "",
      "# Deactivated in TravelPerk (uncomment a person to reactivate them):",
      "#   - key: old@example.com",
      "#     email: old@example.com",
      "",
    ].join("\n");
    const org = new Org(exported);
    org.add({ email: "bo@example.com", firstName: "Bo", lastName: "Ek" });
    const result = update(exported, org);
    expect(lineDiff(exported, result.text).removed).toEqual([]);
    expect(result.text).toContain(
      "    lastName: Ruiz\n  - key: bo@example.com\n    email: bo@example.com\n    firstName: Bo\n    lastName: Ek\n    role: traveler\n    adoptExisting: true\n\n# Deactivated",
    );
  });

  test("property: any mix of drift is one line per scalar change, the rest byte for byte, and a fixpoint", () => {
    const emails = (parse(EXAMPLE) as { people: FilePerson[] }).people.map((p) => p.email);
    const drift = fc.record({
      person: fc.constantFrom(...emails),
      what: fc.constantFrom("costCenter", "lastName", "nationality", "deactivate", "policy"),
      value: fc.constantFrom("X-1", "Y-2", "Zed"),
    });
    let runs = 0;
    fc.assert(
      fc.property(fc.uniqueArray(drift, { selector: (d) => d.person, maxLength: 8 }), (edits) => {
        runs++;
        const org = new Org(EXAMPLE);
        for (const { person, what, value } of edits) {
          const user = org.get(person);
          if (what === "deactivate") user.isActive = false;
          else if (what === "policy") user.travelPolicyId = "pol_sales";
          else if (what === "nationality") user.nationality = "PT";
          else user[what] = value;
        }
        const result = update(EXAMPLE, org);
        const diff = lineDiff(EXAMPLE, result.text);
        // Each change is one line replaced (a field the file sets) or one line added (isActive, a default).
        expect(diff.added.length).toBe(result.changes.length);
        expect(diff.removed.length).toBeLessThanOrEqual(result.changes.length);
        expect(update(result.text, org).changes).toEqual([]);
        expect(parse(result.text)).toBeTruthy();
      }),
      { seed: 20250615, numRuns: 60 },
    );
    console.log(`export --update property: ${runs} runs`);
  });

  test("an invalid file is refused with its line, and nothing is computed", () => {
    expect(() => update(EXAMPLE.replace("email: hana.suzuki@example.com", "email: hana"), new Org(EXAMPLE))).toThrow(
      RosterError,
    );
    expect(() => update(EXAMPLE.replace("email: hana.suzuki@example.com", "email: hana"), new Org(EXAMPLE))).toThrow(
      /roster\.yaml:\d+ people\[6\]\.email/,
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// The command, as a team runs it: installed CLI, real Pulumi CLI, sandbox.

describe("npx pulumi-travelperk export --update roster.yaml [--check]", () => {
  jest.setTimeout(240_000);
  let sandbox: SandboxServer;
  let projects: RosterProject;
  let project: string;
  const tp = (args: string[]) => projects.tp(args, project);
  const rosterFile = () => path.join(project, "roster.yaml");
  const rosterText = () => fs.readFileSync(rosterFile(), "utf8");
  const exportHasToday = () =>
    buildCli()
      .commands.find((c) => c.name() === "export")
      ?.options.some((o) => o.long === "--today") ?? false;

  beforeAll(async () => {
    sandbox = await startSandbox();
    projects = new RosterProject(sandbox);
    project = await projects.create("drift-roster", "dev");
    fs.writeFileSync(rosterFile(), EXAMPLE);
  });
  afterAll(async () => sandbox.stop());

  test("usage: --check needs --update, --update and --output exclude each other (exit 2)", async () => {
    const check = await tp(["export", "--check"]);
    expect(check.code).toBe(2);
    expect(check.stderr).toContain("--check needs --update FILE");
    expect((await tp(["export", "--update", "roster.yaml", "--output", "x.yaml"])).code).toBe(2);
    expect(fs.existsSync(path.join(project, "x.yaml"))).toBe(false);
  });

  test("right after up of the 30-person example, the file and TravelPerk agree (exit 0)", async () => {
    const up = await tp(["up", "--stack", "dev"]);
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/30 added/);
    sandbox.clearLog();
    const check = await tp(["export", "--update", "roster.yaml", "--check", "--stack", "dev"]);
    expect(check.stderr).toBe("");
    expect(check.code).toBe(0);
    expect(check.stdout).toBe("roster.yaml agrees with TravelPerk: no change.\n");
    expect(rosterText()).toBe(EXAMPLE);
    expect(writes(sandbox.requests)).toEqual([]);
    console.log(
      `export --update --check, 30 people, no drift: ${sandbox.requests.length} requests (${sandbox.requests.map(requestLine).join(", ")})`,
    );
  });

  test("drift made in TravelPerk: --check lists it and exits 4, the file untouched; --update writes exactly those lines", async () => {
    const byEmail = (email: string) => sandbox.findUserByEmail(email)!;
    // A field of one person, one account deactivated, one user created in TravelPerk.
    sandbox.updateUser(byEmail("jonas.weber@example.com").id, { cost_center: "ENG-300" });
    sandbox.updateUser(byEmail("noah.jensen@example.com").id, { is_active: false });
    const standard = sandbox.listPolicies().find((p) => p.name === "Standard")!;
    const kai = sandbox.insertUser({
      email: "kai.berg@example.com",
      first_name: "Kai",
      last_name: "Berg",
      role: "traveler",
      language: "de",
      nationality: "DE",
      cost_center: "ENG-200",
      is_active: true,
      travel_policy: standard,
      manager_id: byEmail("amara.okafor@example.com").id,
    });
    const engineering = sandbox.listGroups().find((g) => g.name === "Engineering")!;
    sandbox.setGroupMembers(engineering.id, [...sandbox.groupMembers(engineering.id), kai.id]);

    sandbox.clearLog();
    const check = await tp(["export", "--update", "roster.yaml", "--check", "--stack", "dev"]);
    expect(check.code).toBe(4);
    expect(check.stdout).toBe(
      [
        "roster.yaml: 3 changes from TravelPerk (not written: --check)",
        "",
        "- jonas.weber@example.com: costCenter ENG-200 → ENG-300",
        "- noah.jensen@example.com: isActive true → false",
        "- new: kai.berg@example.com (adoptExisting)",
        "",
      ].join("\n"),
    );
    expect(rosterText()).toBe(EXAMPLE);
    expect(writes(sandbox.requests)).toEqual([]);
    console.log(
      `export --update --check, 30 people + 1 new, 3 changes: ${sandbox.requests.length} requests (${sandbox.requests.map(requestLine).join(", ")})`,
    );

    const written = await tp(["export", "--update", "roster.yaml", "--stack", "dev"]);
    expect(written.code).toBe(0);
    expect(written.stdout).toContain("roster.yaml: 3 changes from TravelPerk\n");
    const text = rosterText();
    expect(lineDiff(EXAMPLE, text)).toEqual({
      removed: ["    costCenter: ENG-200"],
      added: [
        "    costCenter: ENG-300",
        "    isActive: false",
        "  - email: kai.berg@example.com",
        "    firstName: Kai",
        "    lastName: Berg",
        "    role: traveler",
        "    language: de",
        "    nationality: DE",
        "    costCenter: ENG-200",
        "    travelPolicy: Standard",
        "    groups: [Engineering]",
        "    manager: amara.okafor@example.com",
        "    adoptExisting: true",
      ],
    });
    // The changed lines are the right people's, the comments and the order are as they were.
    expect(text).toMatch(/email: jonas\.weber@example\.com\n(?: {4}.*\n)*? {4}costCenter: ENG-300\n/);
    expect(text).toMatch(/email: noah\.jensen@example\.com\n(?: {4}.*\n)*? {4}isActive: false\n {2}- email: priya/);
    expect(text.split("\n").slice(0, 3)).toEqual(EXAMPLE.split("\n").slice(0, 3));
    const emails = (t: string) => [...t.matchAll(/^ {2}- email: (\S+)$/gm)].map((m) => m[1]);
    expect(emails(text)).toEqual([...emails(EXAMPLE), "kai.berg@example.com"]);

    const again = await tp(["export", "--update", "roster.yaml", "--check", "--stack", "dev"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe("roster.yaml agrees with TravelPerk: no change.\n");

    // And the roster as written is what TravelPerk holds: a refreshed preview adopts the newcomer, changes nobody.
    const preview = await tp(["preview", "--stack", "dev", "--refresh", "--json"]);
    expect(preview.code).toBe(0);
    const { summary } = JSON.parse(preview.stdout) as {
      summary: { added: { email: string }[]; changed: unknown[]; offboarded: unknown[] };
    };
    expect(summary.added.map((p) => p.email)).toEqual(["kai.berg@example.com"]);
    expect(summary.changed).toEqual([]);
    expect(summary.offboarded).toEqual([]);
  });

  test("deactivated after a past endDate is no drift; before the last day it is", async () => {
    const withEnd = rosterText().replace(
      "    costCenter: OPS-110\n    groups: [Operations]\n    manager: liam.obrien@example.com\n  - email: ravi",
      "    costCenter: OPS-110\n    groups: [Operations]\n    manager: liam.obrien@example.com\n    endDate: 2024-03-31\n  - email: ravi",
    );
    expect(withEnd).not.toBe(rosterText()); // elena.popescu's entry
    fs.writeFileSync(rosterFile(), withEnd);
    sandbox.updateUser(sandbox.findUserByEmail("elena.popescu@example.com")!.id, { is_active: false });
    const check = await tp(["export", "--update", "roster.yaml", "--check", "--stack", "dev"]);
    expect(check.stdout).toBe("roster.yaml agrees with TravelPerk: no change.\n");
    expect(check.code).toBe(0);
    expect((await tp(["export", "--update", "roster.yaml", "--stack", "dev"])).code).toBe(0);
    expect(rosterText()).toBe(withEnd);
    if (exportHasToday()) {
      const checkOn = (today: string) =>
        tp(["export", "--update", "roster.yaml", "--check", "--stack", "dev", "--today", today]);
      const before = await checkOn("2024-03-31");
      expect(before.code).toBe(4);
      expect(before.stdout).toContain("- elena.popescu@example.com: isActive true → false\n");
      expect((await checkOn("2024-04-01")).code).toBe(0);
    }
  });
});
