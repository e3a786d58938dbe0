/** What the case page shows of a chat case's live chat (views/partials/chat-panel.tsx). */
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
}

export function chatPanelData(services: Services, caseId: number): ChatPanelData | null {
  const session = sessionOfCase(services, caseId);
  if (!session) return null;
  const site = services.db.$client.prepare<[string], string>('SELECT name FROM chat_sites WHERE id = ?').pluck().get(session.siteId) ?? session.siteId;
  return { state: session.state, visitor: session.name, email: session.email, verified: session.verified, site, endedBy: session.endedBy, lines: linesAfter(services.db, session.id, 0, 1000) };
}
