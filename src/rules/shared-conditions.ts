/**
 * Shared conditions: json-rules-engine's `engine.setCondition(name, conditions)`, referenced
 * from any rule as `{ "condition": name }`. A ruleset defines them beside its rules,
 * `"sharedConditions": { "vip customer": { "any": [...] } }`, so a rule written against
 * json-rules-engine's condition sharing loads unchanged.
 *
 * How json-rules-engine evaluates a reference (rule.js `realize`): the reference node is
 * prioritised among its siblings by its own `priority` (default 1), and when evaluated the
 * shared condition's properties are copied onto it (`Object.assign`), so the shared
 * condition's own `name` and `priority` win over the reference's.
 */
import { problem, type DefinitionProblem, type PathSegment } from '../definitions/problems.js';
import type { RuleCondition } from './definition.js';

export type SharedConditions = Readonly<Record<string, RuleCondition>>;

/** A shared condition's name: what `{ "condition": name }` refers to. */
export const SHARED_CONDITION_NAME_MAX = 100;
/** Leaves a rule may reach through its references (each reference counts the whole shared condition). */
export const MAX_EXPANDED_LEAVES = 10_000;

export function isConditionRef(condition: unknown): condition is RuleCondition & { condition: string } {
  return typeof condition === 'object' && condition !== null && Object.hasOwn(condition, 'condition');
}

/** The shared condition a reference names, as json-rules-engine evaluates it there (its properties over the reference's). */
export function realize(ref: RuleCondition & { condition: string }, shared: SharedConditions | undefined): RuleCondition | undefined {
  const target = shared !== undefined && Object.hasOwn(shared, ref.condition) ? shared[ref.condition] : undefined;
  if (target === undefined) return undefined;
  const { condition: _name, ...own } = ref;
  return { ...own, ...target };
}

/** The names `condition` refers to, directly (not through other shared conditions). */
function referencesIn(condition: unknown, out: { name: string; at: PathSegment[] }[], at: PathSegment[]): void {
  if (typeof condition !== 'object' || condition === null) return;
  const c = condition as Record<string, unknown>;
  if (isConditionRef(c)) {
    if (typeof c.condition === 'string') out.push({ name: c.condition, at: [...at, 'condition'] });
    return;
  }
  for (const key of ['all', 'any'] as const) if (Array.isArray(c[key])) (c[key] as unknown[]).forEach((child, i) => referencesIn(child, out, [...at, key, i]));
  if (c.not !== undefined) referencesIn(c.not, out, [...at, 'not']);
}

/**
 * What is wrong with the references of a ruleset whose conditions passed their own checks:
 * a name no shared condition has (json-rules-engine fails every case with "No condition … exists"),
 * a shared condition that refers back to itself (json-rules-engine never finishes), one that
 * expands to more than MAX_EXPANDED_LEAVES leaves, and (a warning) one no rule uses.
 */
export function sharedConditionProblems(shared: SharedConditions, rules: readonly unknown[]): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const names = Object.keys(shared);
  const known = names.length > 0 ? `shared conditions: ${names.map((n) => JSON.stringify(n)).join(', ')}` : 'the ruleset has no "sharedConditions"';
  const refsOf = new Map<string, { name: string; at: PathSegment[] }[]>();
  for (const name of names) {
    const refs: { name: string; at: PathSegment[] }[] = [];
    referencesIn(shared[name], refs, ['sharedConditions', name]);
    refsOf.set(name, refs);
  }
  const used = new Set<string>();
  const unknown = (ref: { name: string; at: PathSegment[] }) => {
    if (Object.hasOwn(shared, ref.name)) used.add(ref.name);
    else problems.push(problem(ref.at, `no shared condition is named ${JSON.stringify(ref.name)} (${known})`));
  };
  for (const refs of refsOf.values()) refs.forEach(unknown);
  const ruleRefs: { name: string; at: PathSegment[]; rule: number }[] = [];
  rules.forEach((rule, i) => {
    const refs: { name: string; at: PathSegment[] }[] = [];
    referencesIn((rule as { conditions?: unknown } | null)?.conditions, refs, ['rules', i, 'conditions']);
    refs.forEach((r) => {
      unknown(r);
      ruleRefs.push({ ...r, rule: i });
    });
  });

  // Cycles: a depth-first walk; the reference that closes a cycle is reported once.
  const state = new Map<string, 'open' | 'done'>();
  const leaves = new Map<string, number>();
  const cyclic = new Set<string>();
  const visit = (name: string, trail: string[]): number => {
    if (state.get(name) === 'done') return leaves.get(name)!;
    state.set(name, 'open');
    let count = leafCount(shared[name]);
    for (const ref of refsOf.get(name) ?? []) {
      if (!Object.hasOwn(shared, ref.name)) continue;
      if (state.get(ref.name) === 'open') {
        const loop = [...trail.slice(trail.indexOf(ref.name)), name, ref.name];
        if (!cyclic.has(name)) problems.push(problem(ref.at, `the shared condition ${JSON.stringify(name)} refers back to itself (${loop.map((n) => JSON.stringify(n)).join(' → ')}): json-rules-engine would never finish`));
        cyclic.add(name);
        continue;
      }
      count += visit(ref.name, [...trail, name]);
    }
    state.set(name, 'done');
    leaves.set(name, count);
    return count;
  };
  for (const name of names) visit(name, []);
  for (const name of names) {
    if (!cyclic.has(name) && leaves.get(name)! > MAX_EXPANDED_LEAVES) {
      problems.push(problem(['sharedConditions', name], `expands to more than ${MAX_EXPANDED_LEAVES} conditions through its references; share smaller parts`));
    }
  }
  const reported = new Set<number>();
  for (const ref of ruleRefs) {
    if (reported.has(ref.rule) || !Object.hasOwn(shared, ref.name) || cyclic.has(ref.name) || leaves.get(ref.name)! > MAX_EXPANDED_LEAVES) continue;
    const total = leafCount((rules[ref.rule] as { conditions?: unknown }).conditions) + ruleRefs.filter((r) => r.rule === ref.rule && Object.hasOwn(shared, r.name)).reduce((n, r) => n + (leaves.get(r.name) ?? 0), 0);
    if (total > MAX_EXPANDED_LEAVES) {
      problems.push(problem(['rules', ref.rule, 'conditions'], `expands to more than ${MAX_EXPANDED_LEAVES} conditions through its shared conditions`));
      reported.add(ref.rule);
    }
  }
  for (const name of names) if (!used.has(name)) problems.push(problem(['sharedConditions', name], `no rule uses the shared condition ${JSON.stringify(name)}`, 'warning'));
  return problems;
}

/** Leaves of `condition` itself, references not followed. */
function leafCount(condition: unknown): number {
  if (typeof condition !== 'object' || condition === null || isConditionRef(condition)) return 0;
  const c = condition as Record<string, unknown>;
  let n = 0;
  for (const key of ['all', 'any'] as const) if (Array.isArray(c[key])) for (const child of c[key] as unknown[]) n += leafCount(child);
  if (c.not !== undefined) n += leafCount(c.not);
  return n + (typeof c.fact === 'string' ? 1 : 0);
}
