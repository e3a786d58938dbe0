/**
 * Is anyone there? A site's chat is staffed inside its calendar's business hours when an
 * agent of its queue is signed in with the workspace open now (agent-presence.ts: a request
 * within CHAT_AGENT_PRESENCE_SECONDS by the server's clock, and a sign-in session that has not
 * ended), active, available, under capacity and under their chat limit. Otherwise the widget
 * offers to leave a message instead.
 */
import { and, count, eq, gt, inArray, lt, sql } from 'drizzle-orm';
import { SESSION_IDLE_MS } from '../auth/credential-rules.js';
import type { Handle } from '../db/store/index.js';
import type { Services } from '../services.js';
import { isWithinBusinessHours, nextBusinessOpening } from '../sla/calendar.js';
import type { ChatSite } from './sites.js';

export type Availability = { open: true } | { open: false; reason: 'outside-hours' | 'no-agent'; opensAt: number | null };

/**
 * Agents of a queue who could take one more chat now: among `liveStaff` (the workspace open,
 * agent-presence.ts), with a sign-in session not ended (signed out, expired or idle too long:
 * read from the database, so a sign-out counts at once on every instance), active, available,
 * under capacity and under their chat limit. Written with the builder so booleans are bound as each dialect
 * stores them (1 on SQLite, true on PostgreSQL); the open-case and open-chat counts are
 * correlated subqueries on the outer `staff` row.
 */
export async function freeChatAgents(q: Handle, queueId: string, liveStaff: readonly number[], now: number): Promise<number> {
  if (liveStaff.length === 0) return 0;
  const { cases, chatSessions, sessions, staff, staffQueues } = q.tables;
  const signedIn = sql`EXISTS (SELECT 1 FROM ${sessions} WHERE ${and(eq(sessions.principalType, 'staff'), eq(sessions.principalId, staff.id), gt(sessions.expiresAt, now), sql`${sessions.lastSeenAt} >= ${now - SESSION_IDLE_MS}`)})`;
  const openCases = sql`(SELECT count(*) FROM ${cases} WHERE ${cases.assigneeId} = ${staff.id} AND ${eq(cases.open, true)})`;
  const openChats = sql`(SELECT count(*) FROM ${chatSessions} JOIN ${cases} ON ${cases.id} = ${chatSessions.caseId} WHERE ${cases.assigneeId} = ${staff.id} AND ${eq(chatSessions.state, 'open')})`;
  const [row] = await q.db
    .select({ n: count() })
    .from(staffQueues)
    .innerJoin(staff, eq(staff.id, staffQueues.staffId))
    .where(and(eq(staffQueues.queueId, queueId), eq(staff.active, true), eq(staff.available, true), inArray(staff.id, [...liveStaff]), signedIn, lt(openCases, staff.capacity), lt(openChats, staff.chatLimit)));
  return row?.n ?? 0;
}

export async function chatAvailability(services: Services, site: ChatSite, at: number = services.clock.now()): Promise<Availability> {
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
  const now = services.clock.now();
  const free = await services.store.query(async (q) => freeChatAgents(q, site.queueId, await services.chat.agents.liveIn(q, now), now));
  return free > 0 ? { open: true } : { open: false, reason: 'no-agent', opensAt: null };
}
