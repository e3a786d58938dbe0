/**
 * Text responses go out compressed (htmx was 52 KB raw), and there is a favicon. Real
 * HTTP through the app with the real migrations; bodies are decompressed and compared.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acceptsCompression, chosenEncoding } from '../../src/http/middleware/compress.js';
import { acceptedEncoding } from '../../src/http/pages/assets.js';
import { ADMIN_TOKEN, createHarness, ROOT, type Harness } from '../support/harness.js';

const require = createRequire(import.meta.url);
const HTMX = fs.readFileSync(require.resolve('htmx.org/dist/htmx.min.js'));

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(() => h.close());

const get = (url: string, headers: Record<string, string> = {}) => h.app.request(`http://localhost${url}`, { headers });
const bytes = async (res: Response) => Buffer.from(await res.arrayBuffer());

async function htmxUrl(): Promise<string> {
  const page = await (await get('/login')).text();
  return /src="(\/assets\/htmx\.min\.js\?v=[a-f0-9]+)"/.exec(page)![1]!;
}

describe('compression', () => {
  it('sends htmx brotli- or gzip-compressed as the browser accepts, and plain otherwise', async () => {
    const url = await htmxUrl();
    const br = await get(url, { 'Accept-Encoding': 'gzip, deflate, br, zstd' });
    expect(br.status).toBe(200);
    expect(br.headers.get('Content-Encoding')).toBe('br');
    expect(br.headers.get('Vary')).toContain('Accept-Encoding');
    const brBody = await bytes(br);
    expect(brBody.length).toBeLessThan(HTMX.length / 3);
    expect(zlib.brotliDecompressSync(brBody).equals(HTMX)).toBe(true);

    const gz = await get(url, { 'Accept-Encoding': 'gzip' });
    expect(gz.headers.get('Content-Encoding')).toBe('gzip');
    expect(zlib.gunzipSync(await bytes(gz)).equals(HTMX)).toBe(true);
    expect(gz.headers.get('ETag')).not.toBe(br.headers.get('ETag'));

    const plain = await get(url);
    expect(plain.headers.get('Content-Encoding')).toBeNull();
    expect((await bytes(plain)).equals(HTMX)).toBe(true);
    // a conditional request for the compressed copy still gets its 304
    expect((await get(url, { 'Accept-Encoding': 'br', 'If-None-Match': br.headers.get('ETag')! })).status).toBe(304);
  });

  it('compresses pages, fragments and API JSON', async () => {
    const page = await get('/login', { 'Accept-Encoding': 'gzip' });
    expect(page.headers.get('Content-Encoding')).toBe('gzip');
    expect(zlib.gunzipSync(await bytes(page)).toString('utf8')).toContain('Sign in');

    // Compressed in memory, with its length (not streamed out chunked); a strong ETag made weak.
    const api = await get('/api/v1/openapi.json', { 'Accept-Encoding': 'gzip', Authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(api.status).toBe(200);
    expect(api.headers.get('Content-Encoding')).toBe('gzip');
    expect(api.headers.get('Vary')).toContain('Accept-Encoding');
    const body = await bytes(api);
    expect(Number(api.headers.get('Content-Length'))).toBe(body.length);
    expect(JSON.parse(zlib.gunzipSync(body).toString('utf8'))).toHaveProperty('openapi');
    const deflated = await get('/api/v1/openapi.json', { 'Accept-Encoding': 'deflate', Authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(deflated.headers.get('Content-Encoding')).toBe('deflate');
    expect(JSON.parse(zlib.inflateSync(await bytes(deflated)).toString('utf8'))).toHaveProperty('openapi');
  });

  it('sends answers under 1 KiB as they are, saying they vary by Accept-Encoding', async () => {
    const small = await get('/api/v1/queues', { 'Accept-Encoding': 'gzip', Authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(small.status).toBe(200);
    expect(small.headers.get('Content-Encoding')).toBeNull();
    expect(small.headers.get('Vary')).toContain('Accept-Encoding');
    const body = await bytes(small);
    expect(body.length).toBeLessThan(1024);
    expect(JSON.parse(body.toString('utf8'))).toBeTruthy();
  });

  it('answers a client that takes no compression as it is, still saying the answer varies by Accept-Encoding', async () => {
    const api = await get('/api/v1/queues', { Authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(api.headers.get('Content-Encoding')).toBeNull();
    expect(api.headers.get('Vary')).toContain('Accept-Encoding');
    expect(api.headers.get('Content-Type')).toContain('application/json');
    expect(JSON.parse((await bytes(api)).toString('utf8'))).toBeTruthy();
    const identity = await get('/login', { 'Accept-Encoding': 'identity' });
    expect(identity.headers.get('Content-Encoding')).toBeNull();
    expect(identity.headers.get('Vary')).toContain('Accept-Encoding');
    expect(acceptsCompression('gzip;q=0, deflate;q=0')).toBe(false);
    expect(acceptsCompression('br')).toBe(false);
    expect(acceptsCompression('deflate')).toBe(true);
    expect(acceptsCompression('*')).toBe(true);
    expect(chosenEncoding('deflate, gzip;q=0.5')).toBe('deflate');
    expect(chosenEncoding('gzip;q=0.4, deflate;q=0.8')).toBe('deflate');
    expect(chosenEncoding('br, *;q=0.1')).toBe('gzip');
    expect(chosenEncoding('gzip;q=0, *')).toBe('deflate');
  });

  it('reads Accept-Encoding with its q-values', () => {
    expect(acceptedEncoding(undefined)).toBeNull();
    expect(acceptedEncoding('identity')).toBeNull();
    expect(acceptedEncoding('gzip;q=0, br;q=0')).toBeNull();
    expect(acceptedEncoding('gzip, br;q=0')).toBe('gzip');
    expect(acceptedEncoding('br;q=0.5, gzip')).toBe('br');
    expect(acceptedEncoding('*')).toBe('gzip');
  });
});

describe('favicon', () => {
  it('serves /favicon.ico and links an SVG icon from every page', async () => {
    const ico = await get('/favicon.ico');
    expect(ico.status).toBe(200);
    expect(ico.headers.get('Content-Type')).toBe('image/x-icon');
    const body = await bytes(ico);
    expect(body.equals(fs.readFileSync(path.join(ROOT, 'public', 'favicon.ico')))).toBe(true);
    expect([...body.subarray(0, 4)]).toEqual([0, 0, 1, 0]);

    const page = await (await get('/login')).text();
    expect(page).toContain('<link rel="icon" href="/favicon.ico"');
    const svgUrl = /<link rel="icon" href="(\/assets\/favicon\.svg\?v=[a-f0-9]+)" type="image\/svg\+xml"/.exec(page)![1]!;
    const svg = await get(svgUrl);
    expect(svg.status).toBe(200);
    expect(svg.headers.get('Content-Type')).toBe('image/svg+xml');
    expect(await svg.text()).toContain('<svg');
  });
});
