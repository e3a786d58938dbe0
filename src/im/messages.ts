/**
 * The chat messages `notify` posts: Slack Block Kit (also what Mattermost's incoming webhooks
 * take) and a Microsoft Teams Adaptive Card, both with the case reference, subject, queue,
 * priority, status and a link to the case. Staff-facing: no customer message text, no notes.
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
    text: `${headline}: ${c.ref} ${c.subject}`,
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
            { type: 'TextBlock', text: `${c.ref} ${c.subject}`, wrap: true },
            {
              type: 'FactSet',
              facts: [
                { title: 'Queue', value: c.queue },
                { title: 'Priority', value: c.priority },
                { title: 'Status', value: c.status },
                { title: 'Customer', value: c.customer },
              ],
            },
          ],
          actions: [{ type: 'Action.OpenUrl', title: 'Open case', url: c.url }],
        },
      },
    ],
  };
}
