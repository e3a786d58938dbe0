/**
 * A throw-away Dovecot IMAP server for tests: a minimal config in a temp folder (plain IMAP on
 * 127.0.0.1 and a free port, one user with a plain password, maildir storage), run in the
 * foreground as a child process and killed by `stop()`. Debian's `dovecot-imapd` package must
 * be installed; without it `startDovecot` fails saying how to install it.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { tempDir } from './harness.js';
import { freePort } from './server.js';

export const DOVECOT_BINARY = '/usr/sbin/dovecot';
export const DOVECOT_INSTALL = 'sudo apt-get install -y dovecot-imapd';

export interface Dovecot {
  host: string;
  port: number;
  user: string;
  password: string;
  dir: string;
  /** `imap://user:password@127.0.0.1:port/<mailbox>` */
  url(mailbox?: string, password?: string): string;
  /** A connected client (logged in as the test user); close it with `logout()`. */
  connect(): Promise<ImapFlow>;
  /** Delivers a raw mail by APPEND (with flags such as `\\Seen`); returns its UID. */
  deliver(raw: Buffer | string, mailbox?: string, flags?: string[]): Promise<number>;
  /** The server's log so far (for failing tests). */
  log(): string;
  stop(): Promise<void>;
}


async function waitForGreeting(port: number, child: ChildProcess, logFile: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    const greeted = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.setTimeout(1000);
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('* OK'));
      });
      socket.once('error', () => resolve(false));
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (greeted) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
  throw new Error(`Dovecot did not start on port ${port} (exit code ${child.exitCode}).\n${log}`);
}

/** The uid and gid mail is stored as: the `dovecot` system user when run as root, else the current user. */
function mailOwner(): { user: string; loginUser: string; uid: number; gid: number } {
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'dovecot']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'dovecot']).toString().trim());
    return { user: 'dovecot', loginUser: 'dovenull', uid, gid };
  }
  const me = os.userInfo();
  return { user: me.username, loginUser: me.username, uid: me.uid, gid: me.gid };
}

export interface DovecotOptions {
  user?: string;
  password?: string;
  /** Listen on this port (a restarted server on the same address); default: a free one. */
  port?: number;
  /**
   * Keep the mailboxes of this (stopped) server: a restart of the same server, not a new one.
   * A new mailbox would get a new UIDVALIDITY — Dovecot's is the creation second, so two made
   * within one second look alike and a client rightly takes the second's UID 1 as already read.
   */
  mailOf?: Dovecot;
  /** Extra dovecot.conf lines, e.g. `imap_capability = IMAP4rev1 UIDPLUS MOVE` for a server without IDLE. */
  extraConfig?: string[];
  /** The dovecot binary (default /usr/sbin/dovecot). */
  binary?: string;
}

export async function startDovecot(options: DovecotOptions = {}): Promise<Dovecot> {
  const binary = options.binary ?? DOVECOT_BINARY;
  if (!fs.existsSync(binary)) {
    throw new Error(`Dovecot is not installed (${binary} is missing). Install it with: ${DOVECOT_INSTALL}`);
  }
  const user = options.user ?? 'casebook';
  const password = options.password ?? 'secret';
  const dir = tempDir('casebook-dovecot-');
  const owner = mailOwner();
  const port = options.port ?? (await freePort());
  const mailRoot = path.join(options.mailOf?.dir ?? dir, 'mail');
  for (const sub of ['run', 'state', ...(options.mailOf ? [] : ['mail'])]) fs.mkdirSync(path.join(dir, sub));
  fs.chownSync(mailRoot, owner.uid, owner.gid);
  // The temp folder must be traversable by the unprivileged login and mail processes.
  fs.chmodSync(dir, 0o755);
  fs.writeFileSync(path.join(dir, 'passwd'), `${user}:{PLAIN}${password}\n`);
  const logFile = path.join(dir, 'dovecot.log');
  const conf = path.join(dir, 'dovecot.conf');
  fs.writeFileSync(
    conf,
    [
      'protocols = imap',
      'listen = 127.0.0.1',
      `base_dir = ${dir}/run`,
      `state_dir = ${dir}/state`,
      `log_path = ${logFile}`,
      `info_log_path = ${logFile}`,
      'ssl = no',
      'disable_plaintext_auth = no',
      'auth_mechanisms = plain login',
      // A wrong password is refused at once, not after Dovecot's default 2 s (tests try wrong ones on purpose).
      'auth_failure_delay = 0',
      `default_internal_user = ${owner.user}`,
      `default_login_user = ${owner.loginUser}`,
      `first_valid_uid = ${Math.min(owner.uid, 1)}`,
      `mail_location = maildir:${mailRoot}/%u/Maildir`,
      'passdb {',
      '  driver = passwd-file',
      `  args = ${dir}/passwd`,
      '}',
      'userdb {',
      '  driver = static',
      `  args = uid=${owner.uid} gid=${owner.gid} home=${mailRoot}/%u`,
      '}',
      'service imap-login {',
      '  inet_listener imap {',
      '    address = 127.0.0.1',
      `    port = ${port}`,
      '  }',
      '  inet_listener imaps {',
      '    port = 0',
      '  }',
      '}',
      // No login penalty after a wrong password (2 s, then 4, 8, 15 s per client address): the
      // auth process cannot reach anvil's penalty socket, so it counts nothing.
      'service anvil {',
      '  unix_listener anvil-auth-penalty {',
      '    mode = 0',
      '  }',
      '}',
      ...(options.extraConfig ?? []),
      '',
    ].join('\n'),
  );
  // Its own process group, so stop() ends the login and mail processes with the master.
  const child = spawn(binary, ['-F', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // already gone
    }
  };
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForGreeting(port, child, logFile);
  } catch (error) {
    signal('SIGKILL');
    throw new Error(`${(error as Error).message}\n${output}`);
  }

  const connect = async () => {
    const client = new ImapFlow({ host: '127.0.0.1', port, secure: false, auth: { user, pass: password }, logger: false });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  };
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    dir,
    url: (mailbox = 'INBOX', pass = password) => `imap://${user}:${encodeURIComponent(pass)}@127.0.0.1:${port}/${mailbox}`,
    connect,
    async deliver(raw, mailbox = 'INBOX', flags = []) {
      const client = await connect();
      try {
        const appended = await client.append(mailbox, raw, flags);
        if (!appended || appended.uid === undefined) throw new Error('Dovecot did not answer the APPEND with a UID');
        return appended.uid;
      } finally {
        await client.logout();
      }
    },
    log: () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '') + output,
    async stop() {
      if (child.exitCode === null) {
        signal('SIGTERM');
        const killed = setTimeout(() => signal('SIGKILL'), 5000);
        await exited;
        clearTimeout(killed);
      }
      signal('SIGKILL');
    },
  };
}
