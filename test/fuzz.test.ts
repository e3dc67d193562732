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
import * as pulumi from "@pulumi/pulumi";
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
import {
  checkInput,
  isRecord,
  KINDS,
  PROPS,
  replyFor,
  REQUIRED,
  VALID,
  type ApiShapes,
  type Kind,
} from "./helpers/fuzz-arbitraries";
import { at } from "./helpers/at";
import { ProviderHost, startConfigured } from "./helpers/provider-host";
import { useSandbox } from "./helpers/sandbox";
import { ScriptedServer, type ScriptedReply } from "./helpers/scripted-server";
import { serializedProvider } from "./helpers/serialize";

const SEED = 20240611;
const CHECK_RUNS = 2000;
const CLIENT_RUNS = 2000;
const HOST_RUNS = 100;

const sandbox = useSandbox();
const { unknownValue } = pulumi.runtime;

const ENTRY = { user: "user", groupMembership: "group-membership", policyAssignment: "policy-assignment" } as const;
const TYPE_NAME = { user: "User", groupMembership: "GroupMembership", policyAssignment: "PolicyAssignment" } as const;

const USER_DEFAULTS = { isActive: true, onDelete: "deactivate", adoptExisting: false };

/** Observation B: an own `__proto__` key is assigned as a prototype inside check, not reported as a property. */
const hasOwnProtoKey = (news: object): boolean => Object.hasOwn(news, "__proto__");

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

/**
 * The frame of properties 1 and 3: `runs` generated check inputs of `kind` (fixed seed; struct-safe
 * ones for the host), each counted in `tally` as a case and by its family, then handed to `body`.
 * Starts with an empty sandbox log; logs the tally as `fuzz <title>: …` and asserts that every case ran.
 */
async function checkProperty(
  run: { title: string; kind: Kind; structSafe: boolean; runs: number; tally: Tally },
  body: (news: Record<string, unknown>) => Promise<void>,
): Promise<void> {
  const { title, kind, structSafe, runs, tally } = run;
  sandbox().clearLog();
  const started = Date.now();
  await fc.assert(
    fc.asyncProperty(checkInput(kind, structSafe), async ({ family, news }) => {
      tally.add("cases");
      tally.add(family);
      await body(news);
    }),
    { numRuns: runs, seed: SEED },
  );
  console.log(`fuzz ${title}: ${tally.toString()}; ${String(Date.now() - started)} ms`);
  expect(tally.get("cases")).toBe(runs);
}

// ---- property 1 -------------------------------------------------------------------------------------

describe("property 1: check never throws and never sends a request", () => {
  test.each(KINDS)("%s", async (kind) => {
    const tally = new Tally();
    const title = `property 1 (${kind}.check, in-process)`;
    await checkProperty({ title, kind, structSafe: false, runs: CHECK_RUNS, tally }, async (news) => {
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
    });
    expect(tally.get("inputs")).toBeGreaterThan(CHECK_RUNS / 20);
    expect(tally.get("failures")).toBeGreaterThan(CHECK_RUNS / 20);
    expect(sandbox().requests).toHaveLength(0);
  });
});

// ---- property 2 -------------------------------------------------------------------------------------

const TOKEN = "tp_at_FUZZ-secret-token-0123456789abcdef";

interface ClientCall {
  route: string;
  operation: string;
  call: () => Promise<unknown>;
  /** Answers shaped like the contract's, from well-formed shapes or junk-laden ones. */
  plausible: (shapes: ApiShapes) => fc.Arbitrary<unknown>;
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

function expectNamedItem(item: unknown): void {
  if (!isRecord(item)) throw new Error(`not a named item: ${inspect(item)}`);
  expect(typeof item.id).toBe("string");
  expect(item.id).not.toBe("");
  expect(typeof item.name).toBe("string");
}

/** A list call: a last page of items in the API's shapes; it resolves with an array of checked items. */
function listCall(
  route: string,
  operation: string,
  call: () => Promise<unknown>,
  item: "user" | "named" | "member",
  expectItem: (value: unknown) => void,
): ClientCall {
  return {
    route,
    operation,
    call,
    plausible: (shapes) => shapes.page(shapes[item]),
    verify: (value) => {
      expect(Array.isArray(value)).toBe(true);
      for (const element of value as unknown[]) expectItem(element);
    },
  };
}

const CALLS = {
  getUser: {
    route: "GET /users/u1",
    operation: "read user",
    call: () => getUser("u1"),
    plausible: (shapes) => shapes.user,
    verify: expectUser,
  },
  listUsers: listCall("GET /users", "list users", () => listUsers(), "user", expectUser),
  listGroups: listCall("GET /groups", "list groups", () => listGroups(), "named", expectNamedItem),
  listGroupMembers: listCall(
    "GET /groups/g1/members",
    "list group members",
    () => listGroupMembers("g1"),
    "member",
    (id) => {
      expect(typeof id).toBe("string");
    },
  ),
  listTravelPolicies: listCall(
    "GET /travel_policies",
    "list travel policies",
    () => listTravelPolicies(),
    "named",
    expectNamedItem,
  ),
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
} satisfies Record<string, ClientCall>;
type CallName = keyof typeof CALLS;

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
    const names = Object.keys(CALLS) as CallName[];
    const cases = fc.constantFrom(...names).chain((name) =>
      fc.record({
        name: fc.constant(name),
        replies: fc.array(replyFor(CALLS[name].plausible), { minLength: 1, maxLength: 2 }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(cases, async ({ name, replies }) => {
        const spec = CALLS[name];
        runtime.startNewCommand();
        server.seen.length = 0;
        server.on(spec.route, ...replies.map((r) => ({ ...r.reply })));
        const [first, second] = [at(replies, 0), replies.at(1)]; // fc.array with minLength 1
        const final = retryable(first.reply) && second ? second.reply : first.reply;
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
        expect(server.seen).toHaveLength(retryable(first.reply) ? 2 : 1);
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
    const tally = new Tally();
    const title = `property 3 (${kind}.check via provider host)`;
    await checkProperty({ title, kind, structSafe: true, runs: HOST_RUNS, tally }, async (news) => {
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
    });
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
