import { describe, expect, it } from 'vitest';
import { PresenceRegistry } from './presence.js';

describe('PresenceRegistry', () => {
  it('lists the others on a case, typing first, and forgets them by the clock', () => {
    const p = new PresenceRegistry({ ttlMs: 30_000, typingMs: 8_000 });
    p.beat(1, { staffId: 1, name: 'Alice' }, 0);
    p.beat(1, { staffId: 2, name: 'Bob' }, 1_000);
    p.beat(1, { staffId: 3, name: 'Dana' }, 2_000, true);
    p.beat(2, { staffId: 2, name: 'Bob' }, 2_000);
    expect(p.others(1, 1, 5_000)).toEqual([
      { staffId: 3, name: 'Dana', typing: true },
      { staffId: 2, name: 'Bob', typing: false },
    ]);
    // Typing wears off; a plain heartbeat keeps the viewer.
    p.beat(1, { staffId: 3, name: 'Dana' }, 9_000);
    expect(p.others(1, 1, 10_001).find((e) => e.staffId === 3)?.typing).toBe(false);
    // Bob's last beat on case 1 was at 1 s: gone after 31 s.
    expect(p.others(1, null, 31_001).map((e) => e.name)).toEqual(['Dana']);
    p.leave(1, 3);
    expect(p.others(1, null, 31_002)).toEqual([]);
    p.sweep(100_000);
    expect(p.others(2, null, 100_000)).toEqual([]);
  });
});
