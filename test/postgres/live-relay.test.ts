/**
 * Live signals across instances on one PostgreSQL database (src/db/pg/notify-relay.ts):
 * two instances in this process (each a chat hub and a presence registry on its own relay,
 * with its own listening connection and clock), a third in a child process, one cluster and
 * one database for the file. Every wait is for the event itself, bounded so a lost signal
 * fails the test. Ordering is the barrier that proves "once": a listener receives the
 * notifications of committed transactions in commit order, so when A's listener hears B's
 * answer to A's signal, an echo of A's own signal would already have come.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PresenceRegistry, PRESENCE_TOPIC, type PresenceEntry } from '../../src/cases/presence.js';
import { ChatHub, type HubSignal } from '../../src/chat/hub.js';
import { ManualClock } from '../../src/clock.js';
import { LIVE_CHANNEL, MAX_PAYLOAD_BYTES, postgresRelay, type PostgresRelay } from '../../src/db/pg/notify-relay.js';
import { REPO_ROOT } from '../../src/repo-root.js';
import { createCase } from '../../src/cases/create-case.js';
import { ADMIN, createHarness, standardQueues, type Harness } from '../support/harness.js';
import { recorder, within, type Recorder } from '../support/live-relay.js';
import { signedIn } from '../support/pages.js';
import { startPostgres, type PostgresCluster } from '../support/postgres.js';

interface Instance {
  relay: PostgresRelay;
  hub: ChatHub;
  presence: PresenceRegistry;
  clock: ManualClock;
  errors: Error[];
}

let cluster: PostgresCluster;
let url: string;
let admin: pg.Pool;
const relays: PostgresRelay[] = [];

async function instance(instanceId: string): Promise<Instance> {
  const errors: Error[] = [];
  const relay = await postgresRelay(url, { instanceId, minRetryMs: 20, onError: (e) => errors.push(e) });
  const clock = new ManualClock();
  relays.push(relay);
  return { relay, hub: new ChatHub({ relay }), presence: new PresenceRegistry({ relay, clock }), clock, errors };
}

/** Resolves with the next message on `topic` that reaches `relay`'s handlers (after the hub's or presence's own). */
function nextOn(relay: PostgresRelay, topic: string): Recorder<unknown> {
  const seen = recorder<unknown>(`${topic} message`);
  relay.receive(topic, seen.push);
  return seen;
}

let a: Instance;
let b: Instance;

beforeAll(async () => {
  cluster = await startPostgres();
  url = await cluster.createDatabase();
  admin = new pg.Pool({ connectionString: url, max: 1 });
  a = await instance('instance-a');
  b = await instance('instance-b');
});

afterAll(async () => {
  for (const relay of relays) await relay.close();
  await admin?.end();
  await cluster?.stop();
});

describe('live signals between two instances', () => {
  it('a signal published on A reaches B’s session and case listeners once, and A’s listener once; B’s reaches A', async () => {
    const onA = recorder<HubSignal>('signal on A');
    const onB = recorder<HubSignal>('signal on B’s session');
    const onBCase = recorder<HubSignal>('signal on B’s case');
    const onBOther = recorder<HubSignal>('signal on another session');
    a.hub.subscribe(7, onA.push);
    b.hub.subscribe(7, onB.push);
    b.hub.subscribeCase(1001, onBCase.push);
    b.hub.subscribe(8, onBOther.push);

    a.hub.publish(7, 1001, { kind: 'messages' });
    expect(onA.events).toEqual([{ kind: 'messages' }]); // locally at once, as without a relay
    await onB.next((s) => s.kind === 'messages');
    await onBCase.next((s) => s.kind === 'messages');

    // B answers; by the time A hears it, an echo of A's own signal would have arrived before it.
    b.hub.publish(7, 1001, { kind: 'state' });
    await onA.next((s) => s.kind === 'state');
    expect(onA.events).toEqual([{ kind: 'messages' }, { kind: 'state' }]);
    expect(onB.events).toEqual([{ kind: 'messages' }, { kind: 'state' }]);
    expect(onBCase.events).toEqual([{ kind: 'messages' }, { kind: 'state' }]);
    expect(onBOther.events).toEqual([]);
    expect([...a.errors, ...b.errors]).toEqual([]);
  });

  it('what one turn sends goes out in one statement, in order; identical signals in it fold into one', async () => {
    const onB = recorder<HubSignal>('signal on B');
    b.hub.subscribeCase(1005, onB.push);
    a.hub.publish(74, 1005, { kind: 'typing', who: 'agent', name: 'One' });
    a.hub.publish(74, 1005, { kind: 'messages' });
    a.hub.publish(74, 1005, { kind: 'messages' });
    a.hub.publish(74, 1005, { kind: 'typing', who: 'agent', name: 'Two' });
    a.hub.publish(74, 1005, { kind: 'state' });
    await onB.next((s) => s.kind === 'state');
    expect(onB.events).toEqual([{ kind: 'typing', who: 'agent', name: 'One' }, { kind: 'messages' }, { kind: 'typing', who: 'agent', name: 'Two' }, { kind: 'state' }]);
  });

  it('afterCommit goes to the other instance too, once the transaction is over', async () => {
    const onB = recorder<HubSignal>('signal on B');
    b.hub.subscribeCase(1002, onB.push);
    a.hub.afterCommit(70, 1002, { kind: 'messages' });
    expect(onB.events).toEqual([]);
    await onB.next((s) => s.kind === 'messages');
  });

  it('typing crosses with its name (cut to 200 characters)', async () => {
    const onB = recorder<HubSignal>('typing on B');
    b.hub.subscribeCase(1003, onB.push);
    a.hub.publish(71, 1003, { kind: 'typing', who: 'agent', name: 'Ana Agent' });
    expect(await onB.next()).toEqual({ kind: 'typing', who: 'agent', name: 'Ana Agent' });
    a.hub.publish(71, 1003, { kind: 'typing', who: 'visitor', name: 'é'.repeat(300) });
    expect(await onB.next()).toEqual({ kind: 'typing', who: 'visitor', name: 'é'.repeat(200) });
  });

  it('a viewer on A shows on B, typing too, and expires on B by B’s clock', async () => {
    const heard = nextOn(b.relay, PRESENCE_TOPIC);
    const dana = { staffId: 5, name: 'Dana' };
    a.presence.beat(1004, dana, a.clock.now());
    await heard.next();
    const viewer: PresenceEntry = { staffId: 5, name: 'Dana', typing: false };
    expect(b.presence.others(1004, null, b.clock.now())).toEqual([viewer]);
    expect(b.presence.others(1004, 5, b.clock.now())).toEqual([]);

    // A heartbeat soon after is not relayed (B's entry lasts); typing is, at once.
    a.clock.advance(1_000);
    a.presence.beat(1004, dana, a.clock.now());
    a.presence.beat(1004, dana, a.clock.now(), true);
    expect(await heard.next()).toEqual({ case: 1004, staff: 5, name: 'Dana', typing: true });
    expect(b.presence.others(1004, null, b.clock.now())).toEqual([{ ...viewer, typing: true }]);
    // The barrier: when B hears the hub signal A sends after them, nothing else of A's is on its way.
    const onB = recorder<HubSignal>('barrier on B');
    b.hub.subscribe(72, onB.push);
    a.hub.publish(72, null, { kind: 'state' });
    await onB.next();
    expect(heard.events).toHaveLength(2);

    // Typing wears off, then the viewer, by B's clock; A's clock has not moved, A still sees Dana.
    b.clock.advance(b.presence.typingMs + 1);
    expect(b.presence.others(1004, null, b.clock.now())).toEqual([viewer]);
    b.clock.advance(b.presence.ttlMs);
    expect(b.presence.others(1004, null, b.clock.now())).toEqual([]);
    expect(a.presence.others(1004, null, a.clock.now()).map((e) => e.name)).toEqual(['Dana']);

    // A third of the time to live later, A's heartbeat goes out again and B sees Dana again; a leave crosses too.
    a.clock.advance(a.presence.ttlMs / 3);
    a.presence.beat(1004, dana, a.clock.now());
    await heard.next();
    expect(b.presence.others(1004, null, b.clock.now())).toEqual([{ ...viewer, typing: false }]);
    a.presence.leave(1004, 5);
    expect(await heard.next()).toEqual({ case: 1004, staff: 5, leave: true });
    expect(b.presence.others(1004, null, b.clock.now())).toEqual([]);
  });

  it('what others send that is not a Casebook signal is ignored', async () => {
    const onB = recorder<HubSignal>('signal on B');
    b.hub.subscribe(73, onB.push);
    await admin.query(`SELECT pg_notify($1, $2)`, [LIVE_CHANNEL, 'not json']);
    await admin.query(`SELECT pg_notify($1, $2)`, [LIVE_CHANNEL, JSON.stringify({ i: 'x', t: 'chat', m: { session: 73, case: null, signal: { kind: 'nonsense' } } })]);
    await admin.query(`SELECT pg_notify($1, $2)`, [LIVE_CHANNEL, JSON.stringify({ i: 'x', t: 'chat', m: { session: 73, case: null, signal: { kind: 'state' } } })]);
    expect(await onB.next()).toEqual({ kind: 'state' });
    expect(onB.events).toHaveLength(1);
    expect(b.errors).toEqual([]);
  });

  it('a payload over the cap is not sent, and says so', async () => {
    const before = a.errors.length;
    a.relay.send('chat', { session: 1, case: null, signal: { kind: 'typing', who: 'agent', name: 'x'.repeat(MAX_PAYLOAD_BYTES) } });
    await a.relay.flush();
    expect(a.errors.slice(before).map((e) => e.message)).toEqual([expect.stringMatching(/not sent: \d+ bytes, more than 4000/)]);
  });
});

describe('a server built by createServices with the relay', () => {
  let h: Harness | undefined;
  afterAll(() => h?.close());

  it('a case page opened on it shows the viewer on the other instance; its chat signals cross too', async () => {
    const relay = await postgresRelay(url, { instanceId: 'server' });
    relays.push(relay);
    h = createHarness({ services: { relay } });
    standardQueues(h);
    const bob = h.agent({ name: 'Bob', queues: ['general', 'billing'] });
    const c = await createCase(h.services, { customer: { email: 'chloe@example.com' }, subject: 'Refund please', description: 'I was charged twice.', channel: 'web' }, ADMIN);

    const heard = nextOn(b.relay, PRESENCE_TOPIC);
    expect((await signedIn(h, bob).get(`/cases/C-${c.id}`)).status).toBe(200);
    await heard.next();
    expect(b.presence.others(c.id, null, b.clock.now())).toEqual([{ staffId: bob.id, name: 'Bob', typing: false }]);

    const onB = recorder<HubSignal>('signal on B');
    b.hub.subscribeCase(c.id, onB.push);
    h.services.chat.hub.afterCommit(99, c.id, { kind: 'messages' });
    await onB.next((s) => s.kind === 'messages');
  });
});

describe('live signals after the listening connection drops', () => {
  it('reconnects, tells every local listener to re-read, and signals flow again', async () => {
    const c = await instance('instance-c');
    const onSession = recorder<HubSignal>('signal on C’s session');
    const onCase = recorder<HubSignal>('signal on C’s case');
    c.hub.subscribe(80, onSession.push);
    c.hub.subscribeCase(1080, onCase.push);
    const resynced = new Promise<void>((resolve) => c.relay.onResync(resolve));
    const pid = c.relay.listenerPid!;
    expect(pid).toBeGreaterThan(0);

    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await within(resynced, 'the resync after the reconnect');
    for (const listener of [onSession, onCase]) {
      await listener.next((s) => s.kind === 'messages');
      await listener.next((s) => s.kind === 'state');
    }
    expect(c.relay.listenerPid).not.toBe(pid);
    expect(c.errors.map((e) => e.message)).toContainEqual(expect.stringContaining('the listening connection dropped'));

    a.hub.publish(80, 1080, { kind: 'messages' });
    await onSession.next((s) => s.kind === 'messages');
    await onCase.next((s) => s.kind === 'messages');
  });
});

describe('live signals while the database refuses connections', () => {
  it('keeps retrying with backoff until it listens again, then resyncs', async () => {
    const dbUrl = await cluster.createDatabase('relay_refusing');
    const errors: Error[] = [];
    const retrying = recorder<Error>('relay error');
    const relay = await postgresRelay(dbUrl, { instanceId: 'refused', minRetryMs: 10, maxRetryMs: 40, onError: (e) => (errors.push(e), retrying.push(e)) });
    relays.push(relay);
    const resynced = new Promise<void>((resolve) => relay.onResync(resolve));
    await admin.query('ALTER DATABASE relay_refusing ALLOW_CONNECTIONS false');
    await admin.query('SELECT pg_terminate_backend($1)', [relay.listenerPid]);
    await retrying.next((e) => e.message.includes('reconnecting failed'));
    await retrying.next((e) => e.message.includes('reconnecting failed'));
    expect(relay.listenerPid).toBeNull();
    await admin.query('ALTER DATABASE relay_refusing ALLOW_CONNECTIONS true');
    await within(resynced, 'the resync once connections are allowed');
    expect(relay.listenerPid).toBeGreaterThan(0);
  });

  it('a relay that cannot listen at start fails at once', async () => {
    await expect(postgresRelay(url.replace(/\/[^/]*$/, '/no_such_database'))).rejects.toThrow(/no_such_database/);
  });
});

describe('live signals to and from another process', () => {
  let child: ChildProcess;
  const events = recorder<{ event?: string; reply?: number; scope?: string; key?: number; signal?: HubSignal; value?: unknown }>('message from the child');
  let nextId = 0;
  const ask = async (command: Record<string, unknown>): Promise<unknown> => {
    const id = ++nextId;
    child.send({ id, ...command });
    return (await events.next((m) => m.reply === id)).value;
  };

  beforeAll(async () => {
    child = fork(path.join(REPO_ROOT, 'test/support/relay-instance.ts'), [url, 'instance-child'], { execArgv: ['--import', 'tsx'], cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (m) => events.push(m as never));
    await events.next((m) => m.event === 'ready', 20_000);
  });

  afterAll(async () => {
    if (child?.connected) await ask({ op: 'close' });
    if (child && child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
  });

  it('crosses both ways: chat signals, typing and presence', async () => {
    await ask({ op: 'subscribe', session: 90 });
    a.hub.publish(90, 1090, { kind: 'messages' });
    expect(await events.next((m) => m.event === 'signal')).toMatchObject({ scope: 'session', key: 90, signal: { kind: 'messages' } });

    const onA = recorder<HubSignal>('signal on A');
    a.hub.subscribeCase(1090, onA.push);
    await ask({ op: 'publish', session: 90, case: 1090, signal: { kind: 'typing', who: 'visitor', name: 'Vic Visitor' } });
    expect(await onA.next()).toEqual({ kind: 'typing', who: 'visitor', name: 'Vic Visitor' });

    const heard = nextOn(a.relay, PRESENCE_TOPIC);
    await ask({ op: 'beat', case: 1090, staffId: 9, name: 'Cy', typing: false });
    await heard.next();
    expect(a.presence.others(1090, null, a.clock.now())).toEqual([{ staffId: 9, name: 'Cy', typing: false }]);

    b.presence.beat(1091, { staffId: 4, name: 'Bea' }, b.clock.now());
    await events.next((m) => m.event === 'presence');
    // The child's registry shows Bea, by its own clock.
    const others = await ask({ op: 'others', case: 1091 });
    expect(others).toEqual([{ staffId: 4, name: 'Bea', typing: false }]);
  });
});
