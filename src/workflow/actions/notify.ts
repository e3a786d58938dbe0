import { z } from 'zod';
import { NOTIFY_TARGETS, TEMPLATE_NAMES } from '../../notifications/templates.js';
import type { ActionDefinition } from '../registry.js';

export const notifyAction: ActionDefinition<{ to: string; template: string }> = {
  name: 'notify',
  description: 'Send a notification (mail when SMTP_URL is set) after the change commits.',
  params: z.strictObject({ to: z.union([z.enum(NOTIFY_TARGETS), z.email()]), template: z.enum(TEMPLATE_NAMES) }),
  run(ctx, params) {
    ctx.enqueue('notification.send', { to: params.to, template: params.template, source: 'workflow' });
  },
};
