/** Shared set-up for the email channel tests: a harness with the channel configured, fixtures, posting raw mail. */
import fs from 'node:fs';
import path from 'node:path';
import { defaultEmailSettings, type EmailSettings } from '../../src/channels/email/settings.js';
import type { ServiceOptions } from '../../src/services.js';
import { ADMIN_TOKEN, createHarness, ROOT, standardQueues, type Harness } from '../support/harness.js';

export const FIXTURES = path.join(ROOT, 'test/fixtures/email');
export const EMAIL_SECRET = 'email-secret-for-tests-0123456789';

export function emailHarness(settings: Partial<EmailSettings> = {}, services: ServiceOptions = {}): Harness {
  const h = createHarness({ services: { ...services, email: defaultEmailSettings({ supportAddress: 'support@example.com', secret: EMAIL_SECRET, ...settings }) } });
  standardQueues(h);
  return h;
}

/** A fixture's bytes, with `{{KEY}}` placeholders replaced. */
export function fixture(name: string, vars: Record<string, string> = {}): Buffer {
  let raw = fs.readFileSync(path.join(FIXTURES, name));
  for (const [key, value] of Object.entries(vars)) raw = Buffer.from(raw.toString('latin1').split(`{{${key}}}`).join(value), 'latin1');
  return raw;
}

export interface Posted {
  status: number;
  body: { result: string; case: string | null; reason: string | null };
}

export async function postMail(h: Harness, raw: Buffer | string, token = ADMIN_TOKEN, contentType = 'message/rfc822'): Promise<Posted> {
  const res = await h.app.request('/api/v1/inbound/email', {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType },
    body: typeof raw === 'string' ? raw : new Uint8Array(raw),
  });
  return { status: res.status, body: (await res.json()) as Posted['body'] };
}
