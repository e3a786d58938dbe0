import { describe, expect, it } from 'vitest';
import { subjectOfReply } from './thread.js';

describe('subjectOfReply: the subject of a case a reply opens', () => {
  it.each([
    ['Re: [C-1001] Printer jams', 'Printer jams'],
    ['AW: WG: [C-1001] Drucker', 'WG: Drucker'],
    ['RES: [C-1001] Impressora', 'Impressora'],
    ['R: [C-1001] Stampante', 'Stampante'],
    ['VS: [C-1001] Tulostin', 'Tulostin'],
    ['Odp: [C-1001] Drukarka', 'Drukarka'],
    ['YNT: [C-1001] Yazıcı', 'Yazıcı'],
    ['答复: [C-1001] 打印机', '打印机'],
    ['回复：[C-1001] 打印机', '打印机'],
    ['Ответ: [C-1001] Принтер', 'Принтер'],
    ['Re[2]: RE: [C-1001] Printer jams', 'Printer jams'],
  ])('%s', (subject, expected) => {
    expect(subjectOfReply(subject, 1001)).toBe(expected);
  });

  it('leaves a subject that only begins like a prefix alone', () => {
    expect(subjectOfReply('Resolution of invoice 12', 1001)).toBe('Resolution of invoice 12');
    expect(subjectOfReply('R2-D2 replica broken', 1001)).toBe('R2-D2 replica broken');
  });
});
