/**
 * The checksum both sides of a copy are compared by: sha256 over one line per row, in
 * primary-key order, each line the row's JavaScript values (as drizzle reads them from either
 * dialect) in a canonical JSON: object keys sorted (jsonb keeps no key order), numbers that
 * JSON cannot hold spelled out, dates as ISO instants. Equal lines mean equal values for
 * every reader of the database.
 */
import { createHash, type Hash } from 'node:crypto';

export function canonical(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : JSON.stringify({ $number: String(value) });
    case 'bigint':
      return JSON.stringify({ $bigint: value.toString() });
    case 'object': {
      if (value instanceof Date) return JSON.stringify({ $date: Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString() });
      if (Buffer.isBuffer(value) || value instanceof Uint8Array) return JSON.stringify({ $bytes: Buffer.from(value).toString('hex') });
      if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
      const record = value as Record<string, unknown>;
      return `{${Object.keys(record)
        .sort()
        .map((key) => `${JSON.stringify(key)}:${canonical(record[key])}`)
        .join(',')}}`;
    }
    default:
      throw new TypeError(`a ${typeof value} has no canonical form`);
  }
}

export interface TableSum {
  rows: number;
  /** sha256 in hex. */
  checksum: string;
}

/** Counts and hashes rows as they come, in order. */
export class RowHasher {
  private readonly hash: Hash = createHash('sha256');
  private count = 0;

  add(values: readonly unknown[]): void {
    this.hash.update(canonical(values));
    this.hash.update('\n');
    this.count++;
  }

  digest(): TableSum {
    return { rows: this.count, checksum: this.hash.digest('hex') };
  }
}
