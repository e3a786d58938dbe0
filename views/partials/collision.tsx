/**
 * Collision on a case page: who else has it open or is typing, and which colleagues have an
 * unsent reply or note saved on it (the presence panel, renewed by its own poll and by typing
 * in the composer), and the warning a reply or note from a
 * stale view gets — what changed since the page showed the case, the draft kept, and
 * "Send anyway".
 */
import type { PresenceEntry } from '../../src/cases/presence.js';
import type { ColleagueDraft } from '../../src/cases/drafts.js';
import type { CaseChange } from '../../src/cases/stale-view.js';
import { Alert } from '../components.js';

/** The timeline entry the composer's page showed last; the live poll keeps it current. */
export function SeenField({ seen, oob }: { seen: number; oob?: boolean }) {
  return <input type="hidden" name="seen" id="composer-seen" value={String(seen)} hx-swap-oob={oob ? 'true' : undefined} />;
}

/** "Dana has an unsent reply" / "Dana and Bo have unsent internal notes": colleagues' drafts (never their text). */
function draftingText(drafting: readonly ColleagueDraft[]): string[] {
  const lines: string[] = [];
  for (const kind of ['reply', 'note'] as const) {
    const names = [...new Set(drafting.filter((d) => d.kind === kind).map((d) => d.name))];
    if (names.length === 0) continue;
    const what = kind === 'reply' ? (names.length === 1 ? 'an unsent reply' : 'unsent replies') : names.length === 1 ? 'an unsent internal note' : 'unsent internal notes';
    lines.push(`${names.join(', ')} ${names.length === 1 ? 'has' : 'have'} ${what} on this case`);
  }
  return lines;
}

export function PresencePanel({ caseRef, others, drafting = [], pollSeconds, oob }: { caseRef: string; others: PresenceEntry[]; drafting?: readonly ColleagueDraft[]; pollSeconds: number; oob?: boolean }) {
  const typing = others.filter((o) => o.typing);
  const viewing = others.filter((o) => !o.typing);
  const drafts = draftingText(drafting);
  return (
    <form
      id="case-presence"
      class={others.length || drafts.length ? 'presence presence-busy' : 'presence'}
      method="post"
      action={`/cases/${caseRef}/presence`}
      hx-post={`/cases/${caseRef}/presence`}
      hx-trigger={`every ${pollSeconds}s, composer-typing from:body`}
      hx-target="this"
      hx-swap="outerHTML"
      hx-swap-oob={oob ? 'true' : undefined}
      aria-label="Who else is on this case"
    >
      <input type="hidden" name="typing" id="presence-typing" value="0" />
      {others.length === 0 ? (
        <p class="presence-text muted">Nobody else has this case open.</p>
      ) : (
        <p class="presence-text">
          {typing.length ? (
            <span class="presence-typing">
              <strong>{typing.map((o) => o.name).join(', ')}</strong>
              {typing.length === 1 ? ' is typing…' : ' are typing…'}
            </span>
          ) : null}
          {typing.length && viewing.length ? ' · ' : ''}
          {viewing.length ? (
            <span class="presence-viewing">
              <strong>{viewing.map((o) => o.name).join(', ')}</strong>
              {viewing.length === 1 ? ' is viewing' : ' are viewing'}
            </span>
          ) : null}
        </p>
      )}
      {drafts.length ? (
        <p class="presence-text presence-drafting" id="presence-drafting">
          {drafts.join('; ')}.
        </p>
      ) : null}
    </form>
  );
}

/** The composer held a reply or note back: the case changed since the page showed it. */
export function StaleWarning({ changes, then, gone }: { changes: CaseChange[]; then: string; gone?: string | undefined }) {
  return (
    <Alert tone="error" id="composer-stale">
      <p>
        <strong>Not sent yet: the case changed since you opened it.</strong>
      </p>
      <ul class="stale-changes">
        {changes.map((c) => (
          <li>
            <a href={`#event-${c.id}`}>{c.text}</a>
          </li>
        ))}
      </ul>
      <p>Your draft is kept below. Read what changed, then send it again or:</p>
      {gone ? <p id="composer-stale-gone">{gone}</p> : null}
      <input type="hidden" name="confirmedStale" value="1" />
      <div class="composer-buttons">
        <button type="submit" class="button button-primary" id="composer-stale-submit" name="then" value={then}>
          Send anyway
        </button>
      </div>
    </Alert>
  );
}
