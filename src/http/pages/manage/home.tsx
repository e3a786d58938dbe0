/** `GET /manage`: the console's home page, what needs a manager's attention now. */
import { Hono } from 'hono';
import { needsAttention } from '../../../dashboard/attention.js';
import { ManageHomePage } from '../../../../views/pages/manage/home.js';
import type { PageEnv } from '../env.js';
import { sendHtml, timeSettingsOf, viewerOf } from '../render.js';
import { managerOf } from './guard.js';

export function homePages(): Hono<PageEnv> {
  const app = new Hono<PageEnv>();
  app.get('/manage', async (c) => {
    managerOf(c);
    const viewer = viewerOf(c)!;
    // The navigation's links, already narrowed to the viewer's role (Webhooks is for admins).
    const areas = viewer.manage.filter((l) => l.href !== '/manage');
    // "Today" is the viewer's day, in the zone the page shows its times in.
    const attention = await needsAttention(c.get('services'), timeSettingsOf(c).zone);
    return sendHtml(c, <ManageHomePage viewer={viewer} csrfToken={c.get('csrfToken')} attention={attention} areas={areas} />);
  });
  return app;
}
