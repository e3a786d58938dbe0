import { describe, expect, it } from 'vitest';
import { imapMailboxFromEnv, parseImapUrl, parseProcessed } from './imap-config.js';

describe('IMAP mailbox URLs', () => {
  it('reads host, port, TLS, user, password and mailbox; the label leaves the password out', () => {
    expect(parseImapUrl('imaps://help%40example.com:app%20pass%2F1@imap.example.com/Support/Inbox')).toEqual({
      host: 'imap.example.com',
      port: 993,
      secure: true,
      user: 'help@example.com',
      pass: 'app pass/1',
      path: 'Support/Inbox',
      label: 'imaps://help%40example.com@imap.example.com/Support/Inbox',
    });
    expect(parseImapUrl('imap://bob:pw@127.0.0.1:1143')).toMatchObject({ port: 1143, secure: false, path: 'INBOX', label: 'imap://bob@127.0.0.1:1143/INBOX' });
    expect(parseImapUrl('imap://bob:pw@mail.example.com/')).toMatchObject({ port: 143, path: 'INBOX' });
  });

  it('defaults: 60 s polling, processed mail flagged \\Seen; nothing without IMAP_URL', () => {
    expect(imapMailboxFromEnv({})).toBeNull();
    expect(imapMailboxFromEnv({ IMAP_URL: 'imaps://u:p@mail.example.com/INBOX' })).toEqual({ url: 'imaps://u:p@mail.example.com/INBOX', pollSeconds: 60, processed: { kind: 'seen' } });
    expect(parseProcessed('seen')).toEqual({ kind: 'seen' });
    expect(parseProcessed('move:Processed')).toEqual({ kind: 'move', folder: 'Processed' });
    expect(() => parseProcessed('move:')).toThrow(/IMAP_PROCESSED/);
  });
});
