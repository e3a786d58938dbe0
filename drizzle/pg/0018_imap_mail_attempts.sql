-- IMAP mail attempts: the PostgreSQL twin of drizzle/0044_imap_mail_attempts.sql.
CREATE TABLE "imap_mail_attempts" (
	"mailbox" text NOT NULL,
	"uid_validity" text NOT NULL,
	"uid" bigint NOT NULL,
	"failures" bigint NOT NULL,
	"first_failed_at" bigint,
	"stage" text,
	"error" text,
	"in_hand" boolean NOT NULL,
	"updated_at" bigint NOT NULL,
	CONSTRAINT "imap_mail_attempts_mailbox_uid_validity_uid_pk" PRIMARY KEY("mailbox","uid_validity","uid")
);
