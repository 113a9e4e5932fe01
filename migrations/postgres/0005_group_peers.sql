-- How each account reaches each group, found when the group was checked through the account:
-- the Bot-API dialog id and the account's access hash for it, and the slow mode seen then.
CREATE TABLE account_group_peers (
    account_id     BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    group_id       BIGINT NOT NULL REFERENCES chat_groups(id) ON DELETE CASCADE,
    dialog_id      BIGINT NOT NULL,
    access_hash    BIGINT NOT NULL,
    slow_mode_secs BIGINT,
    checked_at     BIGINT NOT NULL,
    PRIMARY KEY (account_id, group_id)
);
