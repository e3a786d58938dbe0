/**
 * Who else has a case open, and who is typing in its composer: a small in-process registry
 * keyed by case. Pages send heartbeats (opening the case, the presence poll, typing); an
 * entry is gone once it has not been renewed for `ttlMs` by the injected clock (typing for
 * `typingMs`), so a closed tab disappears by itself. Nothing is stored: a restart forgets
 * everyone, and the next heartbeats bring them back. One process serves the workspace; with
 * several, each knows the viewers it serves, unless a `relay` links them (src/db/live-relay.ts):
 * then heartbeats and leaves go to the other instances too, at most one heartbeat per viewer
 * every third of `ttlMs` (a third of `typingMs` while typing). A relayed heartbeat counts from
 * when it arrives, by this instance's clock, so expiry stays local and clocks that disagree
 * between machines do not matter.
 */
import type { Clock } from '../clock.js';
import type { LiveRelay } from '../db/live-relay.js';

export interface PresenceEntry {
  staffId: number;
  name: string;
  typing: boolean;
}

interface Beat {
  name: string;
  seenAt: number;
  typingAt: number | null;
  /** When this instance last relayed a heartbeat of this viewer (and one while typing). */
  relayedAt?: number;
  relayedTypingAt?: number;
}

/** The relay's topic for presence. */
export const PRESENCE_TOPIC = 'presence';
const RELAYED_NAME_MAX = 200;

/** A heartbeat (`typing`) or a leave, as it crosses to other instances. */
type RelayedPresence = { case: number; staff: number; name: string; typing: boolean } | { case: number; staff: number; leave: true };

export interface PresenceOptions {
  /** A viewer is gone after this long without a heartbeat (default 30 s). */
  ttlMs?: number;
  /** "Typing" lasts this long after the last keystroke heartbeat (default 8 s). */
  typingMs?: number;
  /** Other instances on the same database (default none). Needs `clock`: relayed heartbeats are stamped on arrival. */
  relay?: LiveRelay;
  clock?: Clock;
}

export class PresenceRegistry {
  readonly ttlMs: number;
  readonly typingMs: number;
  readonly #cases = new Map<number, Map<number, Beat>>();
  readonly #relay: LiveRelay | null;
  #sweptAt = Number.NEGATIVE_INFINITY;

  constructor(options: PresenceOptions = {}) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.typingMs = options.typingMs ?? 8_000;
    this.#relay = options.relay ?? null;
    const clock = options.clock;
    if (this.#relay && !clock) throw new Error('PresenceRegistry: a relay needs the clock (relayed heartbeats are stamped on arrival)');
    if (this.#relay && clock) {
      this.#relay.receive(PRESENCE_TOPIC, (message) => this.#received(message, clock.now()));
    }
  }

  /** A heartbeat: `who` has the case open now (and is typing, when `typing`). */
  beat(caseId: number, who: { staffId: number; name: string }, now: number, typing = false): void {
    const beat = this.#record(caseId, who, now, typing);
    if (!this.#relay) return;
    const dueTyping = typing && (beat.relayedTypingAt === undefined || now - beat.relayedTypingAt >= this.typingMs / 3);
    if (!dueTyping && beat.relayedAt !== undefined && now - beat.relayedAt < this.ttlMs / 3) return;
    beat.relayedAt = now;
    if (typing) beat.relayedTypingAt = now;
    const message: RelayedPresence = { case: caseId, staff: who.staffId, name: who.name.slice(0, RELAYED_NAME_MAX), typing };
    this.#relay.send(PRESENCE_TOPIC, message);
  }

  /** `who` closed the case (the page said so): gone at once (on every instance). */
  leave(caseId: number, staffId: number): void {
    this.#forget(caseId, staffId);
    const message: RelayedPresence = { case: caseId, staff: staffId, leave: true };
    this.#relay?.send(PRESENCE_TOPIC, message);
  }

  #record(caseId: number, who: { staffId: number; name: string }, now: number, typing: boolean): Beat {
    // Now and then, so cases nobody looks at here any more (viewed on another instance, or left) do not linger.
    if (now - this.#sweptAt > this.ttlMs) {
      this.#sweptAt = now;
      this.sweep(now);
    }
    let viewers = this.#cases.get(caseId);
    if (!viewers) {
      viewers = new Map();
      this.#cases.set(caseId, viewers);
    }
    const before = viewers.get(who.staffId);
    const beat: Beat = { ...before, name: who.name, seenAt: now, typingAt: typing ? now : (before?.typingAt ?? null) };
    viewers.set(who.staffId, beat);
    return beat;
  }

  #forget(caseId: number, staffId: number): void {
    const viewers = this.#cases.get(caseId);
    viewers?.delete(staffId);
    if (viewers?.size === 0) this.#cases.delete(caseId);
  }

  /** A heartbeat or leave from another instance: recorded here, never sent on. */
  #received(message: unknown, now: number): void {
    if (typeof message !== 'object' || message === null) return;
    const m = message as Record<string, unknown>;
    if (!isId(m.case) || !isId(m.staff)) return;
    if (m.leave === true) return this.#forget(m.case, m.staff);
    if (typeof m.name !== 'string' || typeof m.typing !== 'boolean') return;
    this.#record(m.case, { staffId: m.staff, name: m.name.slice(0, RELAYED_NAME_MAX) }, now, m.typing);
  }

  /** Everyone on the case now except `exceptStaffId`, by name; expired entries are dropped. */
  others(caseId: number, exceptStaffId: number | null, now: number): PresenceEntry[] {
    const viewers = this.#cases.get(caseId);
    if (!viewers) return [];
    const out: PresenceEntry[] = [];
    for (const [staffId, beat] of viewers) {
      if (now - beat.seenAt > this.ttlMs) {
        viewers.delete(staffId);
        continue;
      }
      if (staffId === exceptStaffId) continue;
      out.push({ staffId, name: beat.name, typing: beat.typingAt !== null && now - beat.typingAt <= this.typingMs });
    }
    if (viewers.size === 0) this.#cases.delete(caseId);
    return out.sort((a, b) => Number(b.typing) - Number(a.typing) || a.name.localeCompare(b.name));
  }

  /** Cases with an entry held (expired ones included until the next sweep). */
  get casesHeld(): number {
    return this.#cases.size;
  }

  /** Drops every expired entry (called now and then, so cases nobody looks at again do not linger). */
  sweep(now: number): void {
    for (const [caseId, viewers] of this.#cases) {
      for (const [staffId, beat] of viewers) if (now - beat.seenAt > this.ttlMs) viewers.delete(staffId);
      if (viewers.size === 0) this.#cases.delete(caseId);
    }
  }
}

function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}
