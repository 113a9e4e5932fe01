-- Rich posts (issue 13), the engine's part.
-- customers.silent: 1 when the customer's posts go out without a notification sound.
ALTER TABLE customers ADD COLUMN silent BIGINT NOT NULL DEFAULT 0;
-- chat_groups.topic_id: the forum topic posts go into (its top message id); NULL: the main chat.
ALTER TABLE chat_groups ADD COLUMN topic_id BIGINT;
-- pair_blocks.stars: the Stars per message a group asked for (reason payment_required), for the
-- customer's notice; NULL for every other refusal.
ALTER TABLE pair_blocks ADD COLUMN stars BIGINT;
