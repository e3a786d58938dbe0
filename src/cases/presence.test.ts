import { describe, expect, it } from 'vitest';
import { memoryRelay } from '../../test/support/live-relay.js';
import { ManualClock } from '../clock.js';
import { PRESENCE_TOPIC, PresenceRegistry } from './presence.js';

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

describe('PresenceRegistry with a relay', () => {
  it('needs the clock', () => {
    expect(() => new PresenceRegistry({ relay: memoryRelay() })).toThrow(/needs the clock/);
  });

  it('relays a heartbeat, then at most one per third of the TTL, typing at once, and leaves', () => {
    const relay = memoryRelay();
    const p = new PresenceRegistry({ ttlMs: 30_000, typingMs: 9_000, relay, clock: new ManualClock(0) });
    const ana = { staffId: 1, name: 'Ana' };
    p.beat(10, ana, 0);
    p.beat(10, ana, 5_000);
    p.beat(10, ana, 9_999);
    p.beat(10, ana, 10_000, true);
    p.beat(10, ana, 12_000, true);
    p.beat(10, ana, 13_000, true);
    p.beat(10, ana, 14_000);
    p.beat(10, ana, 22_999);
    p.beat(10, ana, 23_000);
    p.leave(10, 1);
    expect(relay.sent.map((s) => [s.topic, s.message])).toEqual([
      [PRESENCE_TOPIC, { case: 10, staff: 1, name: 'Ana', typing: false }],
      [PRESENCE_TOPIC, { case: 10, staff: 1, name: 'Ana', typing: true }],
      [PRESENCE_TOPIC, { case: 10, staff: 1, name: 'Ana', typing: true }],
      [PRESENCE_TOPIC, { case: 10, staff: 1, name: 'Ana', typing: false }],
      [PRESENCE_TOPIC, { case: 10, staff: 1, leave: true }],
    ]);
    // Gone and back: the first heartbeat goes out again.
    p.beat(10, ana, 23_001);
    expect(relay.sent).toHaveLength(6);
  });

  it('records what arrives by its own clock, never sends it on, and ignores other shapes', () => {
    const relay = memoryRelay();
    const clock = new ManualClock(1_000_000);
    const p = new PresenceRegistry({ ttlMs: 30_000, typingMs: 8_000, relay, clock });
    relay.deliver(PRESENCE_TOPIC, { case: 10, staff: 2, name: 'Bo', typing: true });
    for (const junk of [null, 7, { case: 10, staff: 3 }, { case: -1, staff: 3, name: 'X', typing: false }, { case: 10, staff: 3.5, name: 'X', typing: false }]) relay.deliver(PRESENCE_TOPIC, junk);
    expect(p.others(10, null, clock.now())).toEqual([{ staffId: 2, name: 'Bo', typing: true }]);
    clock.advance(8_001);
    expect(p.others(10, null, clock.now())).toEqual([{ staffId: 2, name: 'Bo', typing: false }]);
    clock.advance(22_000);
    expect(p.others(10, null, clock.now())).toEqual([]);
    relay.deliver(PRESENCE_TOPIC, { case: 10, staff: 2, name: 'Bo', typing: false });
    relay.deliver(PRESENCE_TOPIC, { case: 10, staff: 2, leave: true });
    expect(p.others(10, null, clock.now())).toEqual([]);
    expect(relay.sent).toEqual([]);
  });
});

describe('PresenceRegistry sweeping', () => {
  it('drops the expired entries of other cases as heartbeats come in, once per time to live', () => {
    const relay = memoryRelay();
    const clock = new ManualClock(0);
    const p = new PresenceRegistry({ ttlMs: 30_000, relay, clock });
    relay.deliver(PRESENCE_TOPIC, { case: 1, staff: 1, name: 'Ana', typing: false });
    p.beat(2, { staffId: 2, name: 'Bo' }, 0);
    clock.set(40_000);
    p.beat(3, { staffId: 2, name: 'Bo' }, 40_000);
    // Case 1 and 2 were never asked about again, yet they are gone.
    expect(p.casesHeld).toBe(1);
  });
});
