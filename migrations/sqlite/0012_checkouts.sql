-- What the bot approved at Telegram's pre-checkout query: a successful payment grants a plan
-- only against an approval of the same customer, invoice payload and amount (each approval is
-- used by one payment: charge_id is set when it is).
CREATE TABLE checkouts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id BIGINT NOT NULL,
    payload     TEXT NOT NULL,
    stars       BIGINT NOT NULL,
    approved_at BIGINT NOT NULL,
    charge_id   TEXT
);
CREATE INDEX checkouts_customer ON checkouts(customer_id);
