/**
 * The values the rule builder offers, from what exists now: active queues, the SLA
 * policies in force, customer tiers, tags and skills (used by rules, cases and staff),
 * the default workflow's states and the events it knows.
 */
import type { Services } from '../services.js';
import { BUILTIN_EVENTS, STATE_ENTERED } from '../workflow/definition.js';
import { FIXED_OPTIONS, type OptionSource, type Options } from './catalogue.js';
import type { BuilderDefaults } from './builder.js';
import { activeQueuesByTier, activeStaffSkills, defaultQueues, recentCaseTags, recentCustomerTiers } from './builder-values/index.js';

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
    for (const shared of services.definitions.publishedSharedConditions(name)) visit(shared);
    for (const rule of services.definitions.publishedRules(name)) {
      visit(rule.conditions);
      const params = (rule.event.params ?? {}) as Record<string, unknown>;
      if (Array.isArray(params.tags)) params.tags.forEach((t) => typeof t === 'string' && out.tags.add(t));
      if (Array.isArray(params.skills)) params.skills.forEach((s) => typeof s === 'string' && out.skills.add(s));
    }
  }
  return out;
}

export async function builderOptions(services: Services): Promise<Options> {
  const used = usedInRules(services);
  const { queues, caseTags, staffSkills, tiers } = await services.store.query(async (q) => ({
    queues: await activeQueuesByTier(q),
    caseTags: await recentCaseTags(q),
    staffSkills: await activeStaffSkills(q),
    tiers: await recentCustomerTiers(q),
  }));
  const workflow = services.definitions.workflow(services.defaultWorkflow).definition;
  // STATE_ENTERED: what rulesets run by a state's runRuleset action see.
  const events = new Set<string>([...BUILTIN_EVENTS, STATE_ENTERED]);
  for (const t of Object.values(workflow.transitions)) if (t.emits) events.add(t.emits);
  const sla = services.definitions.sla().config;
  const fixed = (source: OptionSource) => (FIXED_OPTIONS[source] ?? []).map((v) => ({ value: v, label: v }));
  return {
    queues: queues.map((q) => ({ value: q.id, label: q.tier > 1 ? `${q.name} (tier ${q.tier})` : q.name })),
    tags: plain([...used.tags, ...caseTags]),
    skills: plain([...used.skills, ...staffSkills]),
    policies: sla.policyNames.map((p) => ({ value: p, label: p === sla.defaultPolicy ? `${p} (default)` : p })),
    tiers: plain([...used.tiers, ...tiers]),
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

export async function builderDefaults(services: Services): Promise<BuilderDefaults> {
  const { first, tier2 } = await services.store.query(defaultQueues);
  return { queue: first ?? 'general', tier2Queue: tier2, policy: services.definitions.sla().config.defaultPolicy };
}
