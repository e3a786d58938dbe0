CREATE TABLE `imap_checkpoints` (
	`mailbox` text NOT NULL,
	`uid_validity` text NOT NULL,
	`last_uid` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`mailbox`, `uid_validity`)
);
