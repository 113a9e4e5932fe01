-- A media post's files keep the name and MIME type the customer's file had (issue 13): a
-- document is posted under its own name ("price-list.pdf"), and a video or an animation is
-- uploaded with its type. Per post item, not per stored file: two customers' identical bytes
-- are one `media` row but may carry different names. NULL for files stored before this
-- migration and for files that came without them; the upload then names the file by its kind.
ALTER TABLE post_items ADD COLUMN file_name TEXT;
ALTER TABLE post_items ADD COLUMN mime_type TEXT;
