/**
 * Is anyone there? A site's chat is staffed inside its calendar's business hours when an
 * agent of its queue is active, available, under capacity and under their chat limit.
 * Otherwise the widget offers to leave a message instead.
 */
import type { Services } from '../services.js';
import { isWithinBusinessHours, nextBusinessOpening } from '../sla/calendar.js';
import type { ChatSite } from './sites.js';

export type Availability = { open: true } | { open: false; reason: 'outside-hours' | 'no-agent'; opensAt: number | null };

/** Agents of a queue who could take one more chat now. */
export const FREE_CHAT_AGENTS_SQL = `
  SELECT count(*) FROM staff_queues sq JOIN staff s ON s.id = sq.staff_id
  WHERE sq.queue_id = ? AND s.active = 1 AND s.available = 1
    AND (SELECT count(*) FROM cases c WHERE c.assignee_id = s.id AND c.open = 1) < s.capacity
    AND (SELECT count(*) FROM chat_sessions cs JOIN cases c ON c.id = cs.case_id WHERE c.assignee_id = s.id AND cs.state = 'open') < s.chat_limit`;

export function chatAvailability(services: Services, site: ChatSite, at: number = services.clock.now()): Availability {
  if (site.calendar !== null) {
    const calendar = services.definitions.sla().config.calendar(site.calendar);
    if (calendar && !isWithinBusinessHours(calendar, at)) {
      let opensAt: number | null = null;
      try {
        opensAt = nextBusinessOpening(calendar, at);
      } catch {
        opensAt = null;
      }
      return { open: false, reason: 'outside-hours', opensAt };
    }
  }
  const free = services.db.$client.prepare<[string], number>(FREE_CHAT_AGENTS_SQL).pluck().get(site.queueId) ?? 0;
  return free > 0 ? { open: true } : { open: false, reason: 'no-agent', opensAt: null };
}
