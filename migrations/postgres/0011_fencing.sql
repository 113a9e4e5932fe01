-- The lease term a post was logged under (NULL: no leases, a single engine). Writes from a
-- holder whose term is no longer the customer's current one are refused at the writer.
ALTER TABLE posts ADD COLUMN term BIGINT;
-- Engines sharing the database, each seen at its last lease round (database clock, unix ms):
-- the live ones split the running customers between them.
CREATE TABLE engines (
    holder  TEXT PRIMARY KEY,
    seen_at BIGINT NOT NULL
);
