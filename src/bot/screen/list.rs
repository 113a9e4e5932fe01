//! What the list screens (Groups, Accounts) share: a numbered line and a pause/resume and a
//! remove button per item, a page at a time with ◀ ▶; the answers to those buttons (the page
//! again after a toggle, a confirmation before a removal, the list again after it).

use super::{Press, Screen};
use crate::bot::callback::Cb;
use crate::bot::view::PAGE;
use crate::bot::{out_of_date, Action, Button, Control, Ctx, Screenful, Step};
use crate::i18n::{t, t_args, Args, Lang};
use crate::store::StoreError;

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

/// One row of a list: an item as shown.
pub(in crate::bot) struct Row<'a> {
    pub id: i64,
    pub name: &'a str,
    /// Its health, in words.
    pub health: String,
    /// Whether it is healthy: its button pauses it (otherwise resumes it).
    pub ok: bool,
}

/// The title, the items on `page` and, when there are none, the "empty" line; the keyboard:
/// the buttons of each item shown, then the page buttons.
pub(in crate::bot) fn render<L: Listed>(
    lang: Lang,
    items: &[Row],
    page: usize,
) -> (Vec<String>, Vec<Vec<Button>>) {
    render_with::<L>(lang, items, page, &|_| Vec::new())
}

/// [`render`] with `extra(id)`'s buttons after each item's own (a forum's topic, a group's
/// media choice).
pub(in crate::bot) fn render_with<L: Listed>(
    lang: Lang,
    items: &[Row],
    page: usize,
    extra: &dyn Fn(i64) -> Vec<Button>,
) -> (Vec<String>, Vec<Vec<Button>>) {
    let kind = L::KIND;
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
        let mut row = vec![
            Button::new(
                format!("{} {}", t(lang, toggle), item.name),
                (kind.toggle)(item.id),
            ),
            Button::new(t(lang, "button-remove"), (kind.remove)(item.id)),
        ];
        row.extend(extra(item.id));
        keyboard.push(row);
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

/// A list screen's items, and what its buttons change in the store.
pub(in crate::bot) trait Listed {
    type Item;
    const KIND: Kind;

    /// The customer's items, in list order.
    async fn items(c: &Control, ctx: &Ctx) -> Result<Vec<Self::Item>, StoreError>;
    fn id(item: &Self::Item) -> i64;
    fn name(item: &Self::Item) -> &str;
    /// Pauses or resumes `item`: whether the store changed it, or the alert refusing to.
    async fn toggle(
        c: &Control,
        ctx: &Ctx,
        item: &Self::Item,
    ) -> Result<Result<bool, Action>, StoreError>;
    /// Removes the customer's item `id`: whether there was one.
    async fn remove(c: &Control, ctx: &Ctx, id: i64) -> Result<bool, StoreError>;
}

/// Pause/resume: the item's page again; "out of date" when it is none of the customer's.
pub(in crate::bot) async fn toggle<L: Listed>(c: &Control, p: &Press<'_>, id: i64) -> Step {
    let lang = p.ctx.lang;
    let items = L::items(c, p.ctx).await?;
    let Some(index) = items.iter().position(|item| L::id(item) == id) else {
        return Ok(vec![out_of_date(lang)]);
    };
    match L::toggle(c, p.ctx, &items[index]).await? {
        Ok(true) => p.show(
            c.render_page(p.ctx, L::KIND.screen, index / PAGE, None)
                .await?,
        ),
        Ok(false) => Ok(vec![out_of_date(lang)]),
        Err(refusal) => Ok(vec![refusal]),
    }
}

/// Remove: asks to confirm; "out of date" when the id names nothing of the customer's.
pub(in crate::bot) async fn remove<L: Listed>(c: &Control, p: &Press<'_>, id: i64) -> Step {
    let lang = p.ctx.lang;
    let items = L::items(c, p.ctx).await?;
    let Some(item) = items.iter().find(|item| L::id(item) == id) else {
        return Ok(vec![out_of_date(lang)]);
    };
    let kind = L::KIND;
    let text = t_args(lang, kind.confirm, &Args::new().text("name", L::name(item)));
    p.show(Screenful {
        text,
        keyboard: vec![vec![
            Button::new(t(lang, "button-confirm-remove"), (kind.confirm_remove)(id)),
            Button::new(t(lang, "button-cancel"), Cb::Open(kind.screen)),
        ]],
    })
}

/// Remove, confirmed: the list again, or "out of date" when nothing of the customer's was
/// removed (pressed twice, or someone else's id).
pub(in crate::bot) async fn confirm_remove<L: Listed>(c: &Control, p: &Press<'_>, id: i64) -> Step {
    if !L::remove(c, p.ctx, id).await? {
        return Ok(vec![out_of_date(p.ctx.lang)]);
    }
    let notice = t(p.ctx.lang, L::KIND.removed);
    p.show(c.render(p.ctx, L::KIND.screen, Some(notice)).await?)
}
