/**
 * Erasing a customer whose case was merged into another customer's case: the merge copied Ann's
 * request, her reply (with its file) and the agent's answer to her onto Bob's case as internal
 * notes (src/cases/merge-case.ts). Ann's erasure erases those copies too — their words, search
 * documents and file rows — and leaves Bob's own words on his case as they were.
 */
import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { storeFiles } from '../../src/attachments/record.js';
import { addMessage } from '../../src/cases/add-message.js';
import { createCase } from '../../src/cases/create-case.js';
import { mergeCase } from '../../src/cases/merge-case.js';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness } from '../support/harness.js';

/** In Ann's words only (a token the search index keeps whole). */
const WORDS = 'q7vmark';
let h: Harness;
afterEach(() => h?.close());

describe('erasing a customer whose case was merged into another customer’s case', () => {
  it('erases the copies of her case’s entries there, and nothing of the other customer’s', async () => {
    h = createHarness();
    standardQueues(h);
    const ann = h.customer({ email: 'ann.q7v@example.com', name: 'Ann' });
    const bob = h.customer({ email: 'bob.q7v@example.org', name: 'Bob' });
    const agent = h.agent({ name: 'Alice', queues: ['general', 'billing', 'technical'], skills: ['refunds'] });
    const a = await createCase(h.services, { subject: 'Printer', description: `My printer ${WORDS} jams` }, ann, { customerId: ann.id });
    const file = await storeFiles(h.services.attachments.store, [{ name: `${WORDS}.png`, mediaType: 'image/png', bytes: new Uint8Array([137, 80, 78, 71, 7]) }]);
    await addMessage(h.services, a.id, { body: `Photo of ${WORDS} attached` }, ann, { attachments: file });
    await addMessage(h.services, a.id, { body: `Dear Ann, about ${WORDS}: try again` }, agent);
    const b = await createCase(h.services, { subject: 'Printer too', description: 'Bob’s printer jams as well' }, bob, { customerId: bob.id });
    await mergeCase(h.services, a.id, { into: `C-${b.id}`, confirmDifferentCustomer: true }, agent);

    const onBob = async () => (await h.query((q) => q.db.select().from(q.tables.caseEvents).where(eq(q.tables.caseEvents.caseId, b.id)))).map((e) => JSON.stringify(e.data));
    const search = async (text: string) => ((await (await h.api('GET', `/api/v1/search?q=${text}`, { token: ADMIN_TOKEN })).json()) as { cases: { items: { id: string }[] } }).cases.items.map((c) => c.id);
    expect((await onBob()).filter((d) => d.includes(WORDS)).length).toBeGreaterThanOrEqual(3);
    expect(await search(WORDS)).toContain(`C-${b.id}`);
    const filesOnBob = async () => (await h.query((q) => q.db.select().from(q.tables.attachments).where(eq(q.tables.attachments.caseId, b.id)))).map((f) => f.fileName);
    expect(await filesOnBob()).toEqual([`${WORDS}.png`]);

    expect((await h.api('POST', `/api/v1/customers/${ann.id}/erase`, { token: ADMIN_TOKEN })).status).toBe(200);

    expect((await onBob()).filter((d) => d.includes(WORDS))).toEqual([]);
    expect(await search(WORDS)).toEqual([]);
    expect(await filesOnBob()).toEqual([]);
    // Bob's own request is untouched, and found.
    const [bobCase] = await h.query((q) => q.db.select().from(q.tables.cases).where(eq(q.tables.cases.id, b.id)));
    expect(bobCase!.description).toBe('Bob’s printer jams as well');
    expect(await search('jams')).toContain(`C-${b.id}`);
  });
});
