/**
 * `/manage`: the manager console's home page. What needs attention first (drafts, failing
 * rules, queues over capacity, today's breaches), then the console's areas.
 */
import type { Child } from 'hono/jsx';
import type { Attention } from '../../../src/dashboard/attention.js';
import type { DefinitionKind } from '../../../src/db/schema/index.js';
import { metricLabel } from '../../../src/http/pages/sla-status.js';
import { Badge, PageHeader, Table, Time } from '../../components.js';
import type { NavLink, Viewer } from '../../viewer.js';
import { ManagePage } from './parts.js';

export const HOME_NAV = '/manage';

const KIND_NAMES: Record<DefinitionKind, string> = { ruleset: 'Ruleset', workflow: 'Workflow', sla: 'SLA configuration' };

export function definitionHref(kind: DefinitionKind, name: string): string {
  if (kind === 'sla') return '/manage/sla';
  return `/manage/${kind === 'ruleset' ? 'rules' : 'workflows'}/${encodeURIComponent(name)}`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function Section(p: { id: string; title: string; count: number; children: Child | Child[]; empty: string }) {
  return (
    <section class="panel attention" id={p.id} aria-labelledby={`${p.id}-heading`}>
      <h2 id={`${p.id}-heading`}>
        {p.title} <Badge tone={p.count > 0 ? 'warning' : 'ok'}>{String(p.count)}</Badge>
      </h2>
      {p.count === 0 ? <p class="muted">{p.empty}</p> : p.children}
    </section>
  );
}

export function ManageHomePage(p: { viewer: Viewer; csrfToken: string; attention: Attention; areas: NavLink[] }) {
  const a = p.attention;
  return (
    <ManagePage title="Manage" viewer={p.viewer} csrfToken={p.csrfToken} current={HOME_NAV}>
      <PageHeader eyebrow="Manage" title="What needs attention" />
      <div class="attention-grid">
        <Section id="attention-drafts" title="Drafts not published" count={a.drafts.length} empty="No drafts waiting: everything saved is in force.">
          <ul class="attention-list">
            {a.drafts.map((d) => (
              <li>
                <a href={definitionHref(d.kind, d.name)}>{`${KIND_NAMES[d.kind]} ${d.kind === 'sla' ? '' : d.name}`.trim()}</a>
                {`: draft v${d.version} by ${d.author}`}
                {d.publishedVersion !== null ? ` (v${d.publishedVersion} in force)` : ' (nothing published yet)'}
                {', saved '}
                <Time at={d.at} />
                {d.note ? <span class="muted">{` — ${d.note}`}</span> : null}
              </li>
            ))}
          </ul>
        </Section>

        <Section id="attention-rules" title="Failing rules (last 7 days)" count={a.failedRules.total} empty="No rule evaluation failed in the last 7 days.">
          <ul class="attention-list">
            {a.failedRules.items.map((f) => (
              <li>
                <a href={`/cases/${f.ref}`}>{f.ref}</a>
                {' '}
                <bdi>{f.subject}</bdi>
                {' — '}
                <strong>{f.ruleset ? `${f.ruleset} ruleset` : 'rules'}</strong>
                {f.event ? ` on ${f.event}` : ''}
                {`: ${f.error} `}
                <span class="muted">
                  <Time at={f.at} />
                </span>
              </li>
            ))}
          </ul>
          {a.failedRules.total > a.failedRules.items.length ? <p class="muted">{`The newest ${a.failedRules.items.length} of ${a.failedRules.total}.`}</p> : null}
        </Section>

        <Section id="attention-queues" title="Queues over capacity" count={a.overloaded.length} empty="Every queue has an available agent with room for its cases.">
          <p class="hint">Waiting: open cases no available member could take (all at capacity, or without a required skill).</p>
          <Table caption="Queues with cases waiting for an agent" captionHidden stack head={['Queue', 'Open', 'Waiting', 'Available agents', 'Free slots']}>
            {a.overloaded.map((q) => (
              <tr>
                <td data-label="Queue">
                  <span>
                    <a href={`/manage/team/queues/${encodeURIComponent(q.id)}`}>{q.name}</a>
                    <span class="muted">{` tier ${q.tier}`}</span>
                  </span>
                </td>
                <td class="num" data-label="Open">
                  {q.open}
                </td>
                <td class="num" data-label="Waiting">
                  <a href={`/inbox?view=all&queue=${encodeURIComponent(q.id)}`}>{q.waiting}</a>
                </td>
                <td class="num" data-label="Available agents">
                  {q.availableAgents}
                </td>
                <td class="num" data-label="Free slots">
                  {q.freeSlots}
                </td>
              </tr>
            ))}
          </Table>
        </Section>

        <Section id="attention-breaches" title="SLA breaches today" count={a.breaches.total} empty={`No SLA breached today (since 00:00 ${a.breaches.zone}).`}>
          <p class="muted">{`Since 00:00 ${a.breaches.zone}; the queue is the one responsible when it breached.`}</p>
          <ul class="attention-list">
            {a.breaches.items.map((b) => (
              <li>
                <a href={`/cases/${b.ref}`}>{b.ref}</a>
                {' '}
                <bdi>{b.subject}</bdi>
                {' — '}
                <strong>{metricLabel(b.metric)}</strong>
                {` in ${b.queue}${b.queueNow !== b.queue ? ` (now in ${b.queueNow})` : ''} `}
                <span class="muted">
                  <Time at={b.at} />
                </span>
              </li>
            ))}
          </ul>
          {a.breaches.total > a.breaches.items.length ? (
            <p class="muted">
              {`The newest ${a.breaches.items.length} of ${plural(a.breaches.total, 'breach', 'breaches')}; `}
              <a href="/manage/reports">the reports</a> have them all.
            </p>
          ) : null}
        </Section>
      </div>

      <nav aria-label="Console areas" class="panel">
        <h2>Console</h2>
        <ul class="area-list">
          {p.areas.map((l) => (
            <li>
              <a href={l.href}>{l.label}</a>
            </li>
          ))}
        </ul>
      </nav>
    </ManagePage>
  );
}
