/**
 * Reply drafts: an agent's unsent public reply and internal note on a case, one of each per
 * agent and case, kept server-side so a reload, a closed tab or a dead laptop loses nothing.
 * The composer saves them while the agent types (htmx, debounced) or with *Save draft* (no
 * JavaScript); the case page restores them; sending, discarding or erasing the case's content
 * deletes them. Only the author reads the text: colleagues learn that a draft exists (the
 * presence panel), customers nothing.
 */
import { and, asc, eq, gt, inArray, ne } from 'drizzle-orm';
import type { Handle } from '../db/store/index.js';
import { ValidationError } from '../errors.js';
import type { Services } from '../services.js';

export type DraftKind = 'reply' | 'note';

/** The same bound as a sent message (src/http/pages/cases.tsx `messageForm`). */
export const DRAFT_MAX_LENGTH = 20_000;

export interface Draft {
  kind: DraftKind;
  body: string;
  macroId: number | null;
  updatedAt: number;
}

/** A colleague's draft on the case, without its text. */
export interface ColleagueDraft {
  staffId: number;
  name: string;
  kind: DraftKind;
  updatedAt: number;
}

export interface DraftOwner {
  caseId: number;
  staffId: number;
}

/** The viewer's drafts on the case, by kind. */
export async function draftsOf(q: Handle, owner: DraftOwner): Promise<Partial<Record<DraftKind, Draft>>> {
  const t = q.tables.replyDrafts;
  const rows = await q.db
    .select({ kind: t.kind, body: t.body, macroId: t.macroId, updatedAt: t.updatedAt })
    .from(t)
    .where(and(eq(t.caseId, owner.caseId), eq(t.staffId, owner.staffId)));
  return Object.fromEntries(rows.map((r) => [r.kind, r]));
}

/** Colleagues with an unsent draft on the case (never its text), oldest first. */
export async function colleagueDrafts(q: Handle, caseId: number, viewerStaffId: number | null): Promise<ColleagueDraft[]> {
  const { replyDrafts: t, staff } = q.tables;
  return q.db
    .select({ staffId: t.staffId, name: staff.name, kind: t.kind, updatedAt: t.updatedAt })
    .from(t)
    .innerJoin(staff, eq(staff.id, t.staffId))
    .where(and(eq(t.caseId, caseId), ne(t.staffId, viewerStaffId ?? -1), eq(staff.active, true)))
    .orderBy(asc(t.updatedAt), asc(t.id));
}

export interface SaveDraftInput {
  kind: DraftKind;
  body: string;
  macroId?: number | null;
  /**
   * The newest timeline entry the composer showed: a save that arrives after its text was sent
   * from that page (a save on its way while the agent clicked Send) finds the message after it
   * and saves nothing — a sent reply does not come back as a draft.
   */
  seen?: number | undefined;
}

/** The agent sent this text (a reply or note, trimmed as a send trims it) after timeline entry `seen`. */
async function sentSince(q: Handle, owner: DraftOwner, seen: number, body: string): Promise<boolean> {
  const t = q.tables.caseEvents;
  const rows = await q.db
    .select({ data: t.data })
    .from(t)
    .where(and(eq(t.caseId, owner.caseId), gt(t.id, seen), eq(t.actorType, 'staff'), eq(t.actorId, owner.staffId), inArray(t.type, ['staff.replied', 'staff.noted'])));
  const text = body.trim();
  return rows.some((r) => typeof r.data.body === 'string' && r.data.body.trim() === text);
}

/**
 * Saves the draft (an empty text deletes it). A text longer than a message may be is refused
 * as a send would be (VALIDATION_FAILED on `body`). Returns the saved draft, or null when
 * there is none now.
 */
export function saveDraft(services: Services, owner: DraftOwner, input: SaveDraftInput): Promise<Draft | null> {
  if (input.body.length > DRAFT_MAX_LENGTH) throw new ValidationError([{ path: 'body', message: 'at most 20,000 characters' }], 'The draft is too long: at most 20,000 characters.');
  const now = services.clock.now();
  return services.store.write(async (q) => {
    const t = q.tables.replyDrafts;
    if (input.body.trim() === '' || (input.seen !== undefined && (await sentSince(q, owner, input.seen, input.body)))) {
      await deleteDraftIn(q, owner, input.kind);
      return null;
    }
    const row = { caseId: owner.caseId, staffId: owner.staffId, kind: input.kind, body: input.body, macroId: input.macroId ?? null, updatedAt: now };
    await q.db
      .insert(t)
      .values(row)
      .onConflictDoUpdate({ target: [t.staffId, t.caseId, t.kind], set: { body: row.body, macroId: row.macroId, updatedAt: now } });
    return { kind: row.kind, body: row.body, macroId: row.macroId, updatedAt: now };
  });
}

async function deleteDraftIn(q: Handle, owner: DraftOwner, kind: DraftKind): Promise<void> {
  const t = q.tables.replyDrafts;
  await q.db.delete(t).where(and(eq(t.caseId, owner.caseId), eq(t.staffId, owner.staffId), eq(t.kind, kind)));
}

/** Deletes the draft of that kind (sent or discarded); nothing when there is none. */
export function deleteDraft(services: Services, owner: DraftOwner, kind: DraftKind): Promise<void> {
  return services.store.write((q) => deleteDraftIn(q, owner, kind));
}

/** Every draft on the cases (their content is being erased): in the caller's transaction. */
export async function eraseDrafts(q: Handle, caseIds: readonly number[]): Promise<number> {
  if (caseIds.length === 0) return 0;
  const t = q.tables.replyDrafts;
  return (await q.db.delete(t).where(inArray(t.caseId, [...caseIds])).returning({ id: t.id })).length;
}
