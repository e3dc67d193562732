/**
 * Dates and protection without an engine: the calendar of a roster file on a day, the horizon lists,
 * role ranks, the guard (protected people, the admin floor, the offboarding limit) on hand-made
 * plans, the Markdown, and `summarize --roster` run in-process on an event log.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../provider/cli/main";
import { todayIn } from "../provider/roster/dates";
import {
  isDemotion,
  parseHorizon,
  parseMinAdmins,
  rosterCalendar,
  upcoming,
  type RosterCalendar,
} from "../provider/roster/lifecycle";
import { parseRoster, RosterError } from "../provider/roster/load";
import { resolveRoster } from "../provider/roster/resolve";
import {
  rosterGuard,
  summarize,
  summaryMarkdown,
  type GuardResult,
  type PlannedStep,
  type RosterSummary,
} from "../provider/roster/summary";

const roster = `defaults:
  timeZone: Europe/Madrid
people:
  - email: ada@example.com
    firstName: Ada
    lastName: Admin
    role: company_admin
    protect: true
  - email: ben@example.com
    firstName: Ben
    lastName: Soon
    startDate: 2026-03-10
  - email: cleo@example.com
    firstName: Cleo
    lastName: Gone
    endDate: 2026-03-01
  - email: dora@example.com
    firstName: Dora
    lastName: Leaving
    endDate: 2026-03-16
    protect: true
`;
const TODAY = "2026-03-02";
const calendar = (horizonDays = 14, text = roster) =>
  rosterCalendar(parseRoster(text, "roster.yaml"), { today: TODAY, horizonDays });

describe("the calendar", () => {
  test("each person's standing on the day, in the roster's zone", () => {
    const c = calendar();
    expect(c).toMatchObject({ today: TODAY, timeZone: "Europe/Madrid", horizonDays: 14 });
    expect(c.people.map((p) => [p.email, p.tenure, p.protect])).toEqual([
      ["ada@example.com", "current", true],
      ["ben@example.com", "pending", false],
      ["cleo@example.com", "ended", false],
      ["dora@example.com", "current", true],
    ]);
    // The first working day is current, the day after the last is ended.
    const onStart = rosterCalendar(parseRoster(roster, "roster.yaml"), { today: "2026-03-10" });
    expect(onStart.people.at(1)?.tenure).toBe("current");
    const afterEnd = rosterCalendar(parseRoster(roster, "roster.yaml"), { today: "2026-03-17" });
    expect(afterEnd.people.at(3)?.tenure).toBe("ended");
    expect(rosterCalendar(parseRoster(roster, "roster.yaml")).today).toBe(todayIn("Europe/Madrid"));
    expect(rosterCalendar(parseRoster("people: []\n", "r.yaml")).timeZone).toBe("UTC");
  });

  test("starting and leaving: from today through today+N, both included", () => {
    expect(upcoming(calendar(14))).toEqual({
      starting: [{ email: "ben@example.com", key: "ben@example.com", date: "2026-03-10", inDays: 8 }],
      leaving: [{ email: "dora@example.com", key: "dora@example.com", date: "2026-03-16", inDays: 14 }],
    });
    expect(upcoming(calendar(13)).leaving).toEqual([]);
    expect(upcoming(calendar(7)).starting).toEqual([]);
    expect(upcoming(calendar(8)).starting).toHaveLength(1);
    // A date that passed is not "leaving" any more.
    expect(upcoming(calendar(30)).leaving.map((p) => p.email)).toEqual(["dora@example.com"]);
  });

  test("an endDate before its startDate is refused with file:line and field, by both readers", () => {
    const bad = roster.replace("    startDate: 2026-03-10\n", "    startDate: 2026-03-10\n    endDate: 2026-03-09\n");
    const expected = [
      "roster.yaml:13 people[1].endDate: 2026-03-09 is before startDate 2026-03-10: the last working day cannot come before the first",
    ];
    expect(() => calendar(14, bad)).toThrow(RosterError);
    try {
      calendar(14, bad);
    } catch (error) {
      expect((error as RosterError).problems).toEqual(expected);
    }
    try {
      resolveRoster(parseRoster(bad, "roster.yaml"), { policies: [], groups: [] });
      throw new Error("accepted");
    } catch (error) {
      expect((error as RosterError).problems).toEqual(expected);
    }
    // The same day for both is one working day.
    const oneDay = roster.replace(
      "    startDate: 2026-03-10\n",
      "    startDate: 2026-03-10\n    endDate: 2026-03-10\n",
    );
    expect(resolveRoster(parseRoster(oneDay, "roster.yaml"), { policies: [], groups: [] })[1]).toMatchObject({
      startDate: "2026-03-10",
      endDate: "2026-03-10",
      protect: false,
    });
  });

  test("flags: --horizon and --min-admins are whole numbers; roles rank company_admin > travel_manager > others", () => {
    expect(parseHorizon("0")).toBe(0);
    expect(() => parseHorizon("-1")).toThrow(/--horizon/);
    expect(parseMinAdmins("2")).toBe(2);
    expect(() => parseMinAdmins("1.5")).toThrow(/--min-admins/);
    expect(isDemotion("company_admin", "travel_manager")).toBe(true);
    expect(isDemotion("travel_manager", "traveler")).toBe(true);
    expect(isDemotion("traveler", "company_admin")).toBe(false);
    expect(isDemotion("company_admin", undefined)).toBe(false); // no longer managed: TravelPerk keeps it
  });
});

// ---------------------------------------------------------------------------------------------------
// Hand-made plans: User steps as the engine reports them.

const USER_TYPE = "pulumi-nodejs:dynamic/travelperk:User";
interface Account {
  role?: string;
  isActive?: boolean;
  onDelete?: string;
}
const state = (email: string, a: Account) => ({
  email,
  firstName: "F",
  lastName: "L",
  ...(a.role ? { role: a.role } : {}),
  isActive: a.isActive ?? true,
  onDelete: a.onDelete ?? "deactivate",
});
const urn = (key: string) => `urn:pulumi:dev::p::travelperk:index:Roster$${USER_TYPE}::${key}`;
const same = (email: string, a: Account): PlannedStep => ({
  op: "same",
  urn: urn(email),
  type: USER_TYPE,
  name: email,
  oldId: `id-${email}`,
  oldInputs: state(email, a),
  oldOutputs: state(email, a),
  newInputs: state(email, a),
  diffs: [],
});
const update = (email: string, from: Account, to: Account): PlannedStep => {
  const a: Record<string, unknown> = state(email, from);
  const b: Record<string, unknown> = state(email, to);
  return {
    ...same(email, from),
    op: "update",
    newInputs: b,
    diffs: Object.keys({ ...a, ...b }).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])),
  };
};
const remove = (email: string, a: Account, key = email): PlannedStep => ({
  ...same(email, a),
  op: "delete",
  urn: urn(key),
  name: key,
  newInputs: undefined,
});
const create = (email: string, a: Account, key = email): PlannedStep => ({
  op: "create",
  urn: urn(key),
  type: USER_TYPE,
  name: key,
  newInputs: state(email, a),
  diffs: [],
});

const guardOf = (steps: PlannedStep[], c: RosterCalendar | undefined, options = {}) => {
  const summary = summarize(steps, new Map(), c);
  return { summary, guard: rosterGuard(summary, steps, options) };
};

describe("the guard", () => {
  test("demoting a protected person trips and names them; --allow-protected lets that change pass", () => {
    const steps = [update("ada@example.com", { role: "company_admin" }, { role: "travel_manager" })];
    // Two admins, so only the protection trips.
    steps.push(same("zed@example.com", { role: "company_admin" }));
    const { guard } = guardOf(steps, calendar());
    expect(guard.tripped).toBe(true);
    expect(guard.reasons).toEqual([
      "protected person ada@example.com would be demoted (role company_admin → travel_manager); pass --allow-protected ada@example.com once the change is reviewed",
    ]);
    const allowed = guardOf(steps, calendar(), { allowProtected: ["ADA@example.com"] }).guard;
    expect(allowed).toMatchObject({ tripped: false, reasons: [] });
    expect(allowed.protectedChanges).toEqual([expect.objectContaining({ change: "demoted", allowed: true })]);
    expect(allowed.admins).toEqual({ min: 1, before: 2, remaining: 1, losing: ["ada@example.com"], tripped: false });
  });

  test("a role no longer declared is not a demotion; a promotion is none either", () => {
    const unmanaged: PlannedStep = { ...update("ada@example.com", { role: "company_admin" }, {}) };
    const { guard } = guardOf([unmanaged], calendar());
    expect(guard).toMatchObject({ tripped: false, protectedChanges: [] });
    expect(guard.admins).toMatchObject({ before: 1, remaining: 1, losing: [] });
    const promoted = update("dora@example.com", { role: "traveler" }, { role: "company_admin" });
    expect(guardOf([promoted], calendar()).guard).toMatchObject({ tripped: false, protectedChanges: [] });
  });

  test("protected: deactivation by isActive, deletion, and an end date passed all trip; a retained removal does not", () => {
    const steps = [
      update("ada@example.com", { role: "company_admin" }, { role: "company_admin", isActive: false }),
      remove("dora@example.com", { onDelete: "delete" }),
      same("zed@example.com", { role: "company_admin" }),
    ];
    const c = rosterCalendar(parseRoster(roster, "roster.yaml"), { today: "2026-03-17" }); // dora's end date passed
    const { guard, summary } = guardOf(steps, c);
    expect(summary.offboarded).toEqual([
      expect.objectContaining({ email: "dora@example.com", reason: "endDate", endDate: "2026-03-16", protected: true }),
    ]);
    expect(guard.protectedChanges.map((p) => [p.email, p.change, p.detail])).toEqual([
      ["ada@example.com", "deactivated", "isActive: false"],
      ["dora@example.com", "deleted", "end date 2026-03-16 passed"],
    ]);
    expect(guard.reasons).toHaveLength(2);
    const retained = [remove("dora@example.com", { onDelete: "retain" })];
    expect(guardOf(retained, c).guard).toMatchObject({ tripped: false, protectedChanges: [] });
  });

  test("admin floor: counted from same steps too; 0 remaining trips; a plan touching no admin never does", () => {
    const secondAdmin = same("y@example.com", { role: "company_admin" });
    const admins = [same("x@example.com", { role: "company_admin" }), secondAdmin];
    const both = [
      update("x@example.com", { role: "company_admin" }, { role: "traveler" }),
      remove("y@example.com", { role: "company_admin" }),
    ];
    const tripped = guardOf(both, undefined).guard;
    expect(tripped.admins).toEqual({
      min: 1,
      before: 2,
      remaining: 0,
      losing: ["x@example.com", "y@example.com"],
      tripped: true,
    });
    expect(tripped.reasons).toEqual([
      "2 company_admins would be demoted or offboarded (x@example.com, y@example.com); 0 would remain, fewer than --min-admins 1",
    ]);
    const one = [update("x@example.com", { role: "company_admin" }, { role: "traveler" }), secondAdmin];
    expect(guardOf(one, undefined).guard.tripped).toBe(false);
    expect(guardOf(one, undefined, { minAdmins: 2 }).guard.reasons).toEqual([
      expect.stringContaining("1 would remain, fewer than --min-admins 2"),
    ]);
    const untouched = [...admins, update("t@example.com", { role: "traveler" }, { role: "travel_manager" })];
    expect(guardOf(untouched, undefined, { minAdmins: 5 }).guard).toMatchObject({
      tripped: false,
      admins: { before: 2, remaining: 2, losing: [], tripped: false },
    });
    // A retained admin stays one; a new key taking the account over is the same admin.
    const retained = [remove("x@example.com", { role: "company_admin", onDelete: "retain" })];
    expect(guardOf(retained, undefined).guard.admins).toMatchObject({ remaining: 1, losing: [] });
    const rekeyed = [
      create("x@example.com", { role: "company_admin" }, "x"),
      remove("x@example.com", { role: "company_admin" }),
    ];
    expect(guardOf(rekeyed, undefined).guard).toMatchObject({ tripped: false, admins: { remaining: 1, losing: [] } });
  });

  test("--max-offboard counts offboardings by end date with removals; its JSON fields stay", () => {
    const steps = [
      remove("cleo@example.com", {}),
      remove("gone@example.com", {}),
      ...["a", "b", "c"].map((n) => same(`${n}@example.com`, {})),
    ];
    const { summary, guard } = guardOf(steps, calendar(), { maxOffboard: "1" });
    expect(summary.offboarded.map((p) => [p.email, p.reason])).toEqual([
      ["cleo@example.com", "endDate"],
      ["gone@example.com", "removed"],
    ]);
    expect(guard).toMatchObject({
      tripped: true,
      limit: 1,
      rule: "1",
      offboarding: ["cleo@example.com", "gone@example.com"],
    });
    expect(guard.reasons).toEqual([
      "2 people would be offboarded; the limit is 1 (--max-offboard 1): cleo@example.com, gone@example.com",
    ]);
    // Without --max-offboard there is no limit, and nothing else here trips.
    const { guard: open } = guardOf(steps, calendar());
    expect(open).toMatchObject({ tripped: false, reasons: [] });
    expect(open.limit).toBeUndefined();
    expect(open.rule).toBeUndefined();
  });
});

describe("the Markdown", () => {
  const render = (steps: PlannedStep[], c: RosterCalendar | undefined, options = {}) => {
    const { summary, guard } = guardOf(steps, c, options);
    return summaryMarkdown(summary, guard, "TravelPerk roster preview");
  };

  test("end dates passed apart from removals, protected people marked, horizon lists, every reason named", () => {
    const steps = [
      remove("cleo@example.com", {}),
      remove("gone@example.com", {}),
      update("ada@example.com", { role: "company_admin" }, { role: "traveler" }),
    ];
    const markdown = render(steps, calendar(), { maxOffboard: "1" });
    expect(markdown).toContain("## TravelPerk roster preview: 0 added, 1 changed, 2 offboarded (1 end date passed)");
    expect(markdown).toContain(
      "### Changed (1)\n\n- **ada@example.com** (protected)\n  - role: `company_admin` → `traveler`",
    );
    expect(markdown).toContain("### Offboarded (1)\n\n- **gone@example.com** — deactivated\n");
    expect(markdown).toContain(
      "### Offboarded: end date passed (1)\n\n- **cleo@example.com** — deactivated — last day 2026-03-01\n",
    );
    expect(markdown).toContain(
      "### Starting within 14 days (1)\n\n- **ben@example.com** — first day 2026-03-10 (in 8 days)",
    );
    expect(markdown).toContain(
      "### Leaving within 14 days (1)\n\n- **dora@example.com** — last day 2026-03-16 (in 14 days)",
    );
    expect(markdown).toContain("Dates applied on 2026-03-02 (Europe/Madrid).");
    expect(markdown).toContain("> **Offboarding guard tripped:** 2 people would be offboarded; the limit is 1");
    expect(markdown).toContain(
      "> **Protected person:** ada@example.com would be demoted (role company_admin → traveler)",
    );
    expect(markdown).toContain(
      "> **Admin floor tripped:** 1 company_admin would be demoted or offboarded (ada@example.com); 0 would remain",
    );
    expect(markdown).toContain("> **Guard tripped** (3 reasons)");
  });

  test("without the roster: no date sections, no protection, one Offboarded section; a quiet guard says nothing", () => {
    const markdown = render(
      [remove("cleo@example.com", {}), same("ada@example.com", { role: "company_admin" })],
      undefined,
    );
    expect(markdown).toBe(
      "## TravelPerk roster preview: 0 added, 0 changed, 1 offboarded\n\n### Offboarded (1)\n\n- **cleo@example.com** — deactivated\n",
    );
  });
});

// ---------------------------------------------------------------------------------------------------

describe("summarize --roster, in-process", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tp-summarize-dates-"));
  const log = path.join(dir, "events.jsonl");
  const rosterFile = path.join(dir, "roster.yaml");
  const event = (s: PlannedStep) => ({
    resourcePreEvent: {
      metadata: {
        op: s.op,
        urn: s.urn,
        type: s.type,
        old: s.oldInputs ? { id: s.oldId, inputs: s.oldInputs, outputs: s.oldOutputs } : undefined,
        new: s.newInputs ? { inputs: s.newInputs } : undefined,
        diffs: s.diffs,
      },
    },
  });
  beforeAll(() => {
    fs.writeFileSync(rosterFile, roster);
    const steps = [
      same("ada@example.com", { role: "company_admin" }),
      remove("dora@example.com", {}), // protected, end date passed on 2026-03-17
    ];
    fs.writeFileSync(log, steps.map((s) => JSON.stringify(event(s))).join("\n"));
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function run(args: string[]): Promise<{ code: number; stdout: string }> {
    let stdout = "";
    const write = jest.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      stdout += String(chunk);
      return true;
    });
    const stderr = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    const saved = process.exitCode;
    try {
      const code = await main(["node", "pulumi-travelperk", "summarize", "--event-log", log, ...args]);
      return { code, stdout };
    } finally {
      process.exitCode = saved;
      write.mockRestore();
      stderr.mockRestore();
    }
  }
  const parsed = (stdout: string) => JSON.parse(stdout) as { summary: RosterSummary; guard: GuardResult };

  test("with --roster: the reason, protection and the horizon lists; --allow-protected lets it pass", async () => {
    const onTheDay = ["--roster", rosterFile, "--today", "2026-03-17"];
    const tripped = await run([...onTheDay, "--horizon", "3", "--json"]);
    expect(tripped.code).toBe(3);
    const { summary, guard } = parsed(tripped.stdout);
    expect(summary).toMatchObject({ today: "2026-03-17", horizonDays: 3, starting: [], leaving: [] });
    expect(summary.offboarded).toEqual([
      expect.objectContaining({ email: "dora@example.com", reason: "endDate", protected: true }),
    ]);
    expect(guard.reasons).toEqual([expect.stringMatching(/^protected person dora@example\.com would be deactivated/)]);
    const allowed = await run([...onTheDay, "--allow-protected", "dora@example.com"]);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain("> Protected change allowed (--allow-protected dora@example.com)");
  });

  test("without --roster the date sections and protection checks are absent; the admin floor still applies", async () => {
    const plain = await run(["--json"]);
    expect(plain.code).toBe(0);
    const { summary, guard } = parsed(plain.stdout);
    expect(summary.starting).toBeUndefined();
    expect(summary.offboarded.at(0)?.reason).toBeUndefined();
    expect(summary.offboarded.at(0)?.protected).toBeUndefined();
    expect(guard).toMatchObject({ tripped: false, protectedChanges: [], admins: { before: 1, remaining: 1 } });
    expect((await run(["--min-admins", "x"])).code).toBe(2);
    expect((await run(["--today", "17/03/2026"])).code).toBe(2);
  });
});
