-- Whether each account has Telegram Premium (issue 13): a caption over 1024 characters (up to
-- 4096) may only be sent by a Premium account, so the bot refuses such a caption while any of
-- the customer's active accounts lacks it. Set at login and session import from what Telegram
-- says of the account (user.premium); 0 for every account from before this migration and for
-- simulated accounts.
ALTER TABLE accounts ADD COLUMN premium BIGINT NOT NULL DEFAULT 0;
