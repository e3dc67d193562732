/**
 * The generators (fast-check arbitraries) behind test/fuzz.test.ts, kept apart from the properties
 * so each can be read on its own: the three resources' inputs (a valid value per property, which are
 * required) and inputs for `check` of three families (anything at all, objects keyed like the
 * resource, near-valid inputs with one mutation), and the API answers the client is fed (bodies shaped
 * like the API's, well-formed or junk-laden, HTML pages, truncated JSON, dropped connections).
 * `structSafe` arbitraries hold only what a protobuf Struct can carry (for the provider host over gRPC).
 */
import fc from "fast-check";
import * as pulumi from "@pulumi/pulumi";
import type { ScriptedReply } from "./scripted-server";

const { unknownValue } = pulumi.runtime;

// ---- the three resources' inputs --------------------------------------------------------------

export type Kind = "user" | "groupMembership" | "policyAssignment";
export const KINDS: readonly Kind[] = ["user", "groupMembership", "policyAssignment"];

/** A valid value for every property; each resource's required properties come first. */
export const VALID: Record<Kind, Record<string, unknown>> = {
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
export const REQUIRED: Record<Kind, readonly string[]> = {
  user: ["email", "firstName", "lastName"],
  groupMembership: ["groupId", "userId"],
  policyAssignment: ["userId", "policyId"],
};
export const PROPS = Object.fromEntries(KINDS.map((k) => [k, Object.keys(VALID[k])])) as Record<Kind, string[]>;
export const OPTIONAL = Object.fromEntries(
  KINDS.map((k) => [k, PROPS[k].filter((p) => !REQUIRED[k].includes(p))]),
) as Record<Kind, string[]>;
export const ALL_PROPS = [...new Set(KINDS.flatMap((k) => PROPS[k]))];
/** `constructor`, `toString`, `__proto__`, …: names every plain object answers `in` for. */
export const PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype);

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

// ---- arbitraries for property 1 -------------------------------------------------------------------

export const whitespace = fc.constantFrom("", " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u200b", "\u2028", "\u3000");
export const trickyStrings = fc.constantFrom(
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
export function anyString(structSafe: boolean): fc.Arbitrary<string> {
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
export function withoutProtoKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutProtoKeys);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) if (key !== "__proto__") out[key] = withoutProtoKeys(v);
  return out;
}

/** Every exotic kind of value fast-check's `anything` and `object` can make (boxed, Map, Set, typed arrays, …). */
const EXOTIC = {
  withBoxedValues: true,
  withMap: true,
  withSet: true,
  withBigInt: true,
  withDate: true,
  withTypedArray: true,
  withSparseArray: true,
  withNullPrototype: true,
  withObjectString: true,
} as const;

/** Values of any type: scalars, unknowns, arrays and nested objects (only JSON-like ones when struct-safe). */
export function anyValue(structSafe: boolean): fc.Arbitrary<unknown> {
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
  const exotic = fc.anything({ maxDepth: 2, maxKeys: 4, ...EXOTIC });
  return fc.oneof({ arbitrary: value, weight: 4 }, exotic);
}

export function anyKey(kind: Kind, structSafe: boolean): fc.Arbitrary<string> {
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
export type Mutation =
  | { op: "none" }
  | { op: "set"; key: string; value: unknown }
  | { op: "remove"; key: string }
  | { op: "add"; key: string; value: unknown }
  | { op: "pad"; key: string; before: string; after: string }
  | { op: "recase"; key: string; upper: boolean }
  | { op: "append"; key: string; suffix: string };

export function mutate(base: Record<string, unknown>, m: Mutation): Record<string, unknown> {
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

export function nearValid(kind: Kind, structSafe: boolean): fc.Arbitrary<Record<string, unknown>> {
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

export type Family = "anything" | "keyed" | "near-valid";

export function checkInput(
  kind: Kind,
  structSafe: boolean,
): fc.Arbitrary<{ family: Family; news: Record<string, unknown> }> {
  const anything = structSafe
    ? fc
        .dictionary(fc.string(), fc.jsonValue({ maxDepth: 3, stringUnit: "grapheme" }), { maxKeys: 6 })
        .map((o) => withoutProtoKeys(o) as Record<string, unknown>)
    : fc.object({ maxDepth: 2, maxKeys: 6, ...EXOTIC });
  const keyed = fc.dictionary(anyKey(kind, structSafe), anyValue(structSafe), { maxKeys: 8 });
  return fc.oneof(
    { arbitrary: anything.map((news) => ({ family: "anything" as const, news })), weight: 1 },
    { arbitrary: keyed.map((news) => ({ family: "keyed" as const, news })), weight: 2 },
    { arbitrary: nearValid(kind, structSafe).map((news) => ({ family: "near-valid" as const, news })), weight: 3 },
  );
}

// ---- API answers for property 2 -------------------------------------------------------------------

export const opaqueIdLike = fc.oneof(fc.string({ minLength: 1, maxLength: 8 }), fc.integer());

/** Bodies shaped like the API's; with `junk`, any field or item may be any JSON value (usually the wrong type). */
export function apiShapes(junk: boolean) {
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

export const GOOD = apiShapes(false);
export const JUNK = apiShapes(true);

export const htmlPage = fc
  .tuple(fc.constantFrom(400, 404, 500, 502, 503), fc.string({ maxLength: 40 }))
  .map(
    ([code, text]) =>
      `<!DOCTYPE html><html><head><title>${String(code)} Error</title></head>` +
      `<body><h1>${String(code)}</h1><p>${text}</p></body></html>`,
  );

export const STATUSES = [200, 201, 400, 401, 404, 409, 422, 500, 502] as const;

/** The shapes of the API's bodies, well-formed ({@link GOOD}) or junk-laden ({@link JUNK}). */
export type ApiShapes = typeof GOOD;

/**
 * One answer for a client call, labelled by its kind: any JSON value, a body from `plausible` (the
 * call's contract, well-formed or junk-laden) with any status, an HTML page, an empty or truncated
 * body, or a dropped connection.
 */
export function replyFor(
  plausible: (shapes: ApiShapes) => fc.Arbitrary<unknown>,
): fc.Arbitrary<{ kind: string; reply: ScriptedReply }> {
  const status = fc.constantFrom(...STATUSES);
  const reply = (kind: string, arb: fc.Arbitrary<ScriptedReply>, weight = 1) => ({
    arbitrary: arb.map((r) => ({ kind, reply: r })),
    weight,
  });
  const good = plausible(GOOD);
  const junk = plausible(JUNK);
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
