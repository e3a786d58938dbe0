-- A received mail's fingerprint (src/channels/email/fingerprint.ts): another mail that reuses a
-- Message-ID already received (a sender's broken mailer) is told from a re-delivery of the same mail.
ALTER TABLE `email_messages` ADD `fingerprint` text;
