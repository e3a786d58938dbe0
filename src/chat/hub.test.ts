import { describe, expect, it } from 'vitest';
import { memoryRelay } from '../../test/support/live-relay.js';
import { ChatHub, HUB_TOPIC, type HubSignal } from './hub.js';

describe('ChatHub with a relay', () => {
  it('delivers a publish here and sends it on; what arrives is delivered here only', () => {
    const relay = memoryRelay();
    const hub = new ChatHub({ relay });
    const session: HubSignal[] = [];
    const kase: HubSignal[] = [];
    hub.subscribe(7, (s) => session.push(s));
    hub.subscribeCase(1001, (s) => kase.push(s));

    hub.publish(7, 1001, { kind: 'messages' });
    expect(session).toEqual([{ kind: 'messages' }]);
    expect(kase).toEqual([{ kind: 'messages' }]);
    expect(relay.sent).toEqual([{ topic: HUB_TOPIC, message: { session: 7, case: 1001, signal: { kind: 'messages' } } }]);

    relay.deliver(HUB_TOPIC, { session: 7, case: 1001, signal: { kind: 'typing', who: 'visitor', name: 'Vic' } });
    relay.deliver(HUB_TOPIC, { session: 7, case: null, signal: { kind: 'state' } });
    expect(session).toEqual([{ kind: 'messages' }, { kind: 'typing', who: 'visitor', name: 'Vic' }, { kind: 'state' }]);
    expect(kase).toEqual([{ kind: 'messages' }, { kind: 'typing', who: 'visitor', name: 'Vic' }]);
    expect(relay.sent).toHaveLength(1); // never sent on
  });

  it('ignores relayed messages of the wrong shape', () => {
    const relay = memoryRelay();
    const hub = new ChatHub({ relay });
    const got: HubSignal[] = [];
    hub.subscribe(7, (s) => got.push(s));
    for (const message of [null, 'messages', { session: 7 }, { session: '7', case: null, signal: { kind: 'messages' } }, { session: 7, case: null, signal: { kind: 'gossip' } }, { session: 7, case: null, signal: { kind: 'typing', who: 'boss', name: 'x' } }]) {
      relay.deliver(HUB_TOPIC, message);
    }
    expect(got).toEqual([]);
  });

  it('cuts a typing name it relays to 200 characters (the local listeners get it whole)', () => {
    const relay = memoryRelay();
    const hub = new ChatHub({ relay });
    const got: HubSignal[] = [];
    hub.subscribe(7, (s) => got.push(s));
    hub.publish(7, null, { kind: 'typing', who: 'agent', name: 'n'.repeat(250) });
    expect(got).toEqual([{ kind: 'typing', who: 'agent', name: 'n'.repeat(250) }]);
    expect(relay.sent[0]!.message).toEqual({ session: 7, case: null, signal: { kind: 'typing', who: 'agent', name: 'n'.repeat(200) } });
  });

  it('after a resync, every listener re-reads: messages and state', () => {
    const relay = memoryRelay();
    const hub = new ChatHub({ relay });
    const a: HubSignal[] = [];
    const b: HubSignal[] = [];
    hub.subscribe(1, (s) => a.push(s));
    const stop = hub.subscribeCase(2, (s) => b.push(s));
    relay.resync();
    expect(a).toEqual([{ kind: 'messages' }, { kind: 'state' }]);
    expect(b).toEqual([{ kind: 'messages' }, { kind: 'state' }]);
    stop();
    relay.resync();
    expect(b).toHaveLength(2);
    expect(relay.sent).toEqual([]);
  });

  it('without a relay, a publish stays in this process', () => {
    const hub = new ChatHub();
    const got: HubSignal[] = [];
    hub.subscribe(1, (s) => got.push(s));
    hub.publish(1, null, { kind: 'state' });
    expect(got).toEqual([{ kind: 'state' }]);
  });
});

describe('ChatHub stream places', () => {
  it('holds at most max per holder; a release gives one back, once', () => {
    const hub = new ChatHub();
    const a = hub.takeStream('visitor:1', 2)!;
    const b = hub.takeStream('visitor:1', 2)!;
    expect(a.id).not.toBe(b.id);
    expect(hub.takeStream('visitor:1', 2)).toBeNull();
    expect(hub.takeStream('visitor:2', 2)).not.toBeNull();
    a.release();
    a.release();
    expect(hub.takeStream('visitor:1', 2)).not.toBeNull();
    expect(hub.takeStream('visitor:1', 2)).toBeNull();
  });

  it('a stream that names one of its holder’s as replaced closes that one and takes its place', () => {
    const hub = new ChatHub();
    const closed: string[] = [];
    const a = hub.takeStream('visitor:1', 2)!;
    const b = hub.takeStream('visitor:1', 2)!;
    a.onReplaced(() => closed.push('a'));
    b.onReplaced(() => closed.push('b'));
    const c = hub.takeStream('visitor:1', 2, a.id)!;
    expect(c).not.toBeNull();
    expect(closed).toEqual(['a']);
    // The replaced stream's own release, when its loop ends, gives back nothing more.
    a.release();
    expect(hub.takeStream('visitor:1', 2)).toBeNull();
    // Named again (a second reconnect with the same id): nothing more happens.
    expect(hub.takeStream('visitor:1', 2, a.id)).toBeNull();
    expect(closed).toEqual(['a']);
  });

  it('another holder’s stream, or an id that is no stream, is not replaced', () => {
    const hub = new ChatHub();
    const closed: string[] = [];
    const other = hub.takeStream('visitor:2', 1)!;
    other.onReplaced(() => closed.push('other'));
    hub.takeStream('visitor:1', 1)!;
    expect(hub.takeStream('visitor:1', 1, other.id)).toBeNull();
    expect(hub.takeStream('visitor:1', 1, 'no-such-stream')).toBeNull();
    expect(closed).toEqual([]);
    expect(hub.takeStream('visitor:2', 1)).toBeNull();
  });

  it('a stream replaced before it said how it closes is closed as soon as it does', () => {
    const hub = new ChatHub();
    const a = hub.takeStream('staff:s', 1)!;
    expect(hub.takeStream('staff:s', 1, a.id)).not.toBeNull();
    let closed = false;
    a.onReplaced(() => (closed = true));
    expect(closed).toBe(true);
  });
});
