/**
 * `exportCustomer`: everything Casebook holds about a customer, as one JSON document (the
 * right of access; managers and admins; docs/privacy.md "Export"). What it holds:
 *
 * - the profile, its change history and churn marks (a mark's note is staff's: `staffNote`);
 * - every case with its messages — public replies both ways, and staff's internal notes
 *   included but marked `internal: true` (they are data about the customer, held by us) —,
 *   its rating, its attachments (name, type, size, SHA-256; internal ones marked) and its
 *   timeline (type, time and who, for every entry; the entry's data for entries the
 *   customer sees anyway);
 * - every case's live chats: the visitor as they gave themselves (name, e-mail, whether the
 *   host site vouched for the address), the site and page origin, times, and every line with
 *   its author, name and time (never the visitor's token or its hash); chats they started
 *   without writing anything (no case) apart, found by their address;
 * - the mail received from their address or on their cases (the channel log);
 * - how they get in: sessions, API tokens, one-time links (times and names, never secrets).
 */
import type { Db } from '../db/client.js';
import { DomainError } from '../errors.js';
import type { Services } from '../services.js';

export const EXPORT_FORMAT = 'casebook.customer-export/1';

/** Timeline entries whose data the customer sees on the portal anyway (the rest: type, time and actor only). */
const CUSTOMER_VISIBLE = new Set(['case.created', 'customer.replied', 'staff.replied', 'case.rated', 'case.solutionOffered', 'case.solutionAccepted', 'case.solutionDeclined']);
const MESSAGES = new Set(['customer.replied', 'staff.replied', 'staff.noted']);

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

function rows<T>(db: Db, sql: string, ...params: unknown[]): T[] {
  return db.$client.prepare(sql).all(...params) as T[];
}

type ChatRow = { id: number; case_id: number | null; site: string | null; host_origin: string; name: string; email: string; verified: number; state: string; created_at: number; last_activity_at: number; ended_at: number | null; ended_by: string | null; transcript_requested_at: number | null };

const CHAT_COLUMNS = 's.id, s.case_id, site.name AS site, s.host_origin, s.name, s.email, s.verified, s.state, s.created_at, s.last_activity_at, s.ended_at, s.ended_by, s.transcript_requested_at';

/** Chat sessions as exported: the visitor as given, times, and every line (never the token or its hash). */
function exportChats(db: Db, sessions: readonly ChatRow[]) {
  const lines = db.$client.prepare<[number], { seq: number; author: string; author_name: string; body: string; at: number }>('SELECT seq, author, author_name, body, at FROM chat_messages WHERE session_id = ? ORDER BY seq');
  return sessions.map((s) => ({
    site: s.site,
    hostOrigin: s.host_origin,
    visitor: { name: s.name, email: s.email, verified: s.verified === 1 },
    state: s.state,
    startedAt: iso(s.created_at),
    lastActivityAt: iso(s.last_activity_at),
    endedAt: iso(s.ended_at),
    endedBy: s.ended_by,
    transcriptRequestedAt: iso(s.transcript_requested_at),
    lines: lines.all(s.id).map((l) => ({ seq: l.seq, at: iso(l.at), author: l.author, name: l.author_name, body: l.body })),
  }));
}

export function exportCustomer(services: Services, customerId: number): Record<string, unknown> {
  const { db } = services;
  const customer = db.$client.prepare('SELECT * FROM customers WHERE id = ?').get(customerId) as Record<string, unknown> | undefined;
  if (!customer) throw new DomainError('NOT_FOUND', `No customer ${customerId}.`, { customerId });
  const email = String(customer.email);

  const cases = rows<Record<string, unknown>>(db, 'SELECT * FROM cases WHERE customer_id = ? ORDER BY id', customerId);
  const caseIds = cases.map((c) => Number(c.id));
  const inCases = caseIds.length ? `(${caseIds.join(',')})` : '(NULL)';
  const events = rows<{ id: number; case_id: number; type: string; at: number; actor_type: string; actor_id: number | null; data: string }>(db, `SELECT * FROM case_events WHERE case_id IN ${inCases} ORDER BY id`);
  const files = rows<Record<string, unknown>>(db, `SELECT * FROM attachments WHERE case_id IN ${inCases} ORDER BY id`);
  const ratings = rows<Record<string, unknown>>(db, `SELECT * FROM case_ratings WHERE case_id IN ${inCases}`);
  const chats = rows<ChatRow>(db, `SELECT ${CHAT_COLUMNS} FROM chat_sessions s LEFT JOIN chat_sites site ON site.id = s.site_id WHERE s.case_id IN ${inCases} ORDER BY s.id`);
  const noteIds = new Set(events.filter((e) => e.type === 'staff.noted').map((e) => e.id));
  const staffNames = new Map(rows<{ id: number; name: string }>(db, 'SELECT id, name FROM staff').map((s) => [s.id, s.name]));
  const who = (type: string, id: number | null) => (type === 'customer' ? 'customer' : type === 'staff' ? (staffNames.get(id ?? -1) ?? 'staff') : 'system');

  return {
    format: EXPORT_FORMAT,
    exportedAt: iso(services.clock.now()),
    profile: {
      id: customer.id,
      email,
      name: customer.name,
      tier: customer.tier,
      organization: customer.organization,
      phone: customer.phone,
      timeZone: customer.time_zone,
      hasPassword: customer.password_hash !== null,
      churnedAt: iso(customer.churned_at as number | null),
      createdAt: iso(customer.created_at as number),
      updatedAt: iso(customer.updated_at as number),
    },
    profileHistory: rows<Record<string, unknown>>(db, 'SELECT * FROM customer_changes WHERE customer_id = ? ORDER BY id', customerId).map((h) => ({
      at: iso(h.at as number),
      via: h.via,
      by: h.actor_name,
      case: h.case_id === null ? null : `C-${h.case_id}`,
      changes: JSON.parse(String(h.changes)),
      reason: h.reason,
    })),
    churnMarks: rows<Record<string, unknown>>(db, 'SELECT * FROM customer_churn_marks WHERE customer_id = ? ORDER BY id', customerId).map((m) => ({ churned: m.churned === 1, at: iso(m.at as number), staffNote: m.note })),
    cases: cases.map((c) => {
      const id = Number(c.id);
      const own = events.filter((e) => e.case_id === id);
      const rating = ratings.find((r) => r.case_id === id);
      return {
        id: `C-${id}`,
        subject: c.subject,
        description: c.description,
        channel: c.channel,
        status: c.status,
        priority: c.priority,
        solution: c.solution,
        createdAt: iso(c.created_at as number),
        resolvedAt: iso(c.resolved_at as number | null),
        closedAt: iso(c.closed_at as number | null),
        rating: rating ? { satisfied: rating.satisfied === 1, comment: rating.comment, at: iso(rating.created_at as number) } : null,
        messages: own
          .filter((e) => MESSAGES.has(e.type))
          .map((e) => ({ at: iso(e.at), from: who(e.actor_type, e.actor_id), internal: e.type === 'staff.noted', body: (JSON.parse(e.data) as { body?: unknown }).body ?? '' })),
        attachments: files
          .filter((f) => f.case_id === id)
          .map((f) => ({ id: f.id, fileName: f.file_name, mediaType: f.media_type, size: f.size, sha256: f.sha256, kind: f.kind, uploadedBy: f.uploaded_by_type, internal: noteIds.has(Number(f.event_id)), at: iso(f.created_at as number) })),
        chats: exportChats(db, chats.filter((s) => s.case_id === id)),
        timeline: own.map((e) => ({ type: e.type, at: iso(e.at), actor: who(e.actor_type, e.actor_id), ...(CUSTOMER_VISIBLE.has(e.type) ? { data: JSON.parse(e.data) } : {}) })),
      };
    }),
    chatsWithoutCase: exportChats(db, rows<ChatRow>(db, `SELECT ${CHAT_COLUMNS} FROM chat_sessions s LEFT JOIN chat_sites site ON site.id = s.site_id WHERE s.case_id IS NULL AND s.email = lower(?) ORDER BY s.id`, email)),
    mail: rows<Record<string, unknown>>(db, `SELECT * FROM inbound_mail WHERE case_id IN ${inCases} OR lower(from_address) = ? ORDER BY id`, email).map((m) => ({
      receivedAt: iso(m.received_at as number),
      via: m.via,
      from: m.from_address,
      subject: m.subject,
      size: m.size,
      outcome: m.outcome,
      case: m.case_id === null ? null : `C-${m.case_id}`,
    })),
    access: {
      sessions: rows<Record<string, unknown>>(db, "SELECT * FROM sessions WHERE principal_type = 'customer' AND principal_id = ? ORDER BY created_at", customerId).map((s) => ({
        createdAt: iso(s.created_at as number),
        lastSeenAt: iso(s.last_seen_at as number),
        expiresAt: iso(s.expires_at as number),
        userAgent: s.user_agent,
      })),
      apiTokens: rows<Record<string, unknown>>(db, "SELECT * FROM api_tokens WHERE principal_type = 'customer' AND principal_id = ? ORDER BY id", customerId).map((t) => ({
        name: t.name,
        prefix: t.prefix,
        createdAt: iso(t.created_at as number),
        lastUsedAt: iso(t.last_used_at as number | null),
        expiresAt: iso(t.expires_at as number | null),
        revokedAt: iso(t.revoked_at as number | null),
      })),
      links: rows<Record<string, unknown>>(db, "SELECT * FROM password_tokens WHERE principal_type = 'customer' AND principal_id = ? ORDER BY created_at", customerId).map((l) => ({
        purpose: l.purpose,
        createdAt: iso(l.created_at as number),
        expiresAt: iso(l.expires_at as number),
        usedAt: iso(l.used_at as number | null),
      })),
    },
    erasures: rows<Record<string, unknown>>(db, 'SELECT * FROM erasures WHERE customer_id = ? ORDER BY id', customerId).map((e) => ({ reason: e.reason, case: e.case_id === null ? null : `C-${e.case_id}`, at: iso(e.completed_at as number | null) })),
  };
}
