/**
 * docs/deploying.md's reverse-proxy examples are copied as they are, so they must set what
 * TRUST_PROXY relies on. Found by running them (Debian 12's nginx 1.22 and Caddy 2.6 in front
 * of `npm start`): `http2 on;` is unknown to nginx 1.22 (the example did not start), and the
 * `/metrics` location, with no `proxy_set_header` of its own, inherited none from its sibling
 * `location /`, so a client's own X-Forwarded-For reached Casebook as the client address.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/harness.js';

const DOC = fs.readFileSync(path.join(ROOT, 'docs/deploying.md'), 'utf8');

function fenced(lang: string): string {
  const block = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(DOC)?.[1];
  if (!block) throw new Error(`no ${lang} example in docs/deploying.md`);
  return block;
}

interface Block {
  head: string;
  /** The directives directly inside it (not in nested blocks). */
  directives: string[];
  children: Block[];
}

/** nginx's configuration as blocks of directives (comments dropped). */
function parseNginx(text: string): Block {
  const root: Block = { head: '', directives: [], children: [] };
  const stack = [root];
  let current = '';
  for (const ch of text.replace(/#[^\n]*/g, '')) {
    if (ch === '{') {
      const block: Block = { head: current.trim(), directives: [], children: [] };
      stack.at(-1)!.children.push(block);
      stack.push(block);
      current = '';
    } else if (ch === ';') {
      stack.at(-1)!.directives.push(current.trim().replace(/\s+/g, ' '));
      current = '';
    } else if (ch === '}') {
      stack.pop();
      current = '';
    } else current += ch;
  }
  return root;
}

describe('docs/deploying.md, behind nginx', () => {
  const nginx = parseNginx(fenced('nginx'));
  const proxied = nginx.children.filter((server) => server.children.some((location) => location.directives.some((d) => d.startsWith('proxy_pass '))));

  it('works with the nginx of Debian 12 (1.22): no `http2 on;`', () => {
    expect(fenced('nginx')).not.toMatch(/^\s*http2\s+on\s*;/m);
    expect(proxied.length).toBe(1);
    expect(proxied[0]!.directives.some((d) => /^listen 443 ssl http2$/.test(d))).toBe(true);
  });

  it('sets X-Forwarded-For and X-Forwarded-Proto for every location that proxies, /metrics included', () => {
    const server = proxied[0]!;
    const own = (block: Block) => block.directives.filter((d) => d.startsWith('proxy_set_header '));
    const locations = server.children.filter((l) => l.directives.some((d) => d.startsWith('proxy_pass ')));
    expect(locations.map((l) => l.head)).toEqual(['location /', 'location = /metrics']);
    for (const location of locations) {
      // nginx: a block with proxy_set_header of its own inherits none from the levels above
      const headers = own(location).length > 0 ? own(location) : own(server);
      expect(headers, location.head).toContain('proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for');
      expect(headers, location.head).toContain('proxy_set_header X-Forwarded-Proto $scheme');
    }
  });
});

describe('docs/deploying.md, behind Caddy', () => {
  it('proxies with Caddy’s own forwarded headers and starts Casebook with TRUST_PROXY and an https PUBLIC_URL', () => {
    expect(fenced('caddy')).toMatch(/^\s*reverse_proxy 127\.0\.0\.1:3000$/m);
    expect(DOC).toContain('PUBLIC_URL=https://support.example.com TRUST_PROXY=true NODE_ENV=production npm start');
  });
});
