/**
 * SCIM filters (RFC 7644 §3.4.2.2) over JSON resources: `eq ne co sw ew gt ge lt le pr`, `and`, `or`,
 * `not (...)`, parentheses and value paths (`emails[type eq "work"]`). Attribute names are
 * case-insensitive; string comparison follows each attribute's `caseExact`. Also the attribute lookup
 * (`valuesAt`) that the filters, the PATCH paths and the attribute projection share, and the small JSON
 * helpers (`isObject`, `unset`, `prune`) every SCIM module uses.
 */
import { ScimInvalid, URN } from "./scim-schemas";

export type Json = Record<string, unknown>;
export type Predicate = (item: Json) => boolean;

export interface FilterOptions {
  /** Whether string comparison on this attribute path (from the resource root) is case-sensitive. */
  caseExact: (path: string) => boolean;
  /** The attribute paths a filter may name; others are refused (invalidFilter). Default: any. */
  allowed?: (path: string) => boolean;
  /** Inside a value path: the multi-valued attribute the sub-attribute paths are relative to. */
  prefix?: string;
}

export const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
/** The key of `obj` that is `name` case-insensitively. */
export const keyCi = (obj: Json, name: string): string | undefined =>
  Object.keys(obj).find((k) => k.toLowerCase() === name.toLowerCase());
/** Removes a key (documents are plain records: their keys are data). */
export const unset = (obj: Json, key: string): void => {
  Reflect.deleteProperty(obj, key);
};
export const getCi = (obj: Json, name: string): unknown => {
  const key = keyCi(obj, name);
  return key === undefined ? undefined : obj[key];
};

/** Drops null and undefined values, empty objects and empty arrays: unassigned attributes are absent. */
export function prune(v: unknown): unknown {
  if (Array.isArray(v)) {
    const items = v.map(prune).filter((x) => x !== undefined);
    return items.length ? items : undefined;
  }
  if (isObject(v)) {
    const entries = Object.entries(v)
      .map(([k, x]) => [k, prune(x)] as const)
      .filter(([, x]) => x !== undefined);
    return entries.length ? Object.fromEntries(entries) : undefined;
  }
  return v === null ? undefined : v;
}

/** Splits "urn:...:User:manager.value" into the schema URN and "manager.value"; no URN for a plain path. */
export function splitUrn(path: string): { urn?: string; rest: string } {
  if (!/^urn:/i.test(path)) return { rest: path };
  const colon = path.lastIndexOf(":");
  return { urn: path.slice(0, colon), rest: path.slice(colon + 1) };
}

/**
 * Every value at `path` in `item`, multi-valued attributes flattened; a complex value met at the end
 * of the path stands for its `value` sub-attribute when `leaf` is set (as filters compare it).
 */
function valuesAt(item: Json, path: string, leaf = true): unknown[] {
  const { urn, rest } = splitUrn(path);
  let current: unknown[] = [item];
  if (urn && urn.toLowerCase() !== URN.user.toLowerCase() && urn.toLowerCase() !== URN.group.toLowerCase())
    current = [getCi(item, urn)].filter(isObject);
  for (const part of rest.split(".")) {
    current = current.flatMap((v) => {
      const x = isObject(v) ? getCi(v, part) : undefined;
      return Array.isArray(x) ? (x as unknown[]) : x === undefined || x === null ? [] : [x];
    });
  }
  return leaf ? current.map((v) => (isObject(v) ? v.value : v)).filter((v) => v !== undefined && v !== null) : current;
}

const OPS = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr"] as const;
type Op = (typeof OPS)[number];
const TOKEN = /\s*(?:([()[\]])|("(?:[^"\\]|\\.)*")|([^\s()[\]"]+))/y;

const bad = (message: string) => new ScimInvalid(message, "invalidFilter");

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) throw bad(`cannot read the filter at character ${String(at + 1)}`);
    const [, bracket, quoted, word] = m as (string | undefined)[];
    tokens.push(bracket ?? quoted ?? word ?? "");
  }
  return tokens;
}

function compare(actual: unknown, op: Op, expected: unknown, exact: boolean): boolean {
  if (typeof actual === "string" && typeof expected === "string") {
    const [a, e] = exact ? [actual, expected] : [actual.toLowerCase(), expected.toLowerCase()];
    switch (op) {
      case "eq":
        return a === e;
      case "co":
        return a.includes(e);
      case "sw":
        return a.startsWith(e);
      case "ew":
        return a.endsWith(e);
      case "gt":
        return a > e;
      case "ge":
        return a >= e;
      case "lt":
        return a < e;
      case "le":
        return a <= e;
      default:
        return false;
    }
  }
  if (typeof actual === "number" && typeof expected === "number") {
    const table: Partial<Record<Op, boolean>> = {
      eq: actual === expected,
      gt: actual > expected,
      ge: actual >= expected,
      lt: actual < expected,
      le: actual <= expected,
    };
    return table[op] ?? false;
  }
  return op === "eq" && actual === expected;
}

class Parser {
  private i = 0;
  constructor(
    private readonly tokens: string[],
    private readonly o: FilterOptions,
  ) {}

  parse(): Predicate {
    const f = this.or();
    if (this.i < this.tokens.length) throw bad(`unexpected "${this.tokens[this.i]}" in the filter`);
    return f;
  }

  private peekWord(word: string): boolean {
    return this.tokens[this.i]?.toLowerCase() === word;
  }
  private expect(token: string): void {
    if (this.tokens[this.i] !== token) throw bad(`expected "${token}" in the filter`);
    this.i++;
  }

  private or(): Predicate {
    let left = this.and();
    while (this.peekWord("or")) {
      this.i++;
      const [l, r] = [left, this.and()];
      left = (x) => l(x) || r(x);
    }
    return left;
  }

  private and(): Predicate {
    let left = this.unary();
    while (this.peekWord("and")) {
      this.i++;
      const [l, r] = [left, this.unary()];
      left = (x) => l(x) && r(x);
    }
    return left;
  }

  private unary(): Predicate {
    if (this.peekWord("not")) {
      this.i++;
      this.expect("(");
      const inner = this.or();
      this.expect(")");
      return (x) => !inner(x);
    }
    if (this.tokens[this.i] === "(") {
      this.i++;
      const inner = this.or();
      this.expect(")");
      return inner;
    }
    return this.comparison();
  }

  private comparison(): Predicate {
    const path = this.tokens[this.i++];
    if (path === undefined || /^[()[\]"]/.test(path)) throw bad("expected an attribute name in the filter");
    const full = this.o.prefix ? `${this.o.prefix}.${path}` : path;
    if (this.tokens[this.i] === "[") {
      // A value path: the multi-valued attribute has a value matching the inner filter.
      this.i++;
      const inner = new Parser(this.tokens, { ...this.o, prefix: full });
      inner.i = this.i;
      const match = inner.or();
      this.i = inner.i;
      this.expect("]");
      return (x) => valuesAt(x, path, false).some((v) => isObject(v) && match(v));
    }
    if (this.o.allowed && !this.o.allowed(full)) throw bad(`filtering on ${full} is not supported`);
    const op = this.tokens[this.i++]?.toLowerCase() as Op | undefined;
    if (!op || !OPS.includes(op)) throw bad(`expected an operator (${OPS.join(", ")}) after ${path}`);
    if (op === "pr") return (x) => valuesAt(x, path).some((v) => v !== "" && !(Array.isArray(v) && !v.length));
    const raw = this.tokens[this.i++];
    if (raw === undefined) throw bad(`expected a value after ${path} ${op}`);
    let expected: unknown;
    try {
      expected = JSON.parse(raw.startsWith('"') ? raw : raw.toLowerCase());
    } catch {
      throw bad(`${raw} is not a filter value (a "string", a number, true, false or null)`);
    }
    const exact = this.o.caseExact(full);
    if (expected === null) return op === "eq" ? (x) => !valuesAt(x, path).length : (x) => valuesAt(x, path).length > 0;
    if (op === "ne") return (x) => !valuesAt(x, path).some((v) => compare(v, "eq", expected, exact));
    return (x) => valuesAt(x, path).some((v) => compare(v, op, expected, exact));
  }
}

/** The predicate a filter expression describes; throws invalidFilter when it cannot be read or names a refused attribute. */
export function parseFilter(text: string, o: FilterOptions): Predicate {
  const tokens = tokenize(text);
  if (!tokens.length) throw bad("the filter is empty");
  return new Parser(tokens, o).parse();
}
