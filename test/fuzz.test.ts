/**
 * Property-based fuzzing (fast-check, fixed seeds, counts logged per property):
 *
 * 1. `check` of every resource never throws, answers either failures naming input keys or inputs that
 *    keep the given values (plus the User defaults) and check again to themselves, and sends nothing.
 * 2. The client calls, fed malformed API answers, resolve with the promised shape or reject with a
 *    TravelPerkError naming the operation (never the token), never a TypeError.
 * 3. Property 1, fewer cases, through Pulumi's own provider host over gRPC.
 *
 * The fuzzing found that a key named like an Object.prototype member (e.g. `constructor`) holding an
 * unknown value made `check` throw; the tests named "regression A" keep it fixed. Inputs with an own
 * `__proto__` key (a protobuf Struct turns it into a prototype, so the engine never sends one) get
 * only their answer's shape checked.
 */
import type { ChildProcess } from "child_process";
import { inspect, isDeepStrictEqual } from "util";
import fc from "fast-check";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import * as runtime from "../provider/runtime";
import { setStackConfig } from "../provider/config";
import {
  AuthenticationError,
  ConflictError,
  InvalidRequestError,
  MalformedResponseError,
  NetworkError,
  NotFoundError,
  ServerError,
  TravelPerkError,
} from "../provider/client/errors";
import { listGroupMembers, listGroups } from "../provider/client/groups";
import { listTravelPolicies } from "../provider/client/policies";
import { getUser, listUsers, updateUser } from "../provider/client/users";
import { ProviderHost, startConfigured } from "./helpers/provider-host";
import { useSandbox } from "./helpers/sandbox";
import { ScriptedServer, type ScriptedReply } from "./helpers/scripted-server";
import { serializedProvider } from "./helpers/serialize";

const SEED = 20240611;
const CHECK_RUNS = 2000;
const CLIENT_RUNS = 2000;
const HOST_RUNS = 100;

const sandbox = useSandbox();

// ---- the three resources' inputs --------------------------------------------------------------

type Kind = "user" | "groupMembership" | "policyAssignment";
const KINDS: readonly Kind[] = ["user", "groupMembership", "policyAssignment"];
const ENTRY = { user: "user", groupMembership: "group-membership", policyAssignment: "policy-assignment" } as const;
const TYPE_NAME = { user: "User", groupMembership: "GroupMembership", policyAssignment: "PolicyAssignment" } as const;

/** A valid value for every property; each resource's required properties come first. */
const VALID: Record<Kind, Record<string, unknown>> = {
  user: {
    email: "jane@example.com",
    firstName: "Jane",
    lastName: "Doe",
    role: "travel_manager",
    phoneNumber: "+34600123456",
    language: "es",
    gender: "female",
    dateOfBirth: "1990-02-28",
    nationality: "ES",
    invoicingProfiles: ["ip1", "ip2"],
    costCenter: "ENG",
    managerId: "u42",
    isActive: false,
    onDelete: "retain",
    adoptExisting: true,
  },
  groupMembership: { groupId: "g1", userId: "u1" },
  policyAssignment: { userId: "u1", policyId: "p1" },
};
const REQUIRED: Record<Kind, readonly string[]> = {
  user: ["email", "firstName", "lastName"],
  groupMembership: ["groupId", "userId"],
  policyAssignment: ["userId", "policyId"],
};
const PROPS = Object.fromEntries(KINDS.map((k) => [k, Object.keys(VALID[k])])) as Record<Kind, string[]>;
const OPTIONAL = Object.fromEntries(KINDS.map((k) => [k, PROPS[k].filter((p) => !REQUIRED[k].includes(p))])) as Record<
  Kind,
  string[]
>;
const ALL_PROPS = [...new Set(KINDS.flatMap((k) => PROPS[k]))];
const USER_DEFAULTS = { isActive: true, onDelete: "deactivate", adoptExisting: false };
/** `constructor`, `toString`, `__proto__`, …: names every plain object answers `in` for. */
const PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

/** Observation B: an own `__proto__` key is assigned as a prototype inside check, not reported as a property. */
const hasOwnProtoKey = (news: object): boolean => Object.hasOwn(news, "__proto__");

// ---- arbitraries for property 1 -------------------------------------------------------------------

const whitespace = fc.constantFrom("", " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u200b", "\u2028", "\u3000");
const trickyStrings = fc.constantFrom(
  "",
  " ",
  "\t\n",
  "\u00a0",
  "\u200b",
  "é",
  "Zoë",
  "José María",
  "李小龍",
  "👩‍💻",
  "null",
  "undefined",
  "true",
  "0",
  "NaN",
  "jane@example.com",
  "Jane@Example.COM",
  "jane@@example.com",
  "jane@example",
  "jané@exämple.com",
  "+34600123456",
  "+34 600 123 456",
  "0034600123456",
  "+0123",
  "en",
  "EN",
  "eng",
  "xx",
  "ES",
  "es",
  "UK",
  "GB",
  "1990-02-28",
  "1990-02-30",
  "2999-01-01",
  "1990-2-28",
  "0000-01-01",
  "traveler",
  "Traveler",
  "travel_manager",
  "company_admin",
  "admin",
  "male",
  "female",
  "other",
  "deactivate",
  "delete",
  "retain",
  "archive",
  "ip1",
  "u42",
  "constructor",
  "toString",
  "__proto__",
  "__provider",
);

/** Strings of every kind; `binary` (lone surrogates) only where no protobuf encoding is involved. */
function anyString(structSafe: boolean): fc.Arbitrary<string> {
  return fc.oneof(
    trickyStrings,
    fc.tuple(whitespace, trickyStrings, whitespace).map(([a, s, b]) => `${a}${s}${b}`),
    fc.string(),
    fc.string({ unit: "grapheme" }),
    fc.emailAddress(),
    ...(structSafe ? [] : [fc.string({ unit: "binary" })]),
  );
}

/** Drops own `__proto__` keys at any depth (a protobuf Struct turns them into prototypes). */
function withoutProtoKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutProtoKeys);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) if (key !== "__proto__") out[key] = withoutProtoKeys(v);
  return out;
}

/** Values of any type: scalars, unknowns, arrays and nested objects (only JSON-like ones when struct-safe). */
function anyValue(structSafe: boolean): fc.Arbitrary<unknown> {
  const scalar = fc.oneof(
    { arbitrary: anyString(structSafe), weight: 4 },
    { arbitrary: fc.constant(unknownValue), weight: 2 },
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    ...(structSafe ? [] : [fc.constant(undefined), fc.bigInt(), fc.date()]),
  );
  const keys = fc.oneof(fc.constantFrom("id", "email", "value", ...PROTOTYPE_KEYS), fc.string());
  const { value } = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { maxDepth: 3, depthSize: "small" },
      scalar,
      fc.array(tie("value"), { maxLength: 4 }),
      fc.dictionary(keys, tie("value"), { maxKeys: 4 }),
    ),
  }));
  if (structSafe) return value.map(withoutProtoKeys);
  const exotic = fc.anything({
    maxDepth: 2,
    maxKeys: 4,
    withBoxedValues: true,
    withMap: true,
    withSet: true,
    withBigInt: true,
    withDate: true,
    withTypedArray: true,
    withSparseArray: true,
    withNullPrototype: true,
    withObjectString: true,
  });
  return fc.oneof({ arbitrary: value, weight: 4 }, exotic);
}

function anyKey(kind: Kind, structSafe: boolean): fc.Arbitrary<string> {
  const odd = ["", " email", "email ", "Email", "EMAIL", "e-mail", "first_name", "id", "urn", "name", "user_id"];
  const key = fc.oneof(
    { arbitrary: fc.constantFrom(...PROPS[kind]), weight: 6 },
    { arbitrary: fc.constantFrom(...ALL_PROPS), weight: 1 },
    { arbitrary: fc.constantFrom(...PROTOTYPE_KEYS), weight: 1 },
    { arbitrary: fc.constantFrom(...odd, ...(structSafe ? [] : ["__provider"])), weight: 1 },
    { arbitrary: fc.string(), weight: 1 },
  );
  return structSafe ? key.filter((k) => k !== "__proto__" && k !== "__provider") : key;
}

/** A near-valid input: a valid base (required plus some optional properties) with one change. */
type Mutation =
  | { op: "none" }
  | { op: "set"; key: string; value: unknown }
  | { op: "remove"; key: string }
  | { op: "add"; key: string; value: unknown }
  | { op: "pad"; key: string; before: string; after: string }
  | { op: "recase"; key: string; upper: boolean }
  | { op: "append"; key: string; suffix: string };

function mutate(base: Record<string, unknown>, m: Mutation): Record<string, unknown> {
  const news = { ...base };
  const text = (key: string): string => {
    const value = news[key];
    return typeof value === "string" ? value : value === undefined ? "" : JSON.stringify(value);
  };
  switch (m.op) {
    case "none":
      break;
    case "set":
    case "add":
      news[m.key] = m.value;
      break;
    case "remove":
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- removing one property is the mutation
      delete news[m.key];
      break;
    case "pad":
      news[m.key] = `${m.before}${text(m.key)}${m.after}`;
      break;
    case "recase":
      news[m.key] = m.upper ? text(m.key).toUpperCase() : text(m.key).toLowerCase();
      break;
    case "append":
      news[m.key] = `${text(m.key)}${m.suffix}`;
      break;
  }
  return news;
}

function nearValid(kind: Kind, structSafe: boolean): fc.Arbitrary<Record<string, unknown>> {
  const prop = fc.constantFrom(...PROPS[kind]);
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.constant({ op: "none" as const }),
    fc.record({ op: fc.constant("set" as const), key: prop, value: anyValue(structSafe) }),
    fc.record({ op: fc.constant("set" as const), key: prop, value: fc.constant(unknownValue) }),
    fc.record({ op: fc.constant("remove" as const), key: prop }),
    fc.record({ op: fc.constant("add" as const), key: anyKey(kind, structSafe), value: anyValue(structSafe) }),
    fc.record({ op: fc.constant("pad" as const), key: prop, before: whitespace, after: whitespace }),
    fc.record({ op: fc.constant("recase" as const), key: prop, upper: fc.boolean() }),
    fc.record({
      op: fc.constant("append" as const),
      key: prop,
      suffix: fc.oneof(fc.constantFrom("x", "0", "é", "👍", "\u0301", ".", "@"), fc.string({ maxLength: 3 })),
    }),
  );
  return fc.record({ optional: fc.subarray(OPTIONAL[kind]), mutation }).map(({ optional, mutation: m }) => {
    const base = Object.fromEntries([...REQUIRED[kind], ...optional].map((p) => [p, VALID[kind][p]]));
    return mutate(base, m);
  });
}

type Family = "anything" | "keyed" | "near-valid";

function checkInput(kind: Kind, structSafe: boolean): fc.Arbitrary<{ family: Family; news: Record<string, unknown> }> {
  const anything = structSafe
    ? fc
        .dictionary(fc.string(), fc.jsonValue({ maxDepth: 3, stringUnit: "grapheme" }), { maxKeys: 6 })
        .map((o) => withoutProtoKeys(o) as Record<string, unknown>)
    : fc.object({
        maxDepth: 2,
        maxKeys: 6,
        withBoxedValues: true,
        withMap: true,
        withSet: true,
        withBigInt: true,
        withDate: true,
        withTypedArray: true,
        withSparseArray: true,
        withNullPrototype: true,
        withObjectString: true,
      });
  const keyed = fc.dictionary(anyKey(kind, structSafe), anyValue(structSafe), { maxKeys: 8 });
  return fc.oneof(
    { arbitrary: anything.map((news) => ({ family: "anything" as const, news })), weight: 1 },
    { arbitrary: keyed.map((news) => ({ family: "keyed" as const, news })), weight: 2 },
    { arbitrary: nearValid(kind, structSafe).map((news) => ({ family: "near-valid" as const, news })), weight: 3 },
  );
}

// ---- the oracle of property 1 ---------------------------------------------------------------------

interface CheckAnswer {
  inputs?: Record<string, unknown>;
  failures?: { property: string; reason: string }[];
}

/**
 * Deep equality by Node's rules (prototypes compared): jest's toStrictEqual compares `.constructor`,
 * which an input may legitimately hold as its own key.
 */
function expectSame(actual: unknown, expected: unknown, what: string): void {
  if (!isDeepStrictEqual(actual, expected)) {
    throw new Error(
      `${what} differ:\n  got      ${inspect(actual, { depth: 6 })}\n  expected ${inspect(expected, { depth: 6 })}`,
    );
  }
}

/** Calls check so that a synchronous throw becomes a rejection too. */
async function callCheck(kind: Kind, news: Record<string, unknown>): Promise<CheckAnswer> {
  return (await runtime[kind].check({}, news)) as CheckAnswer;
}

/** Whether a value counts as given: check treats null and undefined as absent. */
const given = (news: Record<string, unknown>, key: string) =>
  Object.hasOwn(news, key) && news[key] !== undefined && news[key] !== null;

/**
 * Asserts the answer's shape and its relation to `news`; returns which kind of answer it was.
 * `lenient` (own `__proto__` key): only the shape is asserted.
 */
function verifyAnswer(kind: Kind, news: Record<string, unknown>, answer: CheckAnswer, lenient: boolean) {
  expect(isRecord(answer)).toBe(true);
  if (answer.failures !== undefined) {
    expect(answer.inputs).toBeUndefined();
    expect(Array.isArray(answer.failures)).toBe(true);
    expect(answer.failures.length).toBeGreaterThan(0);
    for (const failure of answer.failures) {
      expect(typeof failure.property).toBe("string");
      expect(typeof failure.reason).toBe("string");
      expect(failure.reason.trim()).not.toBe("");
      if (lenient) continue;
      // Empty only when the input itself has the empty key (a failure must name what was written).
      if (failure.property === "") expect(Object.hasOwn(news, "")).toBe(true);
      // The property is an input key, or a path into one (`invoicingProfiles[1]`), or a required one left out.
      const property = failure.property;
      const namesGivenKey = Object.keys(news).some(
        (key) => property === key || property.startsWith(`${key}[`) || property.startsWith(`${key}.`),
      );
      const namesMissingRequired =
        REQUIRED[kind].includes(property) && !given(news, property) && failure.reason === "is required";
      if (!namesGivenKey && !namesMissingRequired) {
        throw new Error(
          `failure ${JSON.stringify(failure)} names neither an input key nor a missing required property`,
        );
      }
    }
    if (!lenient) {
      // Every given key that is not a property of the resource is reported by name.
      for (const key of Object.keys(news)) {
        if (key === "__provider" || !given(news, key) || PROPS[kind].includes(key)) continue;
        expect(answer.failures.map((f) => f.property)).toContain(key);
      }
    }
    return "failures" as const;
  }
  expect(isRecord(answer.inputs)).toBe(true);
  const inputs = answer.inputs!;
  if (lenient) return "inputs" as const;
  for (const key of Object.keys(inputs)) expect(PROPS[kind]).toContain(key);
  for (const key of REQUIRED[kind]) expect(Object.hasOwn(inputs, key)).toBe(true);
  for (const [key, value] of Object.entries(news)) {
    if (key === "__provider" || !given(news, key)) continue;
    expectSame(inputs[key], value, `inputs.${key} and the given value`);
  }
  if (kind === "user") {
    for (const [key, fallback] of Object.entries(USER_DEFAULTS)) {
      expectSame(inputs[key], given(news, key) ? news[key] : fallback, `inputs.${key} and its default`);
    }
  }
  return "inputs" as const;
}

/** A count per label, printed as `label n, label n`. */
class Tally {
  private counts = new Map<string, number>();
  add(label: string): void {
    this.counts.set(label, (this.counts.get(label) ?? 0) + 1);
  }
  get(label: string): number {
    return this.counts.get(label) ?? 0;
  }
  toString(): string {
    return [...this.counts].map(([label, n]) => `${label} ${String(n)}`).join(", ");
  }
}

// ---- property 1 -------------------------------------------------------------------------------------

describe("property 1: check never throws and never sends a request", () => {
  test.each(KINDS)("%s", async (kind) => {
    sandbox().clearLog();
    const tally = new Tally();
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(checkInput(kind, false), async ({ family, news }) => {
        tally.add("cases");
        tally.add(family);
        const lenient = hasOwnProtoKey(news);
        if (lenient) tally.add("own __proto__ key (shape only)");
        const answer = await callCheck(kind, news);
        const outcome = verifyAnswer(kind, news, answer, lenient);
        tally.add(outcome);
        if (outcome === "inputs" && !lenient) {
          const again = await callCheck(kind, answer.inputs!);
          expect(again.failures).toBeUndefined();
          expectSame(again.inputs, answer.inputs, "the inputs of a second check");
          tally.add("re-checked identical");
        }
      }),
      { numRuns: CHECK_RUNS, seed: SEED },
    );
    console.log(`fuzz property 1 (${kind}.check, in-process): ${tally.toString()}; ${Date.now() - started} ms`);
    expect(tally.get("cases")).toBe(CHECK_RUNS);
    expect(tally.get("inputs")).toBeGreaterThan(CHECK_RUNS / 20);
    expect(tally.get("failures")).toBeGreaterThan(CHECK_RUNS / 20);
    expect(sandbox().requests).toHaveLength(0);
  });
});

// ---- property 2 -------------------------------------------------------------------------------------

const TOKEN = "tp_at_FUZZ-secret-token-0123456789abcdef";

const opaqueIdLike = fc.oneof(fc.string({ minLength: 1, maxLength: 8 }), fc.integer());

/** Bodies shaped like the API's; with `junk`, any field or item may be any JSON value (usually the wrong type). */
function apiShapes(junk: boolean) {
  const goodOrJunk = <T>(good: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
    junk ? fc.oneof({ arbitrary: good, weight: 8 }, { arbitrary: fc.jsonValue({ maxDepth: 1 }), weight: 1 }) : good;
  const nullableText = goodOrJunk(fc.option(fc.string({ maxLength: 10 }), { nil: null }));
  const user = fc.record(
    {
      id: goodOrJunk(opaqueIdLike),
      email: goodOrJunk(fc.emailAddress()),
      first_name: nullableText,
      last_name: nullableText,
      role: goodOrJunk(fc.constantFrom("traveler", "travel_manager", "company_admin", null)),
      phone_number: nullableText,
      language: nullableText,
      gender: nullableText,
      date_of_birth: nullableText,
      nationality: nullableText,
      invoicing_profiles: goodOrJunk(
        fc.option(fc.array(fc.oneof(opaqueIdLike, fc.record({ id: opaqueIdLike })), { maxLength: 3 }), { nil: null }),
      ),
      travel_policy: goodOrJunk(fc.option(fc.record({ id: opaqueIdLike }), { nil: null })),
      cost_center: nullableText,
      manager_id: goodOrJunk(fc.option(opaqueIdLike, { nil: null })),
      is_active: goodOrJunk(fc.option(fc.boolean(), { nil: null })),
    },
    // A well-formed user has at least its id and e-mail.
    { requiredKeys: junk ? [] : ["id", "email"] },
  );
  const named = fc.record({ id: goodOrJunk(opaqueIdLike), name: nullableText }, { requiredKeys: junk ? [] : ["id"] });
  const member = fc.record(
    { user_id: goodOrJunk(opaqueIdLike), group_id: goodOrJunk(opaqueIdLike) },
    { requiredKeys: junk ? [] : ["user_id"] },
  );

  /**
   * A last page of items in the shapes the API (and its imitators) use: a `total` that the page
   * reaches, or a lowered `limit` (6, below the 200 asked) it falls short of, so each call is one
   * request (paging, silent caps and bare unpaged lists have their own tests in client.test.ts).
   */
  const page = (item: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> => {
    const items = fc.array(goodOrJunk(item), { maxLength: 5 });
    const wellFormed = fc.oneof(
      items.chain((results) =>
        fc.record(
          {
            results: fc.constant(results),
            total: fc.constant(results.length),
            offset: fc.constant(0),
            limit: fc.constant(6),
          },
          { requiredKeys: ["results", "limit"] },
        ),
      ),
      fc
        .tuple(fc.constantFrom("data", "users", "groups", "members", "travel_policies", "items"), items)
        .map(([key, list]) => ({ [key]: list, offset: 0, limit: 6 })),
    );
    if (!junk) return wellFormed;
    return fc.oneof(
      { arbitrary: wellFormed, weight: 5 },
      fc.record({ results: items, total: fc.jsonValue({ maxDepth: 1 }), limit: fc.constant(6) }),
      fc.tuple(items, items).map(([a, b]) => ({ data: a, items: b })),
      fc.record({ results: fc.jsonValue({ maxDepth: 1 }) }),
    );
  };
  return { user, named, member, page };
}

const GOOD = apiShapes(false);
const JUNK = apiShapes(true);

const htmlPage = fc
  .tuple(fc.constantFrom(400, 404, 500, 502, 503), fc.string({ maxLength: 40 }))
  .map(
    ([code, text]) =>
      `<!DOCTYPE html><html><head><title>${String(code)} Error</title></head>` +
      `<body><h1>${String(code)}</h1><p>${text}</p></body></html>`,
  );

interface ClientCall {
  route: string;
  operation: string;
  call: () => Promise<unknown>;
  /** Answers shaped like the contract's, from well-formed shapes or junk-laden ones. */
  plausible: (shapes: typeof GOOD) => fc.Arbitrary<unknown>;
  verify: (value: unknown) => void;
}

function expectUser(value: unknown): void {
  if (!isRecord(value)) throw new Error(`not a user: ${inspect(value)}`);
  expect(typeof value.id).toBe("string");
  expect(value.id).not.toBe("");
  expect(typeof value.email).toBe("string");
  expect(value.travelPolicyId === null || typeof value.travelPolicyId === "string").toBe(true);
  expect(value.isActive === null || typeof value.isActive === "boolean").toBe(true);
  expect(value.managerId === null || typeof value.managerId === "string").toBe(true);
  const profiles = value.invoicingProfiles;
  expect(profiles === null || (Array.isArray(profiles) && profiles.every((p) => typeof p === "string"))).toBe(true);
}

function expectNamed(value: unknown): void {
  expect(Array.isArray(value)).toBe(true);
  for (const item of value as unknown[]) {
    if (!isRecord(item)) throw new Error(`not a named item: ${inspect(item)}`);
    expect(typeof item.id).toBe("string");
    expect(item.id).not.toBe("");
    expect(typeof item.name).toBe("string");
  }
}

const CALLS: Record<string, ClientCall> = {
  getUser: {
    route: "GET /users/u1",
    operation: "read user",
    call: () => getUser("u1"),
    plausible: (shapes) => shapes.user,
    verify: expectUser,
  },
  listUsers: {
    route: "GET /users",
    operation: "list users",
    call: () => listUsers(),
    plausible: (shapes) => shapes.page(shapes.user),
    verify: (value) => {
      expect(Array.isArray(value)).toBe(true);
      (value as unknown[]).forEach(expectUser);
    },
  },
  listGroups: {
    route: "GET /groups",
    operation: "list groups",
    call: () => listGroups(),
    plausible: (shapes) => shapes.page(shapes.named),
    verify: expectNamed,
  },
  listGroupMembers: {
    route: "GET /groups/g1/members",
    operation: "list group members",
    call: () => listGroupMembers("g1"),
    plausible: (shapes) => shapes.page(shapes.member),
    verify: (value) => {
      expect(Array.isArray(value)).toBe(true);
      for (const id of value as unknown[]) expect(typeof id).toBe("string");
    },
  },
  listTravelPolicies: {
    route: "GET /travel_policies",
    operation: "list travel policies",
    call: () => listTravelPolicies(),
    plausible: (shapes) => shapes.page(shapes.named),
    verify: expectNamed,
  },
  updateUser: {
    route: "PATCH /users/u1",
    operation: "update user",
    call: () => updateUser("u1", { firstName: "Ada" }, "ada@example.com"),
    plausible: (shapes) =>
      fc.oneof(shapes.user, fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 4 })),
    verify: (value) => {
      expect(value).toBeUndefined();
    },
  },
};

const STATUSES = [200, 201, 400, 401, 404, 409, 422, 500, 502] as const;

function replyFor(spec: ClientCall): fc.Arbitrary<{ kind: string; reply: ScriptedReply }> {
  const status = fc.constantFrom(...STATUSES);
  const reply = (kind: string, arb: fc.Arbitrary<ScriptedReply>, weight = 1) => ({
    arbitrary: arb.map((r) => ({ kind, reply: r })),
    weight,
  });
  const good = spec.plausible(GOOD);
  const junk = spec.plausible(JUNK);
  return fc.oneof(
    reply("JSON value", fc.record({ status, body: fc.jsonValue() })),
    reply("junk-laden body", fc.record({ status, body: junk }), 3),
    reply("well-formed body", fc.record({ status, body: good }), 2),
    reply("well-formed 2xx", fc.record({ status: fc.constantFrom(200, 201), body: good }), 2),
    reply("HTML page", fc.record({ status, raw: htmlPage })),
    reply("empty body", fc.record({ status, raw: fc.constant("") })),
    reply(
      "truncated JSON",
      fc.tuple(status, fc.oneof(good, junk), fc.double({ min: 0, max: 1, noNaN: true })).map(([s, body, cut]) => {
        const text = JSON.stringify(body);
        return { status: s, raw: text.slice(0, Math.floor(text.length * cut)) };
      }),
    ),
    reply("dropped connection", fc.constant({ drop: true })),
  );
}

/** The errors each final answer must map to (2xx: the answer did not fit the contract). */
function expectedErrorClass(reply: ScriptedReply): (new (...args: never[]) => TravelPerkError) | undefined {
  if (reply.drop) return NetworkError;
  const status = reply.status ?? 200;
  if (status < 300) return MalformedResponseError;
  if (status === 400) return InvalidRequestError;
  if (status === 401) return AuthenticationError;
  if (status === 404) return NotFoundError;
  if (status === 409 || status === 422) return ConflictError;
  if (status >= 500) return ServerError;
  return undefined;
}

const retryable = (reply: ScriptedReply) => reply.drop === true || (reply.status ?? 200) >= 500;

describe("property 2: malformed API answers produce a clear error, never a crash", () => {
  const server = new ScriptedServer();
  const ENV = [
    "TRAVELPERK_API_URL",
    "TRAVELPERK_ACCESS_TOKEN",
    "TRAVELPERK_RETRY_BASE_DELAY_MS",
    "TRAVELPERK_MAX_RETRIES",
  ];
  const saved: Record<string, string | undefined> = {};
  beforeAll(async () => {
    for (const key of ENV) saved[key] = process.env[key];
    process.env.TRAVELPERK_API_URL = await server.start();
    process.env.TRAVELPERK_ACCESS_TOKEN = TOKEN;
    process.env.TRAVELPERK_RETRY_BASE_DELAY_MS = "1";
    process.env.TRAVELPERK_MAX_RETRIES = "1";
    setStackConfig(undefined);
    runtime.startNewCommand();
  });
  afterAll(async () => {
    for (const key of ENV) {
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- delete is how an environment variable is unset
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    runtime.startNewCommand();
    await server.stop();
  });

  test("getUser, listUsers, listGroups, listGroupMembers, listTravelPolicies, updateUser", async () => {
    const tally = new Tally();
    const started = Date.now();
    const names = Object.keys(CALLS);
    const cases = fc.constantFrom(...names).chain((name) =>
      fc.record({
        name: fc.constant(name),
        replies: fc.array(replyFor(CALLS[name]), { minLength: 1, maxLength: 2 }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(cases, async ({ name, replies }) => {
        const spec = CALLS[name];
        runtime.startNewCommand();
        server.seen.length = 0;
        server.on(spec.route, ...replies.map((r) => ({ ...r.reply })));
        const final = retryable(replies[0].reply) && replies.length > 1 ? replies[1].reply : replies[0].reply;
        tally.add("cases");
        tally.add(name);
        for (const r of replies) tally.add(`answer: ${r.kind}`);
        let value: unknown;
        let failure: unknown;
        let failed = false;
        try {
          value = await spec.call();
        } catch (error) {
          failed = true;
          failure = error;
        }
        // One attempt, or two when the first answer was a 5xx or a dropped connection (maxRetries 1).
        expect(server.seen).toHaveLength(retryable(replies[0].reply) ? 2 : 1);
        if (!failed) {
          expect(final.drop).toBeUndefined();
          expect(final.status ?? 200).toBeLessThan(300);
          spec.verify(value);
          tally.add("resolved");
          tally.add(`${name} resolved`);
          return;
        }
        if (!(failure instanceof TravelPerkError)) {
          throw new Error(`${name} crashed instead of a TravelPerkError: ${inspect(failure)}`);
        }
        tally.add(failure.name);
        expect(failure.message.startsWith("TravelPerk ")).toBe(true);
        expect(failure.message).toContain(spec.operation);
        expect(failure.operation).toBe(spec.operation);
        for (const text of [failure.message, failure.stack ?? "", inspect(failure), JSON.stringify(failure)]) {
          expect(text).not.toContain(TOKEN);
        }
        const expectedClass = expectedErrorClass(final);
        expect(expectedClass).toBeDefined();
        expect(failure).toBeInstanceOf(expectedClass!);
        if (!final.drop && (final.status ?? 200) >= 300) expect(failure.status).toBe(final.status);
      }),
      { numRuns: CLIENT_RUNS, seed: SEED },
    );
    console.log(`fuzz property 2 (client calls vs malformed answers): ${tally.toString()}; ${Date.now() - started} ms`);
    expect(tally.get("cases")).toBe(CLIENT_RUNS);
    expect(tally.get("resolved")).toBeGreaterThan(CLIENT_RUNS / 50);
    for (const name of names) expect(tally.get(name)).toBeGreaterThan(CLIENT_RUNS / 10);
  });
});

// ---- property 3 -------------------------------------------------------------------------------------

describe("property 3: check through Pulumi's provider host over gRPC", () => {
  const program = process.env.TP_TEST_PROGRAM!;
  const host = new ProviderHost(program);
  const providers = {} as Record<Kind, string>;
  const urn = (kind: Kind) => `urn:pulumi:dev::tp-test::pulumi-nodejs:dynamic/travelperk:${TYPE_NAME[kind]}::fuzz`;

  beforeAll(async () => {
    for (const kind of KINDS) providers[kind] = await serializedProvider(program, ENTRY[kind]);
    await startConfigured(host, sandbox());
  });
  afterAll(() => host.stop());

  /** The host's answer in `check`'s own terms: failures, or the inputs without `__provider`. */
  async function hostCheck(kind: Kind, news: Record<string, unknown>): Promise<CheckAnswer> {
    const answer = await host.check(urn(kind), {}, { ...news, __provider: providers[kind] });
    if (answer.failures.length > 0) return { failures: answer.failures };
    const { __provider, ...inputs } = answer.inputs;
    expect(__provider).toBe(providers[kind]);
    return { inputs };
  }

  const sortedFailures = (answer: CheckAnswer): CheckAnswer =>
    answer.failures
      ? {
          ...answer,
          failures: [...answer.failures].sort((a, b) =>
            `${a.property}\0${a.reason}` < `${b.property}\0${b.reason}` ? -1 : 1,
          ),
        }
      : answer;

  test.each(KINDS)("%s", async (kind) => {
    sandbox().clearLog();
    const tally = new Tally();
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(checkInput(kind, true), async ({ family, news }) => {
        tally.add("cases");
        tally.add(family);
        // A gRPC error rejects here and fails the property.
        const answer = await hostCheck(kind, news);
        const outcome = verifyAnswer(kind, news, answer, false);
        tally.add(outcome);
        // The host runs the packed package: it answers exactly as the provider does in-process.
        // (A protobuf Struct sorts keys, so failures may come in another order.)
        expectSame(sortedFailures(answer), sortedFailures(await callCheck(kind, news)), "host and in-process answers");
        if (outcome === "inputs") {
          expectSame(await hostCheck(kind, answer.inputs!), answer, "the host's answers to a second check");
          tally.add("re-checked identical");
        }
      }),
      { numRuns: HOST_RUNS, seed: SEED },
    );
    console.log(`fuzz property 3 (${kind}.check via provider host): ${tally.toString()}; ${Date.now() - started} ms`);
    expect(tally.get("cases")).toBe(HOST_RUNS);
    const child = Reflect.get(host, "child") as ChildProcess | undefined;
    expect(child?.exitCode).toBeNull();
    expect(child?.signalCode).toBeNull();
    expect(() => process.kill(child!.pid!, 0)).not.toThrow();
    expect((await hostCheck(kind, VALID[kind])).failures).toBeUndefined();
    expect(sandbox().requests).toHaveLength(0);
  });

  test("regression A through the host: Check of { constructor: <unknown> } answers failures, not a gRPC error", async () => {
    const answer = await hostCheck("user", { ...VALID.user, constructor: unknownValue });
    expect(answer.failures?.map((f) => f.property)).toEqual(["constructor"]);
  });
});

// ---- regressions found by the fuzzing (fixed in provider/resources/validation.ts, checkInputs) -------

describe("regressions", () => {
  // checkInputs routes an unknown value to the pass-through set when `key in schema.shape`; `in` also
  // sees Object.prototype (constructor, toString, valueOf, …), and zod's `.partial(mask)` then throws
  // `Unrecognized key: "constructor"` synchronously, instead of a failure naming the property.
  test.each(KINDS)(
    "regression A: %s.check({}, { constructor: unknownValue }) answers a failure, not an exception",
    async (kind) => {
      const answer = await callCheck(kind, { ...VALID[kind], constructor: unknownValue });
      expect(answer.failures?.map((f) => f.property)).toEqual(["constructor"]);
    },
  );
});
