/** What the case page shows of a chat case's live chat (views/partials/chat-panel.tsx). */
import { eq } from 'drizzle-orm';
import type { Handle } from '../db/store/index.js';
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
}

export async function chatPanelData(q: Handle, caseId: number): Promise<ChatPanelData | null> {
  const session = await sessionOfCase(q, caseId);
  if (!session) return null;
  const sites = q.tables.chatSites;
  const [site] = await q.db.select({ name: sites.name }).from(sites).where(eq(sites.id, session.siteId)).limit(1);
  const lines = await linesAfter(q, session.id, 0, 1000);
  return { state: session.state, visitor: session.name, email: session.email, verified: session.verified, site: site?.name ?? session.siteId, endedBy: session.endedBy, lines };
}
