/**
 * Keeping a file's untouched lines byte for byte: `export --update` edits the YAML document and
 * re-serialises it, which also normalises lines the edit never touched (comment spacing, blank
 * lines). A line diff (Myers) of the re-serialised text before and after the edit says which lines
 * the edit changed; every other line is taken from the original file.
 */

/**
 * A step of a line diff, with its line: a line of both (`=`, at `a` and `b`), only of the first
 * (`-`, at `a`), only of the second (`+`, at `b`).
 */
type DiffOp =
  | { kind: "="; a: number; b: number; line: string }
  | { kind: "-"; a: number; line: string }
  | { kind: "+"; b: number; line: string };

/** Line `i` (0 or more) of `lines`; the diff only asks for lines in range. */
function lineAt(lines: readonly string[], i: number): string {
  const line = lines.at(i);
  if (line === undefined) throw new RangeError(`line diff: no line ${i} of ${lines.length}`);
  return line;
}

/** The shortest line diff (Myers), or `undefined` when the texts differ in too many lines to bother. */
function diffLines(a: readonly string[], b: readonly string[], maxEdits = 4000): DiffOp[] | undefined {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const n = endA - start;
  const m = endB - start;
  const max = Math.min(n + m, maxEdits);
  const offset = max + 1;
  // The furthest x on each diagonal k; |k| ≤ max + 1, so every index read is in range (a fresh slot is 0).
  const furthest = (row: Int32Array, k: number): number => row.at(offset + k) ?? 0;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = n === 0 && m === 0 ? 0 : -1;
  for (let d = 0; d <= max && found < 0; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && furthest(v, k - 1) < furthest(v, k + 1)) ? furthest(v, k + 1) : furthest(v, k - 1) + 1;
      let y = x - k;
      while (x < n && y < m && a[start + x] === b[start + y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  if (found < 0) return undefined;
  const same = (i: number, j: number): DiffOp => ({ kind: "=", a: i, b: j, line: lineAt(a, i) });
  const middle: DiffOp[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const prev = trace.at(d);
    if (!prev) return undefined; // never: one snapshot was pushed per d up to `found`
    const k = x - y;
    const down = k === -d || (k !== d && furthest(prev, k - 1) < furthest(prev, k + 1));
    const prevK = down ? k + 1 : k - 1;
    const prevX = furthest(prev, prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      middle.push(same(start + x, start + y));
    }
    if (down) {
      y--;
      middle.push({ kind: "+", b: start + y, line: lineAt(b, start + y) });
    } else {
      x--;
      middle.push({ kind: "-", a: start + x, line: lineAt(a, start + x) });
    }
  }
  while (x > 0 && y > 0) {
    x--;
    y--;
    middle.push(same(start + x, start + y));
  }
  const ops: DiffOp[] = [];
  for (let i = 0; i < start; i++) ops.push(same(i, i));
  ops.push(...middle.reverse());
  for (let i = 0; endA + i < a.length; i++) ops.push(same(endA + i, endB + i));
  return ops;
}

/**
 * `after` with every line that the edit did not touch as it is in `original`: the edit is the line
 * diff of `before` (the unedited document re-serialised) and `after`; `original` and `before` differ
 * only where serialising normalised the file (comment spacing, blank lines), and those lines are kept.
 * The caller checks that the result still holds the data of `after`.
 */
export function keepOriginalLines(original: string, before: string, after: string): string {
  const B = before.split("\n");
  const edit = diffLines(B, after.split("\n"));
  const align = diffLines(original.split("\n"), B);
  if (!edit || !align) return after;
  /** The lines of `before` the edit kept. */
  const kept = new Set<number>();
  /** The lines the edit wrote before each line of `before` (at `B.length`: after the last). */
  const inserted = new Map<number, string[]>();
  const insertedBefore = (b: number): string[] => {
    let lines = inserted.get(b);
    if (!lines) inserted.set(b, (lines = []));
    return lines;
  };
  let cursor = 0;
  for (const op of edit) {
    if (op.kind === "=") {
      kept.add(op.a);
      cursor = op.a + 1;
    } else if (op.kind === "-") cursor = op.a + 1;
    else insertedBefore(cursor).push(op.line);
  }
  const out: string[] = [];
  // A hunk of `align`: the original's lines (`-`) and the serialised lines (`+`) between two lines of both.
  let originals: string[] = [];
  let serialised: number[] = [];
  const flushHunk = () => {
    // Lines serialising reformatted: paired one for one from the top, each kept as it was unless the
    // edit changed it; lines only the serialiser wrote (a blank line) are left out, lines it dropped
    // stay while the hunk is otherwise untouched. (A pairing that goes wrong is caught by the caller.)
    const untouched = serialised.every((b) => kept.has(b));
    for (let k = 0; k < Math.max(originals.length, serialised.length); k++) {
      const b = serialised.at(k);
      const line = originals.at(k);
      if (b !== undefined) out.push(...insertedBefore(b));
      if (line !== undefined && (b !== undefined ? kept.has(b) : untouched)) out.push(line);
    }
    originals = [];
    serialised = [];
  };
  for (const op of align) {
    if (op.kind === "=") {
      flushHunk();
      out.push(...insertedBefore(op.b));
      if (kept.has(op.b)) out.push(op.line);
    } else if (op.kind === "-") originals.push(op.line);
    else serialised.push(op.b);
  }
  flushHunk();
  out.push(...insertedBefore(B.length));
  return out.join("\n");
}
