/**
 * The macro picker inside the staff composer. Without JavaScript: choose a macro, *Insert*
 * posts the composer to the preview, and the page comes back with the macro's reply added to
 * the message and what sending it will change. With htmx only this panel is swapped and
 * public/workspace.js puts the reply where the cursor was; typing `#` in the message opens a
 * list of the macros to pick from by name. *Send with macro* posts the message and the
 * macro's changes together (one transaction); the composer's own *Send* sends the text only.
 * A public reply that would be mailed to an address a chat visitor only typed is held back
 * until the agent confirms it here (`confirmedUnverified`).
 */
import { Button } from '../components.js';

export interface MacroOption {
  id: number;
  name: string;
  shared: boolean;
}

export interface InsertedMacro {
  id: number;
  name: string;
  /** The macro version previewed, and the case version it was previewed on: sending insists on both. */
  version: number;
  caseVersion: number;
  /** What sending with it changes on this case now. */
  changes: string[];
  /** Why sending with it would fail now, if it would. */
  problem: string | null;
  /** The rendered reply, for the script to insert (set on the htmx answer only). */
  insert?: string | undefined;
}

export interface MacroPanelState {
  inserted?: InsertedMacro | null;
  error?: string | null;
  /** Sending held back: the reply would be mailed to this address, which a chat visitor only typed. */
  confirmMailTo?: string | null;
}

export function MacroPicker(p: { caseRef: string; macros: readonly MacroOption[]; state?: MacroPanelState | undefined }) {
  const preview = `/cases/${p.caseRef}/macros/preview`;
  const apply = `/cases/${p.caseRef}/macros/apply`;
  const inserted = p.state?.inserted ?? null;
  const swapPanel = { formaction: preview, formnovalidate: true, 'hx-post': preview, 'hx-target': '#composer-macro', 'hx-swap': 'outerHTML' };
  const own = p.macros.filter((m) => !m.shared);
  const shared = p.macros.filter((m) => m.shared);
  const option = (m: MacroOption) => (
    <option value={String(m.id)} selected={inserted?.id === m.id}>
      {m.name}
    </option>
  );
  if (p.macros.length === 0) {
    return (
      <p class="hint" id="composer-macro">
        No macros yet: <a href="/macros/new">write one</a> to reply in one step.
      </p>
    );
  }
  return (
    <fieldset id="composer-macro" class="macro-picker" data-macro-insert={inserted?.insert}>
      <legend>Macro</legend>
      <div class="macro-choose">
        <label for="composer-macro-select" class="visually-hidden">
          Macro to insert
        </label>
        <select id="composer-macro-select" name="macro" aria-describedby="composer-macro-hint">
          <option value="">Choose a macro…</option>
          {own.length ? <optgroup label="Yours">{own.map(option)}</optgroup> : null}
          {shared.length ? <optgroup label="Shared">{shared.map(option)}</optgroup> : null}
        </select>
        <button type="submit" class="button button-secondary" id="macro-insert" {...swapPanel}>
          Insert
        </button>
      </div>
      <p class="hint" id="composer-macro-hint">
        Or type <kbd>#</kbd> in the message to pick a macro by name.
      </p>
      {p.state?.error ? (
        <p class="field-error" role="alert" id="macro-error">
          {p.state.error}
        </p>
      ) : null}
      {inserted ? (
        <div class="macro-inserted" id="macro-inserted" role="status">
          <input type="hidden" name="appliedMacro" value={String(inserted.id)} />
          <input type="hidden" name="macroVersion" value={String(inserted.version)} />
          <input type="hidden" name="caseVersion" value={String(inserted.caseVersion)} />
          <p>
            <strong>{`“${inserted.name}” is in your message.`}</strong>{' '}
            {inserted.changes.length ? 'Sending with it also changes:' : 'It changes nothing else on this case.'}
          </p>
          {inserted.changes.length ? (
            <ul class="macro-changes" id="macro-changes">
              {inserted.changes.map((c) => (
                <li>{c}</li>
              ))}
            </ul>
          ) : null}
          {inserted.problem ? (
            <p class="field-error" id="macro-problem">
              {`Sending with it would fail now: ${inserted.problem}`}
            </p>
          ) : null}
          {p.state?.confirmMailTo ? (
            <div class="alert alert-info" role="alert" id="macro-confirm">
              <p>
                <strong>{`This reply will be e-mailed to ${p.state.confirmMailTo}, an address the chat visitor typed and did not verify: whoever reads it may not be the person who chatted. Send it there?`}</strong>
              </p>
              <input type="hidden" name="confirmedUnverified" value="1" />
            </div>
          ) : null}
          <div class="button-row">
            <Button id="macro-send" attrs={{ formaction: apply, formnovalidate: 'formnovalidate', 'hx-post': apply }}>
              {p.state?.confirmMailTo ? `Yes, e-mail it to ${p.state.confirmMailTo} with the macro` : 'Send with macro'}
            </Button>
            <button type="submit" class="button button-link" id="macro-remove" name="clear" value="1" {...swapPanel}>
              Remove macro
            </button>
          </div>
          <p class="hint">Edit the text as you like. The composer’s Send button sends the text alone, without these changes.</p>
        </div>
      ) : null}
    </fieldset>
  );
}
