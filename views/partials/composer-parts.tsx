/**
 * Parts of the staff composer (the form itself is `Composer` in case-forms.tsx):
 *
 * - the mode switch: two radio buttons styled as tabs, "Reply to customer" and "Internal
 *   note". The form's look follows the checked one in CSS alone (`:has()`), so it works
 *   without JavaScript: a note is amber with a dashed border and says "Internal note —
 *   customers never see this"; the server also renders the class of the mode it was sent in;
 * - the send buttons: "Send" and one "Send and …" per transition the workflow lets the viewer
 *   use now and the composer can fill in (none needing a reason; one needing a solution only
 *   for a public reply, which becomes the solution). Their box `#composer-actions` is
 *   refreshed by the live poll when the transitions change, without touching the text;
 * - the confirmation asked before a public reply that follows an internal note, or that would
 *   be mailed to an address a chat visitor only typed (one prompt for both);
 * - mentions: who may be mentioned, and (htmx) who the text will notify.
 */
import type { Colleague, ResolvedMentions } from '../../src/cases/mentions.js';
import type { AvailableTransition } from '../../src/workflow/transition.js';
import { Alert, Time } from '../components.js';

export type ComposerMode = 'public' | 'note';

export function ModeTabs({ mode }: { mode: ComposerMode }) {
  return (
    <fieldset class="composer-modes">
      <legend class="visually-hidden">Send as</legend>
      <input type="radio" class="mode-radio" id="composer-visibility-public" name="visibility" value="public" checked={mode === 'public'} />
      <label class="mode-tab" for="composer-visibility-public">
        Reply to customer
      </label>
      <input type="radio" class="mode-radio" id="composer-visibility-internal" name="visibility" value="internal" checked={mode === 'note'} />
      <label class="mode-tab mode-tab-note" for="composer-visibility-internal">
        Internal note
      </label>
    </fieldset>
  );
}

/** `chat`: a chat case, whose public replies go to the live chat while it is open (mailed once it ended). */
export function ModeBanner({ chat }: { chat?: boolean }) {
  return (
    <>
      <p class="mode-banner mode-banner-public when-public">
        {chat ? 'Public reply: the customer sees it in the live chat while it is open, by email once it ended.' : 'Public reply: the customer sees it and gets it by email.'}
      </p>
      <p class="mode-banner mode-banner-note when-note">
        <strong>Internal note</strong> — customers never see this. Mention a colleague with @ to notify them.
      </p>
    </>
  );
}

/** `Wait on customer` → `wait on customer` (an acronym such as `SLA` stays as it is). */
function lowerFirst(label: string): string {
  return /^\p{Lu}\p{Ll}/u.test(label) ? label[0]!.toLowerCase() + label.slice(1) : label;
}

/** The transitions the composer offers: none that needs a reason or a note (they have their own form). */
export function composerTransitions(transitions: readonly AvailableTransition[]): AvailableTransition[] {
  return transitions.filter((t) => t.requires.every((field) => field === 'solution'));
}

export function ComposerActions({ transitions, oob }: { transitions: readonly AvailableTransition[]; oob?: boolean }) {
  const offered = composerTransitions(transitions);
  const solutions = offered.filter((t) => t.requires.includes('solution'));
  return (
    <div id="composer-actions" class="composer-actions" hx-swap-oob={oob ? 'true' : undefined}>
      <div class="composer-buttons">
        <button type="submit" class="button button-primary" id="composer-submit" name="then" value="">
          <span class="when-public">Send</span>
          <span class="when-note">Add note</span>
        </button>
        {offered.map((t) => (
          <button
            type="submit"
            class={`button button-secondary${t.requires.includes('solution') ? ' when-public' : ''}`}
            id={`composer-then-${t.name}`}
            name="then"
            value={t.name}
          >
            {/* One flex item: the words wrap as a sentence, not as separate boxes. */}
            <span>
              <span class="when-public">Send</span>
              <span class="when-note">Add note</span>
              {` and ${lowerFirst(t.label)}`}
            </span>
          </button>
        ))}
      </div>
      {solutions.length > 0 ? (
        <p class="hint when-public">{`${solutions.map((t) => `“Send and ${lowerFirst(t.label)}”`).join(', ')} records your reply as the solution.`}</p>
      ) : null}
    </div>
  );
}

/**
 * What the server asks before a public reply goes out (so without JavaScript too): `note`, the
 * last entry was an internal note (the reply may be a note sent in the wrong mode); `mailTo`,
 * the reply would be mailed to an address a chat visitor only typed. Both at once are asked
 * together, and confirming sends: the hidden fields say yes to each reason named.
 */
export interface ReplyConfirm {
  /** The button that was used (`then`), and its transition's label. */
  then: string;
  label: string | null;
  note: boolean;
  mailTo: string | null;
}

export function ReplyConfirmation({ confirm }: { confirm: ReplyConfirm }) {
  const { then, label, note, mailTo } = confirm;
  const noteText = 'Your last entry was an internal note.';
  const mailText = mailTo && `This reply will be e-mailed to ${mailTo}, an address the chat visitor typed and did not verify: whoever reads it may not be the person who chatted.`;
  const send = mailTo ? `Yes, e-mail it to ${mailTo}` : 'Yes, send it to the customer';
  return (
    <Alert tone="info" id="composer-confirm">
      {note && mailText ? (
        <>
          <p>
            <strong>Before this reply goes out:</strong>
          </p>
          <ul id="composer-confirm-reasons">
            <li>{noteText}</li>
            <li>{mailText}</li>
          </ul>
          <p>
            <strong>Send it anyway?</strong>
          </p>
        </>
      ) : note ? (
        <p>
          <strong>{`${noteText} Send this reply to the customer?`}</strong>
        </p>
      ) : (
        <p>
          <strong>{`${mailText} Send it there?`}</strong>
        </p>
      )}
      {note ? <input type="hidden" name="confirmed" value="1" /> : null}
      {mailTo ? <input type="hidden" name="confirmedUnverified" value="1" /> : null}
      <div class="composer-buttons">
        <button type="submit" class="button button-primary" id="composer-confirm-submit" name="then" value={then}>
          {label ? `${send} and ${lowerFirst(label)}` : send}
        </button>
      </div>
      <p class="hint">{note ? 'Or choose “Internal note” above to keep it for the team.' : 'Or choose “Internal note” above to keep it for the team, or change the text first.'}</p>
    </Alert>
  );
}

/** Who a note may mention (colleagues who may see the case, with what to type), and the htmx preview's place. */
export function MentionHelp({ colleagues, ref }: { colleagues: readonly Pick<Colleague, 'handle' | 'name'>[]; ref: string }) {
  return (
    <>
      <div id="composer-mentions" class="mention-preview" aria-live="polite"></div>
      {colleagues.length > 0 ? (
        <details class="mention-list when-note">
          <summary>{`Colleagues you can mention (${colleagues.length})`}</summary>
          <ul class="plain-list">
            {colleagues.map((m) => (
              <li>
                <code>{`@${m.handle}`}</code>
                {` ${m.name}`}
              </li>
            ))}
          </ul>
        </details>
      ) : (
        <p class="hint when-note">{`Nobody else may see ${ref}: there is no one to mention.`}</p>
      )}
    </>
  );
}

/** The htmx preview under the text: who the mentions in it will notify, or why not. */
export function MentionPreview({ found, isPublic }: { found: ResolvedMentions; isPublic: boolean }) {
  const named = [...found.notified, ...found.cannotSee];
  const unmatched = found.unknown;
  return (
    <div id="composer-mentions" class="mention-preview" aria-live="polite">
      {isPublic && named.length > 0 ? <p class="field-error">Mentions notify only from an internal note; in a reply the customer reads them as text.</p> : null}
      {!isPublic && found.notified.length > 0 ? <p>{`Will notify: ${found.notified.map((m) => m.name).join(', ')}`}</p> : null}
      {!isPublic && found.cannotSee.length > 0 ? <p class="field-error">{`Cannot see this case, not notified: ${found.cannotSee.map((m) => m.name).join(', ')}`}</p> : null}
      {!isPublic && unmatched.length > 0 ? <p class="muted">{`No colleague called ${unmatched.map((h) => `@${h}`).join(', ')}`}</p> : null}
    </div>
  );
}

/**
 * The viewer's drafts as the composer shows them (src/cases/drafts.ts): `mode`, whose draft
 * the message field holds (sent back as `draftMode`, so a save or a send knows which draft the
 * text came from); each saved draft's text and time; `error`, a save that was refused.
 */
export interface ComposerDrafts {
  mode: ComposerMode;
  public?: { body: string; updatedAt: number } | undefined;
  note?: { body: string; updatedAt: number } | undefined;
  error?: string | undefined;
}

const MODE_NAMES: Record<ComposerMode, string> = { public: 'reply', note: 'internal note' };

/** The draft's line under the message: saved when, the other mode's draft, *Save draft* and *Discard draft* (plain forms too). */
export function DraftStatus({ caseRef, drafts }: { caseRef: string; drafts: ComposerDrafts }) {
  const url = `/cases/${caseRef}/draft`;
  const current = drafts[drafts.mode];
  const otherMode: ComposerMode = drafts.mode === 'note' ? 'public' : 'note';
  const other = drafts[otherMode];
  const swap = { formaction: url, formnovalidate: true, 'hx-post': url, 'hx-target': '#composer-draft', 'hx-swap': 'outerHTML', 'hx-include': DRAFT_FIELDS, 'hx-params': 'not files' };
  return (
    <div id="composer-draft" class="draft-status" aria-live="polite">
      {drafts.error ? (
        <p class="field-error" role="alert" id="composer-draft-error">{`Draft not saved: ${drafts.error}`}</p>
      ) : current ? (
        <p class="muted" id="composer-draft-saved">
          {`Draft ${MODE_NAMES[drafts.mode]} saved `}
          <Time at={current.updatedAt} short />
          {' — only you see it.'}
        </p>
      ) : null}
      {other ? (
        <p class="hint" id="composer-draft-other">
          {`You also have an unsent ${MODE_NAMES[otherMode]} on this case (saved `}
          <Time at={other.updatedAt} short />
          {'). '}
          <a href={`/cases/${caseRef}${otherMode === 'note' ? '?mode=note' : '?mode=public'}`}>Open it</a>
        </p>
      ) : null}
      <div class="composer-buttons">
        <button type="submit" class="button button-secondary" id="composer-draft-save" name="draft" value="save" {...swap}>
          Save draft
        </button>
        {current ? (
          <button type="submit" class="button button-link" id="composer-draft-discard" name="draft" value="discard" {...swap} hx-target="#composer" hx-include={`${DRAFT_FIELDS}, #composer [name='seen']`}>
            Discard draft
          </button>
        ) : null}
      </div>
    </div>
  );
}

/** What a draft save sends besides the form (`hx-params` leaves the files out: a draft keeps no attachments). */
export const DRAFT_FIELDS = "#composer-body, #composer [name='visibility'], #composer [name='draftMode'], #composer [name='appliedMacro']";

/**
 * htmx: saves the draft a second after typing stops (a mode switch saves too: workspace.js); a send from
 * the form aborts a save still on its way (`hx-sync`), so a sent message is not saved again.
 * `draftMode` says whose draft the message holds; the drafts' texts by mode (no name: never
 * posted) let public/workspace.js swap the message when the mode changes: a reply and a note
 * are drafted separately.
 */
export function DraftAutosave({ caseRef, drafts }: { caseRef: string; drafts: ComposerDrafts }) {
  return (
    <>
      <span
        hidden
        id="composer-autosave"
        hx-post={`/cases/${caseRef}/draft`}
        hx-trigger="input changed delay:1s from:#composer-body"
        hx-include={DRAFT_FIELDS}
        hx-target="#composer-draft"
        hx-swap="outerHTML"
        hx-sync="closest form:abort"
        hx-params="not files"
      ></span>
      {/* What workspace.js saves through when the mode is switched (the text of the mode left, then the drafts line). */}
      <span hidden id="composer-draft-switch" hx-post={`/cases/${caseRef}/draft`} hx-trigger="never" hx-params="not files"></span>
      {/* Set here and by workspace.js alone: a save's answer (the drafts line) arriving late never changes it. */}
      <input type="hidden" name="draftMode" id="composer-draft-mode" value={drafts.mode === 'note' ? 'internal' : 'public'} />
      <input type="hidden" id="composer-draft-public" value={drafts.public?.body ?? ''} />
      <input type="hidden" id="composer-draft-internal" value={drafts.note?.body ?? ''} />
    </>
  );
}
