/**
 * Attachment settings (README "Configuration", docs/email.md "Attachments"): where the files
 * are stored and how large and how many they may be. Read from the environment by
 * `attachmentSettingsFromEnv`; services carry them, tests build their own.
 */
import path from 'node:path';

export interface AttachmentSettings {
  /** The content-addressed store (`ATTACHMENTS_DIR`; default a `files` folder beside the database: `./data/files`). */
  dir: string;
  /** True when `dir` is the default, beside the SQLite database (ATTACHMENTS_DIR not set). */
  besideDatabase?: boolean;
  /** Largest file, in bytes (`ATTACHMENT_MAX_BYTES`, default 20 MiB). */
  maxBytes: number;
  /** Most files on one message (`ATTACHMENT_MAX_COUNT`, default 20). */
  maxCount: number;
  /** Most bytes of files on one message together (`ATTACHMENT_MAX_TOTAL_BYTES`, default 25 MiB). */
  maxTotalBytes: number;
}

export const DEFAULT_ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024;
export const DEFAULT_ATTACHMENT_MAX_COUNT = 20;
export const DEFAULT_ATTACHMENT_MAX_TOTAL_BYTES = 25 * 1024 * 1024;

export class AttachmentSettingsError extends Error {}

export function defaultAttachmentSettings(dir: string, overrides: Partial<AttachmentSettings> = {}): AttachmentSettings {
  return { dir, maxBytes: DEFAULT_ATTACHMENT_MAX_BYTES, maxCount: DEFAULT_ATTACHMENT_MAX_COUNT, maxTotalBytes: DEFAULT_ATTACHMENT_MAX_TOTAL_BYTES, ...overrides };
}

function whole(name: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw.trim());
  if (!Number.isInteger(value) || value < 1 || value > max) throw new AttachmentSettingsError(`${name} must be a whole number from 1 to ${max}, got "${raw}"`);
  return value;
}

const GIB = 1024 * 1024 * 1024;

/** `databasePath`: the resolved DATABASE_PATH; without ATTACHMENTS_DIR the files live beside it (`./data/files` by default). */
export function attachmentSettingsFromEnv(env: NodeJS.ProcessEnv, cwd: string, databasePath: string): AttachmentSettings {
  return {
    dir: env.ATTACHMENTS_DIR ? path.resolve(cwd, env.ATTACHMENTS_DIR) : path.join(path.dirname(databasePath), 'files'),
    besideDatabase: !env.ATTACHMENTS_DIR,
    maxBytes: whole('ATTACHMENT_MAX_BYTES', env.ATTACHMENT_MAX_BYTES, DEFAULT_ATTACHMENT_MAX_BYTES, GIB),
    maxCount: whole('ATTACHMENT_MAX_COUNT', env.ATTACHMENT_MAX_COUNT, DEFAULT_ATTACHMENT_MAX_COUNT, 500),
    maxTotalBytes: whole('ATTACHMENT_MAX_TOTAL_BYTES', env.ATTACHMENT_MAX_TOTAL_BYTES, DEFAULT_ATTACHMENT_MAX_TOTAL_BYTES, 4 * GIB),
  };
}

/** "20 MB" for 20 MiB, "512 KB", "300 bytes": sizes as people read them. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} byte${bytes === 1 ? '' : 's'}`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const shown = value >= 10 || Number.isInteger(value) ? Math.round(value).toString() : value.toFixed(1);
  return `${shown} ${units[unit]}`;
}
