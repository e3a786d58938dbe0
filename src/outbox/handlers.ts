/** Outbox item types and the code that performs them. */
import { ACCESS_MAIL } from '../auth/request-access-mail.js';
import { sendAccessMail } from '../auth/send-access-mail.js';
import { REPLY_MAIL, sendReplyMail } from '../channels/email/outbound.js';
import { fireWorkflowTimer } from '../cases/fire-workflow-timer.js';
import { handleCaseEvent } from '../cases/handle-case-event.js';
import { sendNotification } from '../notifications/send-notification.js';
import { deliverReport } from '../reports/deliver-report.js';
import { dispatchSlaEvent } from '../sla/dispatch-event.js';
import type { OutboxHandler } from './outbox.js';

export function builtinOutboxHandlers(): Map<string, OutboxHandler> {
  return new Map<string, OutboxHandler>([
    ['case.event', handleCaseEvent],
    ['workflow.timer', fireWorkflowTimer],
    ['notification.send', sendNotification],
    [REPLY_MAIL, sendReplyMail],
    ['sla.dispatch', dispatchSlaEvent],
    ['report.deliver', deliverReport],
    [ACCESS_MAIL, sendAccessMail],
  ]);
}
