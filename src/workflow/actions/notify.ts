import { z } from 'zod';
import { IM_POST } from '../../im/post-message.js';
import { IM_TARGETS, imUrlSchema, isImTarget } from '../../im/targets.js';
import { NOTIFY_TARGETS, TEMPLATE_NAMES } from '../../notifications/templates.js';
import type { ActionDefinition } from '../registry.js';

export const notifyAction: ActionDefinition<{ to: string; template: string; url?: string }> = {
  name: 'notify',
  description: 'Send a notification (mail when SMTP_URL is set; slack / teams: a chat post to `url` or the queue’s incoming webhook) after the change commits.',
  params: z
    .strictObject({ to: z.union([z.enum(NOTIFY_TARGETS), z.enum(IM_TARGETS), z.email()]), template: z.enum(TEMPLATE_NAMES), url: imUrlSchema.optional() })
    .refine((p) => p.url === undefined || isImTarget(p.to), { path: ['url'], message: 'only the slack and teams targets take a url' }),
  async run(ctx, params) {
    if (isImTarget(params.to)) await ctx.enqueue(IM_POST, { to: params.to, template: params.template, source: 'workflow', ...(params.url ? { url: params.url } : {}) });
    else await ctx.enqueue('notification.send', { to: params.to, template: params.template, source: 'workflow' });
  },
};
