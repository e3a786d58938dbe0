/** Answers of the privacy API: a customer's export, an erasure, the audit log (docs/privacy.md). */
import { z } from 'zod';
import { AUDIT_ENTITIES } from '../../../audit/record-audit.js';
import { ATTACHMENT_KINDS, CHANNELS, CHAT_AUTHORS, CHAT_STATES, ERASURE_REASONS, INBOUND_OUTCOMES, LINK_PURPOSES } from '../../../db/schema/index.js';
import { EXPORT_FORMAT } from '../../../privacy/export-customer.js';
import { actor, caseRef, instant, json, jsonObject, phoneNumber, priority, timeZone } from './common.js';

const exportedChat = z
  .object({
    site: z.string().nullable().meta({ description: 'The chat site’s name.' }),
    hostOrigin: z.string().meta({ description: 'The origin of the host page the chat started on.' }),
    visitor: z.object({ name: z.string(), email: z.string(), verified: z.boolean().meta({ description: 'The host site vouched for the address with a signed identity.' }) }),
    state: z.enum(CHAT_STATES),
    startedAt: instant,
    lastActivityAt: instant,
    endedAt: instant.nullable(),
    endedBy: z.string().nullable(),
    transcriptRequestedAt: instant.nullable(),
    lines: z.array(z.object({ seq: z.number().int(), at: instant, author: z.enum(CHAT_AUTHORS), name: z.string(), body: z.string() })),
  })
  .meta({ description: 'A live chat: the visitor as given, and every line with its author and time (never the visitor’s token or its hash).' });

const exportedCase = z.object({
  id: caseRef,
  subject: z.string(),
  description: z.string(),
  channel: z.enum(CHANNELS),
  status: z.string(),
  priority,
  solution: z.string().nullable(),
  createdAt: instant,
  resolvedAt: instant.nullable(),
  closedAt: instant.nullable(),
  rating: z.object({ satisfied: z.boolean(), comment: z.string(), at: instant }).nullable(),
  messages: z
    .array(z.object({ at: instant, from: z.string().meta({ description: '`customer`, the staff member’s name, or `system`.' }), internal: z.boolean().meta({ description: 'A staff note: never shown to the customer on the portal.' }), body: z.string() }))
    .meta({ description: 'Public replies both ways and staff’s internal notes.' }),
  attachments: z.array(
    z.object({
      id: z.number().int(),
      fileName: z.string(),
      mediaType: z.string(),
      size: z.number().int(),
      sha256: z.string(),
      kind: z.enum(ATTACHMENT_KINDS),
      uploadedBy: z.enum(['system', 'staff', 'customer']),
      internal: z.boolean(),
      at: instant,
    }),
  ),
  chats: z.array(exportedChat).meta({ description: 'The case’s live chats (docs/chat.md).' }),
  calls: z
    .array(
      z.object({
        at: instant,
        channel: z.string().meta({ description: '`phone` or `walk-in`.' }),
        direction: z.string().nullable(),
        durationSeconds: z.number().int(),
        from: z.string().nullable().meta({ description: 'The number they called from, as the provider gave it.' }),
        notes: z.string().nullable().meta({ description: 'Staff’s notes of the call.' }),
        recordingUrl: z.string().nullable(),
        transcriptUrl: z.string().nullable(),
        by: z.string().meta({ description: 'The staff member’s name, or `system` (the telephony provider).' }),
      }),
    )
    .meta({ description: 'Calls and visits logged on the case (staff only on the case page; data held about them).' }),
  timeline: z
    .array(z.object({ type: z.string(), at: instant, actor: z.string(), data: jsonObject.optional() }))
    .meta({ description: 'Every entry’s type, time and who; `data` only for entries the customer sees anyway (created, replies, rating, offered solutions).' }),
});

export const customerExport = z
  .object({
    format: z.literal(EXPORT_FORMAT),
    exportedAt: instant,
    profile: z.object({
      id: z.number().int(),
      email: z.string(),
      name: z.string(),
      tier: z.string(),
      organization: z.string().nullable(),
      phone: phoneNumber.nullable(),
      timeZone: timeZone.nullable(),
      hasPassword: z.boolean(),
      churnedAt: instant.nullable(),
      createdAt: instant,
      updatedAt: instant,
    }),
    profileHistory: z.array(z.object({ at: instant, via: z.enum(['edit', 'intake']), by: z.string(), case: caseRef.nullable(), changes: jsonObject, reason: z.string().nullable() })),
    churnMarks: z.array(z.object({ churned: z.boolean(), at: instant, staffNote: z.string().nullable() })),
    cases: z.array(exportedCase),
    crm: z
      .object({ record: jsonObject.nullable().meta({ description: '`{ plan, mrr, accountOwner, churned }` as the CRM answered; null when it did not know the address.' }), fetchedAt: instant })
      .nullable()
      .meta({ description: 'The CRM’s record kept for their address (docs/integrations.md, "CRM"); null when none is kept.' }),
    crmFormerAddresses: z
      .array(z.object({ email: z.string(), record: jsonObject.nullable(), fetchedAt: instant }))
      .meta({ description: 'The CRM’s records kept for addresses a profile edit replaced (`profileHistory`).' }),
    messagesOnOtherCases: z
      .array(z.object({ case: caseRef, at: instant, body: z.string() }))
      .meta({ description: 'What they wrote on other customers’ cases, under their current or a former address: a reply as a copied contact, a mail filed for review there.' }),
    chatsWithoutCase: z.array(exportedChat).meta({ description: 'Chats started under their address (current or former) in which nothing was written (no case).' }),
    mail: z
      .array(z.object({ receivedAt: instant, via: z.enum(['http', 'smtp', 'imap']), from: z.string().nullable(), subject: z.string().nullable(), size: z.number().int(), outcome: z.enum(INBOUND_OUTCOMES), case: caseRef.nullable() }))
      .meta({ description: 'The channel log of mail from their address (current or former) or on their cases.' }),
    access: z.object({
      sessions: z.array(z.object({ createdAt: instant, lastSeenAt: instant, expiresAt: instant, userAgent: z.string().nullable() })),
      apiTokens: z.array(z.object({ name: z.string(), prefix: z.string(), createdAt: instant, lastUsedAt: instant.nullable(), expiresAt: instant.nullable(), revokedAt: instant.nullable() })),
      links: z.array(z.object({ purpose: z.enum(LINK_PURPOSES), createdAt: instant, expiresAt: instant, usedAt: instant.nullable() })),
    }),
    erasures: z.array(z.object({ reason: z.enum(ERASURE_REASONS), case: caseRef.nullable(), at: instant.nullable() })),
  })
  .meta({ id: 'CustomerExport', description: 'Everything held about a customer (docs/privacy.md, "Export"); never a hash, token or CSRF value.' });

export const customerErasure = z.object({
  erased: z.literal(true),
  customer: z.number().int(),
  erasure: z.number().int().meta({ description: 'The erasure’s record (it is also in the audit log).' }),
  cases: z.number().int().meta({ description: 'How many of their cases were erased.' }),
  summary: z.record(z.string(), z.number().int()).meta({ description: 'What was erased, counted per kind (rows and files); never the data.' }),
});

export const auditEntry = z
  .object({
    id: z.number().int(),
    at: instant,
    actor,
    entity: z.object({ type: z.enum(AUDIT_ENTITIES), id: z.string() }),
    action: z.string().meta({ examples: ['created', 'updated', 'deactivated', 'published', 'erased'] }),
    before: json.meta({ description: 'The entity as it was (null: created); secrets replaced by `[redacted]`.' }),
    after: json.meta({ description: 'The entity as it became (null: deleted); secrets replaced by `[redacted]`.' }),
  })
  .meta({ id: 'AuditEntry', description: 'One change to the configuration: who, when, and the entity before and after.' });

export const auditPage = z.object({
  items: z.array(auditEntry),
  nextCursor: z.number().int().nullable().meta({ description: 'Pass as `cursor` for the next (older) page; null on the last.' }),
});
