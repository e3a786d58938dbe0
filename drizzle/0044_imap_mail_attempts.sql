-- The attempts at an IMAP mail that failed or never ended (src/channels/email/imap-attempts.ts,
-- docs/email.md "A mail that keeps failing"): kept in the database, so that a mail which keeps
-- failing, or brings the server down, is set aside across restarts too.
CREATE TABLE `imap_mail_attempts` (
	`mailbox` text NOT NULL,
	`uid_validity` text NOT NULL,
	`uid` integer NOT NULL,
	`failures` integer NOT NULL,
	`first_failed_at` integer,
	`stage` text,
	`error` text,
	`in_hand` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`mailbox`, `uid_validity`, `uid`)
);
