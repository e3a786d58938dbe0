/** A support desk for SLA tests: the harness, the standard queues, agents and a customer. */
import { DateTime } from 'luxon';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness, type HarnessOptions, type TestActor } from '../support/harness.js';

export type Json = Record<string, any>;

export interface Desk {
  h: Harness;
  alice: TestActor;
  dana: TestActor;
  chloe: TestActor;
  aliceToken: string;
  chloeToken: string;
  call(method: string, url: string, token?: string, body?: unknown): Promise<{ status: number; json: Json }>;
  /** Creates a case for Chloe (admin token: createdAt and priority allowed); returns its reference. */
  create(over?: Json): Promise<string>;
  reply(id: string, body?: string): Promise<Json>;
  note(id: string, body?: string): Promise<Json>;
  customerReply(id: string, body?: string): Promise<Json>;
  transition(id: string, transition: string, fields?: Json, token?: string): Promise<{ status: number; json: Json }>;
  get(id: string): Promise<Json>;
  /** The case's timers by metric, as `GET /api/v1/cases/:id` shows them. */
  timers(id: string): Promise<Record<string, Json>>;
  /** Timeline entries whose type starts with `prefix` (default `sla.`). */
  events(id: string, prefix?: string): Promise<{ type: string; at: string; data: Json }[]>;
}

export function createDesk(options: HarnessOptions = {}): Desk {
  const h = createHarness(options);
  standardQueues(h);
  const alice = h.agent({ name: 'Alice', email: 'alice@casebook.test', queues: ['general', 'billing', 'technical'], capacity: 50 });
  const dana = h.agent({ name: 'Dana', email: 'dana@casebook.test', role: 'advanced', queues: ['advanced'], capacity: 50 });
  const chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe' });
  const aliceToken = h.tokenFor(alice);
  const chloeToken = h.tokenFor(chloe);

  const call: Desk['call'] = async (method, url, token = ADMIN_TOKEN, body) => {
    // PostgreSQL: the harness seeds (and loads the definitions) in the background; a request with the admin token reads no row before its handler looks definitions up, as a server does only once started.
    await h.settled();
    const res = await h.api(method, url, { token, body });
    const text = await res.text();
    return { status: res.status, json: text && res.headers.get('Content-Type')?.includes('json') ? (JSON.parse(text) as Json) : { text } };
  };
  const message = async (id: string, token: string, body: string, isPublic = true) => {
    const res = await call('POST', `/api/v1/cases/${id}/messages`, token, { body, public: isPublic });
    if (res.status !== 201) throw new Error(`message failed: ${res.status} ${JSON.stringify(res.json)}`);
    // The staff view of the case (a customer's own answer is the customer projection).
    return (await call('GET', `/api/v1/cases/${id}`)).json;
  };
  const desk: Desk = {
    h,
    alice,
    dana,
    chloe,
    aliceToken,
    chloeToken,
    call,
    async create(over = {}) {
      const res = await call('POST', '/api/v1/cases', ADMIN_TOKEN, {
        customer: { email: 'chloe@example.com' },
        subject: 'Question about my account',
        description: 'How do I change my display name?',
        ...over,
      });
      if (res.status !== 201) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.json)}`);
      return res.json.id as string;
    },
    reply: (id, body = 'Here is what to do.') => message(id, aliceToken, body),
    note: (id, body = 'Looking into it.') => message(id, aliceToken, body, false),
    customerReply: (id, body = 'Thanks, one more question.') => message(id, chloeToken, body),
    transition: (id, transition, fields = {}, token = aliceToken) => call('POST', `/api/v1/cases/${id}/transitions`, token, { transition, ...fields }),
    async get(id) {
      return (await call('GET', `/api/v1/cases/${id}`)).json;
    },
    async timers(id) {
      const view = await desk.get(id);
      return Object.fromEntries((view.sla as Json[]).map((t) => [t.metric, t]));
    },
    async events(id, prefix = 'sla.') {
      const all = (await call('GET', `/api/v1/cases/${id}/events`)).json as unknown as { type: string; at: string; data: Json }[];
      return all.filter((e) => e.type.startsWith(prefix));
    },
  };
  return desk;
}

/** An instant given as Berlin local time "YYYY-MM-DDTHH:MM" (the office calendar's zone), as ISO UTC. */
export function berlin(local: string): string {
  return DateTime.fromISO(local, { zone: 'Europe/Berlin' }).toUTC().toISO()!;
}

export { ADMIN_TOKEN };
