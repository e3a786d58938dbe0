import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { searchText, searchTextMap, searchTextUnchanged } from './search-text.js';

describe('searchText', () => {
  it('pairs runs of Han, kana and Hangul; a lone character stays itself', () => {
    expect(searchText('我想申请退款')).toBe('我想 想申 申请 请退 退款');
    expect(searchText('返金をお願いします')).toBe('返金 金を をお お願 願い いし しま ます');
    expect(searchText('サーバー')).toBe('サー ーバ バー');
    expect(searchText('환불을 요청합니다')).toBe('환불 불을 요청 청합 합니 니다');
    expect(searchText('款 alone')).toBe('款 alone');
    expect(searchText('退款')).toBe('退款');
  });

  it('sets a run apart from letters and digits next to it, not from punctuation', () => {
    expect(searchText('iPhone退款123')).toBe('iPhone 退款 123');
    expect(searchText('「退款」, please')).toBe('「退款」, please');
  });

  it('folds what unaccent folds beyond remove_diacritics, and leaves Latin text as it is', () => {
    expect(searchText('Hauptstraße Ærø Łódź Œuvre ﬁne Ｆｕｌｌ')).toBe('Hauptstrasse aero lódź oeuvre fine full');
    for (const text of ['Refund for a double charge', 'Café naïve Zoë — “quoted” 1,250.00 €', '']) {
      expect(searchTextUnchanged(text)).toBe(true);
      expect(searchText(text)).toBe(text);
    }
  });

  it('maps every unit of the result back to the characters it stands for', () => {
    const map = searchTextMap('ab退款c ß𠀀𠀁');
    expect(map.text).toBe('ab 退款 c ss 𠀀𠀁');
    const back = (start: number, end: number) => 'ab退款c ß𠀀𠀁'.slice(map.starts[start], map.ends[end - 1]);
    expect(back(3, 5)).toBe('退款');
    expect(back(8, 10)).toBe('ß');
    expect(back(11, 15)).toBe('𠀀𠀁');
  });

  it('changes nothing more in its own result (PostgreSQL highlights the result as indexed text)', () => {
    const alphabet = fc.constantFrom('a', 'B', ' ', '1', 'ß', 'æ', '我', '想', '申', 'を', 'ー', 'サ', '환', '불', '、', '.', '𠀀');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 30 }).map((chars) => chars.join('')), (text) => {
        const once = searchTextMap(text);
        expect(searchText(once.text)).toBe(once.text);
        expect(once.starts.length).toBe(once.text.length);
        expect(once.ends.every((end, i) => end >= once.starts[i]! && end <= text.length)).toBe(true);
      }),
    );
  });
});
