/**
 * The files of a timeline entry: name (a download link), size; on the staff side also what
 * kind of file it is when that is not plain (a mail's inline part, the original mail), and a
 * mail's inline images shown above the list. Names
 * are text like any other user text (escaped; bidi controls removed when stored).
 */
import { formatBytes } from '../../src/attachments/settings.js';

export interface FileLink {
  id: number;
  name: string;
  size: number;
  mediaType?: string;
  kind?: string;
}

const KIND_NOTES: Record<string, string> = { inline: 'inline in the mail', 'original-mail': 'the original mail' };

/**
 * Images a browser shows as they are (the download route serves these types as declared; any
 * other, SVG included, as a download only). A mail's inline images — a pasted screenshot, a
 * photo in the text — are what the customer showed: staff see them, not just their names.
 */
const SHOWN_IMAGES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

export function AttachmentList(p: { caseRef: string; files: FileLink[] | undefined }) {
  if (!p.files || p.files.length === 0) return null;
  const url = (f: FileLink) => `/cases/${p.caseRef}/attachments/${f.id}`;
  const shown = p.files.filter((f) => f.kind === 'inline' && f.mediaType !== undefined && SHOWN_IMAGES.has(f.mediaType));
  return (
    <>
      {shown.length > 0 ? (
        <div class="inline-images">
          {shown.map((f) => (
            <a href={url(f)} download={f.name}>
              <img src={url(f)} alt={`${f.name} (inline in the mail)`} loading="lazy" />
            </a>
          ))}
        </div>
      ) : null}
      <ul class="attachments" aria-label="Attachments">
        {p.files.map((f) => (
          <li>
            <a href={url(f)} download={f.name}>
              {f.name}
            </a>{' '}
            <span class="muted">{`(${formatBytes(f.size)}${f.kind && KIND_NOTES[f.kind] ? `, ${KIND_NOTES[f.kind]}` : ''})`}</span>
          </li>
        ))}
      </ul>
    </>
  );
}
