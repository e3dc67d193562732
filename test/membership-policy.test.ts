/** GroupMembership and PolicyAssignment providers against the sandbox: idempotent writes, drift, 404s. */
import * as runtime from "../provider/runtime";
import { NotFoundError } from "../provider/client/errors";
import { addGroupMember } from "../provider/client/groups";
import { at } from "./helpers/at";
import { requestLine, useSandbox, writes } from "./helpers/sandbox";

const sandbox = useSandbox();
const { groupMembership, policyAssignment } = runtime;

beforeEach(() => {
  sandbox().reset();
  runtime.startNewCommand(); // each test is a new command: a new provider process in real life
});

function person(email = "joe@example.com") {
  return sandbox().insertUser({ email, first_name: "Joe", last_name: "Roe", is_active: true });
}

test("membership: create reads the group once and POSTs; an existing member costs no write; 409 is success", async () => {
  const [joe, ann] = [person(), person("ann@example.com")];
  const eng = at(sandbox().listGroups(), 0);
  sandbox().clearLog();
  const created = await groupMembership.create({ groupId: eng.id, userId: joe.id });
  await groupMembership.create({ groupId: eng.id, userId: ann.id });
  expect(sandbox().requests.map(requestLine)).toEqual([
    `GET /groups/${eng.id}/members`,
    `POST /groups/${eng.id}/members`,
    `POST /groups/${eng.id}/members`,
  ]);
  expect(created.outs).toEqual({ groupId: eng.id, userId: joe.id });

  // A new command adopting the same membership: the member list says it exists, so nothing is written.
  runtime.startNewCommand();
  sandbox().clearLog();
  await expect(groupMembership.create({ groupId: eng.id, userId: joe.id })).resolves.toMatchObject({ id: created.id });
  expect(writes(sandbox().requests)).toEqual([]);
  // The POST itself treats 409 (already a member) as success.
  await expect(addGroupMember(eng.id, joe.id)).resolves.toBe(false);
  expect(sandbox().requests.map((r) => r.status)).toEqual([200, 409]);
  expect(sandbox().groupMembers(eng.id).sort()).toEqual([joe.id, ann.id].sort());
});

test("membership: read finds it, or reports it gone; delete of a non-member (404) is success", async () => {
  const joe = person();
  const eng = at(sandbox().listGroups(), 0);
  const created = await groupMembership.create({ groupId: eng.id, userId: joe.id });
  expect(await groupMembership.read(created.id, created.outs)).toMatchObject({
    id: created.id,
    props: created.outs as unknown,
  });
  await groupMembership.delete(created.id, created.outs);
  expect(sandbox().groupMembers(eng.id)).toEqual([]);
  expect(await groupMembership.read(created.id, created.outs)).toEqual({});
  await expect(groupMembership.delete(created.id, created.outs)).resolves.toBeUndefined();
});

test("membership: a group that does not exist fails, naming the person by e-mail", async () => {
  const joe = person();
  const error = (await groupMembership
    .create({ groupId: "grp_missing", userId: joe.id })
    .catch((e: unknown) => e)) as Error;
  expect(error).toBeInstanceOf(NotFoundError);
  expect(error.message).toContain("joe@example.com");
  expect(error.message).toContain("404");
  expect(error.message).toContain("grp_missing");
});

test("policy: assign is one PATCH; drift reads back; update re-assigns; delete clears", async () => {
  const joe = person();
  const [standard, executive] = [at(sandbox().listPolicies(), 0), at(sandbox().listPolicies(), 1)];
  sandbox().clearLog();
  const created = await policyAssignment.create({ userId: joe.id, policyId: standard.id });
  expect(sandbox().requests.map(requestLine)).toEqual([`PATCH /users/${joe.id}`]);
  expect(sandbox().getUser(joe.id)?.travel_policy).toEqual({ id: standard.id, name: standard.name });

  sandbox().updateUser(joe.id, { travel_policy: null });
  runtime.startNewCommand();
  const read = await policyAssignment.read(created.id, created.outs);
  expect(read.props).toEqual({ userId: joe.id, policyId: null });
  expect(await policyAssignment.diff(created.id, read.props, { userId: joe.id, policyId: standard.id })).toMatchObject({
    changes: true,
    replaces: [],
  });

  const updated = await policyAssignment.update(created.id, read.props, { userId: joe.id, policyId: executive.id });
  expect(updated.outs).toEqual({ userId: joe.id, policyId: executive.id });
  expect(sandbox().getUser(joe.id)?.travel_policy?.id).toBe(executive.id);

  sandbox().clearLog();
  await policyAssignment.delete(created.id, updated.outs);
  expect(writes(sandbox().requests).map(requestLine)).toEqual([`PATCH /users/${joe.id}`]);
  expect(sandbox().getUser(joe.id)?.travel_policy ?? null).toBeNull();
});

const inPlace = { changes: true, replaces: [] };
const unchanged = { changes: false, replaces: [] };
/** What each diff says: a membership's two ids both replace it; a policy's user replaces it, its policy is in place. */
const diffs: [string, typeof groupMembership, Record<string, string>, Record<string, string>, object][] = [
  [
    "membership: the same ids",
    groupMembership,
    { groupId: "g1", userId: "u1" },
    { groupId: "g1", userId: "u1" },
    { ...unchanged, deleteBeforeReplace: false },
  ],
  [
    "membership: another group",
    groupMembership,
    { groupId: "g1", userId: "u1" },
    { groupId: "g2", userId: "u1" },
    { changes: true, replaces: ["groupId"], deleteBeforeReplace: false },
  ],
  [
    "membership: another user",
    groupMembership,
    { groupId: "g1", userId: "u1" },
    { groupId: "g1", userId: "u2" },
    { changes: true, replaces: ["userId"], deleteBeforeReplace: false },
  ],
  [
    "policy: another policy",
    policyAssignment,
    { userId: "u1", policyId: "p1" },
    { userId: "u1", policyId: "p2" },
    inPlace,
  ],
  [
    "policy: another user",
    policyAssignment,
    { userId: "u1", policyId: "p1" },
    { userId: "u2", policyId: "p1" },
    { changes: true, replaces: ["userId"] },
  ],
  ["policy: the same", policyAssignment, { userId: "u1", policyId: "p1" }, { userId: "u1", policyId: "p1" }, unchanged],
];

test.each(diffs)("diff, %s", async (_case, provider, olds, news, expected) => {
  expect(await provider.diff("id", olds, news)).toEqual(expected);
});

test("policy: a user that is gone reads as gone and deletes as done; an unknown policy names the user", async () => {
  const joe = person();
  const standard = at(sandbox().listPolicies(), 0);
  const created = await policyAssignment.create({ userId: joe.id, policyId: standard.id });
  const error = (await policyAssignment
    .update(created.id, created.outs, { userId: joe.id, policyId: "pol_missing" })
    .catch((e: unknown) => e)) as Error;
  expect(error.message).toMatch(/assign travel policy pol_missing joe@example.com .*400/);
  sandbox().deleteUser(joe.id);
  runtime.startNewCommand(); // the refresh that notices is a later command
  expect(await policyAssignment.read(created.id, created.outs)).toEqual({});
  await expect(policyAssignment.delete(created.id, created.outs)).resolves.toBeUndefined();
});
