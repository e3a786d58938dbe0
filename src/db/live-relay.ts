/**
 * The seam between in-process live signals (the chat hub, the presence registry) and the
 * other instances sharing the database. Dialect-free: with one process on SQLite there is no
 * relay and everything stays in memory; with several instances on PostgreSQL the relay is
 * `postgresRelay` (src/db/pg/notify-relay.ts, LISTEN/NOTIFY). docs/postgres.md, "Live
 * signals across instances".
 *
 * What crosses is small and carries no content: ids and kinds (and a typing name), never
 * message text. A relay never hands an instance back what it sent itself, and a receiver
 * never sends on what it received, so nothing loops. Delivery is best-effort: a signal only
 * tells a listener to re-read the database, so a lost one is repaired by the next signal,
 * the next poll or the `resync` after a reconnect, and a doubled one costs a re-read.
 */
export interface LiveRelay {
  /** This instance's id, carried by everything it sends (so it can drop its own). */
  readonly instanceId: string;
  /** Sends `message` (plain JSON) on `topic` to every other instance; never throws. */
  send(topic: string, message: unknown): void;
  /** What other instances send on `topic` (not validated: check the shape); returns the unsubscribe. */
  receive(topic: string, handler: (message: unknown) => void): () => void;
  /**
   * Signals from other instances may have been missed (the relay's connection dropped and is
   * back): every local listener should re-read. Returns the unsubscribe.
   */
  onResync(handler: () => void): () => void;
}
