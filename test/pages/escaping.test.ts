/** User text with markup is rendered as inert text on every page and fragment. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addMessage } from '../../src/cases/add-message.js';
import { createCase } from '../../src/cases/create-case.js';
import { transitionCase } from '../../src/cases/transition-case.js';
import { rateCase } from '../../src/cases/rate-case.js';
import { createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { signedIn } from '../support/pages.js';

const SCRIPT = '<script>window.__xss=1</script>';
const ATTR = '"><img src=x onerror="window.__xss=1">';
const QUOTE = "' onmouseover='window.__xss=1' x='";

let h: Harness;
let alice: TestActor;
let mallory: TestActor;

beforeEach(async () => {
  h = createHarness();
  standardQueues(h);
  alice = h.agent({ name: 'Alice', queues: ['general', 'billing', 'technical'] });
  h.agent({ name: 'Maria', role: 'manager' });
  mallory = h.customer({ email: 'mallory@example.com', name: `Mallory ${SCRIPT}${ATTR}` });
  const row = await createCase(h.services, { subject: `Help ${SCRIPT}`, description: `Text ${ATTR} ${QUOTE}` }, mallory, { customerId: mallory.id });
  await addMessage(h.services, row.id, { body: `Reply ${SCRIPT} ${ATTR}`, public: true }, mallory);
  await addMessage(h.services, row.id, { body: `Staff ${ATTR}`, public: true }, alice);
  await transitionCase(h.services, row.id, { transition: 'resolve', solution: `Solution ${SCRIPT}` }, alice);
  await rateCase(h.services, row.id, { satisfied: false, comment: `Comment ${ATTR}` }, mallory);
});
afterEach(() => h.close());

function expectInert(html: string, where: string) {
  expect(html, where).not.toContain('<script>window');
  expect(html, where).not.toContain('<img src=x');
  expect(html, where).not.toMatch(/onerror="window/);
  expect(html, where).not.toMatch(/ onmouseover='window/);
  expect(html, where).toContain('&lt;script&gt;window.__xss=1&lt;/script&gt;');
}

describe('escaping', () => {
  it('renders payloads as text on the portal, the inbox, the workspace and their fragments', async () => {
    const customer = signedIn(h, mallory);
    const agent = signedIn(h, alice);
    const pages: [string, Response][] = [
      ['portal list', await customer.get('/portal')],
      ['portal case', await customer.get('/cases/C-1001')],
      ['portal case fragment', await customer.get('/cases/C-1001', { htmx: true })],
      ['portal live', await customer.get('/cases/C-1001/live?stamp=x', { htmx: true })],
      ['workspace case', await agent.get('/cases/C-1001')],
      ['workspace live', await agent.get('/cases/C-1001/live?stamp=x', { htmx: true })],
    ];
    await transitionCase(h.services, 1001, { transition: 'reopen' }, alice);
    pages.push(['inbox', await agent.get('/inbox?view=mine')], ['inbox fragment', await agent.get('/inbox?view=mine', { htmx: true })]);
    for (const [where, res] of pages) {
      expect(res.status, where).toBe(200);
      expectInert(await res.text(), where);
    }
  });

  it('escapes echoed form values and query parameters', async () => {
    const customer = signedIn(h, mallory);
    const res = await customer.post('/portal/cases', { subject: `${SCRIPT}${ATTR}`, description: '' });
    expect(res.status).toBe(422);
    expectInert(await res.text(), 'new request 422');
    const login = await (await h.app.request(`http://localhost/login?next=${encodeURIComponent(`/x"><script>window.__xss=1</script>`)}`)).text();
    expect(login).not.toContain('<script>window');
    const suggestions = await customer.get(`/portal/suggestions?subject=${encodeURIComponent(SCRIPT)}`);
    expect(await suggestions.text()).not.toContain('<script>window');
  });
});
