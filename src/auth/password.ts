/**
 * Password hashing with scrypt (a slow, memory-hard KDF from node:crypto).
 * Stored as `scrypt$N$r$p$salt$hash` (base64), so parameters can be raised later and old
 * hashes still verify.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt's cost: N = 2^15 with r = 8 is 32 MiB and ~60–100 ms of one core per hash. */
export const PASSWORD_COST_LOG2 = 15;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
const MAX_MEM = 64 * 1024 * 1024;

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(password, salt, keylen, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export const MIN_PASSWORD_LENGTH = 10;

/**
 * The test suite's cheaper cost: `CASEBOOK_TEST_PASSWORD_COST` (log2 of N, 10–15), honoured only
 * when NODE_ENV is `test`. The suite hashes and checks passwords a few thousand times (every
 * account it makes, every sign-in, in process and in the servers it starts); at N = 2^15 that
 * was a large part of a run's CPU. Anywhere else the variable is ignored: production always
 * hashes at 2^15. test/security/sessions.test.ts checks both.
 */
export function passwordCost(env: NodeJS.ProcessEnv = process.env): number {
  const asked = env.CASEBOOK_TEST_PASSWORD_COST;
  if (env.NODE_ENV !== 'test' || asked === undefined || !/^\d+$/.test(asked)) return 2 ** PASSWORD_COST_LOG2;
  return 2 ** Math.min(PASSWORD_COST_LOG2, Math.max(10, Number(asked)));
}

export async function hashPassword(password: string): Promise<string> {
  const N = passwordCost();
  const salt = randomBytes(16);
  const key = await scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, { N, r: R, p: P, maxmem: MAX_MEM });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  if (!stored) return false;
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await scrypt(password.normalize('NFKC'), Buffer.from(salt, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: MAX_MEM,
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A hash of a random password: burns the same time as a real check when the account is unknown. */
let dummy: Promise<string> | null = null;
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(16).toString('hex'));
  return dummy;
}

export function randomPassword(): string {
  return randomBytes(12).toString('base64url');
}
