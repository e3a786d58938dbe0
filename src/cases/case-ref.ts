/** Public case references: `C-1042`. Internally a case is its integer id. */
export function caseRef(id: number): string {
  return `C-${id}`;
}

/** Parses `C-1042` (any case) or a bare `1042`; null for anything else. */
export function parseCaseRef(ref: string): number | null {
  const match = /^(?:[Cc]-)?(\d{1,15})$/.exec(ref.trim());
  if (!match) return null;
  const id = Number(match[1]);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}
