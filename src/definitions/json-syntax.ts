/**
 * Finds where JSON text stops being valid, for error messages with a line and column
 * (Node 20's JSON.parse does not always say where). A small recursive-descent scanner
 * over the JSON grammar (RFC 8259); returns null when the text is valid.
 */
export interface SyntaxPosition {
  offset: number;
  line: number;
  column: number;
  message: string;
}

class Stop extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Characters that look like nothing or like JSON's own, as text pasted from a chat, a web page
 * or a word processor brings them (or an editor's byte order mark): named, since quoting them
 * shows nothing a reader can act on.
 */
const LOOKALIKES: ReadonlyMap<string, string> = new Map([
  ['\ufeff', 'a byte order mark'],
  ['\u00a0', 'a no-break space'],
  ['\u200b', 'a zero-width space'],
  ['\u200c', 'a zero-width non-joiner'],
  ['\u200d', 'a zero-width joiner'],
  ['\u2060', 'a word joiner'],
  ['\u2028', 'a line separator'],
  ['\u2029', 'a paragraph separator'],
  ['\u202f', 'a narrow no-break space'],
  ['\u3000', 'an ideographic space'],
]);
const TYPOGRAPHIC_QUOTES = new Set(['\u201c', '\u201d', '\u201e', '\u201f', '\u2018', '\u2019', '\u00ab', '\u00bb', '\u2033']);

/** The character at `at` as an error message names it. */
function shown(text: string, at: number): string {
  const ch = text[at]!;
  if (ch < '\u0080') return JSON.stringify(ch);
  const code = `U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  if (ch === '\ufeff' && at === 0) return `a byte order mark (${code}) at the start: save the file as UTF-8 without a BOM`;
  const name = LOOKALIKES.get(ch) ?? (/[\s\p{Cf}]/u.test(ch) ? 'an invisible character' : null);
  if (name) return `${name} (${code}): JSON allows only ordinary spaces, tabs and line breaks between its parts`;
  if (TYPOGRAPHIC_QUOTES.has(ch)) return `${JSON.stringify(ch)}, a typographic quote (${code}): JSON's strings and names are in straight double quotes (")`;
  return JSON.stringify(ch);
}

export function findJsonSyntaxError(text: string): SyntaxPosition | null {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const fail = (message: string): never => {
    throw new Stop(i, i >= text.length ? 'unexpected end of the text' : `${message}, found ${shown(text, i)}`);
  };
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else fail(`expected ${word}`);
  };
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      const ch = text.charCodeAt(i);
      if (ch < 0x20) fail('control character in a string');
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail('bad \\u escape');
          i += 5;
        } else if (text[i] !== undefined && '"\\/bfnrt'.includes(text[i]!)) i++;
        else fail('bad escape');
      } else i++;
    }
    if (i >= text.length) fail('unterminated string');
    i++;
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!match || match[0] === '' || match[0] === '-') fail('expected a value');
    i += match![0].length;
  };
  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a property name in double quotes');
        string();
        ws();
        if (text[i] !== ':') fail('expected ":"');
        i++;
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail('expected "," or "}"');
      }
    }
    if (ch === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail('expected "," or "]"');
      }
    }
    if (ch === '"') return string();
    if (ch === 't') return literal('true');
    if (ch === 'f') return literal('false');
    if (ch === 'n') return literal('null');
    return number();
  };
  try {
    value();
    ws();
    if (i < text.length) fail('expected the end of the text');
    return null;
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
    const before = text.slice(0, error.offset);
    const line = before.split('\n').length;
    return { offset: error.offset, line, column: error.offset - before.lastIndexOf('\n'), message: error.message };
  }
}
