/** Line diffs: Myers' O(ND) shortest edit script, and unified-diff hunks from it. */

/** One line of an edit script. */
export interface Edit {
  op: ' ' | '-' | '+';
  line: string;
}

/** Beyond this many differing lines the edit script is "replace all" (bounded time and memory). */
const MAX_D = 4000;

/** The shortest edit script turning `a` into `b`. */
export function diffLines(a: readonly string[], b: readonly string[]): Edit[] {
  // common prefix and suffix first: most changes are small
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const head = a.slice(0, start).map((line) => ({ op: ' ' as const, line }));
  const tail = a.slice(endA).map((line) => ({ op: ' ' as const, line }));
  return [...head, ...middle(a.slice(start, endA), b.slice(start, endB)), ...tail];
}

function middle(a: readonly string[], b: readonly string[]): Edit[] {
  const n = a.length;
  const m = b.length;
  if (n === 0) return b.map((line) => ({ op: '+', line }));
  if (m === 0) return a.map((line) => ({ op: '-', line }));
  const max = Math.min(n + m, MAX_D);
  const offset = max;
  const v = new Int32Array(2 * max + 2);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  if (!found)
    return [...a.map((line) => ({ op: '-' as const, line })), ...b.map((line) => ({ op: '+' as const, line }))];
  // walk back through the trace
  const edits: Edit[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d > 0; d--) {
    const vd = trace[d];
    const k = x - y;
    const prevK = k === -d || (k !== d && vd[offset + k - 1] < vd[offset + k + 1]) ? k + 1 : k - 1;
    const prevX = vd[offset + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      edits.push({ op: ' ', line: a[--x] });
      y--;
    }
    if (x === prevX) edits.push({ op: '+', line: b[--y] });
    else edits.push({ op: '-', line: a[--x] });
  }
  while (x > 0 && y > 0) {
    edits.push({ op: ' ', line: a[--x] });
    y--;
  }
  return edits.reverse();
}

/** Unified-diff hunks (`@@ -1,3 +1,4 @@` …) with `context` lines around changes. */
export function unifiedHunks(edits: readonly Edit[], context = 3): string[] {
  const hunks: string[] = [];
  let i = 0;
  const lineA: number[] = [];
  const lineB: number[] = [];
  let la = 1;
  let lb = 1;
  for (const e of edits) {
    lineA.push(la);
    lineB.push(lb);
    if (e.op !== '+') la++;
    if (e.op !== '-') lb++;
  }
  while (i < edits.length) {
    if (edits[i].op === ' ') {
      i++;
      continue;
    }
    let from = Math.max(0, i - context);
    let to = i;
    // extend while the next change is within 2×context lines
    for (;;) {
      while (to < edits.length && edits[to].op !== ' ') to++;
      let next = to;
      while (next < edits.length && edits[next].op === ' ') next++;
      if (next < edits.length && next - to <= 2 * context) to = next;
      else break;
    }
    const end = Math.min(edits.length, to + context);
    const slice = edits.slice(from, end);
    const countA = slice.filter((e) => e.op !== '+').length;
    const countB = slice.filter((e) => e.op !== '-').length;
    const startA = countA ? lineA[from] : lineA[from] - 1;
    const startB = countB ? lineB[from] : lineB[from] - 1;
    hunks.push(`@@ -${startA},${countA} +${startB},${countB} @@\n${slice.map((e) => `${e.op}${e.line}`).join('\n')}`);
    i = end;
    from = end;
  }
  return hunks;
}
