/** editCase: priority, tags and subject in one transaction, each change on the timeline; SLA re-targeting. */
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { customerTimeline, loadCase, timeline } from '../../src/cases/case-read.js';
import { editCase, normalizeTags } from '../../src/cases/edit-case.js';
import { parseCaseRef } from '../../src/cases/case-ref.js';
import { DomainError, ValidationError } from '../../src/errors.js';
import { CaseContext } from '../../src/workflow/context.js';
import { ON_POSTGRES } from '../support/harness-postgres.js';
import { berlin, createDesk, type Desk } from '../sla/helpers.js';

let d: Desk;
let ref: string;
let id: number;
beforeEach(async () => {
  d = createDesk();
  ref = await d.create();
  id = parseCaseRef(ref)!;
});
afterEach(() => d.h.close());

const types = async (prefix: string) => (await timeline(d.h.services, id)).filter((e) => e.type.startsWith(prefix));

describe('editCase', async () => {
  it('records each changed field with before and after, in one new version', async () => {
    const before = await loadCase(d.h.services, id);
    expect(before).toMatchObject({ priority: 'normal', tags: [], subject: 'Question about my account' });
    const { case: after, changes } = await editCase(d.h.services, id, { priority: 'high', tags: ' #VIP, after hours ,vip', subject: 'Display name change' }, d.alice);
    expect(changes).toEqual({
      priority: { from: 'normal', to: 'high' },
      tags: { from: [], to: ['vip', 'after-hours'], added: ['vip', 'after-hours'], removed: [] },
      subject: { from: 'Question about my account', to: 'Display name change' },
    });
    expect(after.version).toBe(before.version + 1);
    expect(await loadCase(d.h.services, id)).toMatchObject({ priority: 'high', tags: ['vip', 'after-hours'], subject: 'Display name change' });
    const entries = (await types('case.')).filter((e) => e.type.endsWith('_changed'));
    expect(entries.map((e) => [e.type, e.actor.name, e.data])).toEqual([
      ['case.priority_changed', 'Alice', { from: 'normal', to: 'high' }],
      ['case.tags_changed', 'Alice', { from: [], to: ['vip', 'after-hours'], added: ['vip', 'after-hours'], removed: [] }],
      ['case.subject_changed', 'Alice', { from: 'Question about my account', to: 'Display name change' }],
    ]);
  });

  it('changes nothing (no entry, same version) when the values are the same', async () => {
    const before = await loadCase(d.h.services, id);
    const { changes, case: after } = await editCase(d.h.services, id, { priority: 'normal', tags: [], subject: ' Question about my account ' }, d.alice);
    expect(changes).toEqual({});
    expect(after.version).toBe(before.version);
    expect((await types('case.')).filter((e) => e.type.endsWith('_changed'))).toEqual([]);
  });

  it('refuses a stale version with CONFLICT and writes nothing', async () => {
    const { version } = await loadCase(d.h.services, id);
    await editCase(d.h.services, id, { tags: ['first'], expectedVersion: version }, d.alice);
    await expect(editCase(d.h.services, id, { priority: 'urgent', expectedVersion: version }, d.alice)).rejects.toThrow(expect.objectContaining({ code: 'CONFLICT' }));
    expect(await loadCase(d.h.services, id)).toMatchObject({ priority: 'normal', tags: ['first'], version: version + 1 });
  });

  it('validates: known priorities, tag characters and count, subject length, at least one field', async () => {
    const { version } = await loadCase(d.h.services, id);
    const invalid = async (input: Record<string, unknown>) => {
      try {
        await editCase(d.h.services, id, input as never, d.alice);
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        return (error as ValidationError).issues.map((i) => i.path);
      }
      throw new Error('accepted');
    };
    expect((await invalid({ priority: 'critical' }))).toEqual(['priority']);
    expect((await invalid({ tags: 'ok, not ok!' }))).toEqual(['tags']);
    expect((await invalid({ tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }))).toEqual(['tags']);
    expect((await invalid({ subject: '   ' }))).toEqual(['subject']);
    expect((await invalid({ subject: 'x'.repeat(201) }))).toEqual(['subject']);
    expect((await invalid({}))).toEqual(['(form)']);
    expect((await invalid({ queue: 'billing', priority: 'high' }))).toEqual(['(form)']);
    expect((await loadCase(d.h.services, id)).version).toBe(version);
  });

  it('is for staff only, and not for closed cases', async () => {
    await expect(editCase(d.h.services, id, { priority: 'high' }, d.chloe)).rejects.toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    await d.transition(ref, 'resolve', { solution: 'Settings → Profile.' });
    await editCase(d.h.services, id, { tags: ['display-name'] }, d.alice); // resolved: still tagged for reports
    await d.transition(ref, 'close');
    await expect(editCase(d.h.services, id, { tags: ['late'] }, d.alice)).rejects.toThrow(DomainError);
    expect((await loadCase(d.h.services, id)).tags).toEqual(['display-name']);
  });

  it('re-targets the SLA clocks on a new priority, keeping the minutes used (docs/sla.md)', async () => {
    // Monday 10:00 Berlin, normal priority: first response in 8 business hours → Tuesday 10:00.
    expect((await d.timers(ref)).firstResponse).toMatchObject({ targetMinutes: 480, dueAt: berlin('2026-03-03T10:00') });
    d.h.clock.advanceMinutes(30);
    await editCase(d.h.services, id, { priority: 'urgent' }, d.alice);
    const timers = await d.timers(ref);
    // Urgent: 1h first response, 30 minutes used → due 11:00; 8h resolution → Tuesday 10:00.
    expect(timers.firstResponse).toMatchObject({ targetMinutes: 60, dueAt: berlin('2026-03-02T11:00') });
    expect(timers.resolution).toMatchObject({ targetMinutes: 480, dueAt: berlin('2026-03-03T10:00') });
    expect((await d.events(ref, 'sla.retargeted')).map((e) => e.data)).toEqual([
      expect.objectContaining({ metric: 'firstResponse', fromTargetMinutes: 480, targetMinutes: 60, reason: 'priority normal → urgent' }),
      expect.objectContaining({ metric: 'resolution', fromTargetMinutes: 2400, targetMinutes: 480, reason: 'priority normal → urgent' }),
    ]);
    // The inbox sort key follows the earliest due time.
    expect((await loadCase(d.h.services, id)).slaDueAt).toBe(Date.parse(berlin('2026-03-02T11:00')));
    // Tags and subject leave the clocks alone.
    await editCase(d.h.services, id, { tags: ['vip'], subject: 'Renamed' }, d.alice);
    expect(await d.events(ref, 'sla.retargeted')).toHaveLength(2);
  });

  it('shows the customer the new subject only: never the priority or the tags', async () => {
    await editCase(d.h.services, id, { priority: 'urgent', tags: ['fraud-risk'], subject: 'Display name' }, d.alice);
    const seen = JSON.stringify(await customerTimeline(d.h.services, await loadCase(d.h.services, id)));
    expect((await customerTimeline(d.h.services, await loadCase(d.h.services, id))).at(-1)).toEqual({ id: expect.any(Number), type: 'case.subject_changed', at: expect.any(String), subject: 'Display name' });
    for (const secret of ['urgent', 'fraud-risk', 'priority', 'tags', 'Question about my account']) expect(seen).not.toContain(secret);
  });
});

// Two writers on one case at once exist only on PostgreSQL (SQLite has one writer, in order).
describe.runIf(ON_POSTGRES)('two commands on one case at once', () => {
  it('run one after the other: the second waits for the first, then changes what it committed', async () => {
    const before = await loadCase(d.h.services, id);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let loaded!: () => void;
    const first = new Promise<void>((resolve) => (loaded = resolve));
    const holder = d.h.services.store.write(async (q) => {
      const ctx = await CaseContext.load(q, d.h.services, id, d.alice);
      loaded();
      await held;
      ctx.case.priority = 'high';
      await ctx.save();
    });
    await first;
    let edited = false;
    const second = editCase(d.h.services, id, { tags: ['second'] }, d.alice).then((r) => ((edited = true), r));
    const stale = editCase(d.h.services, id, { subject: 'Stale', expectedVersion: before.version }, d.alice).then(() => null, (error: unknown) => error);
    await new Promise((resolve) => setImmediate(resolve));
    await d.h.services.store.query((q) => q.all(sql`SELECT 1`)); // a round trip: the editor is at its lock by now
    expect(edited).toBe(false);
    release();
    await holder;
    expect((await second).case).toMatchObject({ priority: 'high', tags: ['second'], version: before.version + 2 });
    // A caller who read the case before either change is still refused.
    expect(await stale).toMatchObject({ code: 'CONFLICT' });
    expect(await loadCase(d.h.services, id)).toMatchObject({ priority: 'high', tags: ['second'], subject: before.subject, version: before.version + 2 });
  });
});

describe('normalizeTags', () => {
  it.each([
    ['vip', ['vip']],
    [' #VIP , Vip,#vip ', ['vip']],
    ['after hours, billing:refund', ['after-hours', 'billing:refund']],
    [['A', '', ' b '], ['a', 'b']],
    ['', []],
  ])('%j → %j', (input, expected) => {
    expect(normalizeTags(input as string | string[])).toEqual(expected);
  });
});
