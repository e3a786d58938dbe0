/** What the chat tests share: the chat window's requests, from the page's own origin. */
import type { Harness } from '../support/harness.js';

export const OWN = 'http://localhost';

/**
 * A caller of the chat API as the window makes its requests (`Origin`, the visitor's bearer
 * token, JSON bodies). `harness` is read at each call: files create theirs in `beforeAll`.
 */
export function chatCaller(harness: () => Harness) {
  return (method: string, path: string, o: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { Origin: OWN, ...(o.headers ?? {}) };
    if (o.token) headers.Authorization = `Bearer ${o.token}`;
    if (o.body !== undefined) headers['Content-Type'] = 'application/json';
    return harness().app.request(`${OWN}${path}`, { method, headers, ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}) });
  };
}
