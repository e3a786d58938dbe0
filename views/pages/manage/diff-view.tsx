/**
 * A line diff of two versions of a definition (`diffLines` over their canonical JSON):
 * added and removed lines marked with a sign, a word (for screen readers) and a colour,
 * with a few lines of context; longer unchanged stretches are folded.
 */
import type { DiffLine } from '../../../src/definitions/diff.js';

function count(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? '' : 's'}`;
}

interface Hunk {
  skipped: number;
  lines: DiffLine[];
}

/** Changed lines with `context` unchanged lines around them; longer unchanged runs are folded. */
export function hunks(lines: DiffLine[], context = 3): Hunk[] {
  const keep = lines.map(() => false);
  lines.forEach((line, i) => {
    if (line.kind === 'same') return;
    for (let k = Math.max(0, i - context); k <= Math.min(lines.length - 1, i + context); k++) keep[k] = true;
  });
  const out: Hunk[] = [];
  let skipped = 0;
  let current: DiffLine[] | null = null;
  lines.forEach((line, i) => {
    if (!keep[i]) {
      skipped++;
      current = null;
      return;
    }
    if (!current) {
      current = [];
      out.push({ skipped, lines: current });
      skipped = 0;
    }
    current.push(line);
  });
  if (skipped > 0) out.push({ skipped, lines: [] });
  return out;
}

const SIGN = { added: '+', removed: '−', same: ' ' } as const;

/** A line diff, added and removed lines marked with a sign, a word and a colour. */
export function DiffView(p: { lines: DiffLine[]; caption: string; id?: string }) {
  const added = p.lines.filter((l) => l.kind === 'added').length;
  const removed = p.lines.filter((l) => l.kind === 'removed').length;
  return (
    <div class="diff-wrap" id={p.id}>
      <p class="diff-summary">
        <span class="diff-count-added">{`+${count(added, 'line')} added`}</span>, <span class="diff-count-removed">{`−${count(removed, 'line')} removed`}</span>
      </p>
      <table class="diff">
        <caption class="visually-hidden">{p.caption}</caption>
        <thead class="visually-hidden">
          <tr>
            <th scope="col">Old line</th>
            <th scope="col">New line</th>
            <th scope="col">Change</th>
            <th scope="col">Text</th>
          </tr>
        </thead>
        <tbody>
          {hunks(p.lines).map((h) => (
            <>
              {h.skipped > 0 ? (
                <tr class="diff-skip">
                  <td colspan={4}>{`… ${count(h.skipped, 'unchanged line')}`}</td>
                </tr>
              ) : null}
              {h.lines.map((l) => (
                <tr class={`diff-${l.kind}`}>
                  <td class="diff-num">{l.oldLine ?? ''}</td>
                  <td class="diff-num">{l.newLine ?? ''}</td>
                  <td class="diff-sign">
                    <span aria-hidden="true">{SIGN[l.kind]}</span>
                    <span class="visually-hidden">{l.kind === 'same' ? 'unchanged' : l.kind}</span>
                  </td>
                  <td class="diff-text">
                    <pre>{l.text}</pre>
                  </td>
                </tr>
              ))}
            </>
          ))}
        </tbody>
      </table>
    </div>
  );
}
