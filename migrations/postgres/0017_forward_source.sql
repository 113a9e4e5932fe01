-- Posts passed on from a source chat (issue 13): the customer's post can be a message (or an
-- album's messages) in a chat their accounts read, forwarded ("Forwarded from …") or copied
-- (as the account's own message). NULL forward_chat: the post is a text or media as before.
-- forward_ids: the message ids in order, as a JSON array. forward_preview: the customer's own
-- message ids in the bot chat the source reached us as, so the bot can show the post again.
ALTER TABLE settings ADD COLUMN forward_chat TEXT;
ALTER TABLE settings ADD COLUMN forward_ids TEXT;
ALTER TABLE settings ADD COLUMN forward_mode TEXT CHECK (forward_mode IN ('forward', 'copy'));
ALTER TABLE settings ADD COLUMN forward_preview TEXT;
