import { describe, expect, it } from 'vitest';
import { htmlText, nestedDeeperThan } from './html-text.js';

describe('nestedDeeperThan: how deep the parser would nest the elements', () => {
  it.each([
    ['<div><div><div>x', 2, true],
    ['<div><div><div>x', 3, false],
    ['<div></div><div></div><div></div>', 1, false],
    // An end tag closes down to its element; one with none open is ignored.
    ['<div><span><b></div><div><span><b>', 3, false],
    ['</div></div><div><div>', 1, true],
    // Void elements and those a sibling closes (p, li, td …) open no level; comments are skipped.
    ['<br><br><img src=x><p>a<p>b<li>c<li>d<td>e<td>f', 0, false],
    ['<!-- <div><div><div> --><div>', 1, false],
    ['<div a="1"><DIV><Div>', 2, true],
    // "<" that starts no tag is text.
    ['a < b <1 <div', 0, false],
  ])('%j deeper than %i: %s', (html, max, expected) => {
    expect(nestedDeeperThan(html, max)).toBe(expected);
  });

  it('HTML nested deeper than 1,000 elements is not converted, at once (200,000 unclosed <div>s took 53 s to parse)', () => {
    const started = performance.now();
    expect(htmlText(`${'<div>'.repeat(200_000)}Hello`)).toBe('');
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(htmlText(`${'<div>'.repeat(900)}Hello${'</div>'.repeat(900)}`)).toBe('Hello');
  });
});
