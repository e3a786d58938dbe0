/**
 * The SLA configuration, `rules/sla.json`: business-hours calendars, SLA policies and the
 * default policy, exactly as in PRODUCT.md:
 *
 *   { "calendars": { <name>: CalendarDefinition },
 *     "policies":  { <name>: { "description"?: string, "calendar": <calendar name>,
 *                              "warnBefore": "20%" | <duration>,
 *                              "targets": { <priority>: { <metric>?: <duration> } },
 *                              "chat"?: { "warnBefore"?: …, "targets": { <priority>: { <metric>?: <chat duration> } } } } },
 *     "default":   <policy name> }
 *
 * Priorities are exactly urgent, high, normal, low; metrics exactly firstResponse, nextResponse,
 * resolution. A missing priority or metric means "no target" (`target()` returns null).
 * `warnBefore` is per policy only. We chose not to add a per-target override: a percentage
 * already scales with each target, and an object form (`{ "target": "4h", "warnBefore": "30m" }`)
 * can be added later without breaking existing files. `description` is optional free text.
 *
 * `chat` (optional) holds the targets of live-chat cases (`channel: "chat"`), to the second
 * (`45s`, `1m30s`; parseChatDuration): a metric it names replaces the policy's target for a
 * chat case, any other falls back to `targets`. Its `warnBefore` (percentage or chat duration)
 * defaults to the policy's when that is a percentage, else to 20%. The calendar is the
 * policy's: a chat case created outside business hours waits for them like any other.
 *
 * `validateSlaConfig` never throws and reports every problem with its JSON path: the shape via
 * zod, calendars via `calendarDefinitionProblems`, then references (a policy's calendar, the
 * default policy). A duration `warnBefore` that is not shorter than one of the policy's targets
 * is a warning (that warning fires as soon as the timer starts). `compileSlaConfig` validates,
 * throws SlaConfigError on errors, compiles each calendar once and precomputes every target.
 */
import { z } from 'zod';
import {
  formatProblems,
  hasErrors,
  problem,
  problemsFromZod,
  type DefinitionProblem,
  type PathSegment,
} from '../definitions/problems.js';
import {
  addBusinessMinutes,
  BusinessCalendarError,
  calendarDefinitionProblems,
  compileCalendar,
  MINUTE_MS,
  type BusinessCalendar,
  type CalendarDefinition,
} from './calendar.js';
import { weeklyBusinessMinutes } from './calendar-definition.js';
import {
  describeValue,
  formatDuration,
  parseDuration,
  parseChatDuration,
  parseChatWarnBefore,
  parseWarnBefore,
  warnOffsetMinutes,
  type WarnBefore,
} from './duration.js';

export const PRIORITIES = ['urgent', 'high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];
export const METRICS = ['firstResponse', 'nextResponse', 'resolution'] as const;
export type Metric = (typeof METRICS)[number];

export type TargetsJson = Partial<Record<Priority, Partial<Record<Metric, string>>>>;

export interface SlaPolicyJson {
  description?: string;
  calendar: string;
  warnBefore: string;
  targets: TargetsJson;
  /** Targets of live-chat cases, to the second. */
  chat?: { warnBefore?: string; targets: TargetsJson };
}

export interface SlaConfigJson {
  calendars: Record<string, CalendarDefinition>;
  policies: Record<string, SlaPolicyJson>;
  default: string;
}

export interface SlaTarget {
  minutes: number;
  warnOffsetMinutes: number;
  calendar: BusinessCalendar;
}

export interface SlaPolicy {
  name: string;
  description: string | undefined;
  calendarName: string;
  calendar: BusinessCalendar;
  warnBefore: WarnBefore;
  /** null: the policy sets no target for this metric at this priority. A `chat` case takes the policy's chat target first. */
  target(priority: Priority, metric: Metric, channel?: string): SlaTarget | null;
}

export interface SlaConfig {
  readonly definition: SlaConfigJson;
  readonly defaultPolicy: string;
  readonly policyNames: readonly string[];
  readonly calendarNames: readonly string[];
  policy(name: string): SlaPolicy | undefined;
  calendar(name: string): BusinessCalendar | undefined;
  /** Throws UNKNOWN_SLA_POLICY / UNKNOWN_SLA_TARGET for names that are not in the config. */
  target(policyName: string, priority: Priority, metric: Metric, channel?: string): SlaTarget | null;
  /**
   * The instant `ms` of business time after `startMs` on the calendar of policy `policyName`
   * (the default policy's when it is null or not in this config): a workflow timer with
   * `"businessHours": true` (docs/workflows.md). Null when the calendar does not have that much
   * business time in the next three years (MAX_SCAN_DAYS): the timer never falls due.
   */
  addBusinessTime(policyName: string | null, startMs: number, ms: number): number | null;
}

export type SlaConfigErrorCode = 'INVALID_SLA_CONFIG' | 'UNKNOWN_SLA_POLICY' | 'UNKNOWN_SLA_TARGET';

export class SlaConfigError extends Error {
  override readonly name = 'SlaConfigError';
  constructor(
    readonly code: SlaConfigErrorCode,
    message: string,
    readonly problems: readonly DefinitionProblem[] = [],
  ) {
    super(message);
  }
}

export function isPriority(value: unknown): value is Priority {
  return (PRIORITIES as readonly unknown[]).includes(value);
}

export function isMetric(value: unknown): value is Metric {
  return (METRICS as readonly unknown[]).includes(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const required = (what: string, expected: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? `${what} is required` : `${what} must be ${expected}`;

const durationField = z.unknown().superRefine((value, ctx) => {
  const parsed = parseDuration(value);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message });
});

const warnBeforeField = z.unknown().superRefine((value, ctx) => {
  if (value === undefined) {
    ctx.addIssue({ code: 'custom', message: 'warnBefore is required ("20%" or a duration)' });
    return;
  }
  const parsed = parseWarnBefore(value);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message });
});

const targetsOfPriority = z
  .strictObject(
    Object.fromEntries(METRICS.map((m) => [m, durationField.optional()])) as Record<
      Metric,
      z.ZodOptional<typeof durationField>
    >,
    { error: 'targets of a priority must be an object of metric → duration' },
  )
  .optional();

const chatDurationField = z.unknown().superRefine((value, ctx) => {
  const parsed = parseChatDuration(value);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message });
});

const chatTargetsOfPriority = z
  .strictObject(
    Object.fromEntries(METRICS.map((m) => [m, chatDurationField.optional()])) as Record<Metric, z.ZodOptional<typeof chatDurationField>>,
    { error: 'chat targets of a priority must be an object of metric → duration (45s, 1m30s)' },
  )
  .optional();

const chatSchema = z
  .strictObject(
    {
      warnBefore: z
        .unknown()
        .superRefine((value, ctx) => {
          const parsed = parseChatWarnBefore(value);
          if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message });
        })
        .optional(),
      targets: z.strictObject(Object.fromEntries(PRIORITIES.map((p) => [p, chatTargetsOfPriority])) as Record<Priority, typeof chatTargetsOfPriority>, {
        error: required('chat.targets', 'an object of priority → metric targets'),
      }),
    },
    { error: 'chat must be an object with targets (and optionally warnBefore)' },
  )
  .optional();

const policySchema = z.strictObject(
  {
    description: z.string({ error: 'description must be a string' }).optional(),
    calendar: z.string({ error: required('calendar', 'the name of a calendar') }),
    warnBefore: warnBeforeField,
    targets: z.strictObject(
      Object.fromEntries(PRIORITIES.map((p) => [p, targetsOfPriority])) as Record<
        Priority,
        typeof targetsOfPriority
      >,
      { error: required('targets', 'an object of priority → metric targets') },
    ),
    chat: chatSchema,
  },
  { error: 'a policy must be an object with calendar, warnBefore and targets' },
);

const configSchema = z.strictObject(
  {
    calendars: z.record(z.string(), z.unknown(), {
      error: required('calendars', 'an object of named calendars'),
    }),
    policies: z.record(z.string(), policySchema, {
      error: required('policies', 'an object of named policies'),
    }),
    default: z.string({ error: required('default', 'the name of a policy') }),
  },
  { error: 'the SLA config must be an object with calendars, policies and default' },
);

/** What an unexpected key is, judged by where it sits. */
function unknownKeyMessage(path: readonly PathSegment[], key: string): string {
  if (path[2] === 'chat') {
    if (path.length === 3) return `unknown key "${key}" (expected warnBefore, targets)`;
    if (path.length === 4) return `unknown priority "${key}" (expected ${PRIORITIES.join(', ')})`;
    return `unknown metric "${key}" (expected ${METRICS.join(', ')})`;
  }
  switch (path.length) {
    case 0:
      return `unknown key "${key}" (expected calendars, policies, default)`;
    case 2:
      return `unknown key "${key}" (expected description, calendar, warnBefore, targets, chat)`;
    case 3:
      return `unknown priority "${key}" (expected ${PRIORITIES.join(', ')})`;
    default:
      return `unknown metric "${key}" (expected ${METRICS.join(', ')})`;
  }
}

function shapeProblems(json: unknown): DefinitionProblem[] {
  const result = configSchema.safeParse(json);
  if (result.success) return [];
  return result.error.issues.flatMap((issue) => {
    const path = issue.path.map((p) => (typeof p === 'number' ? p : String(p)));
    if (issue.code !== 'unrecognized_keys') return problemsFromZod([issue], [], json);
    return issue.keys.map((key) => problem([...path, key], unknownKeyMessage(path, key)));
  });
}

const names = (record: Record<string, unknown>) => Object.keys(record).join(', ') || 'none';

function referenceProblems(json: Record<string, unknown>, reach: boolean): DefinitionProblem[] {
  const out: DefinitionProblem[] = [];
  const calendars = isRecord(json.calendars) ? json.calendars : {};
  const policies = isRecord(json.policies) ? json.policies : {};
  for (const [name, def] of Object.entries(calendars)) {
    out.push(...calendarDefinitionProblems(def, ['calendars', name]));
  }
  for (const [name, policy] of Object.entries(policies)) {
    if (!isRecord(policy)) continue;
    if (typeof policy.calendar === 'string' && !Object.hasOwn(calendars, policy.calendar)) {
      const message = `unknown calendar "${policy.calendar}" (calendars: ${names(calendars)})`;
      out.push(problem(['policies', name, 'calendar'], message));
    }
    out.push(...earlyWarningProblems(name, policy));
    const calendar = typeof policy.calendar === 'string' && Object.hasOwn(calendars, policy.calendar) ? calendars[policy.calendar] : undefined;
    if (reach && calendar !== undefined && !hasErrors(calendarDefinitionProblems(calendar))) {
      out.push(...reachProblems(name, policy, policy.calendar as string, weeklyBusinessMinutes(calendar as CalendarDefinition)));
    }
  }
  if (typeof json.default === 'string' && !Object.hasOwn(policies, json.default)) {
    const message = `unknown policy "${json.default}" (policies: ${names(policies)})`;
    out.push(problem(['default'], message));
  }
  return out;
}

/** Weeks of a calendar's hours a target may take: more than a year of business time is a typo. */
const MAX_TARGET_WEEKS = 52;

/**
 * An error for each target longer than a year of its calendar's weekly hours (a weekend-only
 * desk and a 1300h target): it would have no due time — the calendar arithmetic gives up after
 * three years of it (calendar.ts) — and every case at that priority would fail at intake. (A
 * calendar without any hours is refused with the calendar.)
 */
function reachProblems(name: string, policy: Record<string, unknown>, calendarName: string, weekly: number): DefinitionProblem[] {
  const out: DefinitionProblem[] = [];
  const check = (targets: unknown, at: readonly PathSegment[], parse: (text: unknown) => { ok: boolean; value?: number }) => {
    if (!isRecord(targets)) return;
    for (const priority of PRIORITIES) {
      const row = targets[priority];
      if (!isRecord(row)) continue;
      for (const metric of METRICS) {
        const target = parse(row[metric]);
        if (!target.ok || target.value === undefined) continue;
        if (target.value > weekly * MAX_TARGET_WEEKS) {
          const message =
            `${describeValue(row[metric])} is more business time than a year of calendar "${calendarName}" ` +
            `(${formatDuration(weekly)} a week, ${formatDuration(weekly * MAX_TARGET_WEEKS)} in ${MAX_TARGET_WEEKS} weeks)`;
          out.push(problem(['policies', name, ...at, priority, metric], message));
        }
      }
    }
  };
  check(policy.targets, ['targets'], parseDuration);
  if (isRecord(policy.chat)) check(policy.chat.targets, ['chat', 'targets'], parseChatDuration);
  return out;
}

/** A warning when a duration warnBefore is not shorter than one of the policy's targets. */
function earlyWarningProblems(name: string, policy: Record<string, unknown>): DefinitionProblem[] {
  const warnBefore = parseWarnBefore(policy.warnBefore);
  if (!warnBefore.ok || warnBefore.value.kind !== 'duration') return [];
  if (!isRecord(policy.targets)) return [];
  for (const priority of PRIORITIES) {
    const targets = policy.targets[priority];
    if (!isRecord(targets)) continue;
    for (const metric of METRICS) {
      const target = parseDuration(targets[metric]);
      if (target.ok && target.value <= warnBefore.value.minutes) {
        const message =
          `${describeValue(policy.warnBefore)} is not shorter than the ` +
          `${formatDuration(target.value)} target at targets.${priority}.${metric}: ` +
          'that warning fires as soon as the timer starts';
        return [problem(['policies', name, 'warnBefore'], message, 'warning')];
      }
    }
  }
  return [];
}

/**
 * Every problem in an SLA config, with JSON paths. Never throws. `reach: false` leaves out the
 * targets a calendar cannot reach (checked when a config is saved or loaded from files): a
 * version stored before that check still compiles, and only cases at such a target fail.
 */
export function validateSlaConfig(json: unknown, { reach = true }: { reach?: boolean } = {}): DefinitionProblem[] {
  try {
    const shape = shapeProblems(json);
    return isRecord(json) ? [...shape, ...referenceProblems(json, reach)] : shape;
  } catch (error) {
    // Only exotic values (proxies, throwing getters) get here; JSON never does.
    return [problem([], `the SLA config could not be read: ${String(error)}`)];
  }
}

/** Validates and compiles; throws INVALID_SLA_CONFIG with every problem when it has errors. */
export function compileSlaConfig(json: unknown): SlaConfig {
  const problems = validateSlaConfig(json, { reach: false });
  if (hasErrors(problems)) {
    throw new SlaConfigError(
      'INVALID_SLA_CONFIG',
      `invalid SLA config:\n${formatProblems('sla config', problems)}`,
      problems,
    );
  }
  const definition = json as SlaConfigJson;
  const calendars = new Map(
    Object.entries(definition.calendars).map(([name, def]) => [name, compileCalendar(def)]),
  );
  const policies = new Map(
    Object.entries(definition.policies).map(([name, json]) => [
      name,
      compilePolicy(name, json, calendars.get(json.calendar)!),
    ]),
  );
  return {
    definition,
    defaultPolicy: definition.default,
    policyNames: [...policies.keys()],
    calendarNames: [...calendars.keys()],
    policy: (name) => policies.get(name),
    calendar: (name) => calendars.get(name),
    target(policyName, priority, metric, channel) {
      const policy = policies.get(policyName);
      if (policy === undefined) {
        throw new SlaConfigError('UNKNOWN_SLA_POLICY', `unknown SLA policy "${policyName}"`);
      }
      return policy.target(priority, metric, channel);
    },
    addBusinessTime(policyName, startMs, ms) {
      const policy = (policyName === null ? undefined : policies.get(policyName)) ?? policies.get(definition.default)!;
      try {
        return addBusinessMinutes(policy.calendar, startMs, ms / MINUTE_MS);
      } catch (error) {
        if (error instanceof BusinessCalendarError && error.code === 'CALENDAR_EXHAUSTED') return null;
        throw error;
      }
    },
  };
}

function compilePolicy(name: string, json: SlaPolicyJson, calendar: BusinessCalendar): SlaPolicy {
  const warnBefore = parseWarnBefore(json.warnBefore);
  if (!warnBefore.ok) throw new SlaConfigError('INVALID_SLA_CONFIG', warnBefore.message);
  const table = {} as Record<Priority, Partial<Record<Metric, SlaTarget>>>;
  for (const priority of PRIORITIES) {
    table[priority] = {};
    for (const metric of METRICS) {
      const text = json.targets[priority]?.[metric];
      if (text === undefined) continue;
      const minutes = parseDuration(text);
      if (!minutes.ok) throw new SlaConfigError('INVALID_SLA_CONFIG', minutes.message);
      table[priority][metric] = {
        minutes: minutes.value,
        warnOffsetMinutes: warnOffsetMinutes(minutes.value, warnBefore.value),
        calendar,
      };
    }
  }
  const chatTable = compileChatTargets(json, calendar);
  return {
    name,
    description: json.description,
    calendarName: json.calendar,
    calendar,
    warnBefore: warnBefore.value,
    target(priority, metric, channel) {
      if (!isPriority(priority) || !isMetric(metric)) {
        throw new SlaConfigError(
          'UNKNOWN_SLA_TARGET',
          `no priority/metric "${String(priority)}"/"${String(metric)}" in policy "${name}"`,
        );
      }
      return (channel === 'chat' ? chatTable[priority][metric] : undefined) ?? table[priority][metric] ?? null;
    },
  };
}

/** The `warnBefore` chat targets use: their own, else the policy's when it is a percentage, else 20%. */
export function chatWarnBefore(json: SlaPolicyJson): string {
  return json.chat?.warnBefore ?? (json.warnBefore.endsWith('%') ? json.warnBefore : '20%');
}

/** The policy's chat targets (seconds allowed), each with its warning offset. */
function compileChatTargets(json: SlaPolicyJson, calendar: BusinessCalendar): Record<Priority, Partial<Record<Metric, SlaTarget>>> {
  const table = Object.fromEntries(PRIORITIES.map((p) => [p, {}])) as Record<Priority, Partial<Record<Metric, SlaTarget>>>;
  if (!json.chat) return table;
  const parsed = parseChatWarnBefore(chatWarnBefore(json));
  if (!parsed.ok) throw new SlaConfigError('INVALID_SLA_CONFIG', parsed.message);
  const warn = parsed.value;
  for (const priority of PRIORITIES) {
    for (const metric of METRICS) {
      const text = json.chat.targets[priority]?.[metric];
      if (text === undefined) continue;
      const minutes = parseChatDuration(text);
      if (!minutes.ok) throw new SlaConfigError('INVALID_SLA_CONFIG', minutes.message);
      table[priority][metric] = { minutes: minutes.value, warnOffsetMinutes: warnOffsetMinutes(minutes.value, warn), calendar };
    }
  }
  return table;
}
