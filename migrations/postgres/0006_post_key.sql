-- The customer's post key: every post's Telegram random_id is derived from it and the post's
-- slot (cycle number, account, group), see schedule::slot_random_id. It is written before the
-- customer's first send and never changes, so each slot's random_id is fixed in the database
-- before the slot is sent, and a slot sent again after a crash carries the same random_id.
ALTER TABLE customers ADD COLUMN post_key BIGINT;
