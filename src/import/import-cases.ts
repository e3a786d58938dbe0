/**
 * Bulk import of cases from NDJSON lines (one case per line, the shape of the single import,
 * docs/import.md). Lines are imported one after the other as they arrive; each good line is
 * its own transaction, so a bad line never undoes the good ones and a re-run of the same file
 * skips the cases already imported (by `externalId`, required here).
 *
 * Progress and per-line errors are reported through `onEvent` as they happen; the summary
 * keeps the first `maxErrors` errors (counts are always complete).
 */
import { importCase, importCaseSchema } from '../cases/import-case.js';
import { issueMessage } from '../definitions/problems.js';
import { DomainError, ValidationError } from '../errors.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import type { NdjsonLine } from './ndjson-lines.js';

export interface LineError {
  line: number;
  code: string;
  detail: string;
  externalId?: string;
}

export interface ImportSummary {
  /** Lines read, blank ones included. */
  lines: number;
  imported: number;
  /** Cases whose externalId was imported before: left as they are. */
  skipped: number;
  failed: number;
  errors: LineError[];
  /** True when more errors happened than `errors` lists. */
  errorsTruncated: boolean;
}

export type ImportEvent =
  | ({ type: 'error' } & LineError)
  | { type: 'imported' | 'skipped'; line: number; externalId: string; case: number }
  | { type: 'progress'; line: number; imported: number; skipped: number; failed: number };

export interface ImportCasesOptions {
  /** Called for every error and every `progressEvery` lines; awaited (back-pressure). */
  onEvent?: (event: ImportEvent) => void | Promise<void>;
  progressEvery?: number;
  maxErrors?: number;
}

function detailOf(error: unknown): { code: string; detail: string } {
  if (error instanceof ValidationError) return { code: error.code, detail: error.issues.map((i) => `${i.path}: ${i.message}`).join('; ') };
  if (error instanceof DomainError) return { code: error.code, detail: error.message };
  return { code: 'INTERNAL', detail: 'The line could not be imported because of an internal error.' };
}

function parseLine(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new DomainError('MALFORMED_JSON', `Not valid JSON: ${(error as Error).message}`);
  }
}

async function importLine(services: Services, text: string, actor: Actor): Promise<{ externalId: string; caseId: number; created: boolean }> {
  const value = parseLine(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DomainError('MALFORMED_JSON', 'Each line must be one JSON object.');
  const parsed = importCaseSchema.safeParse(value);
  if (!parsed.success) {
    throw new ValidationError(parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(line)', message: issueMessage(i, value) })));
  }
  const externalId = parsed.data.externalId;
  if (externalId === undefined) throw new ValidationError([{ path: 'externalId', message: 'required in a bulk import (re-runs skip what was imported by it)' }]);
  const result = await importCase(services, parsed.data, actor);
  return { externalId, caseId: result.case.id, created: result.created };
}

/** Imports every line; answers with the summary once the last line is done. */
export async function importCases(services: Services, lines: AsyncIterable<NdjsonLine>, actor: Actor, options: ImportCasesOptions = {}): Promise<ImportSummary> {
  const progressEvery = options.progressEvery ?? 1000;
  const maxErrors = options.maxErrors ?? 1000;
  const emit = options.onEvent ?? (() => undefined);
  const summary: ImportSummary = { lines: 0, imported: 0, skipped: 0, failed: 0, errors: [], errorsTruncated: false };
  let sinceProgress = 0;

  for await (const entry of lines) {
    summary.lines = entry.line;
    let error: LineError | null = null;
    if (entry.tooLong) {
      error = { line: entry.line, code: 'PAYLOAD_TOO_LARGE', detail: 'The line is longer than the limit; split the case or shorten its messages.' };
    } else {
      try {
        const done = await importLine(services, entry.text, actor);
        if (done.created) summary.imported++;
        else summary.skipped++;
        await emit({ type: done.created ? 'imported' : 'skipped', line: entry.line, externalId: done.externalId, case: done.caseId });
      } catch (caught) {
        if (!(caught instanceof DomainError)) services.logger.error('import: line failed', { line: entry.line, error: caught instanceof Error ? caught.message : String(caught) });
        const externalId = externalIdOf(entry.text);
        error = { line: entry.line, ...detailOf(caught), ...(externalId !== undefined ? { externalId } : {}) };
      }
    }
    if (error) {
      summary.failed++;
      if (summary.errors.length < maxErrors) summary.errors.push(error);
      else summary.errorsTruncated = true;
      await emit({ type: 'error', ...error });
    }
    // Let other requests (and the timers) run between lines: rule evaluation only awaits
    // promises, so without this a long import would hold the event loop to itself.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (++sinceProgress >= progressEvery) {
      sinceProgress = 0;
      services.outbox.kick();
      await emit({ type: 'progress', line: entry.line, imported: summary.imported, skipped: summary.skipped, failed: summary.failed });
    }
  }
  services.outbox.kick();
  return summary;
}

/** The line's externalId when it has one, to name the failed case in the error. */
function externalIdOf(text: string): string | undefined {
  try {
    const value = JSON.parse(text) as { externalId?: unknown };
    return typeof value?.externalId === 'string' ? value.externalId : undefined;
  } catch {
    return undefined;
  }
}
