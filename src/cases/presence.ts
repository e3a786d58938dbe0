/**
 * Who else has a case open, and who is typing in its composer: a small in-process registry
 * keyed by case. Pages send heartbeats (opening the case, the presence poll, typing); an
 * entry is gone once it has not been renewed for `ttlMs` by the injected clock (typing for
 * `typingMs`), so a closed tab disappears by itself. Nothing is stored: a restart forgets
 * everyone, and the next heartbeats bring them back. One process serves the workspace; with
 * several, each knows the viewers it serves.
 */

export interface PresenceEntry {
  staffId: number;
  name: string;
  typing: boolean;
}

interface Beat {
  name: string;
  seenAt: number;
  typingAt: number | null;
}

export interface PresenceOptions {
  /** A viewer is gone after this long without a heartbeat (default 30 s). */
  ttlMs?: number;
  /** "Typing" lasts this long after the last keystroke heartbeat (default 8 s). */
  typingMs?: number;
}

export class PresenceRegistry {
  readonly ttlMs: number;
  readonly typingMs: number;
  readonly #cases = new Map<number, Map<number, Beat>>();

  constructor(options: PresenceOptions = {}) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.typingMs = options.typingMs ?? 8_000;
  }

  /** A heartbeat: `who` has the case open now (and is typing, when `typing`). */
  beat(caseId: number, who: { staffId: number; name: string }, now: number, typing = false): void {
    let viewers = this.#cases.get(caseId);
    if (!viewers) {
      viewers = new Map();
      this.#cases.set(caseId, viewers);
    }
    const before = viewers.get(who.staffId);
    viewers.set(who.staffId, { name: who.name, seenAt: now, typingAt: typing ? now : (before?.typingAt ?? null) });
  }

  /** `who` closed the case (the page said so): gone at once. */
  leave(caseId: number, staffId: number): void {
    const viewers = this.#cases.get(caseId);
    viewers?.delete(staffId);
    if (viewers?.size === 0) this.#cases.delete(caseId);
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

  /** Drops every expired entry (called now and then, so cases nobody looks at again do not linger). */
  sweep(now: number): void {
    for (const [caseId, viewers] of this.#cases) {
      for (const [staffId, beat] of viewers) if (now - beat.seenAt > this.ttlMs) viewers.delete(staffId);
      if (viewers.size === 0) this.#cases.delete(caseId);
    }
  }
}
