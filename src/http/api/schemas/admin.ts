/** Answers of the setup and operations API: tokens, users, mailboxes, mail in, bulk import, reports. */
import { z } from 'zod';
import { caseRef, instant, jsonObject } from './common.js';

export const createdToken = z.object({
  id: z.number().int(),
  token: z.string().meta({ description: 'The token itself: shown once, stored hashed.' }),
  prefix: z.string(),
  principal: z.object({ type: z.enum(['staff', 'customer']), id: z.number().int(), email: z.string() }),
  scopes: z.array(z.string()),
  expiresAt: instant.nullable(),
});

export const tokenList = z.object({
  principal: z.object({ type: z.enum(['staff', 'customer']), id: z.number().int(), email: z.string() }),
  items: z.array(
    z.object({
      id: z.number().int(),
      name: z.string(),
      prefix: z.string().meta({ description: 'The first characters of the token, to recognise it (never the token or its hash).' }),
      scopes: z.array(z.string()),
      createdAt: instant,
      lastUsedAt: instant.nullable(),
      expiresAt: instant.nullable(),
      revokedAt: instant.nullable(),
      live: z.boolean().meta({ description: 'Works now: not revoked, not expired.' }),
    }),
  ),
});

const role = z.enum(['customer', 'agent', 'advanced', 'manager', 'admin']);

export const createdUser = z.object({
  id: z.number().int(),
  type: z.enum(['staff', 'customer']),
  email: z.string(),
  name: z.string(),
  role,
  queues: z.array(z.string()),
  skills: z.array(z.string()),
  capacity: z.number().int().nullable(),
  chatLimit: z.number().int().nullable().meta({ description: 'Live chats at once (staff); null for customers.' }),
  available: z.boolean().nullable(),
  setPasswordUrl: z.string().optional().meta({ description: 'When no password was given: a one-time link to set one.' }),
  setPasswordExpiresAt: instant.nullable().optional(),
});

export const passwordLink = z.object({
  id: z.number().int(),
  type: z.enum(['staff', 'customer']),
  email: z.string(),
  setPasswordUrl: z.string(),
  setPasswordExpiresAt: instant.nullable(),
  sessionsEnded: z.number().int().meta({ description: 'Sessions ended now (`revokeAccess`; otherwise 0: they end when the link is used).' }),
  apiTokensRevoked: z.number().int().meta({ description: 'API tokens revoked now (`revokeAccess`; otherwise 0).' }),
  apiTokensLive: z.number().int().meta({ description: 'The account’s API tokens that still work: a new password does not revoke them (`revokeAccess` does, or `DELETE /tokens/{id}`).' }),
});

export const mailbox = z
  .object({
    id: z.number().int(),
    name: z.string(),
    url: z.string().meta({ description: 'The mailbox as a URL without its password.' }),
    host: z.string(),
    port: z.number().int(),
    tls: z.boolean(),
    username: z.string(),
    path: z.string(),
    passwordSet: z.boolean().meta({ description: 'The password is write-only.' }),
    queue: z.string(),
    processed: z.string(),
    pollSeconds: z.number().int(),
    enabled: z.boolean(),
    status: z.object({ state: z.string(), text: z.string().nullable(), since: instant.nullable(), lastMailAt: instant.nullable() }),
    createdAt: instant,
    updatedAt: instant,
  })
  .meta({ id: 'Mailbox' });

export const inboundResult = z.object({
  result: z.enum(['created', 'appended', 'ignored']),
  case: caseRef.nullable(),
  reason: z.string().nullable(),
  attachments: jsonObject.optional().meta({ description: 'Files of the mail stored, and those skipped with why.' }),
});

const lineError = z.object({ line: z.number().int(), code: z.string(), detail: z.string(), externalId: z.string().optional() });

export const importSummary = z.object({
  lines: z.number().int(),
  imported: z.number().int(),
  skipped: z.number().int(),
  failed: z.number().int(),
  errors: z.array(lineError),
  errorsTruncated: z.boolean(),
});

/** One line of the NDJSON answer (`Accept: application/x-ndjson`). */
export const importEvent = z.union([
  z.object({ type: z.literal('error'), ...lineError.shape }),
  z.object({ type: z.enum(['imported', 'skipped']), line: z.number().int(), externalId: z.string(), case: caseRef }),
  z.object({ type: z.literal('progress'), line: z.number().int(), imported: z.number().int(), skipped: z.number().int(), failed: z.number().int() }),
  z.object({ type: z.literal('summary'), ...importSummary.omit({ errors: true }).shape }),
  z.object({ type: z.literal('failed'), code: z.string(), detail: z.string() }),
]);

const reportTotals = z.object({
  breaches: z.number().int(),
  warnings: z.number().int(),
  escalations: z.number().int(),
  atRisk: z.number().int(),
  met: z.number().int(),
  missed: z.number().int(),
  attainment: z.number().nullable(),
});

export const reportListItem = z
  .object({
    id: z.number().int(),
    trigger: z.enum(['schedule', 'manual']),
    periodStart: instant,
    periodEnd: instant,
    createdAt: instant,
    totals: reportTotals,
    delivery: z.object({ state: z.enum(['none', 'pending', 'sent', 'failed']), attempts: z.number().int(), error: z.string().nullable(), deliveredAt: instant.nullable(), recipients: z.array(z.string()) }),
    links: z.object({ html: z.string(), csv: z.string() }),
  })
  .meta({ id: 'SlaReportSummary' });

export const report = z
  .object({
    ...reportListItem.shape,
    summary: z
      .looseObject({
        period: z.object({ from: instant, to: instant }),
        generatedAt: instant,
        timezone: z.string(),
        atRiskHours: z.number(),
        totals: reportTotals,
        breaches: z.array(jsonObject),
        atRisk: z.array(jsonObject),
        escalations: z.array(jsonObject),
        escalationReasons: z.array(z.object({ reason: z.string(), count: z.number().int() })),
        attainment: z.object({ byQueue: z.array(jsonObject), byPolicy: z.array(jsonObject) }),
        oldestWaiting: z.array(jsonObject),
      })
      .meta({ description: 'The report (docs/sla.md, "Reports").' }),
  })
  .meta({ id: 'SlaReport' });
