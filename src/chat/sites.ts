/**
 * Chat sites: the websites the widget runs on (`/manage/channels`, admins). A site names the
 * origins allowed to embed it, its greeting, the business-hours calendar (from sla.json) it
 * is staffed by, the queue its chats start in, and the secret that signs visitor identities.
 * The secret is sealed with CHANNELS_KEY (src/channels/secrets.ts, bound to the site's id) like
 * mailbox passwords: without the key no site can be added (409 CHANNELS_KEY_MISSING).
 */
import { randomBytes } from 'node:crypto';
import { eq, asc } from 'drizzle-orm';
import { z } from 'zod';
import { randomToken } from '../auth/tokens.js';
import { openSecret, requireChannelsKey, sealSecret } from '../channels/secrets.js';
import type { chatSites } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import { DomainError, ValidationError, type FieldIssue } from '../errors.js';
import { auditIn } from '../audit/record-audit.js';
import { SYSTEM_ACTOR, type Actor } from '../roles.js';
import { queueActiveForUse } from '../team/queue-lock.js';
import type { Services } from '../services.js';

export type ChatSite = typeof chatSites.$inferSelect;

/** `https://shop.example` or `http://localhost:8080`: a scheme, a host and maybe a port, nothing else. */
export function normalizeOrigin(text: string): string | null {
  try {
    const url = new URL(text.trim());
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
    if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) return null;
    return url.origin;
  } catch {
    return null;
  }
}

/**
 * The origins typed one per line (or separated by commas or spaces), and the entries that are
 * none: a line none of whose words is an origin ("not a url") is quoted whole, not word by word.
 */
export function parseOrigins(text: string): { origins: string[]; wrong: string[] } {
  const origins: string[] = [];
  const wrong: string[] = [];
  for (const entry of text.split(/[\n,]+/).map((e) => e.trim()).filter((e) => e !== '')) {
    const words = entry.split(/\s+/);
    const found = words.map(normalizeOrigin);
    if (found.every((o) => o === null)) {
      wrong.push(entry.replace(/\s+/g, ' '));
      continue;
    }
    found.forEach((origin, i) => {
      if (origin === null) wrong.push(words[i]!);
      else if (!origins.includes(origin)) origins.push(origin);
    });
  }
  return { origins, wrong };
}

export const siteSchema = z.object({
  name: z.string().trim().min(1, 'required').max(100, 'at most 100 characters'),
  /** One origin per line (or separated by spaces or commas). */
  origins: z.string().max(4_000, 'too long'),
  greeting: z.string().trim().max(500, 'at most 500 characters').default(''),
  /** A calendar of sla.json; empty: always staffed. */
  calendar: z.string().trim().max(100).default(''),
  queue: z.string().trim().min(1, 'choose a queue').max(100),
  active: z.boolean().default(true),
});
export type SiteInput = z.input<typeof siteSchema>;

/** The input checked; the queue against what is stored (in the change's transaction). */
async function checkSite(q: Handle, services: Services, input: SiteInput): Promise<{ name: string; allowedOrigins: string[]; greeting: string; calendar: string | null; queueId: string; active: boolean }> {
  const parsed = siteSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError(parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })));
  const v = parsed.data;
  const issues: FieldIssue[] = [];
  const { origins, wrong } = parseOrigins(v.origins);
  if (wrong.length > 0) {
    const quoted = wrong.map((w) => `"${w.length > 80 ? `${w.slice(0, 80)}…` : w}"`).join(', ');
    issues.push({ path: 'origins', message: `${quoted} ${wrong.length === 1 ? 'is not an origin' : 'are not origins'} (write https://shop.example, without a path)` });
  }
  if (origins.length === 0 && wrong.length === 0) issues.push({ path: 'origins', message: 'name at least one website origin (https://shop.example)' });
  if (origins.length > 20) issues.push({ path: 'origins', message: 'at most 20 origins' });
  if (v.calendar !== '' && !services.definitions.sla().config.calendar(v.calendar)) {
    issues.push({ path: 'calendar', message: `unknown calendar "${v.calendar}" (sla.json has ${services.definitions.sla().config.calendarNames.join(', ')})` });
  }
  // Locked until the save commits: a deactivation of the queue in progress waits for it (queue-lock.ts).
  if ((await queueActiveForUse(q, v.queue)) !== true) issues.push({ path: 'queue', message: `unknown or inactive queue "${v.queue}"` });
  if (issues.length > 0) throw new ValidationError(issues, 'The chat site has problems.');
  return { name: v.name, allowedOrigins: origins, greeting: v.greeting, calendar: v.calendar === '' ? null : v.calendar, queueId: v.queue, active: v.active };
}

const SECRETS = 'chat site secrets';
/** The associated data a site's secret is sealed with: it opens for this site only. */
const secretAad = (id: string) => `chat-site:${id}:secret`;

/** A new secret for the site, sealed (CHANNELS_KEY_MISSING without the key). */
function newSealedSecret(services: Services, id: string): string {
  return sealSecret(requireChannelsKey(services.channelsKey, SECRETS), randomToken(), secretAad(id));
}

/** The site's identity secret, opened: CHANNELS_KEY_MISSING, or SecretError (another key, altered). */
export function siteSecret(services: Services, site: Pick<ChatSite, 'id' | 'secretSealed'>): string {
  return openSecret(requireChannelsKey(services.channelsKey, SECRETS), site.secretSealed, secretAad(site.id));
}

/** A site as the audit log keeps it: its settings, never its sealed secret. */
function auditedSite(site: ChatSite) {
  return { name: site.name, allowedOrigins: site.allowedOrigins, greeting: site.greeting, calendar: site.calendar, queueId: site.queueId, active: site.active };
}

/** Each change is in the audit log (entity `chatSite`), as mailboxes' are; `actor` is the admin (the demo seed: the system). */
export async function createSite(services: Services, input: SiteInput, actor: Actor = SYSTEM_ACTOR): Promise<ChatSite> {
  requireChannelsKey(services.channelsKey, SECRETS);
  const now = services.clock.now();
  const id = `site_${randomBytes(9).toString('base64url')}`;
  const secretSealed = newSealedSecret(services, id);
  return services.store.write(async (q) => {
    const values = await checkSite(q, services, input);
    const [row] = await q.db.insert(q.tables.chatSites).values({ id, ...values, secretSealed, createdAt: now, updatedAt: now }).returning();
    await auditIn(q, services.clock, actor, 'chatSite', id, 'created', null, auditedSite(row!));
    return row!;
  });
}

export async function updateSite(services: Services, id: string, input: SiteInput, actor: Actor = SYSTEM_ACTOR): Promise<ChatSite> {
  const now = services.clock.now();
  return services.store.write(async (q) => {
    const values = await checkSite(q, services, input);
    const chatSites = q.tables.chatSites;
    const [before] = await q.db.select().from(chatSites).where(eq(chatSites.id, id)).limit(1);
    if (!before) throw new DomainError('NOT_FOUND', 'No such chat site.');
    const [row] = await q.db.update(chatSites).set({ ...values, updatedAt: now }).where(eq(chatSites.id, id)).returning();
    await auditIn(q, services.clock, actor, 'chatSite', id, 'updated', auditedSite(before), auditedSite(row!));
    return row!;
  });
}

/** A new identity secret: tokens signed with the old one stop working at once. */
export async function rotateSiteSecret(services: Services, id: string, actor: Actor = SYSTEM_ACTOR): Promise<ChatSite> {
  const secretSealed = newSealedSecret(services, id);
  const now = services.clock.now();
  return services.store.write(async (q) => {
    const chatSites = q.tables.chatSites;
    const [row] = await q.db.update(chatSites).set({ secretSealed, updatedAt: now }).where(eq(chatSites.id, id)).returning();
    if (!row) throw new DomainError('NOT_FOUND', 'No such chat site.');
    await auditIn(q, services.clock, actor, 'chatSite', id, 'secretRotated', null, { name: row.name });
    return row;
  });
}

export async function getSite(services: Services, id: string): Promise<ChatSite | null> {
  if (!/^site_[A-Za-z0-9_-]{1,40}$/.test(id)) return null;
  const [row] = await services.store.query((q) => q.db.select().from(q.tables.chatSites).where(eq(q.tables.chatSites.id, id)).limit(1));
  return row ?? null;
}

export async function listSites(services: Services): Promise<ChatSite[]> {
  return services.store.query((q) => q.db.select().from(q.tables.chatSites).orderBy(asc(q.tables.chatSites.name)));
}
