/**
 * The chat messages `notify` posts: Slack Block Kit (also what Mattermost's incoming webhooks
 * take) and a Microsoft Teams Adaptive Card, both with the case reference, subject, queue,
 * priority, status and a link to the case. Staff-facing: no customer message text, no notes.
 * What a customer wrote (the subject, their name and organization) is never markup: Slack's
 * `&`, `<`, `>` are escaped everywhere (`<!channel>` pings no one, `<https://…|text>` links
 * nothing), and Teams shows it as RichTextBlock text runs, which take no Markdown (a TextBlock
 * or FactSet value would turn `[Sign in](https://…)` into a link).
 */
export interface ChatCase {
  ref: string;
  subject: string;
  queue: string;
  priority: string;
  status: string;
  customer: string;
  url: string;
}

/** Slack's mrkdwn needs &, < and > escaped (they delimit links and mentions). */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function slackMessage(headline: string, c: ChatCase): Record<string, unknown> {
  const field = (label: string, value: string) => ({ type: 'mrkdwn', text: `*${label}*\n${slackEscape(value)}` });
  return {
    text: `${headline}: ${c.ref} ${slackEscape(c.subject)}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: headline.slice(0, 150) } },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `*<${c.url}|${c.ref}>* ${slackEscape(c.subject)}` },
        fields: [field('Queue', c.queue), field('Priority', c.priority), field('Status', c.status), field('Customer', c.customer)],
      },
      { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open case' }, url: c.url }] },
    ],
  };
}

export function teamsMessage(headline: string, c: ChatCase): Record<string, unknown> {
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            { type: 'TextBlock', text: headline, weight: 'Bolder', size: 'Medium', wrap: true },
            { type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: `${c.ref} `, weight: 'Bolder' }, { type: 'TextRun', text: c.subject }] },
            {
              type: 'FactSet',
              facts: [
                { title: 'Queue', value: c.queue },
                { title: 'Priority', value: c.priority },
                { title: 'Status', value: c.status },
              ],
            },
            { type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: 'Customer: ', weight: 'Bolder' }, { type: 'TextRun', text: c.customer }] },
          ],
          actions: [{ type: 'Action.OpenUrl', title: 'Open case', url: c.url }],
        },
      },
    ],
  };
}
