/**
 * The phone channel (src/channels/phone/): every call-ended webhook a telephony provider
 * delivered, by its call id, so a redelivery is recognised and changes nothing.
 */
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { cases } from './cases.js';
import { customers } from './people.js';

export const phoneCalls = sqliteTable(
  'phone_calls',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** The provider's name as it sent it (`twilio`, `aircall`…; default `default`). */
    provider: text('provider').notNull(),
    /** The provider's id of the call: one case entry per call, whatever the deliveries. */
    callId: text('call_id').notNull(),
    caseId: integer('case_id')
      .notNull()
      .references(() => cases.id),
    customerId: integer('customer_id')
      .notNull()
      .references(() => customers.id),
    /** The `call.logged` timeline entry this call became. */
    eventId: integer('event_id').notNull(),
    /** `created`: the call opened the case; `appended`: it joined the caller's open phone case. */
    result: text('result', { enum: ['created', 'appended'] }).notNull(),
    receivedAt: integer('received_at').notNull(),
  },
  (t) => [uniqueIndex('phone_calls_provider_call_idx').on(t.provider, t.callId), index('phone_calls_case_idx').on(t.caseId)],
);
