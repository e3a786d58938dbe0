/**
 * The one parse of definition JSON — workflow, ruleset, examples and SLA files (start-up,
 * import), the console's editor and forms, the API's ruleset and SLA bodies. JSON.parse, and
 * what it lets through silently: a key twice in one object, of which it keeps the last and
 * drops the others (a transition or rule copied and not renamed would vanish without a word).
 * Such a key is a problem with its JSON path, like any validation problem.
 */
import { findJsonSyntaxError } from './json-syntax.js';
import { problem, type DefinitionProblem, type PathSegment } from './problems.js';

export type DefinitionJson = { ok: true; value: unknown } | { ok: false; problems: DefinitionProblem[] };

export function parseDefinitionJson(text: string): DefinitionJson {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const at = findJsonSyntaxError(text);
    const where = at ? ` (line ${at.line}, column ${at.column}): ${at.message}` : `: ${(error as Error).message}`;
    return { ok: false, problems: [problem([], `not valid JSON${where}`)] };
  }
  const duplicates = findDuplicateKeys(text);
  return duplicates.length > 0 ? { ok: false, problems: duplicates.map(duplicateProblem) } : { ok: true, value };
}

/** A key found again in the same object: where it is, and the line of its first occurrence. */
export interface DuplicateKey {
  path: PathSegment[];
  key: string;
  line: number;
  firstLine: number;
}

export function duplicateProblem(d: DuplicateKey): DefinitionProblem {
  const lines = d.line === d.firstLine ? `line ${d.line}` : `lines ${d.firstLine} and ${d.line}`;
  return problem(d.path, `duplicate key ${JSON.stringify(d.key)} (${lines}): JSON keeps only the last one and drops the other; rename or merge them`);
}

/** An open object (the keys seen so far, by line, and the key being read) or array (the index of the value being read). */
type Frame = { keys: Map<string, number>; key: string | null; expectKey: boolean } | { index: number };

/**
 * Every key that repeats in its object, in the order met. `text` must be valid JSON (parse it
 * first): the scan only tells tokens apart. Iterative, so nesting as deep as JSON.parse takes
 * cannot overflow the stack.
 */
export function findDuplicateKeys(text: string): DuplicateKey[] {
  const out: DuplicateKey[] = [];
  const stack: Frame[] = [];
  let line = 1;
  let i = 0;
  const pathTo = (last: string): PathSegment[] => [
    ...stack.slice(0, -1).map((f) => ('index' in f ? f.index : f.key!)),
    last,
  ];
  while (i < text.length) {
    const ch = text[i]!;
    const top = stack[stack.length - 1];
    if (ch === '\n') line++;
    if (ch === '{') stack.push({ keys: new Map(), key: null, expectKey: true });
    else if (ch === '[') stack.push({ index: 0 });
    else if (ch === '}' || ch === ']') stack.pop();
    else if (ch === ',' && top) {
      if ('index' in top) top.index++;
      else top.expectKey = true;
    } else if (ch === '"') {
      const start = i;
      for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++;
      if (top && !('index' in top) && top.expectKey) {
        const key = JSON.parse(text.slice(start, i + 1)) as string;
        const first = top.keys.get(key);
        top.key = key;
        top.expectKey = false;
        if (first === undefined) top.keys.set(key, line);
        else out.push({ path: pathTo(key), key, line, firstLine: first });
      }
    }
    i++;
  }
  return out;
}
