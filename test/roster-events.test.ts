/**
 * The engine's step events are read by one parser: the summary's (`stepsFromEngineEvents`) and the
 * runner's step collector agree on every URN, including resource names that hold `::` (a URN's name
 * is everything after its third `::`).
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { stepsFromEngineEvents, stepsFromEventLog, stepsFromPreviewJson } from "../provider/roster/summary";
import { childNames, readChildName } from "../provider/roster/component";
import { stepCollector } from "../provider/runner";

const USER_TYPE = "pulumi-nodejs:dynamic/travelperk:User";
const urn = (name: string, type = `travelperk:index:Roster$${USER_TYPE}`) => `urn:pulumi:dev::people::${type}::${name}`;
const event = (name: string, type?: string) => ({
  resourcePreEvent: { metadata: { op: "create", urn: urn(name), ...(type ? { type } : {}), diffs: [] } },
});

describe("engine events", () => {
  const names = ["ada@example.com", "team::ada", "a::b::c", "ada/group/Sales::EMEA"];

  test.each(names)("the summary and the runner read the name %s the same", (name) => {
    const [step] = stepsFromEngineEvents([event(name, USER_TYPE)]);
    expect(step).toMatchObject({ op: "create", urn: urn(name), type: USER_TYPE, name });
    const collector = stepCollector();
    collector.onEvent(event(name, USER_TYPE) as unknown as EngineEvent);
    expect(collector.steps).toEqual([{ op: "create", urn: urn(name), type: USER_TYPE, name, diffs: [] }]);
  });

  test("without a type in the event, both take the URN's own type (the last of its parents chain)", () => {
    const [step] = stepsFromEngineEvents([event("x::y")]);
    expect(step).toMatchObject({ type: USER_TYPE, name: "x::y" });
    const collector = stepCollector();
    collector.onEvent(event("x::y") as unknown as EngineEvent);
    expect(collector.steps).toMatchObject([{ type: USER_TYPE, name: "x::y" }]);
  });

  test("events without step metadata are skipped by both", () => {
    const other = { diagnosticEvent: { message: "hello" } };
    expect(stepsFromEngineEvents([other])).toEqual([]);
    const collector = stepCollector();
    collector.onEvent(other as unknown as EngineEvent);
    expect(collector.steps).toEqual([]);
  });

  test("an --event-log file and preview --json read names with :: too", () => {
    const log = [JSON.stringify(event("team::ada", USER_TYPE)), ""].join("\n");
    expect(stepsFromEventLog(log).map((s) => s.name)).toEqual(["team::ada"]);
    const json = { steps: [{ op: "delete", urn: urn("team::bo"), oldState: { type: USER_TYPE, id: "u1" } }] };
    expect(stepsFromPreviewJson(json)).toMatchObject([
      { op: "delete", name: "team::bo", type: USER_TYPE, oldId: "u1" },
    ]);
  });
});

describe("a Roster's child names, read back", () => {
  test("each name childNames writes reads back to its key and label", () => {
    for (const [key, label] of [
      ["ada", "Sales"],
      ["ada@example.com", "Sales / EMEA"],
      ["team::ada", "group::x"],
    ] as const) {
      expect(readChildName.group(childNames.group(key, label))).toEqual({ key, label });
      expect(readChildName.policy(childNames.policy(key))).toBe(key);
      expect(readChildName.groupMembers(childNames.groupMembers(label))).toBe(label);
    }
  });

  test("names of other programs are not read as a Roster's", () => {
    expect(readChildName.group("ada-sales")).toBeUndefined();
    expect(readChildName.policy("policy")).toBeUndefined();
    expect(readChildName.groupMembers("sales")).toBeUndefined();
  });
});
