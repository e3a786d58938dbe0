import type { Actor } from '../roles.js';
import type { Services } from '../services.js';

/** Who is calling, resolved by the auth middleware (bearer token or session). */
export interface Principal {
  actor: Actor;
  staffId: number | null;
  customerId: number | null;
  /** Queues a staff member works (agents see only these cases). */
  queues: ReadonlySet<string>;
}

export interface AppVariables {
  requestId: string;
  services: Services;
  principal: Principal | null;
}

export interface AppEnv {
  Variables: AppVariables;
}
