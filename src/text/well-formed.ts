/**
 * Lone UTF-16 surrogates (half an emoji: JSON may carry `"\ud83d"` alone) replaced by U+FFFD,
 * as String.prototype.toWellFormed does (ES2024, not in our lib yet). Such a string cannot be
 * encoded as UTF-8: SQLite stores invalid bytes, and PostgreSQL refuses it in a jsonb value
 * (a timeline entry), which was a 500.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD');
}
