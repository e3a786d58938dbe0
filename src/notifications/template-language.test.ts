import { describe, expect, it } from 'vitest';
import { MAX_SECTION_DEPTH, parseTemplate, renderNodes } from './template-language.js';

const render = (source: string, values: Record<string, string | null>) => {
  const parsed = parseTemplate(source);
  expect(parsed.problems).toEqual([]);
  return renderNodes(parsed.nodes, new Map(Object.entries(values)));
};

describe('variables', () => {
  it.each([
    ['Hello {{customer.name}}!', { 'customer.name': 'Chloe' }, 'Hello Chloe!'],
    ['{{ case.id }} / {{case.id}}', { 'case.id': 'C-1' }, 'C-1 / C-1'],
    ['[{{case.id}}] {{case.subject}}', { 'case.id': 'C-7', 'case.subject': 'Invoice' }, '[C-7] Invoice'],
    ['no value: "{{reason}}"', { reason: null }, 'no value: ""'],
    ['missing: "{{reason}}"', {}, 'missing: ""'],
    ['no tags at all } { }}', {}, 'no tags at all } { }}'],
  ])('%s', (source, values, expected) => {
    expect(render(source, values)).toBe(expected);
  });

  it('inserts values as plain text, never parsed again', () => {
    expect(render('{{case.subject}}', { 'case.subject': '{{reason}} <b>&', reason: 'secret' })).toBe('{{reason}} <b>&');
  });

  it('looks names up whole: an inherited property is not a value', () => {
    expect(render('[{{constructor}}][{{toString}}][{{hasOwnProperty}}][{{case.constructor}}]', {})).toBe('[][][][]');
    expect(parseTemplate('{{__proto__}}').problems.map((p) => p.message)).toEqual(['{{__proto__}} is not a variable: write names like {{case.subject}}']);
    expect(parseTemplate('{{constructor.name}}').tags).toEqual([{ kind: 'var', name: 'constructor.name', line: 1 }]);
  });

  it('lists every name with its line', () => {
    expect(parseTemplate('a {{case.id}}\n{{#offer}}\n{{offer.title}}\n{{/offer}}').tags).toEqual([
      { kind: 'var', name: 'case.id', line: 1 },
      { kind: 'section', name: 'offer', line: 2 },
      { kind: 'var', name: 'offer.title', line: 3 },
    ]);
  });
});

describe('sections', () => {
  it('keep their text only when the value is there; inverted ones only when it is not', () => {
    const source = 'A{{#offer}} [{{offer.title}}]{{/offer}}{{^offer}} [none]{{/offer}}.';
    expect(render(source, { offer: 'yes', 'offer.title': 'T' })).toBe('A [T].');
    expect(render(source, { offer: null })).toBe('A [none].');
    expect(render(source, { offer: '' })).toBe('A [none].');
  });

  it('nest', () => {
    const source = '{{#a}}a{{#b}}b{{/b}}{{^b}}!b{{/b}}{{/a}}';
    expect(render(source, { a: '1', b: '1' })).toBe('ab');
    expect(render(source, { a: '1' })).toBe('a!b');
    expect(render(source, { b: '1' })).toBe('');
  });

  it('alone on their lines take the lines with them (no blank lines left behind)', () => {
    const source = 'Hello,\n\n{{#reason}}\nReason: {{reason}}\n{{/reason}}\nBye\n';
    expect(render(source, { reason: 'late' })).toBe('Hello,\n\nReason: late\nBye\n');
    expect(render(source, {})).toBe('Hello,\n\nBye\n');
    // Indented, with CRLF, or at the very end.
    expect(render('x\n  {{#a}}  \r\ny\n{{/a}}', { a: '1' })).toBe('x\ny\n');
    // Not alone: the line stays.
    expect(render('x {{#a}}\ny\n{{/a}} z', { a: '1' })).toBe('x \ny\n z');
  });
});

describe('syntax problems', () => {
  it.each([
    ['Hello {{customer.name', 1, '"{{" is not closed with "}}"'],
    ['a\n{{case id}}', 2, '{{case id}} is not a variable: write names like {{case.subject}}'],
    ['{{{case.id}}}', 1, '{{{case.id}} is not a variable: write names like {{case.subject}}'],
    ['{{}}', 1, '{{}} is not a variable: write names like {{case.subject}}'],
    ['{{case.}}', 1, '{{case.}} is not a variable: write names like {{case.subject}}'],
    ['x\n\n{{#offer}}\ntext', 3, '{{#offer}} is not closed with {{/offer}}'],
    ['text\n{{/offer}}', 2, '{{/offer}} closes a section that was never opened'],
    ['{{#a}}\n{{#b}}\n{{/a}}\n{{/b}}', 3, '{{/a}} closes {{#b}} (line 2): close it with {{/b}} first'],
  ])('%j', (source, line, message) => {
    expect(parseTemplate(source).problems).toContainEqual({ line, message });
  });

  it('refuses sections nested too deep', () => {
    const deep = `${'{{#a}}'.repeat(MAX_SECTION_DEPTH + 1)}x${'{{/a}}'.repeat(MAX_SECTION_DEPTH + 1)}`;
    expect(parseTemplate(deep).problems.map((p) => p.message)).toContain(`sections are nested more than ${MAX_SECTION_DEPTH} deep`);
  });

  it('never throws, whatever the text', () => {
    for (const text of ['{{', '}}', '{{#', '{{/}}', '{{#a}}{{/a}}{{/a}}', '{{^}}', '{'.repeat(1000), '{{a}}'.repeat(500)]) {
      expect(() => parseTemplate(text)).not.toThrow();
    }
  });
});
