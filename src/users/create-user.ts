/**
 * Provisioning an account (staff or customer), for automation (`POST /api/v1/users`).
 *
 * - Email addresses are unique across staff and customers (EMAIL_TAKEN otherwise).
 * - Queues must exist. Plain `agent`s work tier-1 queues only: tier-2 (advanced support)
 *   queues are for `advanced` agents, so escalation really hands a case to tier 2.
 *   Advanced agents, managers and admins may be members of queues of any tier.
 * - Without a password the account gets a one-time link to set one, and a staff member
 *   starts away (not offered cases) until they switch themselves to available.
 * - A new, available agent is offered the oldest waiting cases of their queues at once.
 */
import { eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import { fillCapacity } from '../assignment/fill-capacity.js';
import { hashPassword } from '../auth/password.js';
import type { PrincipalRef } from '../auth/sessions.js';
import { normalizeEmail } from '../cases/customers.js';
import { auditIn } from '../audit/record-audit.js';
import { STAFF_ROLES, type StaffRole } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import { DomainError, ValidationError, type FieldIssue } from '../errors.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { createPasswordToken, passwordSchema, setPasswordUrl } from './password-tokens.js';
import { emailField } from '../text/email-address.js';

export const USER_ROLES = ['customer', ...STAFF_ROLES] as const;
export type UserRole = (typeof USER_ROLES)[number];

const slug = z.string().trim().min(1).max(64, 'at most 64 characters each');
const CHAT_LIMIT_TEXT = 'a whole number from 0 to 100';
const CAPACITY_TEXT = 'a whole number from 0 to 1000';
/** Open cases a staff member may hold at once. */
export const CAPACITY = z.number({ error: CAPACITY_TEXT }).int(CAPACITY_TEXT).min(0, CAPACITY_TEXT).max(1000, CAPACITY_TEXT);
/** A staff member's live chats at once (docs/chat.md); chats count toward capacity too. */
export const CHAT_LIMIT = z.number({ error: CHAT_LIMIT_TEXT }).int(CHAT_LIMIT_TEXT).min(0, CHAT_LIMIT_TEXT).max(100, CHAT_LIMIT_TEXT);
export const DEFAULT_CHAT_LIMIT = 3;

export const createUserSchema = z
  .strictObject({
    email: emailField('an email address, e.g. nia@example.com'),
    name: z.string().trim().min(1, 'required').max(200, 'at most 200 characters'),
    role: z.enum(USER_ROLES, { error: 'choose a role' }),
    password: passwordSchema.optional(),
    queues: z.array(slug).max(50).optional(),
    skills: z.array(slug).max(50).optional(),
    capacity: CAPACITY.optional(),
    chatLimit: CHAT_LIMIT.optional().meta({ description: `Live chats at once (default ${DEFAULT_CHAT_LIMIT}); they count toward capacity too.` }),
  })
  .superRefine((value, ctx) => {
    if (value.role !== 'customer') return;
    for (const field of ['queues', 'skills', 'capacity', 'chatLimit'] as const) {
      if (value[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'customers have no queues, skills, capacity or chat limit' });
    }
  });
export type CreateUserInput = z.infer<typeof createUserSchema>;

export interface CreatedUser {
  ref: PrincipalRef;
  email: string;
  name: string;
  role: UserRole;
  queues: string[];
  skills: string[];
  capacity: number | null;
  chatLimit: number | null;
  available: boolean | null;
  /** Present when no password was given: the one-time link and when it expires. */
  setPassword: { url: string; expiresAt: number } | null;
}

async function assertEmailFree(q: Handle, email: string): Promise<void> {
  const { staff, customers } = q.tables;
  const [member] = await q.db.select({ id: staff.id }).from(staff).where(eq(staff.email, email)).limit(1);
  const [customer] = member ? [] : await q.db.select({ id: customers.id }).from(customers).where(eq(customers.email, email)).limit(1);
  if (member ?? customer) throw new DomainError('EMAIL_TAKEN', `An account with the address ${email} already exists.`, { email });
}

async function checkQueues(q: Handle, role: StaffRole, ids: readonly string[]): Promise<void> {
  const { queues } = q.tables;
  const rows = ids.length === 0 ? [] : await q.db.select({ id: queues.id, active: queues.active, tier: queues.tier }).from(queues).where(inArray(queues.id, [...ids]));
  const found = new Map(rows.map((queue) => [queue.id, queue]));
  const issues: FieldIssue[] = [];
  ids.forEach((id, i) => {
    const queue = found.get(id);
    if (!queue || !queue.active) issues.push({ path: `queues.${i}`, message: `no active queue "${id}"` });
    else if (role === 'agent' && queue.tier >= 2) issues.push({ path: `queues.${i}`, message: `"${id}" is a tier-${queue.tier} queue; only advanced agents work there` });
  });
  if (issues.length > 0) throw new ValidationError(issues);
}

export async function createUser(services: Services, raw: unknown, actor: Actor): Promise<CreatedUser> {
  const parsed = createUserSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ValidationError(parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(body)', message: i.message })));
  }
  const input = parsed.data;
  const email = normalizeEmail(input.email);
  const passwordHash = input.password === undefined ? null : await hashPassword(input.password);

  return services.store.write(async (q) => {
    const { customers, staff, staffQueues } = q.tables;
    const now = services.clock.now();
    await assertEmailFree(q, email);
    if (input.role === 'customer') {
      const [row] = await q.db.insert(customers).values({ email, name: input.name, passwordHash, createdAt: now, updatedAt: now }).returning({ id: customers.id, name: customers.name });
      const ref: PrincipalRef = { type: 'customer', id: row!.id };
      const link = passwordHash === null ? await createPasswordToken(q, ref, now) : null;
      return {
        ref,
        email,
        name: row!.name,
        role: 'customer',
        queues: [],
        skills: [],
        capacity: null,
        chatLimit: null,
        available: null,
        setPassword: link && { url: setPasswordUrl(services, link.token), expiresAt: link.expiresAt },
      };
    }

    const queueIds = [...new Set(input.queues ?? [])];
    await checkQueues(q, input.role, queueIds);
    const available = passwordHash !== null;
    const [row] = await q.db
      .insert(staff)
      .values({
        email,
        name: input.name,
        role: input.role,
        skills: [...new Set(input.skills ?? [])],
        capacity: input.capacity ?? 10,
        chatLimit: input.chatLimit ?? DEFAULT_CHAT_LIMIT,
        available,
        passwordHash,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    const member = row!;
    for (const queueId of queueIds) await q.db.insert(staffQueues).values({ staffId: member.id, queueId });
    const ref: PrincipalRef = { type: 'staff', id: member.id };
    const link = passwordHash === null ? await createPasswordToken(q, ref, now) : null;
    await auditIn(q, services.clock, actor, 'staff', member.id, 'created', null, { ...member, queues: queueIds });
    if (available) await fillCapacity(q, services, member.id, actor);
    return {
      ref,
      email,
      name: member.name,
      role: member.role,
      queues: queueIds,
      skills: member.skills,
      capacity: member.capacity,
      chatLimit: member.chatLimit,
      available,
      setPassword: link && { url: setPasswordUrl(services, link.token), expiresAt: link.expiresAt },
    };
  });
}
