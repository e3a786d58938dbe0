/**
 * An attachment of a case as the viewer may see it: staff who may see the case see all of its
 * files (internal notes' files and inbound mails' originals too); the case's customer only
 * those their projection lists (`readCustomerAttachments`, case-read.ts). Anything else is NOT_FOUND, so a hidden
 * file's existence is not revealed.
 */
import { findAttachment, type AttachmentRow } from '../attachments/read.js';
import { DomainError } from '../errors.js';
import type { Principal } from '../http/types.js';
import type { Services } from '../services.js';
import { assertCanSee } from './access.js';
import { caseRef } from './case-ref.js';
import type { CaseRow } from './case-view.js';
import { customerMaySee } from './case-read.js';

export function parseAttachmentId(raw: string | undefined): number | null {
  return raw !== undefined && /^[1-9]\d{0,15}$/.test(raw) ? Number(raw) : null;
}

export async function findVisibleAttachment(services: Services, principal: Principal, row: CaseRow, rawId: string | undefined): Promise<AttachmentRow> {
  assertCanSee(principal, row);
  const id = parseAttachmentId(rawId);
  const notFound = () => new DomainError('NOT_FOUND', `No attachment ${rawId ?? ''} on ${caseRef(row.id)}.`);
  if (id === null) throw notFound();
  const attachment = await services.store.query(async (q) => {
    const found = await findAttachment(q, row.id, id);
    return found && (principal.actor.type !== 'customer' || (await customerMaySee(q, row.id, id))) ? found : undefined;
  });
  if (!attachment) throw notFound();
  return attachment;
}
