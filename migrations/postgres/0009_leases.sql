-- Engines sharing one database hold customers through leases: a customer's cycle needs all of
-- its accounts, and an account belongs to one customer, so one lease per customer holds the
-- customer's accounts together. Times come from the database's clock (unix ms). `term` is the
-- fencing token: it grows at every acquisition, and a holder's writes name the term they hold.
CREATE TABLE leases (
    customer_id BIGINT PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
    holder      TEXT NOT NULL,
    term        BIGINT NOT NULL,
    acquired_at BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
-- Every acquisition, kept for audits (and the tests that check no two engines overlapped).
CREATE TABLE lease_history (
    customer_id BIGINT NOT NULL,
    holder      TEXT NOT NULL,
    term        BIGINT NOT NULL,
    acquired_at BIGINT NOT NULL,
    PRIMARY KEY (customer_id, term)
);
