import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { isProcessGone, PROCESS_ID } from './process-identity.js';

describe('process identity', () => {
  it('is host:pid:start', () => {
    expect(PROCESS_ID.startsWith(`${os.hostname()}:${process.pid}:`)).toBe(true);
  });

  it('tells a dead process, or an earlier process with our pid, from a live one', () => {
    expect(isProcessGone(PROCESS_ID)).toBe(false);
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    expect(isProcessGone(`${os.hostname()}:${dead}:12345`)).toBe(true);
    // Our pid with another start time: the process that had it before us.
    expect(isProcessGone(`${os.hostname()}:${process.pid}:1`)).toBe(true);
    // A live pid whose start time differs: the pid was reused, the claimer is gone.
    expect(isProcessGone(`${os.hostname()}:${process.ppid}:1`)).toBe(process.platform === 'linux');
  });

  it('never judges another host, or an identity it cannot read, gone', () => {
    expect(isProcessGone(`elsewhere-${os.hostname()}:1:1`)).toBe(false);
    expect(isProcessGone(`${os.hostname()}:${process.pid}`)).toBe(false);
    expect(isProcessGone('test-process-42')).toBe(false);
  });
});
