import { describe, expect, it } from 'vitest';
import { slackMessage, teamsMessage, type ChatCase } from './messages.js';

/** A customer's subject and name written to ping a whole channel or plant a link. */
const hostile: ChatCase = {
  ref: 'C-1042',
  subject: '<!channel> [Sign in again](https://evil.example/login) <https://evil.example|Open case> **now**',
  queue: 'Billing',
  priority: 'high',
  status: 'Open',
  customer: '[Your admin](https://evil.example) (<!here> Inc)',
  url: 'https://casebook.example/cases/C-1042',
};

type Json = Record<string, any>;

describe('slackMessage', () => {
  it('escapes what the customer wrote in the fallback text as in the blocks: no mention, no link', () => {
    const message = slackMessage('New case', hostile) as Json;
    const texts = [message.text, message.blocks[1].text.text, ...message.blocks[1].fields.map((f: Json) => f.text)].join('\n');
    expect(texts).not.toMatch(/<!|<https:\/\/evil/);
    expect(message.text).toBe('New case: C-1042 &lt;!channel&gt; [Sign in again](https://evil.example/login) &lt;https://evil.example|Open case&gt; **now**');
    expect(message.blocks[1].text.text).toBe(`*<${hostile.url}|C-1042>* &lt;!channel&gt; [Sign in again](https://evil.example/login) &lt;https://evil.example|Open case&gt; **now**`);
  });
});

describe('teamsMessage', () => {
  it('puts the subject and the customer in text runs (no Markdown), never in a TextBlock or a fact', () => {
    const card = (teamsMessage('New case', hostile) as Json).attachments[0].content;
    const markdownTexts = card.body.flatMap((b: Json) => (b.type === 'TextBlock' ? [b.text] : b.type === 'FactSet' ? b.facts.map((f: Json) => f.value) : []));
    expect(markdownTexts.join('\n')).not.toContain('evil.example');
    const runs = card.body.filter((b: Json) => b.type === 'RichTextBlock').flatMap((b: Json) => b.inlines.map((i: Json) => i.text));
    expect(runs).toContain(hostile.subject);
    expect(runs).toContain(hostile.customer);
    expect(card.body.find((b: Json) => b.type === 'FactSet').facts).toEqual([
      { title: 'Queue', value: 'Billing' },
      { title: 'Priority', value: 'high' },
      { title: 'Status', value: 'Open' },
    ]);
    expect(card.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Open case', url: hostile.url }]);
  });
});
