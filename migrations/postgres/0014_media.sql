-- Media posts (issue 13). A customer's post is a text (no post_items rows: every customer
-- before this migration) or media with a caption: settings.message_html then holds the
-- caption, and post_items the files in order (one: a single media post; 2–10: an album).
-- media: every file once, named by the SHA-256 of its bytes (64 lowercase hex digits), so two
-- customers' identical files are stored once; read by every engine when it uploads.
CREATE TABLE media (
    sha256     TEXT NOT NULL PRIMARY KEY,
    size       BIGINT NOT NULL,
    bytes      BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE post_items (
    customer_id BIGINT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    position    BIGINT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('photo', 'video', 'animation', 'document')),
    sha256      TEXT NOT NULL REFERENCES media(sha256),
    PRIMARY KEY (customer_id, position)
);
