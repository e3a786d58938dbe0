/**
 * The attachment store's writes, on a worker thread of their own (file-writer-worker.js, which
 * says what a put does): hashing a file, writing it and the two fsyncs that make it durable
 * block that thread, not the event loop. One thread for the process, started with the first
 * file and kept; it holds the process open only while a file is being written. Files are written
 * one after another, in the order they were handed over. A thread that dies fails the files it
 * had (their callers see the error) and the next file starts another.
 *
 * The bytes are copied into a buffer of their own and moved to the thread (a typed array sent
 * as it is would take its whole underlying buffer along: a pooled Buffer's 8 KiB, or all of a
 * large read a mail part is a slice of).
 */
import { Worker } from 'node:worker_threads';

export interface PutResult {
  sha256: string;
  size: number;
  /** False when an equal file was already stored. */
  written: boolean;
}

interface Answer {
  id: number;
  result?: PutResult;
  error?: { message: string; code?: string; path?: string; syscall?: string };
}

interface Waiting {
  resolve(result: PutResult): void;
  reject(error: Error): void;
}

let thread: Worker | null = null;
const waiting = new Map<number, Waiting>();
let lastId = 0;

/** The error the thread reported, with its `code` (ENOSPC, EACCES…), `path` and `syscall` as `fs` gives them. */
function errorOf(answer: NonNullable<Answer['error']>): Error {
  const { message, ...fields } = answer;
  return Object.assign(new Error(message), Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)));
}

function failAll(error: Error): void {
  const failed = [...waiting.values()];
  waiting.clear();
  for (const w of failed) w.reject(error);
}

function start(): Worker {
  // The process's flags but `--input-type`, which a worker started from a file refuses (a script run with `node -e`).
  const execArgv = process.execArgv.filter((flag) => !flag.startsWith('--input-type'));
  const worker = new Worker(new URL('./file-writer-worker.js', import.meta.url), { execArgv });
  worker.on('message', ({ id, result, error }: Answer) => {
    const w = waiting.get(id);
    waiting.delete(id);
    if (waiting.size === 0) worker.unref();
    if (error) w?.reject(errorOf(error));
    else w?.resolve(result!);
  });
  const gone = (error: Error) => {
    if (thread === worker) thread = null;
    failAll(error);
  };
  worker.on('error', gone);
  worker.on('exit', (code) => gone(new Error(`the file writer's thread stopped (exit code ${code})`)));
  return worker;
}

/** Stores `bytes` under `dir` (content-addressed); durable when the promise resolves. */
export function writeFile(dir: string, bytes: Uint8Array): Promise<PutResult> {
  const worker = (thread ??= start());
  worker.ref();
  const id = ++lastId;
  const copy = new Uint8Array(bytes);
  return new Promise<PutResult>((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    worker.postMessage({ id, dir, bytes: copy }, [copy.buffer]);
  });
}

/** The writer's thread while it runs (tests make it stop). */
export function fileWriterThread(): Worker | null {
  return thread;
}
