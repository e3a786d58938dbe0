/**
 * A separate process that starts performing the due outbox work on a database file and
 * stops half-way, as a server killed mid-drain would: it records the due SLA events (the real
 * sweep), claims every due outbox item (the real claim, as this process), prints
 * `claimed <n> <identity>` and then waits to be killed.
 *
 *   node --import tsx test/support/hold-outbox-claims.ts <db>
 */
import { systemClock } from '../../src/clock.js';
import { openDatabase } from '../../src/db/client.js';
import { createLogger } from '../../src/logger.js';
import { claimItem } from '../../src/outbox/outbox.js';
import { PROCESS_ID } from '../../src/process-identity.js';
import { createServices } from '../../src/compose.js';
import { sweepSla } from '../../src/sla/sweep.js';

const [dbPath] = process.argv.slice(2) as [string];
const db = openDatabase(dbPath);
const services = createServices(db, systemClock, { logger: createLogger('warn') });
await sweepSla(services);
const ids = db.$client.prepare('SELECT id FROM outbox WHERE done_at IS NULL AND failed_at IS NULL').pluck().all() as number[];
const claimed = ids.filter((id) => claimItem(db, id, systemClock.now()));
process.stdout.write(`claimed ${claimed.length} ${PROCESS_ID}\n`);
setInterval(() => undefined, 60_000);
