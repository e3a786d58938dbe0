import { describe, expect, it } from 'vitest';
import { displayText, hasBidiControls, jsonWithEscapedBidi } from './display.js';

describe('displayText', () => {
  it.each([
    ['\u202Egnp.exe', 'gnp.exe'],
    ['a\u202Ab\u202Bc\u202Cd\u202De', 'abcde'],
    ['\u2066x\u2067y\u2068z\u2069', 'xyz'],
    ['plain', 'plain'],
    ['שלום \u200Fworld\u200E', 'שלום \u200Fworld\u200E'],
    ['سلمى', 'سلمى'],
  ])('%j → %j', (input, expected) => {
    expect(displayText(input)).toBe(expected);
    expect(hasBidiControls(displayText(input))).toBe(false);
  });

  it('finds controls repeatedly (no regex state between calls)', () => {
    expect([hasBidiControls('\u202E'), hasBidiControls('\u202E'), hasBidiControls('x')]).toEqual([true, true, false]);
  });
});

describe('jsonWithEscapedBidi', () => {
  it('writes each control as an escape: no raw control in the text, the same value parsed back', () => {
    const value = { name: 'report\u202Egnp.exe', list: ['\u2066x\u2069', 'שלום \u200F'], n: 1 };
    const text = jsonWithEscapedBidi(value);
    expect(hasBidiControls(text)).toBe(false);
    expect(text).toContain('report\\u202egnp.exe');
    expect(JSON.parse(text)).toEqual(value);
  });
});
