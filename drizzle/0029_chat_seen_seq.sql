ALTER TABLE `chat_sessions` ADD `seen_seq` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Hand-written: chats of before count as seen up to their last line (their replies were taken as
-- delivered then), so ending one that was open at the upgrade mails nothing it would not have.
UPDATE `chat_sessions` SET `seen_seq` = `last_seq`;
