/**
 * Hono's router with the answers it gave remembered. The app's route set makes Hono settle on
 * its TrieRouter (RegExpRouter refuses `/cases/:id`), which walks its tree and builds new
 * arrays on every request: 1.5 µs and ~5 KiB for `POST /api/v1/cases`, 2–3 µs for a case's
 * page (issue 11, 2026-12-05). A match depends only on the method and the path, and Hono only
 * reads it (HonoRequest takes the handlers and parameters from it), so the same answer serves
 * every request for that path.
 *
 * Bounded: at most MAX_ENTRIES paths, the oldest forgotten first, and only paths of up to
 * MAX_PATH characters (case pages carry an id each; a client sending endless distinct paths
 * costs a lookup and a forgotten entry, never memory). Adding a route forgets everything.
 */
import type { Result, Router } from 'hono/router';
import { RegExpRouter } from 'hono/router/reg-exp-router';
import { SmartRouter } from 'hono/router/smart-router';
import { TrieRouter } from 'hono/router/trie-router';

const MAX_ENTRIES = 1024;
const MAX_PATH = 200;

export class MemoRouter<T> implements Router<T> {
  readonly #inner: Router<T>;
  readonly #answers = new Map<string, Result<T>>();

  /** `inner`: Hono's default (SmartRouter over RegExpRouter and TrieRouter) unless given. */
  constructor(inner: Router<T> = new SmartRouter<T>({ routers: [new RegExpRouter<T>(), new TrieRouter<T>()] })) {
    this.#inner = inner;
  }

  get name(): string {
    return `MemoRouter over ${this.#inner.name}`;
  }

  add(method: string, path: string, handler: T): void {
    this.#answers.clear();
    this.#inner.add(method, path, handler);
  }

  match(method: string, path: string): Result<T> {
    if (path.length > MAX_PATH) return this.#inner.match(method, path);
    const key = `${method} ${path}`;
    const known = this.#answers.get(key);
    if (known) return known;
    const answer = this.#inner.match(method, path);
    if (this.#answers.size >= MAX_ENTRIES) this.#answers.delete(this.#answers.keys().next().value!);
    this.#answers.set(key, answer);
    return answer;
  }
}
