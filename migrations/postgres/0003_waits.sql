-- What Telegram told us, kept so that it is obeyed across cycles, restarts and engines.
-- account_waits: FLOOD_WAIT / FLOOD_PREMIUM_WAIT: the account posts nowhere before until_at.
CREATE TABLE account_waits (
    account_id BIGINT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    until_at   BIGINT NOT NULL,
    reason     TEXT NOT NULL
);
-- pair_waits: SLOWMODE_WAIT: this account posts in this group not before until_at.
CREATE TABLE pair_waits (
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    group_id   BIGINT NOT NULL REFERENCES chat_groups(id) ON DELETE CASCADE,
    until_at   BIGINT NOT NULL,
    PRIMARY KEY (account_id, group_id)
);
-- pair_blocks: the group refused this account (write forbidden, banned, private): paused for
-- this account until the customer resumes the group.
CREATE TABLE pair_blocks (
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    group_id   BIGINT NOT NULL REFERENCES chat_groups(id) ON DELETE CASCADE,
    reason     TEXT NOT NULL,
    at         BIGINT NOT NULL,
    PRIMARY KEY (account_id, group_id)
);
