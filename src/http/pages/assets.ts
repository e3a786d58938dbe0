/**
 * Static assets served by our own server: htmx from node_modules (no CDN), our CSS, our one
 * script (keyboard shortcuts) and the icon from `public/`. URLs carry a content hash (`?v=`), so responses may be cached for a
 * year; a changed file gets a new URL. Text assets go out compressed (brotli or gzip, as the
 * browser accepts), never compressed per request: the build writes the compressed copies
 * (scripts/build.mjs, `dist/assets/`, named by the plain bytes' SHA-256, so a copy of another
 * version is never read); without one an asset is compressed when first asked for that way.
 * Brotli at quality 11 is ~250 ms of CPU for the lot, which every server paid on its first page.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono, type Context } from 'hono';
import type { AppEnv } from '../types.js';
import { own } from '../../own.js';
import { REPO_ROOT } from '../../repo-root.js';

const PUBLIC_DIR = path.join(REPO_ROOT, 'public');
const require = createRequire(import.meta.url);

interface Asset {
  file: string;
  type: string;
}

const FILES: Record<string, Asset> = {
  'htmx.min.js': { file: require.resolve('htmx.org/dist/htmx.min.js'), type: 'text/javascript; charset=utf-8' },
  'app.js': { file: path.join(PUBLIC_DIR, 'app.js'), type: 'text/javascript; charset=utf-8' },
  'app.css': { file: path.join(PUBLIC_DIR, 'app.css'), type: 'text/css; charset=utf-8' },
  'api-docs.css': { file: path.join(PUBLIC_DIR, 'api-docs.css'), type: 'text/css; charset=utf-8' },
  'manage.css': { file: path.join(PUBLIC_DIR, 'manage.css'), type: 'text/css; charset=utf-8' },
  'workspace.css': { file: path.join(PUBLIC_DIR, 'workspace.css'), type: 'text/css; charset=utf-8' },
  'workspace.js': { file: path.join(PUBLIC_DIR, 'workspace.js'), type: 'text/javascript; charset=utf-8' },
  'manage-reports.css': { file: path.join(PUBLIC_DIR, 'manage-reports.css'), type: 'text/css; charset=utf-8' },
  'manage.js': { file: path.join(PUBLIC_DIR, 'manage.js'), type: 'text/javascript; charset=utf-8' },
  'chat-frame.js': { file: path.join(PUBLIC_DIR, 'chat-frame.js'), type: 'text/javascript; charset=utf-8' },
  'chat-frame.css': { file: path.join(PUBLIC_DIR, 'chat-frame.css'), type: 'text/css; charset=utf-8' },
  'chat-widget.js': { file: path.join(PUBLIC_DIR, 'chat-widget.js'), type: 'text/javascript; charset=utf-8' },
  'chat-agent.js': { file: path.join(PUBLIC_DIR, 'chat-agent.js'), type: 'text/javascript; charset=utf-8' },
  'favicon.svg': { file: path.join(PUBLIC_DIR, 'favicon.svg'), type: 'image/svg+xml' },
};

/** Browsers ask for `/favicon.ico` by themselves; the layout links the SVG too. */
const FAVICON_ICO = path.join(PUBLIC_DIR, 'favicon.ico');

interface Loaded {
  body: Buffer;
  /** SHA-256 of the bytes (hex): names the build's compressed copies; its first 12 digits are the URL's `?v=`. */
  digest: string;
  /** Text types: sent compressed to a browser that accepts it. */
  compressible: boolean;
  /** The compressed bodies read or made so far. */
  encoded: { br?: Buffer; gzip?: Buffer };
  type: string;
}

const COMPRESSIBLE = /^(text\/|image\/svg\+xml)/;

/** Where the build writes the compressed copies (scripts/build.mjs `precompressAssets`). */
export const PRECOMPRESSED_DIR = path.join(REPO_ROOT, 'dist', 'assets');

/** An asset's SHA-256 (hex), of its bytes. */
export function assetDigest(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

/** The file of a compressed copy in `dir`: named by the plain bytes' SHA-256 (`assetDigest`). */
export function precompressedFile(dir: string, digest: string, encoding: 'br' | 'gzip'): string {
  return path.join(dir, `${digest}.${encoding === 'br' ? 'br' : 'gz'}`);
}

/** The compression the build applies too: brotli at its best, gzip at 9 (once per version, so the smallest). */
export function compressAsset(body: Buffer, encoding: 'br' | 'gzip'): Buffer {
  return encoding === 'br' ? zlib.brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }) : zlib.gzipSync(body, { level: 9 });
}

/** The asset files the server serves compressed (scripts/build.mjs lists them itself; test/tooling/build.test.ts checks it covers these). */
export function compressibleAssetFiles(): string[] {
  return Object.values(FILES)
    .filter((a) => COMPRESSIBLE.test(a.type))
    .map((a) => a.file);
}

const loaded = new Map<string, Loaded>();

function load(name: string): Loaded | null {
  const cached = loaded.get(name);
  if (cached) return cached;
  const asset = own(FILES, name);
  if (!asset) return null;
  const body = fs.readFileSync(asset.file);
  const digest = assetDigest(body);
  const entry: Loaded = { body, digest, compressible: COMPRESSIBLE.test(asset.type), encoded: {}, type: asset.type };
  loaded.set(name, entry);
  return entry;
}

/** `asset` compressed: the build's copy, else compressed here, once. */
function encodedBody(asset: Loaded, encoding: 'br' | 'gzip'): Buffer {
  let body = asset.encoded[encoding];
  if (!body) {
    try {
      body = fs.readFileSync(precompressedFile(PRECOMPRESSED_DIR, asset.digest, encoding));
    } catch {
      body = compressAsset(asset.body, encoding);
    }
    asset.encoded[encoding] = body;
  }
  return body;
}

let faviconIco: Buffer | null = null;
function favicon(): Buffer {
  faviconIco ??= fs.readFileSync(FAVICON_ICO);
  return faviconIco;
}

/** `br` or `gzip` when the client accepts it (q > 0), brotli first; null for neither. */
export function acceptedEncoding(header: string | undefined): 'br' | 'gzip' | null {
  if (!header) return null;
  const accepted = new Set<string>();
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (q && !(Number(q.slice(2)) > 0)) continue;
    accepted.add(name.trim());
  }
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip') || accepted.has('*')) return 'gzip';
  return null;
}

/** The asset's version in its URL (`?v=`) and entity tags: its digest's first 12 digits. */
function versionOf(asset: Loaded): string {
  return asset.digest.slice(0, 12);
}

/** `/assets/<name>?v=<version>` for a known asset. */
export function assetUrl(name: keyof typeof FILES & string): string {
  const asset = load(name);
  if (!asset) throw new Error(`Unknown asset ${name}`);
  return `/assets/${name}?v=${versionOf(asset)}`;
}

export function assetRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/assets/:name', (c) => serveAsset(c, c.req.param('name')));
  // The live chat's loader: host sites put this address in their script tag (docs/chat.md).
  app.get('/chat/widget.js', (c) => serveAsset(c, 'chat-widget.js'));
  app.get('/favicon.ico', (c) => {
    c.header('Content-Type', 'image/x-icon');
    c.header('Cache-Control', 'public, max-age=86400');
    return c.body(new Uint8Array(favicon()), 200);
  });
  return app;
}

function serveAsset(c: Context<AppEnv>, name: string): Response {
  const asset = load(name);
  if (!asset) return c.notFound() as Response;
  const encoding = asset.compressible ? acceptedEncoding(c.req.header('Accept-Encoding')) : null;
  // one entity tag per representation: the compressed bytes differ from the plain ones
  const version = versionOf(asset);
  const etag = `"${version}${encoding ? `-${encoding}` : ''}"`;
  const headers: Record<string, string> = {
    'Content-Type': asset.type,
    'Cache-Control': c.req.query('v') === version ? 'public, max-age=31536000, immutable' : 'public, max-age=300',
    ETag: etag,
  };
  if (asset.compressible) headers.Vary = 'Accept-Encoding';
  if (c.req.header('If-None-Match') === etag) return c.body(null, 304, headers);
  if (encoding) headers['Content-Encoding'] = encoding;
  const body = encoding ? encodedBody(asset, encoding) : asset.body;
  return c.body(new Uint8Array(body), 200, headers);
}
