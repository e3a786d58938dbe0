import { describe, expect, it } from 'vitest';
import { isAttribution, isForwardSubject, mailText, replyText } from './quoted-text.js';

describe('replyText: the new text of a reply', () => {
  it.each([
    ['Gmail', 'Yes, on 1 March.\n\nOn Mon, 2 Mar 2026 at 10:30, Support <support@example.com> wrote:\n> When?\n', 'Yes, on 1 March.'],
    ['Gmail, attribution wrapped', 'Yes.\n\nOn Mon, 2 Mar 2026 at 10:30, Casebook Support <\nsupport@example.com> wrote:\n> When?', 'Yes.'],
    ['Apple Mail', 'Did you get it?\n\nSent from my iPhone\n\n> On 2 Mar 2026, at 13:05, Support <support@example.com> wrote:\n>\n> Send it', 'Did you get it?'],
    ['Apple Mail, attribution unquoted', 'Thanks!\n\nOn 2 Mar 2026, at 13:05, Support <support@example.com> wrote:\n\n> Send it', 'Thanks!'],
    ['Thunderbird', 'Still waiting.\n\nOn 02.03.26 14:00, Casebook Support wrote:\n> Looking into it.\n\n-- \nChloe\nACME', 'Still waiting.'],
    ['Outlook original message', 'Not yet.\n\nKind regards\nChloe\n\n-----Original Message-----\nFrom: Support\nSent: Monday\n\nHello', 'Not yet.\n\nKind regards\nChloe'],
    ['Outlook From/Sent block', 'Worked.\n\n________________________________\nFrom: Support <s@example.com>\nSent: Monday, 2 March 2026 13:00\nTo: Chloe\n\nRefunded.', 'Worked.'],
    ['Outlook HTML (its <hr> as dashes)', 'Worked.\n\nKind regards\nChloe\n\n' + '-'.repeat(80) + '\n\nFrom: Support <s@example.com>\nSent: Monday, 2 March 2026 13:00\n\nRefunded.', 'Worked.\n\nKind regards\nChloe'],
    ['Outlook From/Sent without a rule', 'Worked.\n\nFrom: Support <s@example.com>\nSent: Monday, 2 March 2026 13:00\nTo: Chloe\nSubject: x\n\nRefunded.', 'Worked.'],
    ['German client', 'Danke.\n\nAm 02.03.2026 um 10:00 schrieb Support <s@example.com>:\n> Hallo', 'Danke.'],
    ['Outlook in Dutch', 'Dank je.\n\nVan: Support <s@example.com>\nVerzonden: maandag 2 maart 2026 10:00\nAan: Gary\nOnderwerp: Re: [C-1002] Login\n\nGreat.', 'Dank je.'],
    ['Outlook in Portuguese', 'Obrigado.\n\nDe: Support <s@example.com>\nEnviada em: segunda-feira, 2 de março de 2026 10:00\nPara: Ana\nAssunto: Re: [C-1002] Login\n\nGreat.', 'Obrigado.'],
    ['Outlook in Swedish', 'Tack.\n\nFrån: Support <s@example.com>\nSkickat: den 2 mars 2026 10:00\nTill: Sven\nÄmne: Re: [C-1002] Login\n\nGreat.', 'Tack.'],
    ['Outlook in Polish', 'Dziękuję.\n\nOd: Support <s@example.com>\nWysłano: poniedziałek, 2 marca 2026 10:00\nDo: Jan\nTemat: Re: [C-1002] Login\n\nGreat.', 'Dziękuję.'],
    ['Outlook in Japanese', '承知しました。\n\n差出人: Support <s@example.com>\n送信日時: 2026年3月2日 10:00\n宛先: Gary\n件名: Re: [C-1002] Login\n\nGreat.', '承知しました。'],
    ['Outlook in Chinese, full-width colons', '好的。\n\n发件人：Support <s@example.com>\n发送时间：2026年3月2日 10:00\n收件人：Li\n主题：Re: [C-1002] Login\n\nGreat.', '好的。'],
    ['Outlook in Korean', '감사합니다.\n\n보낸 사람: Support <s@example.com>\n보낸 날짜: 2026년 3월 2일 10:00\n받는 사람: Kim\n제목: Re: [C-1002] Login\n\nGreat.', '감사합니다.'],
    ['Gmail in Japanese', 'ありがとうございます。\n\n2026年3月2日(月) 10:00 Support <s@example.com>:\n\n> Great.', 'ありがとうございます。'],
    ['Gmail in Chinese', '好的，谢谢。\n\nSupport <s@example.com> 于2026年3月2日周一 10:00写道：\n\n> Great.', '好的，谢谢。'],
    ['Gmail in Swedish', 'Tack!\n\nDen mån 2 mars 2026 kl 10:00 skrev Support <s@example.com>:\n\n> Great.', 'Tack!'],
    ['Gmail in Korean', '네.\n\n2026년 3월 2일 (월) 오전 10:00, Support <s@example.com>님이 작성:\n\n> Great.', '네.'],
    ['Gmail in Hebrew (bidi marks around the attribution)', 'תודה רבה!\n\n\u202Bבתאריך יום ב׳, 2 במרץ 2026 ב-10:00 מאת Support <\u202As@example.com\u202C>:\u202C\n\n> שלום', 'תודה רבה!'],
    ['Gmail in Arabic (bidi marks)', 'شكرا\n\n\u202Bفي الاثنين، 2 مارس 2026 في 10:00 ص تمت كتابة ما يلي بواسطة \u202ASupport\u202C\u200F <\u202As@example.com\u202C\u200F>:\u202C\n\n> مرحبا', 'شكرا'],
    ['Outlook in Hebrew', 'תודה.\n\nמאת: Support <s@example.com>\nנשלח: יום שני 2 מרץ 2026 10:00\nאל: Dana\nנושא: RE: [C-1002] Login\n\nGreat.', 'תודה.'],
    ['Outlook in Arabic', 'شكرا.\n\nمن: Support <s@example.com>\nتاريخ الإرسال: الاثنين، 2 مارس، 2026 10:00 ص\nإلى: Omar\nالموضوع: RE: [C-1002] Login\n\nGreat.', 'شكرا.'],
    ['Outlook in Greek', 'Ευχαριστώ.\n\nΑπό: Support <s@example.com>\nΣτάλθηκε: Δευτέρα, 2 Μαρτίου 2026 10:00 πμ\nΠρος: Nikos\nΘέμα: RE: [C-1002] Login\n\nGreat.', 'Ευχαριστώ.'],
    ['Outlook in Ukrainian', 'Дякую.\n\nВід: Support <s@example.com>\nНадіслано: 2 березня 2026 р. 10:00\nКому: Oksana\nТема: RE: [C-1002] Login\n\nGreat.', 'Дякую.'],
    ['> lines at the end', 'Fine now.\n\n> old text\n> more old text\n', 'Fine now.'],
    ['signature only', 'See you.\n-- \nChloe Martin\n+49 30 1234', 'See you.'],
  ])('%s', (_name, full, expected) => {
    const result = replyText(full);
    expect(result.text).toBe(expected);
    expect(result.cut).toBe(true);
  });

  it('keeps interleaved answers whole (quotes between own text)', () => {
    const full = '> Which invoice?\nThe March one.\n> Which card?\nThe Visa.';
    expect(replyText(full).text).toBe(full);
  });

  it.each([
    ['an attribution and its quote', 'On Mon, 2 Mar 2026 at 10:30, Support <s@example.com> wrote:\n> When?'],
    ['a phone\'s signature above them', 'Sent from my iPhone\n\nOn Mon, 2 Mar 2026 at 10:30, Support <s@example.com> wrote:\n>\n> When?\n'],
    ['a wrapped attribution', 'On Mon, 2 Mar 2026 at 10:30, Support Team <\ns@example.com> wrote:\n\n> When?'],
    ['an attribution in another language', '2026年3月2日(月) 10:00 Support <s@example.com>:\n> いつですか？'],
    ['a bare quote', '> When?\n> Tomorrow?'],
  ])('says nothing new when the mail is only the quote (%s): empty, cut', (_name, full) => {
    expect(replyText(full)).toEqual({ text: '', cut: true });
  });

  it('keeps the whole text when nothing is above the quote but text of its own is below it (bottom-posting)', () => {
    const full = 'On Mon, 2 Mar 2026 at 10:30, Support <s@example.com> wrote:\n> When?\n\nTomorrow at 9.';
    expect(replyText(full)).toEqual({ text: full, cut: false });
  });

  it('keeps the whole text after a header-style quote with nothing above it: its lines are not marked as quoted', () => {
    const full = '-----Original Message-----\nFrom: Support <s@example.com>\nSent: Monday\nSubject: Re: Hello\n\nWhen?';
    expect(replyText(full)).toEqual({ text: full, cut: false });
  });

  it('keeps a line of the customer’s own that names an address with a colon when no quote follows it', () => {
    const full = 'Please send the invoice to billing@acme.example:\nACME Ltd, Main St 1';
    expect(replyText(full)).toEqual({ text: full, cut: false });
  });

  it('leaves a plain message alone', () => {
    expect(replyText('Just a question about my plan.\nThanks')).toEqual({ text: 'Just a question about my plan.\nThanks', cut: false });
  });
});

describe('mailText: a forward keeps the forwarded mail', () => {
  it.each(['Fwd: Statement', 'FW: Statement', 'WG: Rechnung', 'TR: Facture', 'RV: Factura', 'ENC: Fatura', 'VL: Lasku', 'Doorst: Factuur', 'PD: Faktura', '转发：账单', '転送: 請求書', 'Пересл: Счёт', 'Fwd[2]: x'])('%s is a forward', (subject) => {
    expect(isForwardSubject(subject)).toBe(true);
  });
  it.each(['Re: Fwd: Statement', 'AW: WG: Rechnung', 'VS: Lasku', 'Forward planning', 'Tracking: parcel', 'Statement'])('%s is not', (subject) => {
    expect(isForwardSubject(subject)).toBe(false);
  });
  it('keeps a forward whole and cuts a reply', () => {
    const full = 'See below.\n\n-----Original Message-----\nFrom: Bank <b@bank.example>\nSent: Monday\n\nTwo charges.';
    expect(mailText(full, 'FW: Statement')).toEqual({ text: full, cut: false });
    expect(mailText(full, 'RE: Statement')).toEqual({ text: 'See below.', cut: true });
  });
});

describe('isAttribution: a line that names an address and ends with a colon', () => {
  /** The regex it replaces, which backtracked for minutes on a long line of dots. */
  const REGEX = /^.{0,300}@[^\s@]+\.[^\s@]+.{0,300}[:：]\s*$/;

  it('says what the regex said, on every short line of the characters that matter and at its 300-character bounds', () => {
    const alphabet = ['a', '@', '.', ' ', ':', '：'];
    const lines = [''];
    for (let length = 1; length <= 6; length++) {
      for (const line of lines.filter((l) => l.length === length - 1)) for (const ch of alphabet) lines.push(line + ch);
    }
    const x = (n: number) => 'x'.repeat(n);
    lines.push(`${x(300)}@s.example:`, `${x(301)}@s.example:`, `s@example.com ${x(299)}:`, `s@example.com ${x(300)}:`, `${x(300)}@a.b ${x(299)}:  `, `On Mon, Support <s@example.com>:\u2028`);
    for (const line of lines) expect(isAttribution(line), JSON.stringify(line)).toBe(REGEX.test(line));
  });

  it('takes linear time on a long line of dots above a quote (the regex took 47 s at 8,000 characters)', () => {
    const started = performance.now();
    const full = `Hello\n@${'a.'.repeat(100_000)}\n> quoted`;
    expect(replyText(full).cut).toBe(true);
    expect(isAttribution(`@${'a.'.repeat(100_000)}:x`)).toBe(false);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
