/**
 * The manager console under `/manage`: rules, workflows, SLA, team, reports. Each area is
 * its own router; all of them sit behind `requireManager`.
 */
import { Hono } from 'hono';
import type { NavLink } from '../../../../views/viewer.js';
import type { PageEnv } from '../env.js';
import { requireManager } from './guard.js';

/** The "Manage" links of the staff navigation, in order. */
export const MANAGE_LINKS: NavLink[] = [];

export function managePages(): Hono<PageEnv> {
  const app = new Hono<PageEnv>();
  app.use('/manage', requireManager);
  app.use('/manage/*', requireManager);
  return app;
}
