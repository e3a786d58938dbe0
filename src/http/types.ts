import type { Limiter, RateLimits } from '../auth/rate-limit.js';
import type { RequestFingerprint } from '../idempotency/store.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';

/** Who is calling, resolved by the auth middleware (bearer token or session). */
export interface Principal {
  actor: Actor;
  staffId: number | null;
  customerId: number | null;
  /** Queues a staff member works (agents see only these cases). */
  queues: ReadonlySet<string>;
  /** The IANA zone pages show times in (the profile's, or the browser's once it said); null: not set yet (UTC). */
  timeZone?: string | null;
  /** Set for an API token limited to scopes (auth/api-tokens.ts TOKEN_SCOPES); absent: full rights. */
  scopes?: readonly string[];
  /** The API token the caller came with (its id, for logs); absent for sessions and the ADMIN_TOKEN. */
  tokenId?: number;
}

export interface AppVariables {
  /** Ours, generated per request (see middleware/request-id.ts). */
  requestId: string;
  /** The client's own X-Request-Id, logged beside ours; never used as ours. */
  clientRequestId: string | null;
  services: Services;
  principal: Principal | null;
  /** The API token the request came with, as a rate-limit key (null for pages and the ADMIN_TOKEN). */
  tokenKey: string | null;
  /** Idempotency-Key requests being worked on in this app (idempotency.ts), by principal and key. */
  idempotencyKeys: Map<string, RequestFingerprint>;
  /** Intake and message limits (one limiter per app; shared through the database on PostgreSQL). */
  limits: { limiter: Limiter; rates: RateLimits };
}

export interface AppEnv {
  Variables: AppVariables;
}
