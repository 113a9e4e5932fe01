-- An account's MTProto session (home data centre, data-centre options with the auth key),
-- sealed with XChaCha20-Poly1305 under the master key; the account id is the associated data.
CREATE TABLE account_sessions (
    account_id  BIGINT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    key_version BIGINT NOT NULL,
    nonce       BYTEA NOT NULL,
    ciphertext  BYTEA NOT NULL,
    updated_at  BIGINT NOT NULL
);
