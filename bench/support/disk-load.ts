/**
 * Another process writing a large file to the same disk: 8 MiB blocks, each followed by
 * fsync, until told to stop (SIGTERM) or the size limit; the file is removed at the end.
 *   node --import tsx bench/support/disk-load.ts <file> [maxMiB]
 */
import fs from 'node:fs';

const file = process.argv[2]!;
const maxBlocks = Number(process.argv[3] ?? 4096) / 8;
const block = Buffer.alloc(8 * 1024 * 1024, 7);
const fd = fs.openSync(file, 'w');
let stop = false;
process.on('SIGTERM', () => (stop = true));
process.stdout.write('writing\n');

let written = 0;
const tick = () => {
  if (stop || written >= maxBlocks) {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
    process.exit(0);
  }
  fs.writeSync(fd, block);
  fs.fsyncSync(fd);
  written++;
  setImmediate(tick);
};
tick();
