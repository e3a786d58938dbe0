import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './diff.js';
import { applyFields, fieldName, formText, getAt, listItems, parsePointer, pointer, pointerOfJsonPath, removeAt, renameKey, setAt, type Doc, type PostedForm } from './form-edit.js';

const form = (pairs: [string, string][]): PostedForm => {
  const out: PostedForm = new Map();
  for (const [k, v] of pairs) out.set(k, [...(out.get(k) ?? []), v]);
  return out;
};

describe('pointers', () => {
  it('round-trips segments, escapes ~ and /, and refuses __proto__ (constructor and prototype are plain names)', () => {
    expect(pointer(['rules', 0, 'a/b', 'c~d'])).toBe('/rules/0/a~1b/c~0d');
    expect(parsePointer('/rules/0/a~1b/c~0d')).toEqual(['rules', '0', 'a/b', 'c~d']);
    expect(parsePointer('')).toEqual([]);
    expect(parsePointer('rules')).toBeNull();
    expect(parsePointer('/a/__proto__/b')).toBeNull();
    expect(parsePointer('/states/constructor/label')).toEqual(['states', 'constructor', 'label']);
    const doc: Doc = { states: { constructor: { label: 'New' }, prototype: { label: 'Closed' } } };
    expect(setAt(doc, ['states', 'constructor', 'label'], 'Incoming')).toBe(true);
    expect(renameKey(doc, ['states', 'prototype'], 'archived')).toBe(true);
    expect(doc).toEqual({ states: { constructor: { label: 'Incoming' }, archived: { label: 'Closed' } } });
    expect(Object.getPrototypeOf(doc.states)).toBe(Object.prototype);
    expect(setAt(doc, ['states', '__proto__', 'label'], 'x')).toBe(false);
    expect(({} as Record<string, unknown>).label).toBeUndefined();
  });

  it('turns the JSON paths of problems into pointers', () => {
    expect(pointerOfJsonPath('$.rules[2].conditions.any[0].value')).toBe('/rules/2/conditions/any/0/value');
    expect(pointerOfJsonPath('$.triggers["case.created"][1]')).toBe('/triggers/case.created/1');
    expect(pointerOfJsonPath('$')).toBe('');
  });

  it('sets in place (creating missing objects), removes, and renames keys where they stand', () => {
    const doc: Doc = { a: { x: 1, y: 2, z: 3 }, list: [1, 2, 3] };
    expect(setAt(doc, ['a', 'y'], 20)).toBe(true);
    expect(Object.keys(doc.a as object)).toEqual(['x', 'y', 'z']);
    expect(setAt(doc, ['b', 'c', 'd'], true)).toBe(true);
    expect(doc.b).toEqual({ c: { d: true } });
    expect(setAt(doc, ['list', 7], 0)).toBe(false);
    expect(setAt(doc, ['list', 'x'], 0)).toBe(false);
    expect(removeAt(doc, ['list', 1])).toBe(true);
    expect(doc.list).toEqual([1, 3]);
    expect(renameKey(doc, ['a', 'y'], 'why')).toBe(true);
    expect(Object.keys(doc.a as object)).toEqual(['x', 'why', 'z']);
    expect(renameKey(doc, ['a', 'x'], 'z')).toBe(false);
    expect(setAt(doc, ['__proto__', 'polluted'], 1)).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('applyFields', () => {
  const doc: Doc = {
    name: 'Rule',
    priority: 10,
    text: 'x',
    when: 1772442000000,
    iso: '2026-03-02T09:00:00Z',
    flag: true,
    words: ['a', 'b', 'a'],
    nums: [1, 2],
    roles: ['manager', 'agent'],
    from: '*',
    odd: { fact: 'case', deep: [1, { x: null }] },
  };
  const shown = (): [string, string][] => [
    [fieldName('s', ['name']), formText('s', doc.name)],
    [fieldName('n', ['priority']), formText('n', doc.priority)],
    [fieldName('o', ['text']), formText('o', doc.text)],
    [fieldName('t', ['when']), formText('t', doc.when)],
    [fieldName('ti', ['iso']), formText('ti', doc.iso)],
    [fieldName('b', ['flag']), formText('b', doc.flag)],
    [`?${fieldName('en', ['enabled'])}`, ''],
    [fieldName('en', ['enabled']), 'on'],
    [`?${fieldName('l', ['words'])}`, ''],
    ...listItems(doc.words).map((w): [string, string] => [fieldName('l', ['words']), w]),
    [`+${fieldName('l', ['words'])}`, ''],
    [`?${fieldName('ln', ['nums'])}`, ''],
    ['ln:/nums', '1'],
    ['ln:/nums', '2'],
    ['?x:/roles', ''],
    ['x:/roles', 'agent'],
    ['x:/roles', 'manager'],
    ['?xr:/from', ''],
    ['xr:/from', '*'],
    [fieldName('j', ['odd']), formText('j', doc.odd)],
  ];

  it('changes nothing when every field is posted as it was shown (byte for byte)', () => {
    const edit = applyFields(doc, form(shown()));
    expect(canonicalJson(edit.doc)).toBe(canonicalJson(doc));
    expect(edit.errors.size).toBe(0);
  });

  it('applies what changed, each kind its own way', () => {
    const change = (name: string, value: string) => shown().map(([k, v]): [string, string] => (k === name ? [k, value] : [k, v]));
    const at = (pairs: [string, string][]) => applyFields(doc, form(pairs)).doc;
    expect(at(change('s:/name', ' New name ')).name).toBe('New name');
    expect(at(change('n:/priority', '')).priority).toBeUndefined();
    expect(at(change('n:/priority', '2.5')).priority).toBe(2.5);
    expect(at(change('n:/priority', 'ten')).priority).toBe('ten');
    expect(Object.hasOwn(at(change('o:/text', '  ')), 'text')).toBe(false);
    expect(at(change('t:/when', '2026-03-02T10:30')).when).toBe(Date.parse('2026-03-02T10:30:00Z'));
    expect(at(change('ti:/iso', '2026-03-02T10:30')).iso).toBe('2026-03-02T10:30:00.000Z');
    expect(at(change('b:/flag', 'false')).flag).toBe(false);
    expect(at(shown().filter(([k]) => k !== 'en:/enabled')).enabled).toBe(false);
    // A list: unchecked items go, typed ones (comma or line separated) come after.
    const words = at([...shown().filter(([k, v]) => !(k === 'l:/words' && v === 'b')).filter(([k]) => k !== '+l:/words'), ['+l:/words', 'c, d\ne']]);
    expect(words.words).toEqual(['a', 'a', 'c', 'd', 'e']);
    expect(at([...shown(), ['+ln:/nums', '3, x']]).nums).toEqual([1, 2, 3, 'x']);
    // A value with a comma in it, in quotes (straight or curly): one item ("Acme, Inc." was "Acme" and "Inc.").
    expect(at([...shown(), ['+l:/words', '"Acme, Inc.", Globex\n“Hello, world”, it\'s']]).words).toEqual(['a', 'b', 'a', 'Acme, Inc.', 'Globex', 'Hello, world', "it's"]);
    expect(at([...shown(), ['+l:/words', '"unclosed, quote']]).words).toEqual(['a', 'b', 'a', '"unclosed', 'quote']);
    // A set keeps the order it had; newly checked options come last; '*' means all.
    expect(at([...shown(), ['x:/roles', 'admin']]).roles).toEqual(['manager', 'agent', 'admin']);
    expect(Object.hasOwn(at(shown().filter(([k]) => k !== 'x:/roles')), 'roles')).toBe(false);
    expect(at([...shown().filter(([k]) => k !== 'xr:/from'), ['xr:/from', 'open']]).from).toEqual(['open']);
    expect(at(shown().filter(([k]) => k !== 'xr:/from')).from).toEqual([]);
    expect(at(change('j:/odd', '{ "fact": "customer" }')).odd).toEqual({ fact: 'customer' });
  });

  it('keeps JSON that does not parse as typed, with a message beside the field, and the value unchanged', () => {
    const edit = applyFields(doc, form([['j:/odd', '{ "fact": ']]));
    expect(edit.doc.odd).toEqual(doc.odd);
    expect(edit.pending.get('j:/odd')).toBe('{ "fact": ');
    expect(edit.errors.get('j:/odd')).toBe('not valid JSON (line 1, column 11): unexpected end of the text');
  });

  it('keeps JSON with a key twice as typed, naming the key: JSON.parse would drop one of them silently', () => {
    const edit = applyFields(doc, form([['j:/odd', '{ "fact": "customer",\n  "fact": "case" }']]));
    expect(edit.doc.odd).toEqual(doc.odd);
    expect(edit.pending.get('j:/odd')).toBe('{ "fact": "customer",\n  "fact": "case" }');
    expect(edit.errors.get('j:/odd')).toBe('$.fact: duplicate key "fact" (lines 1 and 2): JSON keeps only the last one and drops the other; rename or merge them');
  });

  it('shows and keeps an object whose keys shadow Object.prototype in a time field (found by the property below)', () => {
    const source = { ' ': { toString: false } } as unknown as Doc;
    for (const kind of ['t', 'ti', 's', 'n']) {
      const text = formText(kind, getAt(source, [' ']));
      expect(text).toBe('{"toString":false}');
      expect(canonicalJson(applyFields(source, form([[fieldName(kind, [' ']), text]])).doc)).toBe(canonicalJson(source));
    }
  });

  it('never changes a document whose fields are posted as shown, whatever the values (property)', () => {
    const kinds = ['s', 'o', 'n', 't', 'ti', 'b', 'ob', 'j'] as const;
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }).filter((k) => parsePointer(`/${k}`) !== null && !k.includes('~') && !k.includes('/')), fc.jsonValue(), { maxKeys: 6 }), fc.constantFrom(...kinds), (source, kind) => {
        const pairs: [string, string][] = Object.keys(source).map((k) => [fieldName(kind, [k]), formText(kind, getAt(source, [k]))]);
        const edit = applyFields(source as Doc, form(pairs));
        expect(canonicalJson(edit.doc)).toBe(canonicalJson(source));
      }),
      { numRuns: 300 },
    );
  });
});
