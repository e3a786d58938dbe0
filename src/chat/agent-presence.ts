/**
 * Which agents have the workspace open now: the chat's "is anyone there?" (availability.ts)
 * counts only these. Every signed-in staff page request beats — the inbox's and the case
 * page's live polls (every 5 s, at least once a minute in a background tab), any click — and
 * so does each heartbeat of an agent's live chat stream. An agent is live while their last
 * beat is younger than `ttlMs` (CHAT_AGENT_PRESENCE_SECONDS, 120 s): a closed tab, a closed
 * laptop or a lost network drops them within that.
 *
 * Times are this instance's injected clock at the moment a request arrives — never a time a
 * browser sends — so a visitor is never told "we're online" on the word of a client's clock.
 * The beats are also kept in the database (`agent_presence`, `keep`), at most one per agent
 * every third of `ttlMs`, stamped by the instance that heard them: an agent counts when this
 * instance heard them, or any instance wrote them down, within `ttlMs` (`liveIn`). Before, a
 * restart (a deploy) forgot everyone until their next request — and an agent waiting for chats
 * with the workspace in a background tab polls only once a minute: for up to a minute the
 * widget said nobody was there and routing passed them over. Another instance on the same
 * database reads them there too. With several instances on one database a `relay`
 * (src/db/live-relay.ts) still carries beats to the others at once, stamped on arrival by the
 * receiving instance's clock (as the case presence does, src/cases/presence.ts). Signing out
 * is read from the database (`liveIn` requires a live `sessions` row), so it counts at once on
 * every instance, for the widget and the chat routing alike.
 */
import { and, eq, gt, gte, inArray } from 'drizzle-orm';
import { SESSION_IDLE_MS } from '../auth/credential-rules.js';
import type { Clock } from '../clock.js';
import type { LiveRelay } from '../db/live-relay.js';
import type { Handle } from '../db/store/index.js';

export const AGENT_PRESENCE_TOPIC = 'agent-presence';

export interface AgentPresenceOptions {
  ttlMs?: number;
  relay?: LiveRelay;
  clock?: Clock;
  /** Writes a beat down where a restarted instance, or another one, reads it (`keepBeat`). */
  keep?: (staffId: number, at: number) => Promise<void>;
}

export class AgentPresence {
  readonly ttlMs: number;
  readonly #seen = new Map<number, { at: number; sharedAt?: number }>();
  readonly #relay: LiveRelay | null;
  readonly #keep: AgentPresenceOptions['keep'] | null;

  constructor(options: AgentPresenceOptions = {}) {
    this.ttlMs = options.ttlMs ?? 120_000;
    this.#relay = options.relay ?? null;
    this.#keep = options.keep ?? null;
    const clock = options.clock;
    if (this.#relay && !clock) throw new Error('AgentPresence: a relay needs the clock (relayed beats are stamped on arrival)');
    if (this.#relay && clock) {
      this.#relay.receive(AGENT_PRESENCE_TOPIC, (message) => {
        const staff = (message as { staff?: unknown } | null)?.staff;
        if (typeof staff === 'number' && Number.isSafeInteger(staff) && staff > 0) this.#record(staff, clock.now());
      });
    }
  }

  /**
   * `staffId` made a request now (server time). Shared (relayed, written down) at most once per
   * agent every third of `ttlMs`; the promise is that write's (it never fails: a beat not written
   * down is still heard here).
   */
  async beat(staffId: number, now: number): Promise<void> {
    const entry = this.#record(staffId, now);
    if (entry.sharedAt !== undefined && now - entry.sharedAt < this.ttlMs / 3) return;
    entry.sharedAt = now;
    this.#relay?.send(AGENT_PRESENCE_TOPIC, { staff: staffId });
    if (this.#keep) {
      try {
        await this.#keep(staffId, now);
      } catch {
        entry.sharedAt = undefined; // the next beat tries again
      }
    }
  }

  #record(staffId: number, now: number): { at: number; sharedAt?: number } {
    const before = this.#seen.get(staffId);
    const entry = { ...before, at: Math.max(now, before?.at ?? now) };
    this.#seen.set(staffId, entry);
    return entry;
  }

  /** Agents heard from by this instance within `ttlMs` of `now`; the others are dropped. */
  live(now: number): number[] {
    const out: number[] = [];
    for (const [staffId, entry] of this.#seen) {
      if (now - entry.at > this.ttlMs) this.#seen.delete(staffId);
      else out.push(staffId);
    }
    return out;
  }

  /**
   * Agents heard from within `ttlMs` of `now` by this instance, or written down by any (before a
   * restart too), who are still signed in: a sign-in session not ended (signed out, a new
   * password, access revoked, deactivated, expired or idle too long), read from the database so
   * it counts at once on every instance. A beat says the workspace was open, not that it still
   * is: the chat routing (assign.ts) preferred an agent who had just signed out, and their chats
   * waited for nobody until the beat aged.
   */
  async liveIn(q: Handle, now: number): Promise<number[]> {
    const t = q.tables.agentPresence;
    const kept = await q.db.select({ staffId: t.staffId }).from(t).where(gte(t.seenAt, now - this.ttlMs));
    const heard = [...new Set([...this.live(now), ...kept.map((row) => row.staffId)])];
    if (heard.length === 0) return [];
    const { sessions } = q.tables;
    const signedIn = await q.db
      .selectDistinct({ staffId: sessions.principalId })
      .from(sessions)
      .where(and(eq(sessions.principalType, 'staff'), inArray(sessions.principalId, heard), gt(sessions.expiresAt, now), gte(sessions.lastSeenAt, now - SESSION_IDLE_MS)));
    const live = new Set(signedIn.map((row) => row.staffId));
    return heard.filter((id) => live.has(id));
  }
}

/** `keep` for the store: the agent's last beat, one row per agent. */
export async function keepBeat(q: Handle, staffId: number, at: number): Promise<void> {
  const t = q.tables.agentPresence;
  await q.db.insert(t).values({ staffId, seenAt: at }).onConflictDoUpdate({ target: t.staffId, set: { seenAt: at } });
}
