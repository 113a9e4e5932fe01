//! Media posts: the files, stored once per SHA-256 in `media` (readable by every engine on
//! either database), and a customer's post as typed content ([`PostContent`]): a text
//! (`settings.message_html`, no items), or media with a caption (`message_html` holds the
//! caption, `post_items` the files in order). The bytes are hashed here; they never appear in
//! a log line or a `Debug` output, and are read only when an account uploads a file.

use std::fmt;

use super::{unix_ms_now, Store, StoreError};
use crate::schedule::content::{
    ForwardMode, ForwardSource, MediaItem, MediaKind, PostContent, Sha256,
};

/// A file as the customer gave it, for [`Store::set_media_content`].
#[derive(Clone, Copy)]
pub struct NewMedia<'a> {
    pub kind: MediaKind,
    pub bytes: &'a [u8],
    /// The file's name as the customer's file had it (`None`: named by its kind).
    pub name: Option<&'a str>,
    /// Its MIME type, as Telegram gave it (`None`: decided by its kind).
    pub mime: Option<&'a str>,
}

impl fmt::Debug for NewMedia<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewMedia")
            .field("kind", &self.kind)
            .field("size", &self.bytes.len())
            .field("name", &self.name)
            .field("mime", &self.mime)
            .finish()
    }
}

/// A stored file's bytes, read for an upload, with the name and MIME type the customer's post
/// gives it.
#[derive(Clone, PartialEq, Eq)]
pub struct MediaFile {
    pub sha256: Sha256,
    pub bytes: Vec<u8>,
    pub name: Option<String>,
    pub mime: Option<String>,
}

impl fmt::Debug for MediaFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaFile")
            .field("sha256", &self.sha256)
            .field("size", &self.bytes.len())
            .field("name", &self.name)
            .field("mime", &self.mime)
            .finish()
    }
}

/// `[[kind, sha256, size], …]` of a customer's post items in order, as the snapshot reads them.
pub(super) fn parse_items(json: &str) -> Result<Vec<MediaItem>, StoreError> {
    let rows: Vec<(String, String, i64)> =
        serde_json::from_str(json).map_err(|cause| StoreError::Json {
            what: "post items",
            cause,
        })?;
    rows.into_iter()
        .map(|(kind, hash, size)| item(&kind, &hash, size))
        .collect()
}

fn item(kind: &str, hash: &str, size: i64) -> Result<MediaItem, StoreError> {
    Ok(MediaItem {
        kind: MediaKind::parse(kind)
            .ok_or_else(|| StoreError::PostItem(format!("kind {kind:?}")))?,
        sha256: Sha256::from_hex(hash)
            .ok_or_else(|| StoreError::PostItem(format!("sha256 {hash:?}")))?,
        size: u64::try_from(size).map_err(|_| StoreError::PostItem(format!("size {size}")))?,
    })
}

/// A stored forward source (settings.forward_chat, forward_ids, forward_mode), checked as the
/// bot checked it when it was set; `None` when the post is not a forward.
pub(super) fn forward_of(
    chat: Option<String>,
    ids: Option<&str>,
    mode: Option<&str>,
) -> Result<Option<(ForwardSource, ForwardMode)>, StoreError> {
    let Some(chat) = chat else {
        return Ok(None);
    };
    let bad = |what: String| StoreError::PostItem(what);
    let ids: Vec<i32> =
        serde_json::from_str(ids.unwrap_or("null")).map_err(|cause| StoreError::Json {
            what: "forward ids",
            cause,
        })?;
    let mode = (mode.and_then(ForwardMode::parse)).ok_or_else(|| bad(format!("mode {mode:?}")))?;
    match PostContent::forward(&chat, ids, mode)? {
        PostContent::Forward { source, mode } => Ok(Some((source, mode))),
        other => Err(bad(format!("forward read back as {other:?}"))),
    }
}

/// A customer's stored post: the text or caption, and the items in order (none for a text).
/// Stored items that don't make a post (a row edited by hand) are an error, never served.
pub(super) fn content_of(
    html: Option<String>,
    items: Vec<MediaItem>,
) -> Result<Option<PostContent>, StoreError> {
    if items.is_empty() {
        return Ok(html.map(|html| PostContent::Text { html }));
    }
    Ok(Some(PostContent::media(items, html.unwrap_or_default())?))
}

impl Store {
    /// Makes the customer's post media with a caption: one file, or 2–10 (an album), in order.
    /// Each file is hashed and stored once per hash (a file already there, from this customer
    /// or another, is not written again). Refused (nothing stored) as
    /// [`StoreError::Content`] when the files and caption don't make a post. Requires saved
    /// settings. Returns the content as stored.
    pub async fn set_media_content(
        &self,
        customer_id: i64,
        files: &[NewMedia<'_>],
        caption_html: &str,
    ) -> Result<PostContent, StoreError> {
        let items: Vec<MediaItem> = (files.iter())
            .map(|f| MediaItem {
                kind: f.kind,
                sha256: Sha256::of(f.bytes),
                size: f.bytes.len() as u64,
            })
            .collect();
        let content = PostContent::media(items, caption_html.to_string())?;
        let now = unix_ms_now();
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE settings SET message_html = $1, updated_at = $2, forward_chat = NULL, \
             forward_ids = NULL, forward_mode = NULL, forward_preview = NULL \
             WHERE customer_id = $3",
        )
        .bind(caption_html.to_string())
        .bind(now)
        .bind(customer_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NoCustomer(customer_id));
        }
        for (file, item) in files.iter().zip(content.items()) {
            let hash = item.sha256.hex();
            let known: Option<i64> = sqlx::query_scalar("SELECT size FROM media WHERE sha256 = $1")
                .bind(hash.clone())
                .fetch_optional(&mut *tx)
                .await?;
            if known.is_none() {
                sqlx::query(
                    "INSERT INTO media (sha256, size, bytes, created_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (sha256) DO NOTHING",
                )
                .bind(hash)
                .bind(item.size as i64)
                .bind(file.bytes.to_vec())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
        }
        sqlx::query("DELETE FROM post_items WHERE customer_id = $1")
            .bind(customer_id)
            .execute(&mut *tx)
            .await?;
        for (position, (item, file)) in content.items().iter().zip(files).enumerate() {
            sqlx::query(
                "INSERT INTO post_items (customer_id, position, kind, sha256, file_name, \
                 mime_type) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(customer_id)
            .bind(position as i64)
            .bind(item.kind.as_str())
            .bind(item.sha256.hex())
            .bind(file.name.map(str::to_string))
            .bind(file.mime.map(str::to_string))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        tracing::info!(
            customer_id,
            items = content.items().len(),
            "the post is now media"
        );
        Ok(content)
    }

    /// The customer's post as typed content; `None` before any message was saved (or for an
    /// unknown customer).
    pub async fn content(&self, customer_id: i64) -> Result<Option<PostContent>, StoreError> {
        type Row = (
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let row: Option<Row> = sqlx::query_as(
            "SELECT message_html, forward_chat, forward_ids, forward_mode FROM settings \
             WHERE customer_id = $1",
        )
        .bind(customer_id)
        .fetch_optional(&self.pool)
        .await?;
        let (html, chat, ids, mode) = row.unwrap_or_default();
        if let Some((source, mode)) = forward_of(chat, ids.as_deref(), mode.as_deref())? {
            return Ok(Some(PostContent::Forward { source, mode }));
        }
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT i.kind, i.sha256, m.size FROM post_items i \
             JOIN media m ON m.sha256 = i.sha256 WHERE i.customer_id = $1 ORDER BY i.position",
        )
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?;
        let items = (rows.iter())
            .map(|(kind, hash, size)| item(kind, hash, *size))
            .collect::<Result<Vec<_>, _>>()?;
        content_of(html, items)
    }

    /// Makes the customer's post a message (or an album's messages) passed on from a source
    /// chat, forwarded or copied; `preview` names the customer's own messages in the bot chat
    /// it reached us as (for showing the post again). The caller has checked the source
    /// through every account. Refused (nothing changed) as [`StoreError::Content`] when the
    /// source can't be one. Requires saved settings. Returns the content as stored.
    pub async fn set_forward(
        &self,
        customer_id: i64,
        chat: &str,
        message_ids: Vec<i32>,
        mode: ForwardMode,
        preview: &[i32],
    ) -> Result<PostContent, StoreError> {
        let content = PostContent::forward(chat, message_ids, mode)?;
        let PostContent::Forward { source, mode } = &content else {
            unreachable!("PostContent::forward makes a forward")
        };
        let json = |ids: &[i32]| serde_json::to_string(ids).expect("ids serialise");
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE settings SET message_html = NULL, forward_chat = $1, forward_ids = $2, \
             forward_mode = $3, forward_preview = $4, updated_at = $5 WHERE customer_id = $6",
        )
        .bind(source.chat.clone())
        .bind(json(&source.message_ids))
        .bind(mode.as_str())
        .bind(json(preview))
        .bind(unix_ms_now())
        .bind(customer_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NoCustomer(customer_id));
        }
        sqlx::query("DELETE FROM post_items WHERE customer_id = $1")
            .bind(customer_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(
            customer_id,
            messages = source.message_ids.len(),
            mode = mode.as_str(),
            "the post is now passed on from a source chat"
        );
        Ok(content)
    }

    /// The customer's own messages in the bot chat a forwarded post reached us as (empty when
    /// the post is not a forward).
    pub async fn forward_preview(&self, customer_id: i64) -> Result<Vec<i32>, StoreError> {
        let json: Option<Option<String>> =
            sqlx::query_scalar("SELECT forward_preview FROM settings WHERE customer_id = $1")
                .bind(customer_id)
                .fetch_optional(&self.pool)
                .await?;
        match json.flatten() {
            None => Ok(Vec::new()),
            Some(json) => serde_json::from_str(&json).map_err(|cause| StoreError::Json {
                what: "forward preview",
                cause,
            }),
        }
    }

    /// A stored file's bytes, for an upload from one of the customer's accounts, with the
    /// name and MIME type the customer's post gives it (none when the post no longer carries
    /// the file); `None` when no file has the hash.
    pub async fn media_file(
        &self,
        customer_id: i64,
        sha256: Sha256,
    ) -> Result<Option<MediaFile>, StoreError> {
        let row: Option<(Vec<u8>, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT m.bytes, i.file_name, i.mime_type FROM media m \
             LEFT JOIN post_items i ON i.sha256 = m.sha256 AND i.customer_id = $1 \
             WHERE m.sha256 = $2 ORDER BY i.position LIMIT 1",
        )
        .bind(customer_id)
        .bind(sha256.hex())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(bytes, name, mime)| MediaFile {
            sha256,
            bytes,
            name,
            mime,
        }))
    }

    /// How many files are stored (each hash once).
    pub async fn media_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM media")
            .fetch_one(&self.pool)
            .await?)
    }
}
