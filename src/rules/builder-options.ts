/**
 * The values the rule builder offers, from what exists now: active queues, the SLA
 * policies in force, customer tiers, tags and skills (used by rules, cases and staff),
 * the default workflow's states and the events it knows.
 */
import type { Services } from '../services.js';
import { BUILTIN_EVENTS } from '../workflow/definition.js';
import { FIXED_OPTIONS, type OptionSource, type Options } from './catalogue.js';
import type { BuilderDefaults } from './builder.js';

const plain = (values: Iterable<string>) => [...new Set(values)].sort().map((v) => ({ value: v, label: v }));

/** Strings a published rule's events or conditions name for a param or field (`tags` → every tag used). */
function usedInRules(services: Services): { tags: Set<string>; skills: Set<string>; tiers: Set<string> } {
  const out = { tags: new Set<string>(), skills: new Set<string>(), tiers: new Set<string>(['standard']) };
  const visit = (c: unknown): void => {
    if (typeof c !== 'object' || c === null) return;
    const node = c as Record<string, unknown>;
    for (const key of ['all', 'any']) if (Array.isArray(node[key])) (node[key] as unknown[]).forEach(visit);
    if (node.not) visit(node.not);
    const values = Array.isArray(node.value) ? node.value : [node.value];
    const strings = values.filter((v): v is string => typeof v === 'string');
    if (node.fact === 'customer' && node.path === '$.tier') strings.forEach((v) => out.tiers.add(v));
    if (node.fact === 'case' && node.path === '$.tags') strings.forEach((v) => out.tags.add(v));
    if (node.fact === 'case' && node.path === '$.skills') strings.forEach((v) => out.skills.add(v));
  };
  for (const name of services.definitions.names('ruleset')) {
    for (const rule of services.definitions.publishedRules(name)) {
      visit(rule.conditions);
      const params = (rule.event.params ?? {}) as Record<string, unknown>;
      if (Array.isArray(params.tags)) params.tags.forEach((t) => typeof t === 'string' && out.tags.add(t));
      if (Array.isArray(params.skills)) params.skills.forEach((s) => typeof s === 'string' && out.skills.add(s));
    }
  }
  return out;
}

export function builderOptions(services: Services): Options {
  const c = services.db.$client;
  const used = usedInRules(services);
  const queues = c.prepare<[], { id: string; name: string; tier: number }>('SELECT id, name, tier FROM queues WHERE active = 1 ORDER BY tier, id').all();
  const caseTags = c.prepare<[], { value: string }>('SELECT DISTINCT j.value AS value FROM (SELECT tags FROM cases ORDER BY id DESC LIMIT 2000) AS c, json_each(c.tags) AS j').all();
  const staffSkills = c.prepare<[], { value: string }>('SELECT DISTINCT j.value AS value FROM staff AS s, json_each(s.skills) AS j WHERE s.active = 1').all();
  // Recent customers only: a full scan of a large customer table on every builder change would be slow.
  const tiers = c.prepare<[], { tier: string }>('SELECT DISTINCT tier FROM (SELECT tier FROM customers ORDER BY id DESC LIMIT 5000)').all();
  const workflow = services.definitions.workflow(services.defaultWorkflow).definition;
  const events = new Set<string>(BUILTIN_EVENTS);
  for (const t of Object.values(workflow.transitions)) if (t.emits) events.add(t.emits);
  const sla = services.definitions.sla().config;
  const fixed = (source: OptionSource) => (FIXED_OPTIONS[source] ?? []).map((v) => ({ value: v, label: v }));
  return {
    queues: queues.map((q) => ({ value: q.id, label: q.tier > 1 ? `${q.name} (tier ${q.tier})` : q.name })),
    tags: plain([...used.tags, ...caseTags.map((t) => t.value)]),
    skills: plain([...used.skills, ...staffSkills.map((s) => s.value)]),
    policies: sla.policyNames.map((p) => ({ value: p, label: p === sla.defaultPolicy ? `${p} (default)` : p })),
    tiers: plain([...used.tiers, ...tiers.map((t) => t.tier)]),
    states: Object.entries(workflow.states).map(([name, s]) => ({ value: name, label: s.label ?? name })),
    events: plain(events),
    priorities: fixed('priorities'),
    channels: fixed('channels'),
    metrics: fixed('metrics'),
    timerStates: fixed('timerStates'),
    templates: fixed('templates'),
    notifyTargets: fixed('notifyTargets'),
  };
}

export function builderDefaults(services: Services): BuilderDefaults {
  const c = services.db.$client;
  const first = c.prepare<[], { id: string }>("SELECT id FROM queues WHERE active = 1 ORDER BY tier, CASE id WHEN 'general' THEN 0 ELSE 1 END, id LIMIT 1").get();
  const tier2 = c.prepare<[], { id: string }>('SELECT id FROM queues WHERE active = 1 AND tier = 2 ORDER BY id LIMIT 1').get();
  return { queue: first?.id ?? 'general', tier2Queue: tier2?.id ?? null, policy: services.definitions.sla().config.defaultPolicy };
}
