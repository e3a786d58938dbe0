/**
 * A 2 MiB tmpfs for the tests of a full disk (start-up migrations, backups), when this process
 * may mount one (root); otherwise the reason, for the test to say why it is skipped.
 */
import { spawnSync } from 'node:child_process';
import { tempDir } from './harness.js';

export function mountSmallDisk(prefix: string): { dir: string; unmount: () => void } | string {
  if (process.getuid?.() !== 0) return 'not root: mounting a small tmpfs needs root';
  const dir = tempDir(prefix);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir], { encoding: 'utf8' });
  if (mounted.status !== 0) return `mount -t tmpfs failed: ${(mounted.stderr || mounted.error?.message || '').trim()}`;
  return { dir, unmount: () => void spawnSync('umount', ['-l', dir]) };
}
