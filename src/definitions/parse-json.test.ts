import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonPath } from './problems.js';
import { findDuplicateKeys, parseDefinitionJson } from './parse-json.js';

const paths = (text: string) => findDuplicateKeys(text).map((d) => `${jsonPath(d.path)} ${d.firstLine}/${d.line}`);

describe('parseDefinitionJson', () => {
  it('parses valid JSON without repeated keys', () => {
    expect(parseDefinitionJson('{"a": {"b": [1, {"b": 2}]}, "b": "a"}')).toEqual({ ok: true, value: { a: { b: [1, { b: 2 }] }, b: 'a' } });
  });

  it('refuses a transition copied without renaming, with its JSON path and both lines', () => {
    const text = [
      '{',
      '  "transitions": {',
      '    "askCustomer": { "from": ["working"], "to": "waiting" },',
      '    "finish": { "from": ["working"], "to": "done" },',
      '    "askCustomer": { "from": ["tier2"], "to": "waiting" }',
      '  }',
      '}',
    ].join('\n');
    expect(parseDefinitionJson(text)).toEqual({
      ok: false,
      problems: [
        {
          severity: 'error',
          path: '$.transitions.askCustomer',
          message: 'duplicate key "askCustomer" (lines 3 and 5): JSON keeps only the last one and drops the other; rename or merge them',
        },
      ],
    });
  });

  it('says where broken JSON breaks', () => {
    expect(parseDefinitionJson('{\n  "a": [,]\n}')).toEqual({ ok: false, problems: [{ severity: 'error', path: '$', message: 'not valid JSON (line 2, column 9): expected a value, found ","' }] });
  });
});

describe('findDuplicateKeys', () => {
  it.each([
    ['{"a": 1, "a": 2}', ['$.a 1/1']],
    ['{"a": 1, "b": {"a": 2}}', []],
    ['[{"a": 1}, {"a": 2}]', []],
    ['{"s": {"x": 1}, "t": [0, {"k": 1, "k": 2}]}', ['$.t[1].k 1/1']],
    ['{"rules": [{}, {"event": {"params": {"queue": "a",\n"queue": "b"}}}]}', ['$.rules[1].event.params.queue 1/2']],
    ['{"a": 1, "\\u0061": 2}', ['$.a 1/1']],
    ['{"a\\"b": 1, "a\\"b": 2, "a\\"b": 3}', ['$["a\\"b"] 1/1', '$["a\\"b"] 1/1']],
    ['{"x": "{\\"a\\": 1, \\"a\\": 2}"}', []],
    ['{"calendars": {"office": {}, "office": {}}}', ['$.calendars.office 1/1']],
    ['{"k": [], "k": {}}', ['$.k 1/1']],
  ])('in %j: %j', (text, expected) => {
    expect(paths(text)).toEqual(expected);
  });

  it('agrees with a reference that counts every object\'s keys, on any JSON', () => {
    // Objects built with keys drawn from a tiny alphabet, so repeats are common.
    const key = fc.constantFrom('a', 'b', 'a"', '\\', 'é');
    const tree: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.jsonValue({ maxDepth: 0 }).map((v) => JSON.stringify(v)),
        fc.array(tie('node'), { maxLength: 3 }).map((items) => `[${items.join(', ')}]`),
        fc.array(fc.tuple(key, tie('node')), { maxLength: 4 }).map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:\n${v}`).join(',')}}`),
      ),
    })).node;
    fc.assert(
      fc.property(tree, (text) => {
        expect(findDuplicateKeys(text).length).toBe(repeatsIn(text));
      }),
      { numRuns: 300 },
    );
  });

  it('scans nesting deeper than a recursive scan could', () => {
    const deep = `${'['.repeat(100_000)}{"a": 1, "a": 2}${']'.repeat(100_000)}`;
    expect(findDuplicateKeys(deep)).toHaveLength(1);
  });
});

/** How many keys repeat in their object, counted by a reader that keeps every pair. */
function repeatsIn(text: string): number {
  let repeats = 0;
  const count = (n: Node): void => {
    if (n.kind === 'array') n.items.forEach(count);
    if (n.kind === 'object') {
      const seen = new Set<string>();
      for (const [k, v] of n.pairs) {
        if (seen.has(k)) repeats++;
        seen.add(k);
        count(v);
      }
    }
  };
  count(parsePairs(text));
  return repeats;
}

type Node = { kind: 'value' } | { kind: 'array'; items: Node[] } | { kind: 'object'; pairs: [string, Node][] };

/** A small recursive JSON reader that keeps every key (the reference for the property above). */
function parsePairs(text: string): Node {
  let i = 0;
  const ws = () => {
    while (/\s/.test(text[i] ?? '')) i++;
  };
  const str = (): string => {
    const start = i;
    i++;
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (): Node => {
    ws();
    if (text[i] === '[') {
      i++;
      const items: Node[] = [];
      ws();
      if (text[i] === ']') return i++, { kind: 'array', items };
      for (;;) {
        items.push(value());
        ws();
        if (text[i++] === ']') return { kind: 'array', items };
      }
    }
    if (text[i] === '{') {
      i++;
      const pairs: [string, Node][] = [];
      ws();
      if (text[i] === '}') return i++, { kind: 'object', pairs };
      for (;;) {
        ws();
        const k = str();
        ws();
        i++; // ':'
        pairs.push([k, value()]);
        ws();
        if (text[i++] === '}') return { kind: 'object', pairs };
      }
    }
    if (text[i] === '"') return str(), { kind: 'value' };
    while (i < text.length && !',]}'.includes(text[i]!) && !/\s/.test(text[i]!)) i++;
    return { kind: 'value' };
  };
  return value();
}
