/**
 * A line diff of two definitions as pretty JSON, for "draft against published" views.
 * Longest-common-subsequence over lines (definitions are a few hundred lines), trimmed of
 * the common head and tail first so typical edits cost little.
 */
export interface DiffLine {
  kind: 'same' | 'added' | 'removed';
  text: string;
  /** Line numbers in the old and new text (1-based), where the line exists. */
  oldLine: number | null;
  newLine: number | null;
}

const WIDTH = 100;

/** One line for a value: `{ "a": 1, "b": [1, 2] }`. */
function inline(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(inline).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return entries.length === 0 ? '{}' : `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${inline(v)}`).join(', ')} }`;
  }
  return JSON.stringify(value) ?? 'null';
}

function format(value: unknown, indent: string, used: number): string {
  const flat = inline(value);
  if (used + flat.length <= WIDTH || value === null || typeof value !== 'object') return flat;
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => inner + format(v, inner, inner.length)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  const lines = entries.map(([k, v]) => {
    const key = `${JSON.stringify(k)}: `;
    return inner + key + format(v, inner, inner.length + key.length);
  });
  return `{\n${lines.join(',\n')}\n${indent}}`;
}

/**
 * The one format definitions are written in (exports, diffs): JSON with 2-space indent,
 * where anything that fits in 100 columns stays on one line. Deterministic, so an export
 * of an unchanged definition gives the same bytes.
 */
export function canonicalJson(body: unknown): string {
  return `${format(body, '', 0)}\n`;
}

export function diffLines(oldText: string, newText: string): DiffLine[] {
  const a = oldText.split('\n');
  const b = newText.split('\n');
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  // lcs[i][j] = length of the LCS of midA[i..] and midB[j..]
  const lcs: Uint32Array[] = Array.from({ length: midA.length + 1 }, () => new Uint32Array(midB.length + 1));
  for (let i = midA.length - 1; i >= 0; i--) {
    for (let j = midB.length - 1; j >= 0; j--) {
      lcs[i]![j] = midA[i] === midB[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: DiffLine[] = [];
  for (let k = 0; k < start; k++) out.push({ kind: 'same', text: a[k]!, oldLine: k + 1, newLine: k + 1 });
  let i = 0;
  let j = 0;
  while (i < midA.length || j < midB.length) {
    if (i < midA.length && j < midB.length && midA[i] === midB[j]) {
      out.push({ kind: 'same', text: midA[i]!, oldLine: start + i + 1, newLine: start + j + 1 });
      i++;
      j++;
    } else if (j < midB.length && (i >= midA.length || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      out.push({ kind: 'added', text: midB[j]!, oldLine: null, newLine: start + j + 1 });
      j++;
    } else {
      out.push({ kind: 'removed', text: midA[i]!, oldLine: start + i + 1, newLine: null });
      i++;
    }
  }
  for (let k = 0; k < a.length - endA; k++) {
    out.push({ kind: 'same', text: a[endA + k]!, oldLine: endA + k + 1, newLine: endB + k + 1 });
  }
  return out;
}

/** Whether two definition bodies are the same, whatever their key order. */
export function sameDefinition(a: unknown, b: unknown): boolean {
  return canonicalJson(sortKeys(a)) === canonicalJson(sortKeys(b));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
