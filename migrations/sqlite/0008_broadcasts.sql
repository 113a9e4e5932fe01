-- Admin broadcasts. A broadcast copies one message (the admin's, by chat and message id) or
-- sends one text to every customer who was not known to have blocked the bot when it was
-- confirmed. Each recipient's state is written before and after its send, so a restart
-- resumes with the remaining recipients and never sends to anyone twice.
CREATE TABLE broadcasts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    admin_id         BIGINT NOT NULL,
    source_chat      BIGINT,                -- copyMessage source, or NULL with html
    source_message   BIGINT,
    html             TEXT,
    status           TEXT NOT NULL CHECK (status IN ('draft', 'sending', 'done', 'cancelled')),
    progress_message BIGINT,                -- the admin's progress message, edited in place
    created_at       BIGINT NOT NULL,
    started_at       BIGINT,
    finished_at      BIGINT
);
CREATE TABLE broadcast_recipients (
    broadcast_id BIGINT NOT NULL REFERENCES broadcasts(id) ON DELETE CASCADE,
    customer_id  BIGINT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'sending', 'sent', 'blocked', 'failed', 'unknown')),
    error        TEXT,
    PRIMARY KEY (broadcast_id, customer_id)
);
-- Set when Telegram said the customer blocked the bot or is deactivated: skipped by later
-- broadcasts. Cleared when the customer talks to the bot again.
ALTER TABLE customers ADD COLUMN blocked_bot BIGINT NOT NULL DEFAULT 0;
