/**
 * The chat sweep (scheduler job `chat-sweep`, CHAT_SWEEP_CRON, every 10 s by default): ends
 * chats whose visitor owed an answer for CHAT_INACTIVITY_MINUTES, offers visitors waiting
 * CHAT_WAIT_OFFER_MINUTES for an agent to be answered by e-mail instead (waiting.ts), and while any chat is open records due SLA
 * warnings and breaches, so a chat's targets in seconds are not recorded up to a minute late
 * by the minute sweep. Times come from the injected clock: tests advance it and run this.
 */
import { get } from '../db/store/rows.js';
import type { Services } from '../services.js';
import { sweepSla } from '../sla/sweep.js';
import { endInactiveChats } from './end-chat.js';
import { offerMailToWaiting } from './waiting.js';

export interface ChatSweepRun {
  ended: number;
  /** Waiting visitors offered to be answered by e-mail. */
  offered: number;
  warnings: number;
  breaches: number;
}

export async function runChatSweep(services: Services): Promise<ChatSweepRun> {
  const ended = await endInactiveChats(services);
  const offered = await offerMailToWaiting(services);
  const open = (await services.store.query((q) => get<{ n: number }>(q, "SELECT count(*) AS n FROM chat_sessions WHERE state = 'open' AND case_id IS NOT NULL")))?.n ?? 0;
  if (open === 0) return { ended, offered, warnings: 0, breaches: 0 };
  const sla = await sweepSla(services, { detailLimit: 0 });
  if (sla.warnings + sla.breaches > 0) services.outbox.kick();
  return { ended, offered, warnings: sla.warnings, breaches: sla.breaches };
}
