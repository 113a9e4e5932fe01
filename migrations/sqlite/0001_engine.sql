-- The engine's tables. Times are unix milliseconds (BIGINT); durations are milliseconds.
CREATE TABLE customers (
    id          BIGINT PRIMARY KEY,            -- the customer's Telegram user id
    language    TEXT,
    running     BIGINT NOT NULL DEFAULT 0,     -- 1 while the customer asked the engine to post
    created_at  BIGINT NOT NULL
);

CREATE TABLE plans (
    customer_id BIGINT PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
    plan        TEXT NOT NULL CHECK (plan IN ('STARTER', 'ENTERPRISE')),
    expires_at  BIGINT,                        -- NULL: no expiry
    granted_at  BIGINT NOT NULL
);

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id   BIGINT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    label         TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'quarantined')),
    status_reason TEXT,
    created_at    BIGINT NOT NULL
);
CREATE INDEX accounts_customer ON accounts(customer_id);

CREATE TABLE chat_groups (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id BIGINT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    reference   TEXT NOT NULL,
    title       TEXT,
    position    BIGINT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
    created_at  BIGINT NOT NULL,
    UNIQUE (customer_id, reference)
);

CREATE TABLE settings (
    customer_id             BIGINT PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
    delay_between_posts_ms  BIGINT NOT NULL,
    delay_between_cycles_ms BIGINT NOT NULL,
    cycle_length_ms         BIGINT,            -- STARTER only
    message_html            TEXT,
    updated_at              BIGINT NOT NULL
);

CREATE TABLE cycles (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id BIGINT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    seq         BIGINT NOT NULL,               -- 1, 2, … per customer
    mode        TEXT NOT NULL,
    started_at  BIGINT NOT NULL,
    ended_at    BIGINT,
    status      TEXT NOT NULL CHECK (status IN ('running', 'done', 'stopped')),
    planned     BIGINT NOT NULL,
    sent        BIGINT NOT NULL DEFAULT 0,
    failed      BIGINT NOT NULL DEFAULT 0,
    skipped     BIGINT NOT NULL DEFAULT 0,
    UNIQUE (customer_id, seq)
);

-- The post log: one row per (cycle, account, group) slot, appended in batches. Deliberately no
-- index: with a thousand cycles in progress a (cycle, account, group) index is touched at a
-- thousand places per batch and costs five times the inserts themselves. The once-per-slot
-- guarantee belongs to the slot state machine (planned → sending → sent), not to this log.
CREATE TABLE posts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id BIGINT NOT NULL,
    cycle_seq   BIGINT NOT NULL,               -- cycles.seq of this customer
    account_id  BIGINT NOT NULL,
    group_id    BIGINT NOT NULL,
    random_id   BIGINT NOT NULL,
    target_at   BIGINT NOT NULL,
    sent_at     BIGINT,                        -- NULL when the slot was skipped
    lateness_us BIGINT,
    outcome     TEXT NOT NULL,
    error       TEXT
);
