/**
 * Routing evaluations: the shipped `routing` ruleset evaluated by json-rules-engine (one
 * engine per ruleset version, reused — what intake does), and by the compiled form the
 * dry-run uses, beside the same decisions written by hand in TypeScript (the baseline).
 */
import fs from 'node:fs';
import path from 'node:path';
import { compileFast } from '../src/rules/compile.js';
import type { RulesetDefinition } from '../src/rules/definition.js';
import { compileRuleset } from '../src/rules/engine.js';
import { evaluateRuleset } from '../src/rules/evaluate.js';
import type { Facts } from '../src/rules/facts.js';
import type { Bench } from './bench.js';
import { ROOT } from './seed-store.js';

const SUBJECTS = ['Refund for a double charge', 'Login error after update', 'Question about export', 'Outage: API down', 'Invoice address'];
const DESCRIPTIONS = [
  'My card was charged twice for the March invoice, please refund.',
  'I get error 500 when I try to sign in; cannot log in since this morning.',
  'Where do I find the CSV export of all our records?',
  'Production is down for all users, every call times out.',
  'The invoice shows our old company address.',
];

function factsFor(i: number): Facts {
  return {
    case: {
      id: `C-${1000 + i}`,
      subject: SUBJECTS[i % SUBJECTS.length]!,
      description: DESCRIPTIONS[(i * 7) % DESCRIPTIONS.length]!,
      channel: 'web',
      priority: 'normal',
      tags: [],
      skills: [],
      status: 'new',
      tier: 1,
      queue: 'general',
      assigned: false,
      reopenCount: 0,
      escalationCount: 0,
      createdAt: 0,
    },
    customer: { email: 'c@example.com', name: 'C', tier: i % 9 === 0 ? 'enterprise' : 'standard', organization: null, openCases: i % 4 },
    diagnosis: { matched: i % 3 === 0, problemId: i % 3 === 0 ? 2 : null },
    event: { type: 'case.created' },
    now: 0,
    withinBusinessHours: i % 2 === 0,
  };
}

const any = (text: string, words: string[]) => {
  const t = text.toLowerCase();
  return words.some((w) => t.includes(w));
};

/** rules/routing.json, by hand: the queue, priority, tags, skills and policy it decides. */
function byHand(f: Facts) {
  const c = f.case;
  const billing =
    any(c.subject, ['invoice', 'billing', 'refund', 'payment', 'charge', 'subscription']) ||
    any(c.description, ['invoice', 'billing', 'refund', 'credit card', 'charged twice', 'payment failed']);
  const technical =
    any(c.subject, ['error', 'crash', 'bug', 'outage', 'api', 'login', 'password', 'sync']) ||
    any(c.description, ['error', 'exception', 'crash', 'stack trace', '500', 'timeout', 'cannot log in', 'not syncing']);
  const tags: string[] = [];
  if (f.customer.tier === 'enterprise') tags.push('enterprise');
  if (!f.withinBusinessHours) tags.push('after-hours');
  if (f.diagnosis.matched) tags.push('known-problem');
  return {
    queue: billing ? 'billing' : technical ? 'technical' : null,
    priority: any(c.subject, ['outage', 'down', 'data loss']) || any(c.description, ['production is down', 'all users', 'data loss']) ? 'urgent' : null,
    skills: any(c.description, ['refund', 'money back', 'charged twice']) ? ['refunds'] : [],
    slaPolicy: f.customer.tier === 'enterprise' ? 'premium' : null,
    tags,
  };
}

const N = 20_000;

const bench: Bench = {
  name: 'rules',
  async run({ log }) {
    const definition = JSON.parse(fs.readFileSync(path.join(ROOT, 'rules', 'routing.json'), 'utf8')) as RulesetDefinition;
    const engine = compileRuleset(definition, 1);
    const compiled = compileFast(definition, 1);
    const facts = Array.from({ length: N }, (_, i) => factsFor(i));

    // The three must agree before their speed means anything.
    for (let i = 0; i < 200; i++) {
      const a = (await evaluateRuleset(engine, facts[i]!)).decisions;
      const b = compiled.decide(facts[i] as unknown as Record<string, unknown>).decisions;
      const h = byHand(facts[i]!);
      if (a.queue !== b.queue || a.queue !== h.queue || a.priority !== h.priority || a.slaPolicy !== h.slaPolicy || a.tags.join() !== h.tags.join() || a.skills.join() !== h.skills.join()) {
        throw new Error(`decisions differ for case ${i}: ${JSON.stringify({ a, b, h })}`);
      }
    }

    const timeIt = async (fn: (f: Facts) => unknown) => {
      for (let i = 0; i < 500; i++) await fn(facts[i]!);
      const start = performance.now();
      for (const f of facts) await fn(f);
      return performance.now() - start;
    };
    const handMs = await timeIt(byHand);
    const engineMs = await timeIt((f) => evaluateRuleset(engine, f));
    const compiledMs = await timeIt((f) => compiled.decide(f as unknown as Record<string, unknown>));
    const perEval = (ms: number) => (ms / N) * 1000;
    log(`json-rules-engine ${(N / (engineMs / 1000)).toFixed(0)} evaluations/s, compiled ${(N / (compiledMs / 1000)).toFixed(0)}/s, by hand ${(N / (handMs / 1000)).toFixed(0)}/s`);
    return [
      {
        figure: 'routing evaluation, json-rules-engine (engine reused)',
        ms: engineMs / N,
        baseline: 'same decisions hand-written in TypeScript',
        baselineMs: handMs / N,
        note: `${(N / (engineMs / 1000)).toFixed(0)} evaluations/s (${perEval(engineMs).toFixed(0)} µs each), ${definition.rules.length} rules`,
      },
      {
        figure: 'routing evaluation, compiled rules (dry-run)',
        ms: compiledMs / N,
        baseline: 'same decisions hand-written in TypeScript',
        baselineMs: handMs / N,
        note: `${(N / (compiledMs / 1000)).toFixed(0)} evaluations/s`,
      },
    ];
  },
};

export default bench;
