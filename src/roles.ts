/** Who can act on a case. Workflows name these roles on their transitions. */
export const ROLES = ['customer', 'agent', 'advanced', 'manager', 'admin', 'system'] as const;
export type Role = (typeof ROLES)[number];

/**
 * The principal behind a command. `system` is Casebook itself (timers, sweeps, rules)
 * and the ADMIN_TOKEN (role admin, no staff record).
 */
export interface Actor {
  type: 'staff' | 'customer' | 'system';
  id: number | null;
  role: Role;
  name: string;
}

export const SYSTEM_ACTOR: Actor = { type: 'system', id: null, role: 'system', name: 'Casebook' };

export function isManagerRole(role: Role): boolean {
  return role === 'manager' || role === 'admin';
}
