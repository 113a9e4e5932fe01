-- The control bot's columns.
-- customers.language: the language the customer chose with /language (NULL: follow Telegram's).
-- customers.awaiting: what the customer's next typed message answers (JSON; NULL: nothing).
ALTER TABLE customers ADD COLUMN awaiting TEXT;
-- customers.telegram_language: the language of the customer's Telegram app, last seen (for
-- messages the bot sends on its own, such as "the engine stopped you").
ALTER TABLE customers ADD COLUMN telegram_language TEXT;
-- customers.welcomed: 1 once the customer saw the welcome (an admin may create a customer first).
ALTER TABLE customers ADD COLUMN welcomed BIGINT NOT NULL DEFAULT 0;
-- cycles.report: how each group fared in the cycle (JSON), written when the cycle ends.
ALTER TABLE cycles ADD COLUMN report TEXT;
-- chat_groups.status_reason: why a group is paused (the customer's choice, or Telegram's refusal).
ALTER TABLE chat_groups ADD COLUMN status_reason TEXT;
