/** Answers of the metrics API: the reports dashboard's numbers (src/dashboard/metrics-json.ts). */
import { z } from 'zod';
import { instant } from './common.js';

const localDate = z.iso.date().meta({ description: 'A local date (yyyy-mm-dd) in the period’s time zone.', examples: ['2026-03-02'] });
const percent = z.number().nullable().meta({ description: 'A percentage with one decimal; null without a base.' });

const minutes = z
  .object({ mean: z.number().nullable(), median: z.number().nullable(), p90: z.number().nullable() })
  .meta({ id: 'MinutesSummary', description: 'Minutes: the mean, the median and the 90th percentile (nearest rank); null without values.' });

const duration = z
  .object({ count: z.number().int(), calendarMinutes: minutes, businessMinutes: minutes })
  .meta({ id: 'DurationMetric', description: 'How many cases were measured, in calendar and in business time.' });

const attainmentGroup = z
  .object({ key: z.string(), met: z.number().int(), missed: z.number().int(), percent })
  .meta({ id: 'AttainmentGroup', description: 'SLA targets met and missed for one metric or policy (`key`).' });

const agentRow = z
  .object({ staffId: z.number().int().nullable(), name: z.string().nullable(), firstResponseTime: duration, met: z.number().int(), missed: z.number().int(), percent })
  .meta({ id: 'AgentMetrics', description: 'One agent’s first responses and SLA outcomes in the period.' });

const unit = z.enum(['day', 'week']).meta({ description: 'The buckets’ length: days, or weeks for longer periods.' });
const bucket = { date: localDate.meta({ description: 'The bucket’s first local day.' }), start: instant, end: instant };

export const dashboardMetrics = z
  .object({
    period: z.object({ from: localDate, to: localDate.meta({ description: 'The last local day, included.' }), tz: z.string(), start: instant, end: instant }),
    queue: z.string().nullable().meta({ description: 'The queue asked for; null for every queue.' }),
    generatedAt: instant,
    csat: z.object({ percent, satisfied: z.number().int(), ratings: z.number().int() }),
    churn: z.object({ percent, churned: z.number().int(), customers: z.number().int() }),
    processingTime: duration,
    firstResponseTime: duration,
    slaAttainment: z.object({ percent, met: z.number().int(), missed: z.number().int(), byMetric: z.array(attainmentGroup), byPolicy: z.array(attainmentGroup) }),
    backlog: z.object({ unit, points: z.array(z.object({ ...bucket, open: z.number().int().meta({ description: 'Cases open at the end of the bucket (now for the running one).' }) })) }),
    escalations: z.object({ total: z.number().int(), unit, points: z.array(z.object({ ...bucket, escalations: z.number().int() })) }),
    agents: z.array(agentRow).meta({
      description:
        'Per agent: first responses they gave, SLA targets met and missed while the case was assigned to them. `staffId` null: nobody (an unassigned case, a first response no agent is recorded as giving).',
    }),
  })
  .meta({ id: 'DashboardMetrics' });
