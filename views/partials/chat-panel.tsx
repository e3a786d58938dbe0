/**
 * The live chat on a chat case's page (staff): who is chatting, the chat's lines, the
 * visitor's typing, and "End chat". public/chat-agent.js streams new lines and typing into
 * it from `/cases/:id/chat/stream`; the reply itself is the page's normal composer.
 */
import type { ChatPanelData, LeftMessagePanelData } from '../../src/chat/panel.js';
import { Badge } from '../components.js';
import { Time } from '../time.js';
const plural = (n: number, one: string, many: string) => (n === 1 ? one : many);

/**
 * The mails held for the typed address and the agent's confirmation. A status mail the case has
 * moved on from (`current: false`) is listed as not to be sent, and the button says what the
 * confirmation really sends (src/notifications/held-mail.ts decides both, as the release does);
 * with nothing current left it only confirms the address, which clears the list.
 */
function HeldMail(p: { caseRef: string; held: ChatPanelData['held']; csrfToken: string; typedBy?: string }) {
  const to = p.held[0]!.to;
  const current = p.held.filter((m) => m.current).length;
  const stale = p.held.length - current;
  const heading =
    current > 0
      ? `${current === 1 ? 'A mail is' : `${current} mails are`} held: not sent to ${to} until you confirm that address.`
      : `Nothing held is left to send to ${to}: the case has moved on since ${plural(stale, 'that mail was', 'those mails were')} held.`;
  const button =
    current === 0
      ? `Confirm ${to} (nothing is e-mailed)`
      : stale === 0
        ? `Yes, e-mail ${plural(current, 'it', 'them')} to ${to}`
        : `Yes, e-mail the ${current} current ${plural(current, 'message', 'messages')} to ${to}`;
  return (
    <div class="alert alert-info" role="alert" id="chat-held-mail">
      <p>
        <strong>{heading}</strong>
        {current > 0 ? ` ${p.typedBy ?? 'The chat visitor typed it and did not verify it; whoever reads it may not be the person who chatted.'}` : ' Confirming the address clears this list.'}
      </p>
      <ul>
        {p.held.map((m) => (
          <li class={m.current ? undefined : 'muted'}>
            {`${m.what}, held `}
            <Time at={m.at} short />
            {m.current ? '' : ' — will not be sent: the case has moved on'}
          </li>
        ))}
      </ul>
      <form method="post" action={`/cases/${p.caseRef}/chat/held-mail`} hx-boost="false">
        <input type="hidden" name="_csrf" value={p.csrfToken} />
        <button type="submit" class="button" id="chat-held-send">
          {button}
        </button>
      </form>
    </div>
  );
}

/**
 * A message left in the chat window when nobody was available, its typed address not confirmed
 * yet: the warning, the held mails (the acknowledgement first) and the confirmation. Replies are
 * asked about in the composer, as for a chat with a typed address.
 */
export function LeftMessagePanel(p: { caseRef: string; left: LeftMessagePanelData; csrfToken: string; oob?: boolean }) {
  const { left } = p;
  return (
    <section class="panel chat-panel" id="left-message-panel" aria-labelledby="left-message-heading" hx-swap-oob={p.oob ? 'true' : undefined}>
      <div class="section-head">
        <h2 id="left-message-heading">Message left in the chat</h2>
        <span class="muted">{`<${left.email}> · ${left.site}`}</span>
        <Badge tone="warning" title="The visitor typed this address; nobody confirmed it">
          e-mail not verified
        </Badge>
      </div>
      <p class="hint" id="chat-unverified">
        {`Anyone can type ${left.email} into the chat window: whoever left this message may not be that customer, and mail to that address may reach someone who never wrote. Nothing Casebook sends by itself goes there until you confirm the address; don’t tell them about the customer’s other cases or account.`}
      </p>
      {left.held.length > 0 ? (
        <HeldMail caseRef={p.caseRef} held={left.held} csrfToken={p.csrfToken} typedBy="The visitor who left the message typed it and did not verify it; whoever reads it may not be the person who wrote." />
      ) : (
        <form method="post" action={`/cases/${p.caseRef}/chat/held-mail`} hx-boost="false">
          <input type="hidden" name="_csrf" value={p.csrfToken} />
          <button type="submit" class="button button-secondary" id="chat-held-send">
            {`Confirm ${left.email} (nothing is e-mailed)`}
          </button>
        </form>
      )}
    </section>
  );
}

/** `oob`: sent by the live poll when the chat ended or a new one started (the page's actions changed). */
export function ChatPanel(p: { caseRef: string; chat: ChatPanelData; csrfToken: string; oob?: boolean }) {
  const { chat } = p;
  const last = chat.lines.at(-1)?.seq ?? 0;
  return (
    <section
      class="panel chat-panel"
      id="chat-panel"
      aria-labelledby="chat-panel-heading"
      data-stream={chat.state === 'open' ? `/cases/${p.caseRef}/chat/stream` : undefined}
      data-typing={`/cases/${p.caseRef}/chat/typing`}
      data-last-seq={String(last)}
      hx-swap-oob={p.oob ? 'true' : undefined}
    >
      <div class="section-head">
        <h2 id="chat-panel-heading">{chat.state === 'open' ? 'Live chat' : 'Chat (ended)'}</h2>
        <span class="muted">
          {`${chat.visitor} <${chat.email}>${chat.verified ? ' · verified by the site' : ''} · ${chat.site}`}
        </span>
        {chat.verified ? null : (
          <Badge tone="warning" title="The visitor typed this address; the site did not sign it">
            e-mail not verified
          </Badge>
        )}
      </div>
      {chat.verified ? null : (
        <p class="hint" id="chat-unverified">
          {`Anyone can type ${chat.email} into the chat: this visitor may not be that customer. Don’t tell them about the customer’s other cases or account.`}
        </p>
      )}
      {chat.held.length > 0 ? <HeldMail caseRef={p.caseRef} held={chat.held} csrfToken={p.csrfToken} /> : null}
      <ol class="chat-lines" id="chat-lines" aria-live="polite">
        {chat.lines.map((l) => (
          <li class={`chat-line chat-${l.author}`} data-seq={String(l.seq)}>
            <span class="chat-who">
              {l.author === 'system' ? null : <bdi>{l.name}</bdi>} <Time at={l.at} short />
            </span> <span class="chat-text" dir="auto">{l.body}</span>
          </li>
        ))}
      </ol>
      <p class="muted" id="chat-typing" aria-live="polite"></p>
      {chat.state === 'open' ? (
        <form method="post" action={`/cases/${p.caseRef}/chat/end`} hx-boost="false">
          <input type="hidden" name="_csrf" value={p.csrfToken} />
          <button type="submit" class="button button-secondary" id="chat-end">
            End chat
          </button>
        </form>
      ) : (
        <>
          <p class="muted">
            {chat.endedBy === 'erased'
              ? 'Ended when the customer’s data was erased: nobody can read this chat any more.'
              : `${chat.endedBy === 'closed' ? 'Ended when the case was closed' : `Ended by ${chat.endedBy ?? 'someone'}`}. Replies from now on are mailed to ${chat.email}.`}
          </p>
          {chat.verified ? null : (
            <div class="alert alert-info" role="alert" id="chat-reply-warning">
              {`Before you reply: your reply goes by e-mail to ${chat.email}, an address the chat visitor typed and did not verify. Whoever reads it may not be the person who chatted; write nothing meant only for the visitor.`}
            </div>
          )}
        </>
      )}
    </section>
  );
}
