-- Plans bought with Telegram Stars. One row per successful payment: Telegram's charge id is
-- the key, so a payment delivered twice grants once. plan/days are NULL when the payment could
-- not be matched to a plan (it is kept, and admins are told).
CREATE TABLE payments (
    charge_id          TEXT PRIMARY KEY,           -- telegram_payment_charge_id
    provider_charge_id TEXT,
    customer_id        BIGINT NOT NULL,
    plan               TEXT,
    days               BIGINT,
    stars              BIGINT NOT NULL,
    paid_at            BIGINT NOT NULL
);
CREATE INDEX payments_customer ON payments(customer_id);
-- The expiry a reminder was sent for (a renewal moves expires_at, so the next one is sent).
ALTER TABLE plans ADD COLUMN reminded_for BIGINT;
