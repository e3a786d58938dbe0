/**
 * Page helpers for `app.request()` tests: a browser-like client with a cookie jar, the
 * CSRF token of its session, and form posts (plain or htmx).
 */
import { eq } from 'drizzle-orm';
import { hashPassword } from '../../src/auth/password.js';
import { newSessionRow } from '../../src/auth/sessions.js';
import { sessions } from '../../src/db/schema/index.js';
import type { Harness } from './harness.js';

export interface RequestOptions {
  htmx?: boolean;
  headers?: Record<string, string>;
}

export interface PostOptions extends RequestOptions {
  /** The CSRF token to send in the form; false sends none. Default: the client's token. */
  csrf?: string | false;
  /** Send the token as X-CSRF-Token (as htmx does) instead of a form field. */
  csrfHeader?: boolean;
  origin?: string;
}

/** A file for a multipart form post. */
export interface UploadFile {
  name: string;
  type?: string;
  content: string | Uint8Array;
}

export interface PageClient {
  csrf: string;
  cookies: Map<string, string>;
  /** Resolves once the client's session is written (at once on SQLite; the requests wait for it anyway). */
  ready: Promise<unknown>;
  get(url: string, options?: RequestOptions): Promise<Response>;
  /** A form post; pairs keep repeated names (checkbox groups) and their order. */
  post(url: string, form?: Record<string, string> | [string, string][], options?: PostOptions): Promise<Response>;
  /** A multipart/form-data post (as a browser sends a form with a file field), files under `files`. */
  upload(url: string, form: Record<string, string>, files: UploadFile[], options?: PostOptions): Promise<Response>;
}

const BASE = 'http://localhost';

/** `ready`: what must be written before the client's first request (its session row, on PostgreSQL). */
function client(h: Harness, csrf: string, cookies: Map<string, string>, ready: Promise<unknown> = Promise.resolve()): PageClient {
  const headersFor = (options: RequestOptions = {}) => {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (cookies.size > 0) headers.Cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (options.htmx) headers['HX-Request'] = 'true';
    return headers;
  };
  const remember = (res: Response) => {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const index = pair!.indexOf('=');
      const name = pair!.slice(0, index);
      const value = pair!.slice(index + 1);
      if (value === '' || /max-age=0/i.test(line)) cookies.delete(name);
      else cookies.set(name, value);
    }
    return res;
  };
  const self: PageClient = {
    csrf,
    cookies,
    ready,
    async get(url, options) {
      await ready;
      return remember(await h.app.request(`${BASE}${url}`, { headers: headersFor(options) }));
    },
    async post(url, form = {}, options = {}) {
      await ready;
      const headers = headersFor(options);
      const token = options.csrf === undefined ? self.csrf : options.csrf;
      const body = new URLSearchParams(form);
      if (token !== false) {
        if (options.csrfHeader) headers['X-CSRF-Token'] = token;
        else body.set('_csrf', token);
      }
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      if (options.origin) headers.Origin = options.origin;
      return remember(await h.app.request(`${BASE}${url}`, { method: 'POST', headers, body: body.toString() }));
    },
    async upload(url, form, files, options = {}) {
      await ready;
      const headers = headersFor(options);
      const token = options.csrf === undefined ? self.csrf : options.csrf;
      const body = new FormData();
      for (const [key, value] of Object.entries(form)) body.append(key, value);
      if (token !== false) {
        if (options.csrfHeader) headers['X-CSRF-Token'] = token;
        else body.append('_csrf', token);
      }
      for (const f of files) body.append('files', new File([typeof f.content === 'string' ? f.content : new Uint8Array(f.content)], f.name, { type: f.type ?? 'application/octet-stream' }));
      if (options.origin) headers.Origin = options.origin;
      // No Content-Type: the request sets multipart/form-data with its boundary.
      return remember(await h.app.request(`${BASE}${url}`, { method: 'POST', headers, body }));
    },
  };
  return self;
}

/**
 * A client signed in as `actor` (a session created directly, no password needed). Synchronous:
 * on SQLite the row (newSessionRow's) goes straight into the harness's file; on PostgreSQL it is
 * written through the services' store (after the fixtures queued so far) and the client's
 * requests wait for it. After moveToPostgres sign in before moving, or through the sign-in page.
 */
export function signedIn(h: Harness, actor: { type: 'staff' | 'customer' | 'system'; id: number | null }): PageClient {
  if (actor.type === 'system' || actor.id === null) throw new Error('pages need a staff member or a customer');
  const { session, row } = newSessionRow({ type: actor.type, id: actor.id }, h.clock.now());
  const cookies = new Map([['casebook_session', session.id]]);
  if (h.dialect === 'sqlite') {
    h.db.insert(sessions).values(row).run();
    return client(h, session.csrfToken, cookies);
  }
  const ready = h.services.store.write((q) => q.db.insert(q.tables.sessions).values(row));
  ready.catch(() => undefined); // a client never used leaves no unhandled rejection; a used one fails with it
  return client(h, session.csrfToken, cookies, ready);
}

/** A visitor who is not signed in; `start()` loads the sign-in page to get a CSRF cookie. */
export function visitor(h: Harness): PageClient & { start(): Promise<void> } {
  const c = client(h, '', new Map());
  return Object.assign(c, {
    async start() {
      const res = await c.get('/login');
      c.csrf = csrfFrom(await res.text());
    },
  });
}

/** The CSRF token embedded in a page's forms. */
export function csrfFrom(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no CSRF field on the page');
  return match[1]!;
}

/** Gives a staff member or customer a password (for sign-in tests). */
export async function setPassword(h: Harness, actor: { type: 'staff' | 'customer' | 'system'; id: number | null }, password: string): Promise<void> {
  if (actor.type === 'system' || actor.id === null) throw new Error('only staff and customers have passwords');
  const passwordHash = await hashPassword(password);
  const id = actor.id;
  await h.services.store.write(async (q) => {
    const { staff, customers } = q.tables;
    if (actor.type === 'staff') await q.db.update(staff).set({ passwordHash }).where(eq(staff.id, id));
    else await q.db.update(customers).set({ passwordHash }).where(eq(customers.id, id));
  });
}
