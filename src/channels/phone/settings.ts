/** The phone channel's settings: the shared secret telephony providers sign call webhooks with. */

export interface PhoneSettings {
  /** PHONE_WEBHOOK_SECRET; null: the telephony hook is off (503 PHONE_CHANNEL_DISABLED). */
  webhookSecret: string | null;
  /** How far a webhook's timestamp may be from now, either way (replays older than this are refused). */
  toleranceSeconds: number;
}

export const DEFAULT_PHONE_TOLERANCE_SECONDS = 300;

export function defaultPhoneSettings(): PhoneSettings {
  return { webhookSecret: null, toleranceSeconds: DEFAULT_PHONE_TOLERANCE_SECONDS };
}

export class PhoneSettingsError extends Error {}

/** PHONE_WEBHOOK_SECRET: unset or empty turns the hook off; otherwise at least 16 characters. */
export function phoneSettingsFromEnv(env: NodeJS.ProcessEnv): PhoneSettings {
  const secret = env.PHONE_WEBHOOK_SECRET?.trim() || null;
  if (secret !== null && secret.length < 16) throw new PhoneSettingsError('PHONE_WEBHOOK_SECRET must be at least 16 characters long');
  return { webhookSecret: secret, toleranceSeconds: DEFAULT_PHONE_TOLERANCE_SECONDS };
}
