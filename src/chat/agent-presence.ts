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
 * Nothing is stored: a restart forgets everyone and the next polls (5 s) bring them back.
 * With several instances on one database a `relay` (src/db/live-relay.ts) carries beats to the
 * others, at most one per agent every third of `ttlMs`, stamped on arrival by the receiving
 * instance's clock (as the case presence does, src/cases/presence.ts). Signing out is read
 * from the database (availability.ts requires a live `sessions` row), so it counts at once on
 * every instance.
 */
import type { Clock } from '../clock.js';
import type { LiveRelay } from '../db/live-relay.js';

export const AGENT_PRESENCE_TOPIC = 'agent-presence';

export interface AgentPresenceOptions {
  ttlMs?: number;
  relay?: LiveRelay;
  clock?: Clock;
}

export class AgentPresence {
  readonly ttlMs: number;
  readonly #seen = new Map<number, { at: number; relayedAt?: number }>();
  readonly #relay: LiveRelay | null;

  constructor(options: AgentPresenceOptions = {}) {
    this.ttlMs = options.ttlMs ?? 120_000;
    this.#relay = options.relay ?? null;
    const clock = options.clock;
    if (this.#relay && !clock) throw new Error('AgentPresence: a relay needs the clock (relayed beats are stamped on arrival)');
    if (this.#relay && clock) {
      this.#relay.receive(AGENT_PRESENCE_TOPIC, (message) => {
        const staff = (message as { staff?: unknown } | null)?.staff;
        if (typeof staff === 'number' && Number.isSafeInteger(staff) && staff > 0) this.#record(staff, clock.now());
      });
    }
  }

  /** `staffId` made a request now (server time). */
  beat(staffId: number, now: number): void {
    const entry = this.#record(staffId, now);
    if (!this.#relay || (entry.relayedAt !== undefined && now - entry.relayedAt < this.ttlMs / 3)) return;
    entry.relayedAt = now;
    this.#relay.send(AGENT_PRESENCE_TOPIC, { staff: staffId });
  }

  #record(staffId: number, now: number): { at: number; relayedAt?: number } {
    const before = this.#seen.get(staffId);
    const entry = { ...before, at: Math.max(now, before?.at ?? now) };
    this.#seen.set(staffId, entry);
    return entry;
  }

  /** Agents heard from within `ttlMs` of `now`; the others are dropped. */
  live(now: number): number[] {
    const out: number[] = [];
    for (const [staffId, entry] of this.#seen) {
      if (now - entry.at > this.ttlMs) this.#seen.delete(staffId);
      else out.push(staffId);
    }
    return out;
  }
}
