/**
 * The corpus of the search differential test (search-differential.test.ts): SQL that runs as it
 * is on a migrated SQLite store and on a migrated PostgreSQL database, so each database's own
 * triggers build its index (search_fts, search_documents) from the same rows. Inflections,
 * diacritics, punctuation, mixed case, e-mail addresses, numbers; notes; a message past
 * MAX_POSITION; updates and deletes; and an erasure (erasure.ts on each side).
 */
import { MAX_POSITION } from '../../src/search/documents.js';

const lit = (text: string | null) => (text === null ? 'NULL' : `'${text.replaceAll("'", "''")}'`);

export const CUSTOMERS: [number, string, string, string | null][] = [
  [1, 'Pat Ünal', 'pat@example.com', 'ACME Corp.'],
  [2, 'Zoë Müller', 'zoe.mueller@example.org', 'Café Nord GmbH'],
  [3, "Chloe O'Brien", 'chloe@obrien.ie', null],
  [4, 'Dan Running', 'dan+billing@runners.example', 'Runners & Co'],
  [5, 'To Be Deleted', 'gone@example.net', 'Ghost Ltd'],
  [6, '王小明', 'wang@example.cn', '株式会社テスト'],
];

/** [id, customer, subject, description] */
export const CASES: [number, number, string, string][] = [
  [1001, 1, 'Charged twice for my subscription', 'My card was CHARGED two times on 2026-11-03 — please refund the duplicate charges!'],
  [1002, 2, 'Café login broken', 'Naïve question: the café’s Wi-Fi portal rejects my password. Über annoying; don’t ignore it.'],
  [1003, 1, 'Password reset e-mail never arrives', 'I requested a password reset for pat@example.com three times; nothing arrived. Error code E-4012.'],
  [1004, 3, 'Connection drops', 'The VPN connection keeps dropping every 5 minutes; connecting again works for a while.'],
  [1005, 4, 'INVOICE #2031 WRONG', 'The invoice lists 12 licences but we have 10. Please correct invoice 2031 (total: 1,250.00 EUR).'],
  [1006, 4, 'Running reports is slow', 'Reports run slowly since the upgrade to v2.5.1; generating one takes 45s. Today’s news: still slow.'],
  [1007, 2, 'Straße address not accepted', "The form rejects the street name 'Hauptstraße'; also ÉCOLE and Zoë in names fail."],
  [1008, 3, 'Refund request', "I was billed 2 times for one order; I'd like a refund, not a credit."],
  [1009, 1, 'Deleted soon', 'A case without a timeline, deleted below: refund charged café.'],
  [1011, 6, '我想申请退款', '返金をお願いします。환불을 요청합니다. Ærø, Łódź and the Œuvre team: færdig? iPhone退款'],
];

/** [case, type, body]: in this order, after each case's `case.created`. */
export const MESSAGES: [number, 'customer.replied' | 'staff.replied' | 'staff.noted', string][] = [
  [1001, 'staff.replied', 'We refunded the duplicate charge; it can take 5–7 days.'],
  [1001, 'staff.noted', 'Internal: VIP customer, refund approved by Alice.'],
  [1001, 'customer.replied', 'Thanks! The charges are gone.'],
  [1002, 'customer.replied', 'Still broken at the Café Nord… any news?'],
  [1002, 'staff.noted', 'Captive portal issue; ticket #88 with the Wi-Fi vendor.'],
  [1003, 'staff.replied', 'Please check spam for "Password reset" mails from no-reply@casebook.test.'],
  [1004, 'customer.replied', 'It connected fine yesterday, disconnects today.'],
  [1005, 'staff.replied', 'Invoice 2031 corrected: 10 licences, 1.000,00 EUR.'],
  [1008, 'staff.noted', 'Billing says: charged twice, refund pending.'],
  [1011, 'customer.replied', 'サーバーが落ちた。退款 for order 1234, 款'],
];

const CREATED = 1_700_000_000_000;

function insertCase([id, customer, subject, description]: [number, number, string, string]): string {
  return `INSERT INTO cases (id, customer_id, subject, description, status, state_entered_at, queue_id, workflow, workflow_version, created_at, updated_at, open)
          VALUES (${id}, ${customer}, ${lit(subject)}, ${lit(description)}, 'open', ${CREATED}, 'general', 'default', 1, ${CREATED + id}, ${CREATED + id}, true)`;
}

function insertEvent(caseId: number, type: string, data: Record<string, unknown>, at: number): string {
  return `INSERT INTO case_events (case_id, type, at, actor_type, data) VALUES (${caseId}, '${type}', ${at}, 'system', ${lit(JSON.stringify(data))})`;
}

/** The case whose timeline runs past MAX_POSITION: fillers up to MAX_POSITION - 1, then two messages. */
export const LONG_CASE = 1010;

/**
 * Fillers that no search or webhook trigger on either side looks at (not a message, not a
 * webhook event). On PostgreSQL they go in with `session_replication_role = replica` (no
 * per-row foreign key check: ~1 s instead of ~6 here), in one transaction.
 */
export function fillers(dialect: 'sqlite' | 'pg'): string[] {
  const count = MAX_POSITION - 2; // after case.created: the messages land at MAX_POSITION and MAX_POSITION + 1
  return dialect === 'pg'
    ? [
        'BEGIN',
        'SET LOCAL session_replication_role = replica',
        `INSERT INTO case_events (case_id, type, at, actor_type, data) SELECT ${LONG_CASE}, 'case.routed', ${CREATED}, 'system', '{}' FROM generate_series(1, ${count})`,
        'COMMIT',
      ]
    : [
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${count})
         INSERT INTO case_events (case_id, type, at, actor_type, data) SELECT ${LONG_CASE}, 'case.routed', ${CREATED}, 'system', '{}' FROM n`,
      ];
}

/** The rows, in order (the long case's fillers go between `beforeFillers` and `afterFillers`). */
export const SETUP = [
  `INSERT INTO queues (id, name, created_at) VALUES ('general', 'General', 1)`,
  ...CUSTOMERS.map(([id, name, email, org]) => `INSERT INTO customers (id, email, name, organization, created_at, updated_at) VALUES (${id}, ${lit(email)}, ${lit(name)}, ${lit(org)}, 1, 1)`),
  ...CASES.map(insertCase),
  ...CASES.filter(([id]) => id !== 1009).map(([id]) => insertEvent(id, 'case.created', {}, CREATED + id)),
  ...MESSAGES.map(([caseId, type, body], i) => insertEvent(caseId, type, { body }, CREATED + 2000 + i)),
  // Messages that are not quite messages: a body without text, and data without a body.
  insertEvent(1004, 'staff.replied', { body: '' }, CREATED + 3000),
  insertEvent(1004, 'customer.replied', { attachments: [] }, CREATED + 3001),
  insertCase([LONG_CASE, 3, 'A very long timeline', 'Thousands of automatic entries.']),
  insertEvent(LONG_CASE, 'case.created', {}, CREATED + LONG_CASE),
];

export const AFTER_FILLERS = [
  insertEvent(LONG_CASE, 'customer.replied', { body: 'The last indexed message: zebra crossing.' }, CREATED + 4000),
  insertEvent(LONG_CASE, 'customer.replied', { body: 'Past the index: zebra unicorn.' }, CREATED + 4001),
];

/** Changes after the rows are in: the index must follow. */
export const CHANGES = [
  `UPDATE cases SET subject = 'Double charge on my subscription' WHERE id = 1001`,
  `UPDATE cases SET description = 'The VPN connection keeps dropping; reconnecting works for a while.' WHERE id = 1004`,
  `UPDATE cases SET status = 'pending', updated_at = ${CREATED + 9000} WHERE id = 1005`, // no text changed
  `UPDATE customers SET email = 'pat.unal@example.com', organization = 'Acme Holdings' WHERE id = 1`,
  `UPDATE customers SET tier = 'vip' WHERE id = 2`, // no text changed
  `DELETE FROM cases WHERE id = 1009`,
  `DELETE FROM customers WHERE id = 5`,
];

/** The case erased (erasure.ts): its messages leave the index, its own document becomes "[erased]". */
export const ERASED_CASE = 1008;
export const ERASED_CASE_CUSTOMER = 3;
