import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HOST, isProcessGone, PROCESS_ID } from './process-identity.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** A PID namespace of its own, as a container has, made without privileges (a user namespace): not every machine allows it. */
const UNSHARE = ['--user', '--map-root-user', '--pid', '--fork', '--kill-child', '--mount-proc'];
const canUnshare = process.platform === 'linux' && spawnSync('unshare', [...UNSHARE, 'true']).status === 0;

describe('process identity', () => {
  it('is host:pid:start, the host being the hostname and (on Linux) the PID namespace', () => {
    expect(PROCESS_ID.startsWith(`${HOST}:${process.pid}:`)).toBe(true);
    if (process.platform === 'linux') {
      const ns = /\d+/.exec(fs.readlinkSync('/proc/self/ns/pid'))![0];
      expect(HOST).toBe(`${os.hostname()}/pidns-${ns}`);
    } else {
      expect(HOST).toBe(os.hostname());
    }
  });

  it('tells a dead process, or an earlier process with our pid, from a live one', () => {
    expect(isProcessGone(PROCESS_ID)).toBe(false);
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    expect(isProcessGone(`${HOST}:${dead}:12345`)).toBe(true);
    // Our pid with another start time: the process that had it before us.
    expect(isProcessGone(`${HOST}:${process.pid}:1`)).toBe(true);
    // A live pid whose start time differs: the pid was reused, the claimer is gone.
    expect(isProcessGone(`${HOST}:${process.ppid}:1`)).toBe(process.platform === 'linux');
  });

  it('never judges another host, or an identity it cannot read, gone', () => {
    expect(isProcessGone(`elsewhere-${os.hostname()}:1:1`)).toBe(false);
    expect(isProcessGone(`${HOST}:${process.pid}`)).toBe(false);
    expect(isProcessGone('test-process-42')).toBe(false);
    // The same hostname, another PID namespace (another container), or none named (written before it was part of the identity).
    expect(isProcessGone(`${os.hostname()}/pidns-1:${process.pid}:1`)).toBe(false);
    if (process.platform === 'linux') expect(isProcessGone(`${os.hostname()}:${process.pid}:1`)).toBe(false);
  });

  it.runIf(canUnshare)('does not judge a live process of another PID namespace on this machine gone (containers with host networking share the hostname)', async () => {
    // Pid 1 of its namespace, as an instance in a container most often is. With the hostname
    // alone as its host, its identity read as this machine's pid 1 with another start time: gone.
    const child = spawn('unshare', [...UNSHARE, process.execPath, '--import', 'tsx', '-e', "import { PROCESS_ID } from './src/process-identity.ts'; console.log(PROCESS_ID); setInterval(() => undefined, 1000);"], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const identity = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('\n')) resolve(out.trim());
        });
        child.on('exit', (code) => reject(new Error(`the child exited (${code}) before it said who it is`)));
      });
      expect(identity).toMatch(new RegExp(`^${os.hostname()}/pidns-\\d+:1:\\d+$`));
      expect(identity.startsWith(`${HOST}:`)).toBe(false);
      expect(isProcessGone(identity)).toBe(false);
    } finally {
      // unshare --fork ignores SIGTERM while it waits; killed, it takes its child along (--kill-child).
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
  });
});
