/**
 * GitHub Actions expressions (`${{ }}` and `if:`): the operators (`!`, `==`, `!=`, `&&`, `||`,
 * parentheses), literals, context look-ups (`github.event_name`, `steps.x.outputs.y`) and status
 * functions (`success()`, `failure()`, `always()`, `cancelled()`) that the example workflows use, so the
 * stub runner can decide which steps run and what their `env:` and `with:` values are. Comparisons of
 * strings ignore case, as GitHub's do; anything else is refused with an error, not guessed.
 */

/** A value an expression can yield or a context can hold. */
export type Value = string | number | boolean | null | { [key: string]: Value };

/** Whether the job has failed so far: what the status functions answer from. */
export interface JobStatus {
  failed: boolean;
}

const truthy = (v: Value) => v !== null && v !== false && v !== "" && v !== 0;
const equal = (a: Value, b: Value) =>
  typeof a === "string" && typeof b === "string" ? a.toLowerCase() === b.toLowerCase() : a === b;

/** A record's own entry (never an inherited one such as `constructor`). */
const own = <T>(record: Record<string, T>, key: string): T | undefined =>
  Object.hasOwn(record, key) ? record[key] : undefined;

const STATUS_FUNCTIONS: Record<string, (status: JobStatus) => boolean> = {
  success: (status) => !status.failed,
  failure: (status) => status.failed,
  always: () => true,
  cancelled: () => false,
};

/** The value of one expression (without the `${{ }}`); unknown context names and keys are null. */
export function evaluate(expr: string, context: Record<string, Value>, status: JobStatus): Value {
  const tokens = expr.match(/'(?:[^']|'')*'|\d+(?:\.\d+)?|[A-Za-z_][\w-]*|==|!=|&&|\|\||[!().,]|\S/g) ?? [];
  let pos = 0;
  const peek = (): string | undefined => tokens[pos];
  const take = (expected?: string): string => {
    const token = peek();
    pos++;
    if (token === undefined || (expected !== undefined && token !== expected))
      throw new Error(`expected ${expected ?? "more"} in ${expr}`);
    return token;
  };
  const primary = (): Value => {
    const token = take();
    if (token === "(") {
      const value = or();
      take(")");
      return value;
    }
    if (token === "!") return !truthy(primary());
    if (token.startsWith("'")) return token.slice(1, -1).replace(/''/g, "'");
    if (/^\d/.test(token)) return Number(token);
    if (token === "true" || token === "false") return token === "true";
    if (token === "null") return null;
    if (peek() === "(") {
      take("(");
      take(")");
      const fn = own(STATUS_FUNCTIONS, token);
      if (!fn) throw new Error(`function ${token}() is not supported here`);
      return fn(status);
    }
    let value: Value = own(context, token) ?? null;
    while (peek() === ".") {
      take(".");
      const key = take();
      value = value !== null && typeof value === "object" ? (own(value, key) ?? null) : null;
    }
    return value;
  };
  /** A left-associative level of binary operators over the next tighter level. */
  const level =
    (ops: string[], operand: () => Value, combine: (op: string, left: Value, right: Value) => Value) => (): Value => {
      let left = operand();
      for (let op = peek(); op !== undefined && ops.includes(op); op = peek()) {
        take();
        left = combine(op, left, operand());
      }
      return left;
    };
  const comparison = level(["==", "!="], primary, (op, left, right) =>
    op === "==" ? equal(left, right) : !equal(left, right),
  );
  const and = level(["&&"], comparison, (_, left, right) => (truthy(left) ? right : left));
  const or = level(["||"], and, (_, left, right) => (truthy(left) ? left : right));
  const value = or();
  if (pos !== tokens.length) throw new Error(`unexpected ${String(peek())} in ${expr}`);
  return value;
}

/** Every `${{ expr }}` in a workflow's text; group 1 is the expression. */
export const EXPRESSION = /\$\{\{(.*?)\}\}/g;

/** A string with each `${{ }}` replaced by its value (null as "", objects as JSON), as GitHub fills `env:` and `with:`. */
export function interpolate(text: unknown, context: Record<string, Value>, status: JobStatus): string {
  return String(text).replace(EXPRESSION, (_, expr: string) => {
    const value = evaluate(expr, context, status);
    return value === null ? "" : typeof value === "object" ? JSON.stringify(value) : String(value);
  });
}
