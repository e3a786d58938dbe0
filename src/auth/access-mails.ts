/**
 * The texts of the mails that let people in: a sign-in link, a password reset, a sign-up
 * confirmation, the claim of an existing customer account, and the note a staff member gets
 * for asking a customer's way in. Plain text; names go through displayText (no bidi
 * controls). Each says how long its link works and what to do if the mail was not expected.
 */
import { displayText } from '../text/display.js';
import type { RenderedMessage } from '../notifications/templates.js';

export interface AccessMailTexts {
  /** Base URL of the site (PUBLIC_URL). */
  site: string;
  name: string;
  url: string;
  /** How long the link works, in words ("30 minutes"). */
  valid: string;
}

const IGNORE = 'If you did not ask for this, ignore this mail: nothing happens without the link.';

function finish(message: RenderedMessage): RenderedMessage {
  return { subject: displayText(message.subject), text: displayText(message.text) };
}

export function signInMail(t: AccessMailTexts): RenderedMessage {
  return finish({
    subject: 'Your sign-in link',
    text: `Hello ${t.name},\n\nSign in with this link. It works once, within ${t.valid}:\n\n${t.url}\n\n${IGNORE}\n`,
  });
}

export function claimMail(t: AccessMailTexts): RenderedMessage {
  return finish({
    subject: 'Your account is waiting',
    text: `Hello ${t.name},\n\nYou already have an account with this address: every request you sent us is in it. Sign in with this link. It works once, within ${t.valid}:\n\n${t.url}\n\nTo sign in with a password later, choose one with "Forgot your password?" on the sign-in page (${t.site}/forgot-password).\n\n${IGNORE}\n`,
  });
}

export function resetMail(t: AccessMailTexts): RenderedMessage {
  return finish({
    subject: 'Choose a new password',
    text: `Hello ${t.name},\n\nChoose a new password with this link. It works once, within ${t.valid}; afterwards every other session of your account is signed out:\n\n${t.url}\n\nIf you did not ask for this, ignore this mail: your password stays as it is.\n`,
  });
}

export function confirmSignUpMail(t: AccessMailTexts): RenderedMessage {
  return finish({
    subject: 'Confirm your address',
    text: `Hello ${t.name},\n\nConfirm your address to create your account. The link works once, within ${t.valid}:\n\n${t.url}\n\nIf you did not ask for an account, ignore this mail: none is created without the link.\n`,
  });
}

/** A staff address asked for a sign-in link or to sign up: staff sign in with their password. */
export function staffNoteMail(t: Omit<AccessMailTexts, 'url' | 'valid'>): RenderedMessage {
  return finish({
    subject: 'Signing in to Casebook',
    text: `Hello ${t.name},\n\nSomeone asked for a customer sign-in link or a new account for this address. This address belongs to a staff account, and staff sign in with their password: ${t.site}/login\n\nForgot it? Ask for a new one at ${t.site}/forgot-password\n\n${IGNORE}\n`,
  });
}

/** "30 minutes", "1 hour", "7 days". */
export function describeDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.round(minutes / 60);
  if (hours < 48 && minutes % (24 * 60) !== 0) return `${hours} hour${hours === 1 ? '' : 's'}`;
  const days = Math.round(hours / 24);
  return `${days} day${days === 1 ? '' : 's'}`;
}
