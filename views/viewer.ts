/** What the layout needs to know about the person looking at a page. */
import type { InboxCounts, InboxView } from '../src/cases/inbox.js';
import type { Role } from '../src/roles.js';

export interface NavLink {
  href: string;
  label: string;
  /** Shown to admins only. */
  adminOnly?: boolean;
}

export interface StaffNav {
  /** Read when the sidebar renders (the availability switch is an async component), like `counts`. */
  available: () => Promise<boolean>;
  views: InboxView[];
  /** Read when the sidebar renders (an async component): a page that shows no sidebar reads none. */
  counts: () => Promise<InboxCounts>;
}

export interface Viewer {
  kind: 'staff' | 'customer';
  name: string;
  role: Role;
  staff: StaffNav | null;
  /** The zone chosen or reported by the browser; null: not yet (the page script sends the browser's). */
  timeZone?: string | null;
  /** Links of the "Manage" section (managers and admins); empty hides the section. */
  manage: NavLink[];
}

export const VIEW_LABELS: Record<InboxView, string> = {
  mine: 'Mine',
  queues: 'My queues (unassigned)',
  breaching: 'Breaching soon',
  all: 'All open',
};

export function viewLabel(view: InboxView, role: Role): string {
  if (view === 'queues' && (role === 'manager' || role === 'admin')) return 'Unassigned';
  return VIEW_LABELS[view];
}
