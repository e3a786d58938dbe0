/**
 * The system's own chat lines that say who owes the next line (waiting.ts): told apart by how
 * they begin, so no column is needed for it.
 */

/** How the line telling the visitor their request is resolved begins (subscribers.ts writes it). */
export const RESOLVED_TEXT = 'This request is resolved.';
/** How the sweep's offer to a visitor waiting for an agent begins. */
export const WAIT_OFFER_TEXT = 'Nobody has answered yet, sorry for the wait.';

export function waitOfferLine(email: string): string {
  return `${WAIT_OFFER_TEXT} You can keep waiting here, or choose “Answer me by e-mail”: this chat ends and we answer at ${email}.`;
}

/** Whether a stored line is the wait offer (the window shows its button). */
export function isWaitOffer(author: string, body: string): boolean {
  return author === 'system' && body.startsWith(WAIT_OFFER_TEXT);
}
