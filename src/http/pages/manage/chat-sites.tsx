/**
 * Live chat sites on the console (managers read, admins change):
 *
 *   POST /manage/channels/chat-sites              add a site (422: the channels page with the form's errors)
 *   GET  /manage/channels/chat-sites/:id          the site: embed snippet, secret (admins: opened here only), settings
 *   POST /manage/channels/chat-sites/:id          change it
 *   POST /manage/channels/chat-sites/:id/secret   replace the identity secret
 */
import { asc, eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { createSite, getSite, listSites, rotateSiteSecret, siteSecret, updateSite, type ChatSite, type SiteInput } from '../../../chat/sites.js';
import { SecretError } from '../../../channels/secrets.js';
import type { Actor } from '../../../roles.js';
import { DomainError, ValidationError } from '../../../errors.js';
import type { Services } from '../../../services.js';
import type { FormValues } from '../../../../views/components.js';
import { CHAT_SITES, ChatSitePage, ChatSitesSection, type SecretShown, type SiteFormOptions } from '../../../../views/pages/manage/chat-sites.js';
import type { PageContext, PageEnv } from '../env.js';
import { errorsFrom, readForm } from '../forms.js';
import { redirectTo, sendHtml, viewerOf } from '../render.js';
import { managerOf } from './guard.js';

export async function siteFormOptions(services: Services): Promise<SiteFormOptions> {
  const active = await services.store.query((q) => {
    const queues = q.tables.queues;
    return q.db.select({ id: queues.id, name: queues.name }).from(queues).where(eq(queues.active, true)).orderBy(asc(queues.name));
  });
  return { calendars: services.definitions.sla().config.calendarNames, queues: active };
}

/** The section of `/manage/channels` (with the add form's values and errors after a refused add). */
export async function chatSitesSection(c: PageContext, form?: { values: FormValues; errors: Record<string, string> }) {
  const services = c.get('services');
  return <ChatSitesSection sites={await listSites(services)} admin={managerOf(c).actor.role === 'admin'} csrfToken={c.get('csrfToken')} form={form} options={await siteFormOptions(services)} />;
}

/** The admin making the change (for the audit log); others are refused. */
function adminOnly(c: PageContext): Actor {
  const { actor } = managerOf(c);
  if (actor.role !== 'admin') throw new DomainError('FORBIDDEN', 'Only admins manage chat sites.');
  return actor;
}

const inputOf = (v: FormValues): SiteInput => ({ name: v.name ?? '', origins: v.origins ?? '', greeting: v.greeting ?? '', calendar: v.calendar ?? '', queue: v.queue ?? '', active: v.active === 'on' });

/** The secret for an admin's eyes: opened here only, or the reason it cannot be. */
function shownSecret(services: Services, site: ChatSite): SecretShown {
  try {
    return { value: siteSecret(services, site) };
  } catch (error) {
    if (error instanceof DomainError || error instanceof SecretError) return { problem: error.message };
    throw error;
  }
}

/** No CHANNELS_KEY: the add form says so (nothing is stored). */
function keyRefusal(error: unknown): unknown {
  return error instanceof DomainError && error.code === 'CHANNELS_KEY_MISSING' ? new ValidationError([{ path: '', message: error.message }], error.message) : error;
}

async function sitePage(c: PageContext, id: string, form?: { values: FormValues; errors: Record<string, string> }, status: 200 | 422 = 200) {
  const services = c.get('services');
  const site = await getSite(services, id);
  if (!site) throw new DomainError('NOT_FOUND', 'No such chat site.');
  const admin = managerOf(c).actor.role === 'admin';
  const notice = c.req.query('done') === 'saved' ? 'Saved.' : c.req.query('done') === 'secret' ? 'New secret: update the website’s server before its old signatures stop working.' : null;
  return sendHtml(
    c,
    <ChatSitePage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} site={site} admin={admin} secret={admin ? shownSecret(services, site) : null} publicUrl={services.publicUrl} notice={notice} form={form} options={await siteFormOptions(services)} />,
    status,
  );
}

export function chatSitePages(renderChannels: (c: PageContext, chat: Awaited<ReturnType<typeof chatSitesSection>>, status: 422) => Response | Promise<Response>): Hono<PageEnv> {
  const app = new Hono<PageEnv>();
  app.post(CHAT_SITES, async (c) => {
    const admin = adminOnly(c);
    const values = await readForm(c);
    try {
      const site = await createSite(c.get('services'), inputOf(values), admin);
      return redirectTo(c, `${CHAT_SITES}/${site.id}`);
    } catch (thrown) {
      const error = keyRefusal(thrown);
      if (!(error instanceof ValidationError)) throw error;
      return renderChannels(c, await chatSitesSection(c, { values, errors: errorsFrom(error.issues) }), 422);
    }
  });
  app.get(`${CHAT_SITES}/:id`, (c) => {
    managerOf(c);
    return sitePage(c, c.req.param('id'));
  });
  app.post(`${CHAT_SITES}/:id`, async (c) => {
    const admin = adminOnly(c);
    const values = await readForm(c);
    try {
      await updateSite(c.get('services'), c.req.param('id'), inputOf(values), admin);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return sitePage(c, c.req.param('id'), { values: { ...values, active: values.active ?? 'off' }, errors: errorsFrom(error.issues) }, 422);
    }
    return redirectTo(c, `${CHAT_SITES}/${c.req.param('id')}?done=saved`);
  });
  app.post(`${CHAT_SITES}/:id/secret`, async (c) => {
    const admin = adminOnly(c);
    await rotateSiteSecret(c.get('services'), c.req.param('id'), admin);
    return redirectTo(c, `${CHAT_SITES}/${c.req.param('id')}?done=secret`);
  });
  return app;
}
