/**
 * The manager console under `/manage`: its home page (what needs attention), rules,
 * workflows, SLA, team, reports, mail templates, channels, privacy (customer export and erasure, the audit log), and for admins webhooks and API tokens. Each area is its own router; all of them sit behind
 * `requireManager`.
 */
import { Hono } from 'hono';
import type { NavLink } from '../../../../views/viewer.js';
import type { PageEnv } from '../env.js';
import { channelPages } from './channels.js';
import { requireManager } from './guard.js';
import { homePages } from './home.js';
import { privacyPages } from './privacy.js';
import { reportPages } from './reports.js';
import { rulesPages } from './rules.js';
import { slaPages } from './sla.js';
import { teamPages } from './team.js';
import { templatePages } from './templates.js';
import { tokenPages } from './tokens.js';
import { webhookPages } from './webhooks.js';
import { workflowPages } from './workflows.js';

/** The "Manage" links of the staff navigation, in order. */
export const MANAGE_LINKS: NavLink[] = [
  { href: '/manage', label: 'Overview' },
  { href: '/manage/rules', label: 'Rules' },
  { href: '/manage/workflows', label: 'Workflows' },
  { href: '/manage/sla', label: 'SLA' },
  { href: '/manage/team', label: 'Team' },
  { href: '/manage/channels', label: 'Channels' },
  { href: '/manage/reports', label: 'Reports' },
  { href: '/manage/templates', label: 'Mail templates' },
  { href: '/manage/audit', label: 'Audit log' },
  { href: '/manage/webhooks', label: 'Webhooks', adminOnly: true },
  { href: '/manage/tokens', label: 'API tokens', adminOnly: true },
];

export function managePages(): Hono<PageEnv> {
  const app = new Hono<PageEnv>();
  app.use('/manage', requireManager);
  app.use('/manage/*', requireManager);
  app.route('/', homePages());
  app.route('/', rulesPages());
  app.route('/', workflowPages());
  app.route('/', slaPages());
  app.route('/', teamPages());
  app.route('/', reportPages());
  app.route('/', templatePages());
  app.route('/', channelPages());
  app.route('/', privacyPages());
  app.route('/', webhookPages());
  app.route('/', tokenPages());
  return app;
}
