//! What the list screens (Groups, Accounts) share: a numbered line and a pause/resume and a
//! remove button per item, a page at a time with ◀ ▶; the answers to those buttons (the page
//! again after a toggle, a confirmation before a removal, the list again after it).

use super::{Press, Screen};
use crate::bot::callback::Cb;
use crate::bot::view::PAGE;
use crate::bot::{out_of_date, Button, Control, Screenful, Step};
use crate::i18n::{t, t_args, Args, Lang};

/// A kind of list: its screen, its words and its buttons.
pub(in crate::bot) struct Kind {
    pub screen: Screen,
    /// The title (with the count).
    pub title: &'static str,
    /// The line an empty list shows.
    pub empty: &'static str,
    /// "Remove {name}?"
    pub confirm: &'static str,
    /// The notice after a removal.
    pub removed: &'static str,
    pub toggle: fn(i64) -> Cb,
    pub remove: fn(i64) -> Cb,
    pub confirm_remove: fn(i64) -> Cb,
}

/// One item of a list.
pub(in crate::bot) struct Item<'a> {
    pub id: i64,
    pub name: &'a str,
    /// Its health, in words.
    pub health: String,
    /// Whether it is healthy: its button pauses it (otherwise resumes it).
    pub ok: bool,
}

/// The title, the items on `page` and, when there are none, the "empty" line; the keyboard:
/// the buttons of each item shown, then the page buttons.
pub(in crate::bot) fn render(
    lang: Lang,
    kind: &Kind,
    items: &[Item],
    page: usize,
) -> (Vec<String>, Vec<Vec<Button>>) {
    let (shown, page, pages) = paged(items, page);
    let mut lines = vec![t_args(
        lang,
        kind.title,
        &Args::new().num("count", items.len() as f64),
    )];
    let mut keyboard = Vec::new();
    for (i, item) in shown.iter().enumerate() {
        let n = page * PAGE + i;
        lines.push(format!(
            "{}. {} — {}",
            n + 1,
            crate::i18n::escape(item.name),
            item.health
        ));
        let toggle = if item.ok {
            "button-pause"
        } else {
            "button-resume"
        };
        keyboard.push(vec![
            Button::new(
                format!("{} {}", t(lang, toggle), item.name),
                (kind.toggle)(item.id),
            ),
            Button::new(t(lang, "button-remove"), (kind.remove)(item.id)),
        ]);
    }
    if items.is_empty() {
        lines.push(t(lang, kind.empty));
    }
    keyboard.extend(page_row(kind.screen, page, pages));
    (lines, keyboard)
}

/// The slice of `items` on `page` (clamped to the last page), the page, and the page count.
fn paged<T>(items: &[T], page: usize) -> (&[T], usize, usize) {
    let pages = items.len().div_ceil(PAGE).max(1);
    let page = page.min(pages - 1);
    let start = page * PAGE;
    (&items[start..(start + PAGE).min(items.len())], page, pages)
}

/// ◀ / ▶ buttons for a list with more than one page.
fn page_row(screen: Screen, page: usize, pages: usize) -> Option<Vec<Button>> {
    if pages <= 1 {
        return None;
    }
    let mut row = Vec::new();
    if page > 0 {
        row.push(Button::new("◀", Cb::Page(screen, page as u32 - 1)));
    }
    row.push(Button::new(
        format!("{}/{}", page + 1, pages),
        Cb::Page(screen, page as u32),
    ));
    if page + 1 < pages {
        row.push(Button::new("▶", Cb::Page(screen, page as u32 + 1)));
    }
    Some(row)
}

/// After the item at `index` was paused or resumed: its page again; "out of date" when the
/// store changed nothing of the customer's.
pub(in crate::bot) async fn toggled(
    c: &Control,
    p: &Press<'_>,
    kind: &Kind,
    index: usize,
    changed: bool,
) -> Step {
    if !changed {
        return Ok(vec![out_of_date(p.ctx.lang)]);
    }
    let page = index / PAGE;
    p.show(c.render_page(p.ctx, kind.screen, page, None).await?)
}

/// Asks to confirm removing `name` (the customer's item `id`); "out of date" when the id
/// named nothing of theirs.
pub(in crate::bot) fn ask_removal(p: &Press<'_>, kind: &Kind, name: Option<&str>, id: i64) -> Step {
    let lang = p.ctx.lang;
    let Some(name) = name else {
        return Ok(vec![out_of_date(lang)]);
    };
    let text = t_args(lang, kind.confirm, &Args::new().text("name", name));
    p.show(Screenful {
        text,
        keyboard: vec![vec![
            Button::new(t(lang, "button-confirm-remove"), (kind.confirm_remove)(id)),
            Button::new(t(lang, "button-cancel"), Cb::Open(kind.screen)),
        ]],
    })
}

/// After a confirmed removal: the list again, or "out of date" when nothing of the
/// customer's was removed (pressed twice, or someone else's id).
pub(in crate::bot) async fn removed(
    c: &Control,
    p: &Press<'_>,
    kind: &Kind,
    removed: bool,
) -> Step {
    if !removed {
        return Ok(vec![out_of_date(p.ctx.lang)]);
    }
    let notice = t(p.ctx.lang, kind.removed);
    p.show(c.render(p.ctx, kind.screen, Some(notice)).await?)
}
