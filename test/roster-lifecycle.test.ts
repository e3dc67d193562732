/**
 * Dates and protection through the roster commands, under the real CLI against the sandbox, with a
 * fixed `--today` so every run is reproducible: start dates crossed between runs, end dates passed,
 * protected people, the admin floor, the horizon lists and the dates' cross-field check. The steps
 * build on each other (day 1, day 2, …).
 */
import * as fs from "fs";
import * as path from "path";
import { at } from "./helpers/at";
import type { Run } from "./helpers/roster-project";
import { expectCode, useRosterSuite } from "./helpers/roster-suite";
import { writes } from "./helpers/sandbox";
import type { GuardResult, RosterSummary } from "../provider/roster/summary";

jest.setTimeout(120_000);

const { sandbox, project, tp } = useRosterSuite("lifecycle-roster", "roster-lifecycle");

const DAY1 = "2026-03-02";
const DAY2 = "2026-03-03";
const DAY4 = "2026-03-05";

interface Person {
  email: string;
  role?: string;
  costCenter?: string;
  startDate?: string;
  endDate?: string;
  protect?: boolean;
}
const person = (p: Person): string =>
  [
    `  - email: ${p.email}`,
    `    firstName: ${p.email.split("@")[0]}`,
    `    lastName: Example`,
    ...(["role", "costCenter", "startDate", "endDate", "protect"] as const)
      .filter((field) => p[field] !== undefined)
      .map((field) => `    ${field}: ${String(p[field])}`),
  ].join("\n");

/** The roster of this file; each test edits it from here. */
const base: Person[] = [
  { email: "ada@example.com", role: "company_admin" }, // the only admin
  { email: "ben@example.com", startDate: DAY2 }, // starts on day 2
  { email: "cleo@example.com", endDate: DAY1 }, // last day is day 1
  { email: "dora@example.com", role: "travel_manager", endDate: "2026-03-04", protect: true },
  { email: "fay@example.com", startDate: "2026-03-16" }, // day 1 + 14
  { email: "gus@example.com" }, // removed from the file on day 2
  { email: "hal@example.com", protect: true }, // removed from the file later: protected by the state
];
let people = base;

function writeRoster(list: Person[] = people): string {
  const text = `# yaml-language-server: $schema=./node_modules/pulumi-travelperk/schema/roster.schema.json
defaults:
  timeZone: Europe/Madrid
  onDelete: deactivate
people:
${list.map(person).join("\n")}
`;
  fs.writeFileSync(path.join(project(), "roster.yaml"), text);
  return text;
}
const edit = (email: string, change: Partial<Person>) =>
  people.map((p) => (p.email === email ? { ...p, ...change } : p));
const without = (...emails: string[]) => people.filter((p) => !emails.includes(p.email));

const json = (run: Run) => JSON.parse(run.stdout) as { summary: RosterSummary; guard: GuardResult; applied?: boolean };
const emails = (list: { email: string }[] | undefined) => (list ?? []).map((p) => p.email);
const active = (email: string) => sandbox().findUserByEmail(email)?.is_active !== false;

test("day 1: a person before their start date is not created; starting and leaving within 14 days are listed", async () => {
  writeRoster();
  const up = await tp(["up", "--today", DAY1, "--json"]);
  expectCode(up, 0);
  const { summary } = json(up);
  expect(emails(summary.added)).toEqual([
    "ada@example.com",
    "cleo@example.com",
    "dora@example.com",
    "gus@example.com",
    "hal@example.com",
  ]);
  expect(sandbox().findUserByEmail("ben@example.com")).toBeUndefined();
  expect(sandbox().findUserByEmail("fay@example.com")).toBeUndefined();
  expect(summary).toMatchObject({ today: DAY1, timeZone: "Europe/Madrid", horizonDays: 14 });
  // Day N is included: fay starts on day 1 + 14.
  expect(summary.starting).toEqual([
    { email: "ben@example.com", key: "ben@example.com", date: DAY2, inDays: 1 },
    { email: "fay@example.com", key: "fay@example.com", date: "2026-03-16", inDays: 14 },
  ]);
  expect(summary.leaving).toEqual([
    { email: "cleo@example.com", key: "cleo@example.com", date: DAY1, inDays: 0 },
    { email: "dora@example.com", key: "dora@example.com", date: "2026-03-04", inDays: 2 },
  ]);
  expect(active("cleo@example.com")).toBe(true); // active through the last working day
});

test("--horizon N: day N is the last one listed, in the Markdown too", async () => {
  const preview = await tp(["preview", "--today", DAY1, "--horizon", "13"]);
  expectCode(preview, 0);
  expect(preview.stdout).toMatch(/0 added, 0 changed, 0 offboarded/);
  expect(preview.stdout).toContain(
    "### Starting within 13 days (1)\n\n- **ben@example.com** — first day 2026-03-03 (tomorrow)",
  );
  expect(preview.stdout).not.toContain("fay@example.com");
  expect(preview.stdout).toContain(
    "### Leaving within 13 days (2)\n\n- **cleo@example.com** — last day 2026-03-02 (today)\n- **dora@example.com** — last day 2026-03-04 (in 2 days)",
  );
  expect(preview.stdout).toContain("Dates applied on 2026-03-02 (Europe/Madrid).");
  expect((await tp(["preview", "--today", "2026-02-30"])).code).toBe(2);
  expect((await tp(["preview", "--horizon", "two"])).code).toBe(2);
});

test("day 2: the start date crossed creates them; the end date passed deactivates, apart from removals; --max-offboard counts both", async () => {
  people = without("gus@example.com");
  writeRoster();
  sandbox().clearLog();
  const guarded = await tp(["up", "--today", DAY2, "--max-offboard", "1"]);
  expectCode(guarded, 3);
  expect(guarded.stdout).toMatch(/Offboarding guard tripped:\*\* 2 people would be offboarded; the limit is 1/);
  expect(writes(sandbox().requests)).toEqual([]);

  const up = await tp(["up", "--today", DAY2, "--max-offboard", "2", "--json", "--summary", "summary.md"]);
  expectCode(up, 0);
  const { summary, guard } = json(up);
  expect(emails(summary.added)).toEqual(["ben@example.com"]);
  expect(summary.offboarded).toEqual([
    expect.objectContaining({ email: "cleo@example.com", offboard: "deactivated", reason: "endDate", endDate: DAY1 }),
    expect.objectContaining({ email: "gus@example.com", offboard: "deactivated", reason: "removed" }),
  ]);
  expect(guard).toMatchObject({ tripped: false, limit: 2, rule: "2", reasons: [] });
  expect(sandbox().findUserByEmail("ben@example.com")?.is_active).not.toBe(false);
  expect(active("cleo@example.com")).toBe(false);
  expect(active("gus@example.com")).toBe(false);
  const markdown = fs.readFileSync(path.join(project(), "summary.md"), "utf8");
  expect(markdown).toMatch(/1 added, 0 changed, 2 offboarded \(1 end date passed\)/);
  expect(markdown).toContain("### Offboarded (1)\n\n- **gus@example.com** — deactivated");
  expect(markdown).toContain(
    "### Offboarded: end date passed (1)\n\n- **cleo@example.com** — deactivated — last day 2026-03-02",
  );
});

test("a start date moved later does not offboard someone already created", async () => {
  writeRoster(edit("ben@example.com", { startDate: "2026-03-20" }));
  const preview = await tp(["preview", "--today", DAY2, "--json"]);
  expectCode(preview, 0);
  const { summary } = json(preview);
  expect(summary.offboarded).toEqual([]);
  expect(summary.added).toEqual([]);
  expect(emails(summary.starting)).toEqual(["fay@example.com"]); // ben's new date is beyond the horizon
  writeRoster();
});

test("an end date passed for a protected person trips the guard (exit 3, named); --allow-protected lets it pass", async () => {
  sandbox().clearLog();
  const refused = await tp(["up", "--today", DAY4]);
  expectCode(refused, 3);
  expect(refused.stdout).toContain("TravelPerk roster NOT applied");
  expect(refused.stdout).toContain(
    "> **Protected person:** dora@example.com would be deactivated (end date 2026-03-04 passed)",
  );
  expect(refused.stdout).toContain("--allow-protected dora@example.com");
  expect(refused.stdout).toContain("- **dora@example.com** (protected) — deactivated — last day 2026-03-04");
  expect(writes(sandbox().requests)).toEqual([]);
  expect(active("dora@example.com")).toBe(true);

  const allowed = await tp(["up", "--today", DAY4, "--allow-protected", "dora@example.com", "--json"]);
  expectCode(allowed, 0);
  const { guard, applied } = json(allowed);
  expect(applied).toBe(true);
  expect(guard.tripped).toBe(false);
  expect(guard.protectedChanges).toEqual([
    {
      email: "dora@example.com",
      key: "dora@example.com",
      change: "deactivated",
      detail: "end date 2026-03-04 passed",
      allowed: true,
    },
  ]);
  expect(active("dora@example.com")).toBe(false);
});

test("removing a protected person from the file trips too: the state remembers the protection", async () => {
  people = without("hal@example.com");
  writeRoster();
  const preview = await tp(["preview", "--today", DAY4, "--json"]);
  expectCode(preview, 3);
  const { guard } = json(preview);
  expect(guard.reasons).toEqual([
    "protected person hal@example.com would be deactivated (removed from the roster); pass --allow-protected hal@example.com once the change is reviewed",
  ]);
  people = [...people, at(base, -1)];
  writeRoster();
});

test("admin floor: demoting the only admin trips with 0 would remain; a plan touching no admin passes whatever --min-admins", async () => {
  writeRoster(edit("ada@example.com", { role: "traveler" }));
  const demoted = await tp(["preview", "--today", DAY4, "--json"]);
  expectCode(demoted, 3);
  const { guard } = json(demoted);
  expect(guard.admins).toEqual({ min: 1, before: 1, remaining: 0, losing: ["ada@example.com"], tripped: true });
  expect(guard.reasons).toEqual([
    "1 company_admin would be demoted or offboarded (ada@example.com); 0 would remain, fewer than --min-admins 1",
  ]);
  const markdown = await tp(["preview", "--today", DAY4]);
  expectCode(markdown, 3);
  expect(markdown.stdout).toContain("> **Admin floor tripped:** 1 company_admin would be demoted or offboarded");
  expect(markdown.stdout).toContain("0 would remain, fewer than --min-admins 1");
  expect((await tp(["preview", "--today", DAY4, "--min-admins", "0"])).code).toBe(0);

  writeRoster(edit("ben@example.com", { costCenter: "OPS-7" }));
  const untouched = await tp(["preview", "--today", DAY4, "--min-admins", "5", "--json"]);
  expectCode(untouched, 0);
  const result = json(untouched);
  expect(emails(result.summary.changed)).toEqual(["ben@example.com"]);
  expect(result.guard).toMatchObject({ tripped: false, admins: { min: 5, before: 1, remaining: 1, losing: [] } });
  writeRoster();
});

test("an endDate before the startDate is refused with file:line and field, before anything runs", async () => {
  const text = writeRoster(edit("ben@example.com", { startDate: "2026-03-20", endDate: "2026-03-19" }));
  const line = text.split("\n").findIndex((l) => l.includes("endDate: 2026-03-19")) + 1;
  sandbox().clearLog();
  const result = await tp(["up", "--today", DAY4]);
  expectCode(result, 1);
  expect(result.stderr).toContain(
    `roster.yaml:${line} people[1].endDate: 2026-03-19 is before startDate 2026-03-20: the last working day cannot come before the first`,
  );
  expect(sandbox().requests).toEqual([]);
  writeRoster();
});
