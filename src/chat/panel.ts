/** What the case page shows of a chat case's live chat, or of a message left in the chat window (views/partials/chat-panel.tsx). */
import { eq } from 'drizzle-orm';
import { leftMessageIdentity } from '../cases/chat-identity.js';
import type { Handle } from '../db/store/index.js';
import { heldMails } from '../notifications/held-mail.js';
import { templateSpec } from '../notifications/template-catalog.js';
import type { Services } from '../services.js';
import { linesAfter, type ChatLine } from './lines.js';
import { sessionOfCase } from './sessions.js';

export interface ChatPanelData {
  state: 'open' | 'ended';
  visitor: string;
  email: string;
  verified: boolean;
  site: string;
  endedBy: string | null;
  lines: ChatLine[];
  /**
   * Mails held for the agent's confirmation (to an address the visitor only typed): what each
   * is, when, and whether confirming now sends it (`current`; not a status mail the case has moved on from).
   */
  held: { id: number; what: string; to: string; at: number; current: boolean }[];
}

/** A held mail in words: the template's title, or the missed replies. */
function heldWhat(m: { kind: string; template?: string }): string {
  if (m.kind === 'missed-replies') return 'Replies you may have missed (the chat replies the visitor did not see)';
  return `“${(m.template && templateSpec(m.template)?.title) ?? m.template ?? 'Case update'}”`;
}

async function heldOn(q: Handle, services: Services, caseId: number): Promise<ChatPanelData['held']> {
  return (await heldMails(q, services, caseId)).map((m) => ({ id: m.id, what: heldWhat(m), to: m.to, at: m.at, current: m.current }));
}

/** A message left in the chat window when nobody was available (a case answered by mail) whose address is not confirmed. */
export interface LeftMessagePanelData {
  email: string;
  site: string;
  held: ChatPanelData['held'];
}

/** The case's left message while its typed address waits for an agent's confirmation, or null (chat-identity.ts). */
export async function leftMessagePanelData(q: Handle, services: Services, caseId: number): Promise<LeftMessagePanelData | null> {
  const identity = await leftMessageIdentity(q, caseId);
  if (!identity || identity.emailVerified) return null;
  const sites = q.tables.chatSites;
  const [site] = await q.db.select({ name: sites.name }).from(sites).where(eq(sites.id, identity.site)).limit(1);
  return { email: identity.visitorEmail, site: site?.name ?? identity.site, held: await heldOn(q, services, caseId) };
}

export async function chatPanelData(q: Handle, services: Services, caseId: number): Promise<ChatPanelData | null> {
  const session = await sessionOfCase(q, caseId);
  if (!session) return null;
  const sites = q.tables.chatSites;
  const [site] = await q.db.select({ name: sites.name }).from(sites).where(eq(sites.id, session.siteId)).limit(1);
  const lines = await linesAfter(q, session.id, 0, 1000);
  const held = await heldOn(q, services, caseId);
  return { state: session.state, visitor: session.name, email: session.email, verified: session.verified, site: site?.name ?? session.siteId, endedBy: session.endedBy, lines, held };
}
