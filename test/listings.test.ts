/**
 * Every listing, on both transports, against a sandbox that silently caps its pages at 7 (it answers
 * the limit or count asked, never the one it applied): nothing comes back short, and the request log
 * shows the pages it took. REST totals and SCIM totalResults are followed; the live cost centre
 * listing carries no total and is read until an empty page.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as runtime from "../provider/runtime";
import { addGroupMember, listGroupMembers, listGroups } from "../provider/client/groups";
import { policyDirectory } from "../provider/client/policies";
import { listCostCenters } from "../provider/client/cost-centers";
import { findUserByEmail, listUsers } from "../provider/client/users";
import { getGroup, getUser, loadDirectory } from "../provider/lookups";
import { exportRoster } from "../provider/cli/export";
import { parse } from "yaml";
import { useSandbox } from "./helpers/sandbox";
import { TRANSPORTS, envOf } from "./helpers/transports";

const CAP = 7;
const pages = (n: number) => Math.ceil(n / CAP);

describe.each(TRANSPORTS)("$name, pages capped at 7", (t) => {
  const sandbox = useSandbox({ ...t.sandbox, pageCap: CAP }, 5, (s) => envOf(t.config(s)));
  const log = () => sandbox().requests.map(t.line);
  const live = t.name === "scim";

  beforeAll(async () => {
    const s = sandbox();
    s.reset();
    for (let i = 1; i <= 23; i++)
      s.insertUser({
        email: `person${String(i).padStart(2, "0")}@example.com`,
        first_name: `P${String(i)}`,
        last_name: "Example",
        cost_center: `CC${String(i % 10)}`,
      });
    for (let i = 1; i <= 9; i++) s.addGroup(`Group ${String(i)}`);
    if (!live) for (let i = 1; i <= 9; i++) s.addPolicy(`Policy ${String(i)}`);
    // Ten members in one group, added through the provider's own membership calls.
    runtime.startNewCommand();
    const target = s.listGroups().find((g) => g.name === "Group 9")!;
    for (const u of s.listUsers().slice(0, 10)) await addGroupMember(target.id, u.id);
    expect(s.groupMembers(target.id)).toHaveLength(10);
  });

  beforeEach(() => {
    runtime.startNewCommand();
    sandbox().clearLog();
  });

  test("users: every user, one request per capped page", async () => {
    const all = sandbox().listUsers();
    expect(all.length).toBeGreaterThan(3 * CAP);
    const users = await listUsers();
    expect(users.map((u) => u.email).sort()).toEqual(all.map((u) => u.email).sort());
    expect(log()).toEqual(Array(pages(all.length)).fill(t.lines.listUsers));
  });

  test("find by e-mail and getUser find the last person listed", async () => {
    const last = sandbox().listUsers().at(-1)!;
    expect((await findUserByEmail(last.email))?.id).toBe(last.id);
    expect((await getUser({ email: last.email.toUpperCase() })).id).toBe(last.id);
  });

  test("groups: every group; getGroup finds the last", async () => {
    const all = sandbox().listGroups();
    expect(all.length).toBeGreaterThan(CAP);
    expect((await listGroups()).map((g) => g.name).sort()).toEqual(all.map((g) => g.name).sort());
    expect(log()).toHaveLength(pages(all.length));
    const last = all.at(-1)!;
    expect((await getGroup({ name: last.name })).id).toBe(last.id);
  });

  test("members: all ten of a group", async () => {
    const target = sandbox()
      .listGroups()
      .find((g) => g.name === "Group 9")!;
    expect((await listGroupMembers(target.id)).sort()).toEqual(sandbox().groupMembers(target.id).sort());
    // REST pages the member list; SCIM reads the group's members attribute, one request.
    expect(log()).toHaveLength(live ? 1 : pages(10));
  });

  test("travel policies (where listed) and cost centres (where served): none missed", async () => {
    const policies = await policyDirectory();
    if (live) expect(policies).toBeUndefined();
    else
      expect(policies?.map((p) => p.name).sort()).toEqual(
        sandbox()
          .listPolicies()
          .map((p) => p.name)
          .sort(),
      );
    const centers = await listCostCenters();
    if (!live) expect(centers).toBeUndefined();
    else {
      const all = sandbox().listCostCenters();
      expect(all.length).toBeGreaterThan(CAP);
      expect(centers?.map((c) => c.name).sort()).toEqual(all.map((c) => c.name).sort());
      // No total: pages until an empty one.
      expect(log().filter((l) => l.startsWith("GET /cost_centers"))).toHaveLength(pages(all.length) + 1);
    }
    const directory = await loadDirectory();
    expect(directory.groups).toHaveLength(sandbox().listGroups().length);
    if (live) expect(directory.costCenters).toHaveLength(sandbox().listCostCenters().length);
  });

  test("export lists every person and every membership", async () => {
    // Outside a Pulumi project, export reads its credentials from the environment.
    const cwd = process.cwd();
    process.chdir(fs.mkdtempSync(path.join(os.tmpdir(), "tp-export-")));
    const text = await exportRoster({}).finally(() => {
      process.chdir(cwd);
    });
    const yaml = parse(text) as { people: { email: string; groups?: string[] }[] };
    const active = sandbox()
      .listUsers()
      .filter((u) => u.is_active !== false);
    expect(yaml.people.map((p) => p.email).sort()).toEqual(active.map((u) => u.email).sort());
    expect(yaml.people.filter((p) => p.groups?.includes("Group 9"))).toHaveLength(10);
  });
});
