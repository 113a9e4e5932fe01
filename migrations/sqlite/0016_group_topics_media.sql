-- Forum topics and groups that refuse media (issue 13), the Groups screen's part.
-- chat_groups.forum: 1 when the group is a forum (its posts go into a topic; topic_id, from
-- 0013, names it, NULL or 1 being the General topic, the main chat).
ALTER TABLE chat_groups ADD COLUMN forum BIGINT NOT NULL DEFAULT 0;
-- chat_groups.topic_title: the chosen topic's title as the picker showed it, for the list.
ALTER TABLE chat_groups ADD COLUMN topic_title TEXT;
-- chat_groups.media_bans: what the group's default rights forbid members to send, read when it
-- was added: stable names, comma-separated (media, photos, videos, documents, gifs); NULL:
-- nothing.
ALTER TABLE chat_groups ADD COLUMN media_bans TEXT;
-- chat_groups.media_choice: what a media post does in a group that refuses it, as the customer
-- chose (caption_as_text, first_item, skip); NULL: posted as it is.
ALTER TABLE chat_groups ADD COLUMN media_choice TEXT
    CHECK (media_choice IN ('caption_as_text', 'first_item', 'skip'));
