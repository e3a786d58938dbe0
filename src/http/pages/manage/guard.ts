/** Every manager-console route: managers and admins only (403 for agents, 404 for customers). */
import type { MiddlewareHandler } from 'hono';
import { DomainError } from '../../../errors.js';
import type { Principal } from '../../types.js';
import { isManagerRole } from '../../../roles.js';
import { requireStaff, type PageContext, type PageEnv } from '../env.js';

export const requireManager: MiddlewareHandler<PageEnv> = async function requireManager(c, next) {
  managerOf(c);
  await next();
};

/** The signed-in manager or admin; FORBIDDEN for other staff. */
export function managerOf(c: PageContext): Principal {
  const principal = requireStaff(c);
  if (!isManagerRole(principal.actor.role)) throw new DomainError('FORBIDDEN', 'The manager console is for managers and admins.');
  return principal;
}
