/**
 * Static assets served by our own server: htmx from node_modules (no CDN) and our CSS
 * from `public/`. URLs carry a content hash (`?v=`), so responses may be cached for a
 * year; a changed file gets a new URL.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { sha256 } from '../../auth/tokens.js';
import type { AppEnv } from '../types.js';
import { own } from '../../own.js';

const PUBLIC_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../public');
const require = createRequire(import.meta.url);

interface Asset {
  file: string;
  type: string;
}

const FILES: Record<string, Asset> = {
  'htmx.min.js': { file: require.resolve('htmx.org/dist/htmx.min.js'), type: 'text/javascript; charset=utf-8' },
  'app.css': { file: path.join(PUBLIC_DIR, 'app.css'), type: 'text/css; charset=utf-8' },
  'manage.css': { file: path.join(PUBLIC_DIR, 'manage.css'), type: 'text/css; charset=utf-8' },
  'manage-reports.css': { file: path.join(PUBLIC_DIR, 'manage-reports.css'), type: 'text/css; charset=utf-8' },
};

interface Loaded {
  body: Buffer;
  hash: string;
  type: string;
}

const loaded = new Map<string, Loaded>();

function load(name: string): Loaded | null {
  const cached = loaded.get(name);
  if (cached) return cached;
  const asset = own(FILES, name);
  if (!asset) return null;
  const body = fs.readFileSync(asset.file);
  const entry = { body, hash: sha256(body.toString('latin1')).slice(0, 12), type: asset.type };
  loaded.set(name, entry);
  return entry;
}

/** `/assets/<name>?v=<hash>` for a known asset. */
export function assetUrl(name: keyof typeof FILES & string): string {
  const asset = load(name);
  if (!asset) throw new Error(`Unknown asset ${name}`);
  return `/assets/${name}?v=${asset.hash}`;
}

export function assetRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/assets/:name', (c) => {
    const asset = load(c.req.param('name'));
    if (!asset) return c.notFound();
    const etag = `"${asset.hash}"`;
    const headers: Record<string, string> = {
      'Content-Type': asset.type,
      'Cache-Control': c.req.query('v') === asset.hash ? 'public, max-age=31536000, immutable' : 'public, max-age=300',
      ETag: etag,
    };
    if (c.req.header('If-None-Match') === etag) return c.body(null, 304, headers);
    return c.body(new Uint8Array(asset.body), 200, headers);
  });
  return app;
}
