/**
 * Inbound mail (issue 10): 1,000 raw mails through the one pipeline (`receiveEmail`: parse,
 * noise checks, threading, `createCase` with routing/diagnosis/SLA/assignment or `addMessage`,
 * the Message-ID claim and the log row, each mail its own transaction) into a fresh database,
 * beside mailparser's `simpleParser` alone on the same 1,000 mails — the parsing every
 * pipeline has to do. Prints mails/s for both and the ratio.
 *
 * The mails are the real-shaped fixtures of test/fixtures/email, each with its own Message-ID
 * and sender: new requests (plain, multipart with attachments, HTML only, forwarded, empty,
 * 13 character sets) ~60 %, replies from the customer threading onto an earlier case by
 * In-Reply-To (Gmail, Thunderbird, Apple Mail, Outlook) ~30 %, and noise (out-of-office,
 * newsletters, a bounce, malformed MIME) ~10 %.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { simpleParser } from 'mailparser';
import { receiveEmail } from '../src/channels/email/receive-email.js';
import { defaultEmailSettings } from '../src/channels/email/settings.js';
import { systemClock } from '../src/clock.js';
import { startCheckpointer } from '../src/db/checkpointer.js';
import { openDatabase } from '../src/db/client.js';
import { createLogger } from '../src/logger.js';
import { seedDefinitionsSync } from '../src/seed/seed-definitions.js';
import { createServices } from '../src/compose.js';
import { loadRepoDefinitions } from '../test/support/harness.js';
import { time, type Bench } from './bench.js';
import { underDiskLoad } from './intake.bench.js';
import { mainThreadMicros } from './support/main-thread-cpu.js';
import { ROOT } from './seed-store.js';

const MAILS = 1_000;
const FIXTURES = path.join(ROOT, 'test/fixtures/email');
const NEW = ['new-request', 'html-only', 'forwarded', 'empty-body', 'no-message-id', 'spoofed-subject', 'charset-utf-8', 'charset-iso-8859-1', 'charset-iso-8859-15', 'charset-iso-8859-2', 'charset-windows-1250', 'charset-windows-1251', 'charset-windows-1252', 'charset-big5', 'charset-gb2312', 'charset-gbk', 'charset-gb18030', 'charset-shift_jis', 'charset-iso-2022-jp'];
const REPLIES = ['reply-gmail', 'reply-thunderbird', 'reply-apple', 'reply-outlook', 'reply-outlook-from-sent'];
const NOISE = ['out-of-office', 'bulk-newsletter', 'bounce-dsn', 'malformed', 'out-of-office-subject-only'];

function fixture(name: string): string {
  return fs
    .readFileSync(path.join(FIXTURES, `${name}.eml`))
    .toString('latin1')
    .replaceAll('{{REF}}', 'C-0')
    .replaceAll('{{REPLY_ADDRESS}}', 'support@example.com');
}

/** The fixture with its headers `set` (replaced or added) and the From address swapped (`from`). */
function rewrite(raw: string, set: Record<string, string>, from: string | null): Buffer {
  const split = raw.search(/\r?\n\r?\n/);
  const lines = raw.slice(0, split).split(/\r?\n/);
  const body = raw.slice(split);
  const names = new Set(Object.keys(set).map((k) => k.toLowerCase()));
  const kept: string[] = [];
  let skipping = false;
  for (const line of lines) {
    if (/^[ \t]/.test(line)) {
      if (!skipping) kept.push(line);
      continue;
    }
    const colon = line.indexOf(':');
    skipping = colon > 0 && names.has(line.slice(0, colon).trim().toLowerCase());
    if (skipping) continue;
    kept.push(from && /^from:/i.test(line) ? (line.includes('<') ? line.replace(/<[^>]*>/, `<${from}>`) : `From: ${from}`) : line);
  }
  for (const [name, value] of Object.entries(set)) kept.push(`${name}: ${value}`);
  return Buffer.from(kept.join('\r\n') + body, 'latin1');
}

/** 1,000 mails: new requests, replies onto earlier ones (by In-Reply-To), noise; deterministic. */
export function inboundMails(count = MAILS): { raw: Buffer; kind: 'new' | 'reply' | 'noise' }[] {
  const sources = new Map<string, string>([...NEW, ...REPLIES, ...NOISE].map((name) => [name, fixture(name)]));
  const threads: { messageId: string; customer: string }[] = [];
  const out: { raw: Buffer; kind: 'new' | 'reply' | 'noise' }[] = [];
  for (let i = 0; i < count; i++) {
    const messageId = `<bench-${i}@bench.casebook.test>`;
    if (i % 10 === 5) {
      const name = NOISE[Math.floor(i / 10) % NOISE.length]!;
      out.push({ raw: rewrite(sources.get(name)!, { 'Message-ID': messageId }, name === 'malformed' ? null : `noise-${i}@example.net`), kind: 'noise' });
    } else if ([3, 6, 9].includes(i % 10) && threads.length > 0) {
      const thread = threads[(i * 7919) % threads.length]!;
      const name = REPLIES[i % REPLIES.length]!;
      out.push({ raw: rewrite(sources.get(name)!, { 'Message-ID': messageId, 'In-Reply-To': thread.messageId, References: thread.messageId }, thread.customer), kind: 'reply' });
    } else {
      const customer = `customer-${threads.length}@example.com`;
      out.push({ raw: rewrite(sources.get(NEW[i % NEW.length]!)!, { 'Message-ID': messageId }, customer), kind: 'new' });
      threads.push({ messageId, customer });
    }
  }
  return out;
}

/** Mails in flight at once in the second row: an SMTP receiver's connections, an inbound webhook's requests. */
const IN_FLIGHT = 8;

interface Pipeline {
  receive(raw: Buffer): Promise<'created' | 'appended' | 'ignored'>;
  close(): Promise<void>;
}

/** A fresh database with the shipped definitions, four queues and twelve agents, and the inbound pipeline on it. */
function freshPipeline(): Pipeline {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'casebook-bench-mail-'));
  const file = path.join(dir, 'casebook.db');
  const logger = createLogger('silent');
  const db = openDatabase(file);
  const checkpointer = startCheckpointer(db, file, logger);
  const services = createServices(db, systemClock, {
    logger,
    email: defaultEmailSettings({ supportAddress: 'support@example.com', secret: 'bench-email-secret-0123456789', ratePerSender: { count: 0, windowMs: 3_600_000 } }),
  });
  seedDefinitionsSync(services, loadRepoDefinitions());
  const now = Date.now();
  for (const [id, tier] of [['general', 1], ['billing', 1], ['technical', 1], ['advanced', 2]] as const) db.$client.prepare('INSERT INTO queues (id, name, tier, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET tier = excluded.tier, active = 1').run(id, id, tier, now);
  for (let a = 0; a < 12; a++) {
    const { lastInsertRowid } = db.$client.prepare("INSERT INTO staff (email, name, role, skills, capacity, available, created_at, updated_at) VALUES (?, ?, ?, '[\"refunds\"]', 500, 1, ?, ?)").run(`agent-${a}@casebook.test`, `Agent ${a}`, a < 10 ? 'agent' : 'advanced', now, now);
    db.$client.prepare('INSERT INTO staff_queues (staff_id, queue_id) VALUES (?, ?)').run(lastInsertRowid, a < 10 ? ['general', 'billing', 'technical'][a % 3]! : 'advanced');
  }
  return {
    receive: async (raw) => (await receiveEmail(services, raw, { via: 'smtp' })).result,
    async close() {
      await checkpointer.stop();
      db.$client.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface Run {
  ms: number;
  /** Main-thread CPU per mail, µs. */
  cpu: number;
  /** How late the event loop was for a 1 ms timer meanwhile, p99 and max, ms: what the rest of a server waits while mails arrive. */
  loopDelay: { p99: number; max: number };
  outcomes: Record<'created' | 'appended' | 'ignored', number>;
}

/** Every mail through a fresh pipeline, `inFlight` at a time (each taking the next mail as it finishes). */
async function receiveAll(mails: readonly { raw: Buffer }[], inFlight: number): Promise<Run> {
  const pipeline = freshPipeline();
  try {
    const outcomes = { created: 0, appended: 0, ignored: 0 };
    let next = 0;
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const cpu = mainThreadMicros();
    const { ms } = await time(() =>
      Promise.all(
        Array.from({ length: inFlight }, async () => {
          while (next < mails.length) outcomes[await pipeline.receive(mails[next++]!.raw)]++;
        }),
      ),
    );
    const used = mainThreadMicros() - cpu;
    delay.disable();
    // The histogram counts from the timer's due time plus its resolution (1 ms): late by that much less.
    const late = (ns: number) => Math.max(0, ns / 1e6 - 1);
    return { ms, cpu: used / mails.length, loopDelay: { p99: late(delay.percentile(99)), max: late(delay.max) }, outcomes };
  } finally {
    await pipeline.close();
  }
}

const bench: Bench = {
  name: 'inbound mail',
  async run(ctx) {
    const mails = inboundMails();
    // Warm up mailparser (and the JIT) on every mail once, so neither side pays for it.
    for (const m of mails) await simpleParser(m.raw);
    const alone = await receiveAll(mails, 1);
    const together = await receiveAll(mails, IN_FLIGHT);
    const diskDir = fs.mkdtempSync(path.join(os.tmpdir(), 'casebook-bench-disk-'));
    const loaded = await underDiskLoad(diskDir, () => receiveAll(mails, IN_FLIGHT)).finally(() => fs.rmSync(diskDir, { recursive: true, force: true }));
    const parseCpu = mainThreadMicros();
    const parse = await time(async () => {
      for (const m of mails) await simpleParser(m.raw);
    });
    const parseMicros = (mainThreadMicros() - parseCpu) / mails.length;
    const rate = (ms: number) => Math.round((mails.length / ms) * 1000);
    const kinds = mails.reduce<Record<string, number>>((acc, m) => ((acc[m.kind] = (acc[m.kind] ?? 0) + 1), acc), {});
    const counted = (run: Run) =>
      `${run.outcomes.created} cases, ${run.outcomes.appended} replies appended, ${run.outcomes.ignored} ignored; main thread ${Math.round(run.cpu)} µs a mail (parsing alone ${Math.round(parseMicros)}); event loop late p99 ${run.loopDelay.p99.toFixed(1)} ms, max ${run.loopDelay.max.toFixed(1)} ms`;
    ctx.log(`inbound mail: ${mails.length} mails (${kinds.new} new, ${kinds.reply} replies, ${kinds.noise} noise)`);
    ctx.log(`inbound mail: one at a time ${rate(alone.ms)} mails/s (${counted(alone)})`);
    ctx.log(`inbound mail: ${IN_FLIGHT} in flight ${rate(together.ms)} mails/s (${counted(together)})`);
    ctx.log(`inbound mail: ${IN_FLIGHT} in flight, another process writing to the disk ${rate(loaded.ms)} mails/s (${counted(loaded)})`);
    ctx.log(`inbound mail: simpleParser alone ${rate(parse.ms)} mails/s, ratio ${(alone.ms / parse.ms).toFixed(1)}× and ${(together.ms / parse.ms).toFixed(1)}×`);
    const baseline = `mailparser simpleParser alone on the same mails (${rate(parse.ms)} mails/s)`;
    return [
      {
        figure: `${mails.length.toLocaleString('en')} raw mails through the inbound pipeline into a fresh database, one at a time (${rate(alone.ms)} mails/s)`,
        ms: alone.ms,
        baseline,
        baselineMs: parse.ms,
        note: counted(alone),
      },
      {
        figure: `the same, ${IN_FLIGHT} mails in flight (${rate(together.ms)} mails/s)`,
        ms: together.ms,
        baseline,
        baselineMs: parse.ms,
        note: counted(together),
      },
      {
        figure: `the same, ${IN_FLIGHT} in flight, another process writing 8 MiB blocks to the disk with an fsync each (${rate(loaded.ms)} mails/s)`,
        ms: loaded.ms,
        baseline,
        baselineMs: parse.ms,
        note: counted(loaded),
      },
    ];
  },
};

export default bench;
