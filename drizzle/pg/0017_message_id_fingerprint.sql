-- Message-ID fingerprint: the PostgreSQL twin of drizzle/0041_message_id_fingerprint.sql.
ALTER TABLE "email_messages" ADD COLUMN "fingerprint" text;
