/**
 * Child process for tests: one Casebook "instance" of live signals (a chat hub and a presence
 * registry on a PostgreSQL relay), on the database given as argv[2], with the instance id
 * argv[3]. Started with `fork(…, { execArgv: ['--import', 'tsx'] })`; driven over IPC:
 *
 *   { id, op: 'subscribe', session } / { id, op: 'subscribeCase', case }   listen; signals come back as events
 *   { id, op: 'publish', session, case, signal }                          ChatHub.publish, then the relay flushed
 *   { id, op: 'beat', case, staffId, name, typing }                       PresenceRegistry.beat, flushed
 *   { id, op: 'others', case }                                            PresenceRegistry.others by its clock
 *   { id, op: 'close' }                                                   closes the relay and exits
 *
 * Every command is answered `{ reply: id, value? }`; a signal is `{ event: 'signal', scope,
 * key, signal }`; a presence message received `{ event: 'presence', message }` (once the
 * registry has it); `{ event: 'ready' }` once it listens.
 */
import { ChatHub, type HubSignal } from '../../src/chat/hub.js';
import { PRESENCE_TOPIC, PresenceRegistry } from '../../src/cases/presence.js';
import { ManualClock } from '../../src/clock.js';
import { postgresRelay } from '../../src/db/pg/notify-relay.js';

type Command =
  | { id: number; op: 'subscribe'; session: number }
  | { id: number; op: 'subscribeCase'; case: number }
  | { id: number; op: 'publish'; session: number; case: number | null; signal: HubSignal }
  | { id: number; op: 'beat'; case: number; staffId: number; name: string; typing: boolean }
  | { id: number; op: 'others'; case: number }
  | { id: number; op: 'close' };

const [url, instanceId] = process.argv.slice(2) as [string, string];
const send = (message: unknown) => process.send!(message);

const relay = await postgresRelay(url, { instanceId });
const clock = new ManualClock();
const hub = new ChatHub({ relay });
const presence = new PresenceRegistry({ relay, clock });
// After the registry's own handler: the test knows the beat is recorded.
relay.receive(PRESENCE_TOPIC, (message) => send({ event: 'presence', message }));

process.on('message', (raw) => {
  void (async () => {
    const command = raw as Command;
    let value: unknown = null;
    switch (command.op) {
      case 'subscribe':
        hub.subscribe(command.session, (signal) => send({ event: 'signal', scope: 'session', key: command.session, signal }));
        break;
      case 'subscribeCase':
        hub.subscribeCase(command.case, (signal) => send({ event: 'signal', scope: 'case', key: command.case, signal }));
        break;
      case 'publish':
        hub.publish(command.session, command.case, command.signal);
        await relay.flush();
        break;
      case 'beat':
        presence.beat(command.case, { staffId: command.staffId, name: command.name }, clock.now(), command.typing);
        await relay.flush();
        break;
      case 'others':
        value = presence.others(command.case, null, clock.now());
        break;
      case 'close':
        await relay.close();
        send({ reply: command.id, value });
        process.disconnect();
        return;
    }
    send({ reply: command.id, value });
  })();
});

send({ event: 'ready', pid: process.pid });
