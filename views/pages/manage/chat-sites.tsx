/**
 * Live chat on `/manage/channels`: the sites the widget runs on (a section of the channels
 * page) and one site's page (its settings form, the script tag to paste, the identity secret).
 */
import type { ChatSite } from '../../../src/chat/sites.js';
import type { Viewer } from '../../viewer.js';
import type { FormErrors, FormValues } from '../../components.js';
import { ChannelsFrame } from './channels.js';

export const CHAT_SITES = '/manage/channels/chat-sites';

export interface SiteFormOptions {
  calendars: readonly string[];
  queues: readonly { id: string; name: string }[];
}

function Err({ errors, name }: { errors: FormErrors | undefined; name: string }) {
  const message = errors?.[name];
  return message ? (
    <p class="field-error" id={`${name}-error`}>
      {message}
    </p>
  ) : null;
}

export function SiteForm(p: { action: string; csrfToken: string; values: FormValues; errors?: FormErrors | undefined; options: SiteFormOptions; submit: string }) {
  const v = p.values;
  return (
    <form method="post" action={p.action} class="stack" id="chat-site-form" novalidate>
      <input type="hidden" name="_csrf" value={p.csrfToken} />
      {p.errors?.['(form)'] ? <p class="field-error">{p.errors['(form)']}</p> : null}
      <label for="site-name">Name</label>
      <input id="site-name" name="name" value={v.name ?? ''} required maxlength={100} />
      <Err errors={p.errors} name="name" />
      <label for="site-origins">Websites allowed to show the chat (one origin per line: https://shop.example)</label>
      <textarea id="site-origins" name="origins" rows={3}>
        {v.origins ?? ''}
      </textarea>
      <Err errors={p.errors} name="origins" />
      <label for="site-greeting">Greeting</label>
      <input id="site-greeting" name="greeting" value={v.greeting ?? ''} maxlength={500} />
      <Err errors={p.errors} name="greeting" />
      <label for="site-calendar">Business hours (a calendar of sla.json)</label>
      <select id="site-calendar" name="calendar">
        <option value="" selected={!v.calendar}>
          Always staffed
        </option>
        {p.options.calendars.map((name) => (
          <option value={name} selected={v.calendar === name}>
            {name}
          </option>
        ))}
      </select>
      <Err errors={p.errors} name="calendar" />
      <label for="site-queue">Chats go to the queue</label>
      <select id="site-queue" name="queue">
        {p.options.queues.map((q) => (
          <option value={q.id} selected={v.queue === q.id}>
            {q.name}
          </option>
        ))}
      </select>
      <Err errors={p.errors} name="queue" />
      <label>
        <input type="checkbox" name="active" value="on" checked={v.active !== 'off'} /> Active
      </label>
      <button type="submit" class="button">
        {p.submit}
      </button>
    </form>
  );
}

export function ChatSitesSection(p: { sites: ChatSite[]; admin: boolean; csrfToken: string; form?: { values: FormValues; errors?: FormErrors } | undefined; options: SiteFormOptions }) {
  return (
    <section aria-labelledby="chat-sites-heading" class="panel" id="chat-sites">
      <h2 id="chat-sites-heading">Live chat</h2>
      <p class="muted">Websites that show the chat widget. A chat becomes a case in the site's queue (unless a routing rule picks another); outside the site's hours, or with no agent free, visitors leave a message answered by mail.</p>
      {p.sites.length === 0 ? (
        <p>No chat sites yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Site</th>
              <th scope="col">Websites</th>
              <th scope="col">Hours</th>
              <th scope="col">Queue</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {p.sites.map((s) => (
              <tr>
                <td>
                  <a href={`${CHAT_SITES}/${s.id}`}>{s.name}</a>
                </td>
                <td>{s.allowedOrigins.join(', ')}</td>
                <td>{s.calendar ?? 'always'}</td>
                <td>{s.queueId}</td>
                <td>{s.active ? 'active' : 'inactive'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {p.admin ? (
        <details open={p.form !== undefined}>
          <summary>Add a chat site</summary>
          <SiteForm action={CHAT_SITES} csrfToken={p.csrfToken} values={p.form?.values ?? {}} errors={p.form?.errors} options={p.options} submit="Add chat site" />
        </details>
      ) : null}
    </section>
  );
}

/** The site's secret as admins see it: opened, or why it cannot be (no CHANNELS_KEY, another key, altered). */
export type SecretShown = { value: string } | { problem: string };

export function ChatSitePage(p: { viewer: Viewer; csrfToken: string; site: ChatSite; admin: boolean; secret: SecretShown | null; publicUrl: string; notice: string | null; form?: { values: FormValues; errors?: FormErrors } | undefined; options: SiteFormOptions }) {
  const s = p.site;
  const values: FormValues = p.form?.values ?? { name: s.name, origins: s.allowedOrigins.join('\n'), greeting: s.greeting, calendar: s.calendar ?? '', queue: s.queueId, active: s.active ? 'on' : 'off' };
  const snippet = `<script src="${p.publicUrl}/chat/widget.js" data-site="${s.id}" async></script>`;
  return (
    <ChannelsFrame title={s.name} eyebrow="Live chat" viewer={p.viewer} csrfToken={p.csrfToken} notice={p.notice}>
      <section class="panel" aria-labelledby="embed-heading">
        <h2 id="embed-heading">On the website</h2>
        <p>Paste this before the closing body tag of every page that shows the chat:</p>
        <pre id="chat-snippet">
          <code>{snippet}</code>
        </pre>
        <p class="muted">
          Signed-in users of the website can be identified: its server adds data-user-email, data-user-name and data-user-signature, the hex HMAC-SHA256 of the lower-cased e-mail with this site's secret (docs/chat.md).
        </p>
        {p.admin && p.secret ? (
          <>
            {'value' in p.secret ? (
              <p>
                {'Secret: '}
                <code id="chat-secret">{p.secret.value}</code>
              </p>
            ) : (
              <p class="field-error" id="chat-secret-problem">{`The secret cannot be shown: ${p.secret.problem} Signed identities are not accepted until it can be opened again or is replaced.`}</p>
            )}
            <form method="post" action={`${CHAT_SITES}/${s.id}/secret`}>
              <input type="hidden" name="_csrf" value={p.csrfToken} />
              <button type="submit" class="button button-secondary">
                Replace the secret
              </button>
            </form>
          </>
        ) : null}
      </section>
      <section class="panel" aria-labelledby="site-settings-heading">
        <h2 id="site-settings-heading">Settings</h2>
        {p.admin ? (
          <SiteForm action={`${CHAT_SITES}/${s.id}`} csrfToken={p.csrfToken} values={values} errors={p.form?.errors} options={p.options} submit="Save" />
        ) : (
          <p>{`Websites: ${s.allowedOrigins.join(', ')} · hours: ${s.calendar ?? 'always'} · queue: ${s.queueId} · ${s.active ? 'active' : 'inactive'}`}</p>
        )}
      </section>
    </ChannelsFrame>
  );
}
