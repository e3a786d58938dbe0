/**
 * A browser's form submission, for `app.request()` tests: the successful controls of a form
 * in a rendered page (hidden and text inputs, checked boxes, selected options, text areas),
 * in document order — what a browser would post when the form is submitted as it is.
 * Only for our own markup (double-quoted attributes, no nested forms).
 */

function decode(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&amp;/g, '&');
}

function attributes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/([\w:-]+)(?:="([^"]*)")?/g)) out.set(m[1]!, m[2] === undefined ? '' : decode(m[2]));
  return out;
}

/** The body of the form with this id, or throws. */
export function formHtml(html: string, id: string): string {
  const start = html.indexOf(`<form id="${id}"`);
  if (start < 0) throw new Error(`no form #${id} in the page`);
  const end = html.indexOf('</form>', start);
  return html.slice(start, end);
}

/** Name/value pairs a browser would submit (no submit button). */
export function formFields(html: string, id: string): [string, string][] {
  const body = formHtml(html, id);
  const out: [string, string][] = [];
  const tag = /<(input|select|textarea)\b([^>]*)>/g;
  let m: RegExpExecArray | null;
  while ((m = tag.exec(body)) !== null) {
    const [, kind, raw] = m;
    const attrs = attributes(raw!);
    const name = attrs.get('name');
    if (kind === 'textarea') {
      const close = body.indexOf('</textarea>', tag.lastIndex);
      // The HTML parser drops one newline right after <textarea>.
      const text = decode(body.slice(tag.lastIndex, close)).replace(/^\n/, '');
      tag.lastIndex = close;
      if (name && !attrs.has('disabled')) out.push([name, text]);
      continue;
    }
    if (kind === 'select') {
      const close = body.indexOf('</select>', tag.lastIndex);
      const options = [...body.slice(tag.lastIndex, close).matchAll(/<option\b([^>]*)>/g)].map((o) => attributes(o[1]!));
      tag.lastIndex = close;
      const chosen = options.find((o) => o.has('selected')) ?? options[0];
      if (name && chosen && !attrs.has('disabled')) out.push([name, chosen.get('value') ?? '']);
      continue;
    }
    const type = attrs.get('type') ?? 'text';
    if (!name || attrs.has('disabled') || ['submit', 'button', 'image', 'reset', 'file'].includes(type)) continue;
    if ((type === 'checkbox' || type === 'radio') && !attrs.has('checked')) continue;
    out.push([name, attrs.get('value') ?? (type === 'checkbox' ? 'on' : '')]);
  }
  return out;
}

/** The fields with some replaced (`set`), removed (`unset`, also single name=value pairs) or added. */
export function withFields(fields: [string, string][], change: { set?: Record<string, string>; unset?: (string | [string, string])[]; add?: [string, string][] }): [string, string][] {
  const set = change.set ?? {};
  const out = fields
    .filter(([k, v]) => !(change.unset ?? []).some((u) => (Array.isArray(u) ? u[0] === k && u[1] === v : u === k)))
    .map(([k, v]): [string, string] => (Object.hasOwn(set, k) ? [k, set[k]!] : [k, v]));
  for (const [k, v] of Object.entries(set)) if (!out.some(([name]) => name === k)) out.push([k, v]);
  return [...out, ...(change.add ?? [])];
}
