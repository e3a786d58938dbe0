/**
 * CRM enrichment at intake (CRM_LOOKUP_URL, docs/integrations.md): `GET <url>?email=…` (or the
 * URL with `{email}` replaced) answers `{ plan, mrr, accountOwner, churned }` (404: unknown
 * address). Intake never fails or waits longer than the timeout (300 ms) because of it:
 *
 * - answers (an unknown address too) are cached per address for `ttlMs` (injected clock);
 * - a failure (timeout, network error, 5xx, a body that is not an object) counts; after
 *   `failureThreshold` consecutive failures the circuit opens and lookups return at once
 *   without calling, for `openMs`; then it is half-open: one call is let through — success
 *   closes the circuit, failure opens it again;
 * - whatever the CRM said last is kept in `crm_records`, so when a lookup fails or is
 *   skipped the fact is the last known record (rules and the case page read it there).
 *
 * The records are read and written on the storage port, each statement by itself
 * (`store.query`, outside any transaction: the lookup waits on the network, so it never runs
 * inside one).
 */
import type { Clock } from '../clock.js';
import type { Store } from '../db/store/index.js';
import type { Logger } from '../logger.js';
import { crmRecordOn, saveCrmRecordIn, type CrmFact } from './records.js';
import { canonicalEmail } from '../text/email-address.js';

export interface CrmSettings {
  url: string;
  timeoutMs: number;
  ttlMs: number;
  failureThreshold: number;
  openMs: number;
}

export const DEFAULT_CRM_SETTINGS: Omit<CrmSettings, 'url'> = { timeoutMs: 300, ttlMs: 10 * 60_000, failureThreshold: 5, openMs: 60_000 };

export type BreakerState = 'closed' | 'open' | 'half-open';

function str(value: unknown): string | null {
  return typeof value === 'string' && value.trim() ? value.trim().slice(0, 200) : null;
}

/** The fact from what the CRM answered; null when it is not a JSON object. */
export function toCrmFact(body: unknown): CrmFact | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const b = body as Record<string, unknown>;
  // A number, or one written as text ("49.50"); an empty text is no revenue known, not 0 (Number("") is 0).
  const mrr = typeof b.mrr === 'number' && Number.isFinite(b.mrr) ? b.mrr : typeof b.mrr === 'string' && b.mrr.trim() !== '' && Number.isFinite(Number(b.mrr)) ? Number(b.mrr) : null;
  return { plan: str(b.plan), mrr, accountOwner: str(b.accountOwner ?? b.account_owner ?? b.owner), churned: b.churned === true };
}

export class CrmClient {
  readonly settings: CrmSettings;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #cache = new Map<string, { value: CrmFact | null; until: number }>();
  #failures = 0;
  #openUntil = 0;
  #trial = false;

  constructor(settings: CrmSettings, clock: Clock, logger: Logger) {
    this.settings = settings;
    this.#clock = clock;
    this.#logger = logger;
  }

  get state(): BreakerState {
    if (this.#failures < this.settings.failureThreshold) return 'closed';
    return this.#clock.now() < this.#openUntil ? 'open' : 'half-open';
  }

  #url(email: string): string {
    if (this.settings.url.includes('{email}')) return this.settings.url.replace('{email}', encodeURIComponent(email));
    const url = new URL(this.settings.url);
    url.searchParams.set('email', email);
    return url.toString();
  }

  #failed(email: string, why: string): void {
    this.#failures++;
    if (this.#failures >= this.settings.failureThreshold) {
      this.#openUntil = this.#clock.now() + this.settings.openMs;
      if (this.#failures === this.settings.failureThreshold || this.#trial) this.#logger.warn('CRM lookups failing; circuit open', { failures: this.#failures, error: why });
    }
    this.#logger.debug('CRM lookup failed', { email, error: why });
  }

  /** What the CRM says about `email` now, from the cache, or null when it does not know them or cannot be asked. */
  async lookup(store: Store, email: string): Promise<{ value: CrmFact | null; source: 'cache' | 'crm' | 'stored' }> {
    const stored = (key: string) => store.query((q) => crmRecordOn(q, key));
    const save = (key: string, value: CrmFact | null, at: number) => store.query((q) => saveCrmRecordIn(q, key, value, at));
    const key = canonicalEmail(email);
    const now = this.#clock.now();
    const cached = this.#cache.get(key);
    if (cached && cached.until > now) return { value: cached.value, source: 'cache' };
    const state = this.state;
    if (state === 'open' || (state === 'half-open' && this.#trial)) return { value: await stored(key), source: 'stored' };
    this.#trial = state === 'half-open';
    try {
      const res = await fetch(this.#url(key), { headers: { Accept: 'application/json' }, signal: AbortSignal.timeout(this.settings.timeoutMs) });
      let value: CrmFact | null;
      if (res.status === 404) {
        await res.body?.cancel();
        value = null;
      } else if (!res.ok) {
        await res.body?.cancel();
        throw new Error(`answered ${res.status}`);
      } else {
        value = toCrmFact(await res.json());
        if (value === null) throw new Error('answered something other than a JSON object');
      }
      this.#failures = 0;
      this.#trial = false;
      this.#cache.set(key, { value, until: this.#clock.now() + this.settings.ttlMs });
      try {
        await save(key, value, this.#clock.now());
      } catch (error) {
        this.#logger.warn('CRM record not stored', { error: error instanceof Error ? error.message : String(error) });
      }
      return { value, source: 'crm' };
    } catch (error) {
      const why = error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${this.settings.timeoutMs} ms` : error instanceof Error ? error.message : String(error);
      this.#failed(key, why);
      this.#trial = false;
      return { value: await stored(key), source: 'stored' };
    }
  }
}
