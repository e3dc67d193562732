/**
 * `GroupMembers` (a group's whole member list) through Pulumi's own provider host over gRPC, as the
 * engine drives it, once per transport (REST members on the contract sandbox, SCIM Groups on the live
 * surface). Members added "in TravelPerk directly" are set behind the API's back. A new command is a
 * new provider process: the host is restarted.
 */
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { DIFF, ProviderHost } from "./helpers/provider-host";
import { serializedProvider } from "./helpers/serialize";
import { useSandbox, writes } from "./helpers/sandbox";
import { TRANSPORTS } from "./helpers/transports";

jest.setTimeout(60_000);

const program = process.env.TP_TEST_PROGRAM!;
const urn = (type: string, name: string) =>
  `urn:pulumi:dev::tp-test::pulumi-nodejs:dynamic/travelperk:${type}::${name}`;
const sortedIds = (ids: readonly string[]) => [...ids].sort();

describe.each(TRANSPORTS)("$name", (t) => {
  const sandbox = useSandbox(t.sandbox);
  const L = t.lines;
  const log = () => sandbox().requests.map(t.line);
  let host = new ProviderHost(program); // started by each test's new command
  let __provider: string;
  let membershipProvider: string;
  const members = urn("GroupMembers", "group/Engineering");

  /** A new command: a new provider host process, configured as the engine would. */
  async function newCommand(): Promise<void> {
    await host.stop();
    host = new ProviderHost(program);
    await host.start();
    await host.configure({
      ...t.config(sandbox()),
      "travelperk:accessToken": sandbox().accessToken,
      "travelperk:retryBaseDelayMs": "5",
    });
    sandbox().clearLog();
  }

  beforeAll(async () => {
    __provider = await serializedProvider(program, "group-members");
    membershipProvider = await serializedProvider(program, "group-membership");
  });
  beforeEach(async () => {
    sandbox().reset();
    await newCommand();
  });
  afterAll(() => host.stop());

  /** New active users, one per name: their ids, in the order of the names. */
  function people<Names extends string[]>(...names: Names): { [K in keyof Names]: string } {
    return names.map(
      (name) =>
        sandbox().insertUser({ email: `${name}@example.com`, first_name: name, last_name: "X", is_active: true }).id,
    ) as { [K in keyof Names]: string };
  }
  const group = (name = "Engineering") =>
    sandbox()
      .listGroups()
      .find((g) => g.name === name)!;

  test("check: ids sorted, bad and duplicate ids named, unknown ids (preview) pass, no request", async () => {
    const eng = group();
    const ok = await host.check(members, {}, { __provider, groupId: eng.id, userIds: ["u3", "u1", "u2"] });
    expect(ok.failures).toEqual([]);
    expect(ok.inputs).toEqual({ __provider, groupId: eng.id, userIds: ["u1", "u2", "u3"] });

    const duplicate = await host.check(members, {}, { __provider, groupId: eng.id, userIds: ["u1", "u2", "u1"] });
    expect(duplicate.failures).toEqual([
      { property: "userIds[2]", reason: "user u1 is listed twice (also userIds[0])" },
    ]);
    const blank = await host.check(members, {}, { __provider, groupId: "", userIds: ["u1", " "] });
    expect(blank.failures.map((f) => f.property).sort()).toEqual(["groupId", "userIds[1]"]);
    const missing = await host.check(members, {}, { __provider, groupId: eng.id, members: ["u1"] });
    expect(missing.failures.map((f) => f.property).sort()).toEqual(["members", "userIds"]);

    // Ids of users still being created are unknown at preview: they pass; the known ones are still checked.
    const preview = await host.check(members, {}, { __provider, groupId: eng.id, userIds: ["u1", unknownValue] });
    expect(preview.failures).toEqual([]);
    expect(preview.inputs.userIds).toEqual(["u1", unknownValue]);
    const whole = await host.check(members, {}, { __provider, groupId: unknownValue, userIds: unknownValue });
    expect(whole.failures).toEqual([]);
    const mixed = await host.check(
      members,
      {},
      { __provider, groupId: eng.id, userIds: ["u1", unknownValue, "u1", ""] },
    );
    expect(mixed.failures).toEqual([
      { property: "userIds[2]", reason: "user u1 is listed twice (also userIds[0])" },
      { property: "userIds[3]", reason: "must be an id (a non-empty string)" },
    ]);
    expect(sandbox().requests).toEqual([]);
  });

  test("diff: a set (order does not matter), a member change is an update, another group a replacement", async () => {
    const olds = { __provider, groupId: "g1", userIds: ["u1", "u2"] };
    expect(await host.diff(members, "g1", olds, { ...olds, userIds: ["u2", "u1"] })).toEqual({
      changes: DIFF.NONE,
      replaces: [],
    });
    expect(await host.diff(members, "g1", olds, { ...olds, userIds: ["u1"] })).toEqual({
      changes: DIFF.SOME,
      replaces: [],
    });
    expect(await host.diff(members, "g1", olds, { ...olds, userIds: ["u1", "u2", unknownValue] })).toEqual({
      changes: DIFF.SOME,
      replaces: [],
    });
    expect(await host.diff(members, "g1", olds, { ...olds, groupId: "g2" })).toEqual({
      changes: DIFF.SOME,
      replaces: ["groupId"],
    });
    expect(sandbox().requests).toEqual([]);
  });

  test("create takes the group over, refresh shows drift, update writes the differences, delete removes the listed members", async () => {
    const eng = group();
    const [ann, bob, out] = people("ann", "bob", "outsider");
    sandbox().setGroupMembers(eng.id, [ann, out]); // in TravelPerk before the resource exists

    const inputs = (await host.check(members, {}, { __provider, groupId: eng.id, userIds: [bob, ann] })).inputs;
    const created = await host.create(members, inputs);
    expect(created.id).toBe(eng.id);
    expect(created.properties).toEqual({ __provider, groupId: eng.id, userIds: sortedIds([ann, bob]) });
    expect(sortedIds(sandbox().groupMembers(eng.id))).toEqual(sortedIds([ann, bob]));
    // One listing, then exactly the differences: bob added, the outsider removed; ann untouched.
    expect(log().slice(0, 1)).toEqual([L.readMembers(eng.id)]);
    expect(sortedIds(log().slice(1))).toEqual(sortedIds([L.addMember(eng.id), L.removeMember(eng.id, out)]));
    console.log(`${t.name} GroupMembers create (1 kept, 1 added, 1 outsider removed): ${log().length} requests`);

    // A create repeated in the same process (the engine retried): nothing left to do, no request.
    sandbox().clearLog();
    await host.create(members, inputs);
    expect(log()).toEqual([]);

    // Changes in TravelPerk directly: ann removed, a newcomer added. A refresh (new command) shows them.
    const [eve] = people("eve");
    sandbox().setGroupMembers(eng.id, [bob, eve]);
    await newCommand();
    const read = await host.read(members, created.id, created.properties);
    expect(read).toEqual({
      id: eng.id,
      properties: { __provider, groupId: eng.id, userIds: sortedIds([bob, eve]) },
      inputs: { __provider, groupId: eng.id, userIds: sortedIds([bob, eve]) },
    });
    expect(log()).toEqual([L.readMembers(eng.id)]);
    console.log(`${t.name} GroupMembers refresh: ${log().length} request`);

    // The program still says ann and bob: an update puts ann back and removes eve, and lists nothing.
    expect(await host.diff(members, eng.id, read.properties, inputs)).toEqual({ changes: DIFF.SOME, replaces: [] });
    await newCommand();
    const updated = await host.update(members, eng.id, read.properties, inputs);
    expect(updated.properties).toEqual({ __provider, groupId: eng.id, userIds: sortedIds([ann, bob]) });
    expect(sortedIds(sandbox().groupMembers(eng.id))).toEqual(sortedIds([ann, bob]));
    expect(sortedIds(log())).toEqual(sortedIds([L.addMember(eng.id), L.removeMember(eng.id, eve)]));

    // Delete (a later command, as `destroy` is): the members it listed go, the group stays, a member
    // added outside since then stays.
    const [zed] = people("zed");
    sandbox().setGroupMembers(eng.id, [ann, bob, zed]);
    await newCommand();
    await host.delete(members, eng.id, updated.properties);
    expect(sandbox().groupMembers(eng.id)).toEqual([zed]);
    expect(group().id).toBe(eng.id);
    expect(sortedIds(log())).toEqual(sortedIds([L.removeMember(eng.id, ann), L.removeMember(eng.id, bob)]));
    // Repeated (the engine retried after a lost answer): each member is already out, which is done.
    await host.delete(members, eng.id, updated.properties);
    expect(sandbox().groupMembers(eng.id)).toEqual([zed]);
  });

  test("a repeated add is never a second membership: an update whose member joined meanwhile succeeds", async () => {
    const eng = group();
    const [ann, bob] = people("ann", "bob");
    sandbox().setGroupMembers(eng.id, [ann, bob]); // bob joined after the last refresh
    const olds = { __provider, groupId: eng.id, userIds: [ann] };
    const news = (await host.check(members, olds, { __provider, groupId: eng.id, userIds: [ann, bob] })).inputs;
    sandbox().clearLog();
    await host.update(members, eng.id, olds, news);
    await host.update(members, eng.id, olds, news); // the engine retried: same writes, same outcome
    expect(sortedIds(sandbox().groupMembers(eng.id))).toEqual(sortedIds([ann, bob]));
    expect(sandbox().groupMembers(eng.id)).toHaveLength(2);
    // REST answers each POST 409 (already a member), which is success; SCIM adds a present value as a no-op.
    if (t.name === "rest") expect(writes(sandbox().requests).map((r) => r.status)).toEqual([409, 409]);
  });

  test("an unknown group: refresh drops the resource, create fails naming the group", async () => {
    const gone = { __provider, groupId: "no-such-group", userIds: ["u1"] };
    expect((await host.read(members, "no-such-group", gone)).id).toBe("");
    const error = (await host.create(members, gone).catch((e: unknown) => e)) as Error;
    expect(error.message).toContain("no-such-group");
    expect(writes(sandbox().requests)).toEqual([]);
  });

  test("additive → authoritative in one run: the memberships' deletes leave the members GroupMembers lists", async () => {
    const eng = group();
    const [ann, bob, out] = people("ann", "bob", "outsider");
    sandbox().setGroupMembers(eng.id, [ann, bob, out]);
    const membership = urn("GroupMembership", "ann/group/Engineering");
    const annState = { __provider: membershipProvider, groupId: eng.id, userId: ann };
    const bobState = { ...annState, userId: bob };

    // The engine: checks and creates first (ann stays in the roster, bob left it), deletes last.
    const inputs = (await host.check(members, {}, { __provider, groupId: eng.id, userIds: [ann] })).inputs;
    await host.create(members, inputs);
    await host.delete(membership, `${eng.id}:${ann}`, annState);
    await host.delete(membership, `${eng.id}:${bob}`, bobState);
    expect(sandbox().groupMembers(eng.id)).toEqual([ann]);
  });

  test("authoritative → additive in one run: GroupMembers' delete leaves the members a membership now holds", async () => {
    const eng = group();
    const [ann, bob, out] = people("ann", "bob", "outsider");
    sandbox().setGroupMembers(eng.id, [ann, bob, out]);
    const state = { __provider, groupId: eng.id, userIds: sortedIds([ann, bob]) };
    const membership = urn("GroupMembership", "ann/group/Engineering");
    const annInputs = (
      await host.check(membership, {}, { __provider: membershipProvider, groupId: eng.id, userId: ann })
    ).inputs;
    await host.create(membership, annInputs); // ann is a member already: found in place, no write
    await host.delete(members, eng.id, state); // bob left the roster in the same change
    expect(sortedIds(sandbox().groupMembers(eng.id))).toEqual(sortedIds([ann, out]));
  });
});
