/**
 * The files of a timeline entry: name (a download link), size; on the staff side also what
 * kind of file it is when that is not plain (a mail's inline part, the original mail). Names
 * are text like any other user text (escaped; bidi controls removed when stored).
 */
import { formatBytes } from '../../src/attachments/settings.js';

export interface FileLink {
  id: number;
  name: string;
  size: number;
  kind?: string;
}

const KIND_NOTES: Record<string, string> = { inline: 'inline in the mail', 'original-mail': 'the original mail' };

export function AttachmentList(p: { caseRef: string; files: FileLink[] | undefined }) {
  if (!p.files || p.files.length === 0) return null;
  return (
    <ul class="attachments" aria-label="Attachments">
      {p.files.map((f) => (
        <li>
          <a href={`/cases/${p.caseRef}/attachments/${f.id}`} download={f.name}>
            {f.name}
          </a>{' '}
          <span class="muted">{`(${formatBytes(f.size)}${f.kind && KIND_NOTES[f.kind] ? `, ${KIND_NOTES[f.kind]}` : ''})`}</span>
        </li>
      ))}
    </ul>
  );
}
