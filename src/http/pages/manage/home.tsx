/** `GET /manage`: the console's home page, what needs a manager's attention now. */
import { Hono } from 'hono';
import { needsAttention } from '../../../dashboard/attention.js';
import { ManageHomePage } from '../../../../views/pages/manage/home.js';
import type { PageEnv } from '../env.js';
import { sendHtml, viewerOf } from '../render.js';
import { managerOf } from './guard.js';

export function homePages(): Hono<PageEnv> {
  const app = new Hono<PageEnv>();
  app.get('/manage', (c) => {
    managerOf(c);
    const viewer = viewerOf(c)!;
    // the viewer's links: admin-only areas (webhooks) are not offered to managers
    const areas = viewer.manage.filter((l) => l.href !== '/manage');
    return sendHtml(c, <ManageHomePage viewer={viewer} csrfToken={c.get('csrfToken')} attention={needsAttention(c.get('services'))} areas={areas} />);
  });
  return app;
}
