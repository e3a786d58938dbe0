/**
 * Child process for tests: opens a database, takes the write lock and holds it until told
 * to let go on stdin ("release\n"), then exits. Prints "locked" once it holds the lock.
 */
import Database from 'better-sqlite3';

const db = new Database(process.argv[2]!);
db.pragma('journal_mode = WAL');
db.exec('BEGIN IMMEDIATE');
process.stdout.write('locked\n');
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  if (chunk.includes('release')) {
    db.exec('COMMIT');
    db.close();
    process.stdout.write('released\n');
    process.exit(0);
  }
});
