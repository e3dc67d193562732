/**
 * The root Pulumi.yaml's entry point (dist/examples/team, loaded from its source so no build is needed)
 * under pulumi.runtime.setMocks: it registers one User per person, their memberships and policy
 * assignments, with managers wired by id. Lookups by name go to the sandbox over HTTP (they are not
 * Pulumi invokes, so mocks do not answer them).
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { TEAM } from "../examples/team/team";
import { useSandbox } from "./helpers/sandbox";

const sandbox = useSandbox();
const registered: { type: string; name: string; inputs: Record<string, unknown> }[] = [];

beforeAll(() =>
  pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
        return { id: `id-${args.name}`, state: args.inputs as Record<string, unknown> };
      },
      call: () => ({}),
    },
    "travelperk-team",
    "test",
  ),
);

test("the entry point registers the roster", async () => {
  const yaml = fs.readFileSync(path.resolve(__dirname, "../Pulumi.yaml"), "utf8");
  const main = /main:\s*(\S+)/.exec(yaml)?.[1] ?? "";
  // `npm run build` compiles the entry point into dist/; its source is loaded here, so no build is needed.
  expect(main).toMatch(/^dist\/examples\//);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the entry point Pulumi.yaml names, from source
  const program = require(path.resolve(__dirname, "..", main.replace(/^dist\//, ""))) as () => Promise<{
    users: Record<string, pulumi.Output<string>>;
  }>;
  const outputs = await program();
  await new Promise((resolve) => setTimeout(resolve, 100)); // let the registrations settle

  const users = registered.filter((r) => r.type === "pulumi-nodejs:dynamic/travelperk:User");
  const memberships = registered.filter((r) => r.type === "pulumi-nodejs:dynamic/travelperk:GroupMembership");
  const policies = registered.filter((r) => r.type === "pulumi-nodejs:dynamic/travelperk:PolicyAssignment");
  expect(users.map((u) => u.name).sort()).toEqual(TEAM.people.map((p) => p.email).sort());
  expect(memberships).toHaveLength(TEAM.people.reduce((n, p) => n + p.groups.length, 0));
  expect(policies).toHaveLength(TEAM.people.length);
  expect(Object.keys(outputs.users).sort()).toEqual(TEAM.people.map((p) => p.email).sort());

  const grace = users.find((u) => u.name === "grace.hopper@example.com")!;
  expect(grace.inputs).toMatchObject({ role: "travel_manager", managerId: "id-ada.lovelace@example.com" });
  const engineering = sandbox()
    .listGroups()
    .find((g) => g.name === "Engineering")!;
  expect(memberships.find((m) => m.name === "grace.hopper@example.com/Engineering")?.inputs).toMatchObject({
    groupId: engineering.id,
  });
  // One request per list, however many people use it.
  expect(
    sandbox()
      .requests.map((r) => `${r.method} ${r.path}`)
      .sort(),
  ).toEqual(["GET /api/v2/groups", "GET /api/v2/travel_policies"]);
});
