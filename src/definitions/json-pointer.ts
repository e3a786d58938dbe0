/**
 * JSON pointers (RFC 6901) over definition documents, and the few edits the builders make
 * through them: set a value where it stands (creating missing objects), remove a key or an
 * item, rename a key in place. `__proto__`, which would reach an object's prototype, is refused;
 * `constructor` or `prototype` are names like any other (a workflow state may be called so): every
 * read goes through own keys only.
 */
export type Segment = string | number;
export type Doc = Record<string, unknown>;

const FORBIDDEN = new Set(['__proto__']);

/** RFC 6901 JSON pointer of path segments: `['rules', 0, 'name']` → `/rules/0/name`. */
export function pointer(segments: readonly Segment[]): string {
  return segments.map((s) => `/${String(s).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/** Segments of a pointer (strings), or null when it is not one. */
export function parsePointer(text: string): string[] | null {
  if (text === '') return [];
  if (!text.startsWith('/') || text.length > 1000) return null;
  const segments = text
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  return segments.some((s) => FORBIDDEN.has(s)) ? null : segments;
}

/** A JSON path as problems give it (`$.rules[0].conditions.all[1]`, `$["a b"]`) as a pointer. */
export function pointerOfJsonPath(path: string): string {
  const segments: Segment[] = [];
  const re = /\.([A-Za-z_$][A-Za-z0-9_$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(path)) !== null) {
    if (m[1] !== undefined) segments.push(m[1]);
    else if (m[2] !== undefined) segments.push(Number(m[2]));
    else segments.push(JSON.parse(m[3]!) as string);
  }
  return pointer(segments);
}

function isContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  return typeof value === 'object' && value !== null;
}

function child(value: unknown, segment: string): unknown {
  if (Array.isArray(value)) return /^\d+$/.test(segment) ? value[Number(segment)] : undefined;
  if (isContainer(value) && Object.hasOwn(value, segment)) return (value as Record<string, unknown>)[segment];
  return undefined;
}

export function getAt(doc: unknown, segments: readonly Segment[]): unknown {
  let value = doc;
  for (const s of segments) value = child(value, String(s));
  return value;
}

/**
 * Sets a value in place (an existing key keeps its position; a new one goes last). Missing
 * parent objects are created (`sla` for `sla.pause`); false when the path runs through
 * something else.
 */
export function setAt(doc: unknown, segments: readonly Segment[], value: unknown): boolean {
  if (segments.length === 0) return false;
  let node = doc;
  for (const s of segments.slice(0, -1)) {
    const key = String(s);
    if (FORBIDDEN.has(key)) return false;
    const next = child(node, key);
    if (next === undefined && isContainer(node) && !Array.isArray(node)) {
      (node as Record<string, unknown>)[key] = {};
    }
    node = child(node, key);
  }
  const parent = node;
  const last = String(segments.at(-1));
  if (FORBIDDEN.has(last)) return false;
  if (Array.isArray(parent)) {
    if (!/^\d+$/.test(last) || Number(last) > parent.length) return false;
    parent[Number(last)] = value;
    return true;
  }
  if (!isContainer(parent)) return false;
  (parent as Record<string, unknown>)[last] = value;
  return true;
}

/** Removes a key, or an item of an array (the rest move up). */
export function removeAt(doc: unknown, segments: readonly Segment[]): boolean {
  if (segments.length === 0) return false;
  const parent = getAt(doc, segments.slice(0, -1));
  const last = String(segments.at(-1));
  if (Array.isArray(parent)) {
    if (!/^\d+$/.test(last) || Number(last) >= parent.length) return false;
    parent.splice(Number(last), 1);
    return true;
  }
  if (!isContainer(parent) || !Object.hasOwn(parent, last)) return false;
  delete (parent as Record<string, unknown>)[last];
  return true;
}

/** Renames a key of an object, keeping its position. */
export function renameKey(doc: unknown, segments: readonly Segment[], to: string): boolean {
  const parent = getAt(doc, segments.slice(0, -1));
  const from = String(segments.at(-1));
  if (!isContainer(parent) || Array.isArray(parent) || !Object.hasOwn(parent, from) || FORBIDDEN.has(to) || Object.hasOwn(parent, to)) return false;
  const entries = Object.entries(parent).map(([k, v]) => [k === from ? to : k, v] as const);
  for (const k of Object.keys(parent)) delete (parent as Record<string, unknown>)[k];
  for (const [k, v] of entries) (parent as Record<string, unknown>)[k] = v;
  return true;
}
