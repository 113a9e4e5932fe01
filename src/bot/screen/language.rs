//! The Language screen: English or Russian; the choice is kept and the menu comes back in it.

use super::{Page, Press, Screen};
use crate::bot::callback::Cb;
use crate::bot::view;
use crate::bot::{answer, show, Action, Button, Control, Ctx, Screenful, Step};
use crate::i18n::{t, Lang};
use crate::store::{CustomerRow, StoreError};

pub(in crate::bot) struct Language;

impl Page for Language {
    async fn render(_c: &Control, ctx: &Ctx, _page: usize) -> Result<Screenful, StoreError> {
        Ok(language(ctx.lang))
    }

    async fn press(c: &Control, p: &Press<'_>, cb: Cb) -> Option<Step> {
        match cb {
            Cb::Language(choice) => Some(c.choose_language(p.ctx, choice, p.message_id).await),
            _ => None,
        }
    }
}

impl Control {
    /// Keeps the customer's language (a button, or `/language <code>`) and shows the menu in
    /// it.
    pub(in crate::bot) async fn choose_language(
        &self,
        ctx: &Ctx,
        lang: Lang,
        message_id: Option<i32>,
    ) -> Step {
        self.store.set_language(ctx.id, Some(lang.code())).await?;
        let ctx = Ctx {
            id: ctx.id,
            lang,
            row: CustomerRow {
                language: Some(lang.code().to_string()),
                ..ctx.row.clone()
            },
        };
        let screen = self
            .render(&ctx, Screen::Main, Some(t(lang, "language-set")))
            .await?;
        Ok(match message_id {
            Some(_) => vec![answer(None), show(message_id, screen)],
            None => vec![Action::Send(screen)],
        })
    }
}

pub fn language(lang: Lang) -> Screenful {
    Screenful {
        text: t(lang, "language-choose"),
        keyboard: vec![
            vec![
                Button::new("English", Cb::Language(Lang::En)),
                Button::new("Русский", Cb::Language(Lang::Ru)),
            ],
            view::back(lang),
        ],
    }
}
