/**
 * Time is injected everywhere: production uses the system clock, tests use a
 * `ManualClock` they advance explicitly. Instants are epoch milliseconds.
 */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export class ManualClock implements Clock {
  #now: number;

  constructor(start: number | string | Date = Date.UTC(2026, 0, 5, 9, 0)) {
    this.#now = typeof start === 'number' ? start : new Date(start).getTime();
  }

  now(): number {
    return this.#now;
  }

  set(at: number | string | Date): void {
    this.#now = typeof at === 'number' ? at : new Date(at).getTime();
  }

  advance(ms: number): void {
    this.#now += ms;
  }

  advanceMinutes(minutes: number): void {
    this.advance(minutes * 60_000);
  }
}
