/** The in-memory dry-run job registry: progress, results, owners, caps and expiry. */
import { describe, expect, it } from 'vitest';
import { DryRunJobs } from '../../src/rules/dry-run-jobs.js';
import type { DryRunResult } from '../../src/rules/dry-run.js';
import { DryRunStatus } from '../../views/pages/manage/dry-run.js';
import { textOf } from './support.js';

const META = { ruleset: 'routing', draftVersion: 2, label: 'the last 10 cases' };

function result(total: number): DryRunResult {
  return {
    ruleset: 'routing',
    baseVersion: 1,
    selection: { kind: 'last', count: total },
    total,
    changed: 0,
    byField: { queue: 0, priority: 0, tier: 0, slaPolicy: 0, tags: 0, skills: 0 },
    byRule: {},
    changes: [],
    truncated: false,
    eventsReplayed: 0,
    notReplayed: {},
    timings: { loadMs: 1, evaluateMs: 1, totalMs: 2 },
  };
}

function deferred() {
  let resolve!: (r: DryRunResult) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<DryRunResult>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('DryRunJobs', () => {
  it('reports progress while running and the result when done, to its owner only', async () => {
    const jobs = new DryRunJobs();
    const d = deferred();
    let report!: (done: number, total: number) => void;
    const job = jobs.start('staff:1', { ...META, total: 10 }, (progress) => {
      report = progress;
      return d.promise;
    });
    expect(job).toMatchObject({ status: 'running', done: 0, total: 10 });
    expect(job.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await tick();
    report(4, 10);
    expect(jobs.get('staff:1', job.id)).toMatchObject({ status: 'running', done: 4, total: 10 });
    expect(jobs.get('staff:2', job.id)).toBeUndefined();
    expect(jobs.get('staff:1', 'nope')).toBeUndefined();
    d.resolve(result(10));
    await tick();
    expect(jobs.get('staff:1', job.id)).toMatchObject({ status: 'done', done: 10, total: 10, result: { total: 10 } });
  });

  it('records a failure with its message', async () => {
    const jobs = new DryRunJobs();
    const job = jobs.start('staff:1', META, () => Promise.reject(new Error('boom')));
    await tick();
    await tick();
    expect(jobs.get('staff:1', job.id)).toMatchObject({ status: 'failed', error: 'boom' });
  });

  it('caps running jobs per person and jobs held, dropping the oldest finished first', async () => {
    const jobs = new DryRunJobs({ maxRunningPerOwner: 1, maxJobs: 2 });
    const first = deferred();
    const a = jobs.start('staff:1', META, () => first.promise);
    expect(() => jobs.start('staff:1', META, () => deferred().promise)).toThrow(/already have 1 dry-run/);
    const b = jobs.start('staff:2', META, () => deferred().promise);
    expect(() => jobs.start('staff:3', META, () => deferred().promise)).toThrow(/Too many dry-runs/);
    first.resolve(result(1));
    await tick();
    await tick();
    const c = jobs.start('staff:3', META, () => deferred().promise);
    expect(jobs.get('staff:1', a.id)).toBeUndefined();
    expect(jobs.get('staff:2', b.id)).toBeDefined();
    expect(jobs.get('staff:3', c.id)).toBeDefined();
  });

  it('forgets finished jobs after keepMs', async () => {
    let now = 1_000;
    const jobs = new DryRunJobs({ keepMs: 60_000, now: () => now });
    const job = jobs.start('staff:1', META, async () => result(3));
    await tick();
    await tick();
    now += 60_000;
    expect(jobs.get('staff:1', job.id)?.status).toBe('done');
    now += 1;
    expect(jobs.get('staff:1', job.id)).toBeUndefined();
    expect(jobs.size).toBe(0);
  });

  it('results say how many later events were replayed, and which could not be and why', async () => {
    const jobs = new DryRunJobs();
    const job = jobs.start('staff:1', { ...META, ruleset: 'escalation' }, async () => ({ ...result(5), ruleset: 'escalation', eventsReplayed: 7, notReplayed: { imported: 2, unrouted: 1 } }));
    await tick();
    await tick();
    const html = String(await DryRunStatus({ job: jobs.get('staff:1', job.id)!, url: '/manage/rules/escalation/dry-runs/x', polling: false }));
    const text = textOf(html);
    expect(text).toContain('replayed against v1 in force, with 7 later events the ruleset runs on.');
    expect(text).toContain('Not replayed: 2 events: recorded by an import from another help desk: no rules ran on it');
    expect(text).toContain('1 event: the case’s timeline no longer shows how it was routed, so the case cannot be rebuilt');
    expect(text).toContain('No case would be routed, prioritised, escalated or tagged differently.');
  });
});
