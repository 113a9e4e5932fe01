//! What of the bot's updates reaches the log: never their content. A customer types a two-step
//! password or pastes a session string into the chat, and teloxide's own log lines quote whole
//! updates (an update it cannot parse at ERROR, an unhandled one at WARN) and the Bot API's raw
//! answer when it cannot parse one. Here an update teloxide cannot parse is skipped and logged
//! by its id, an unhandled one by its id and kind, and errors without the raw answer; the log
//! filter withholds teloxide's own lines in case one slips through
//! ([`crate::config::withheld_teloxide_record`]).

use std::sync::Arc;

use futures_util::future::BoxFuture;
use futures_util::stream::{BoxStream, StreamExt};
use teloxide::error_handlers::ErrorHandler;
use teloxide::stop::StopToken;
use teloxide::types::{AllowedUpdate, Update, UpdateKind};
use teloxide::update_listeners::{AsUpdateStream, UpdateListener};
use teloxide::RequestError;

/// An update listener that drops the updates teloxide could not parse (logging their id) before
/// they reach the dispatcher, which would log them in full.
pub struct Parsed<L>(pub L);

impl<'a, L> AsUpdateStream<'a> for Parsed<L>
where
    L: AsUpdateStream<'a>,
    L::StreamErr: Send + 'a,
{
    type StreamErr = L::StreamErr;
    type Stream = BoxStream<'a, Result<Update, L::StreamErr>>;

    fn as_stream(&'a mut self) -> Self::Stream {
        self.0
            .as_stream()
            .filter(|update| std::future::ready(parsed(update)))
            .boxed()
    }
}

impl<L> UpdateListener for Parsed<L>
where
    L: UpdateListener,
    for<'a> <L as AsUpdateStream<'a>>::StreamErr: Send + 'a,
{
    type Err = L::Err;

    fn stop_token(&mut self) -> StopToken {
        self.0.stop_token()
    }

    fn hint_allowed_updates(&mut self, hint: &mut dyn Iterator<Item = AllowedUpdate>) {
        self.0.hint_allowed_updates(hint)
    }
}

/// Whether the update is one teloxide could parse; one it could not is logged by id.
fn parsed<E>(update: &Result<Update, E>) -> bool {
    match update {
        Ok(Update {
            id,
            kind: UpdateKind::Error(_),
        }) => {
            tracing::warn!(
                update_id = id.0,
                "the Bot API sent an update teloxide cannot parse: skipped (its content is not \
                 logged)"
            );
            false
        }
        _ => true,
    }
}

/// For `Dispatcher::default_handler`: an update no handler takes, logged by id and kind.
pub fn unhandled(update: Arc<Update>) -> BoxFuture<'static, ()> {
    tracing::debug!(
        update_id = update.id.0,
        kind = kind_name(&update.kind),
        "an update no handler takes: ignored"
    );
    Box::pin(async {})
}

fn kind_name(kind: &UpdateKind) -> &'static str {
    match kind {
        UpdateKind::Message(_) => "message",
        UpdateKind::EditedMessage(_) => "edited_message",
        UpdateKind::ChannelPost(_) => "channel_post",
        UpdateKind::EditedChannelPost(_) => "edited_channel_post",
        UpdateKind::CallbackQuery(_) => "callback_query",
        UpdateKind::PreCheckoutQuery(_) => "pre_checkout_query",
        UpdateKind::MyChatMember(_) => "my_chat_member",
        UpdateKind::ChatMember(_) => "chat_member",
        UpdateKind::Error(_) => "unparsable",
        _ => "other",
    }
}

/// Logs errors (the update listener's or the handlers') at ERROR, without the Bot API's raw
/// answer that a JSON error carries.
pub struct LogErrors(pub &'static str);

impl<E> ErrorHandler<E> for LogErrors
where
    E: Into<Box<dyn std::error::Error + Send + Sync>> + Send + 'static,
{
    fn handle_error(self: Arc<Self>, error: E) -> BoxFuture<'static, ()> {
        let error: Box<dyn std::error::Error + Send + Sync> = error.into();
        if is_gone(error.as_ref()) {
            tracing::warn!(error = %describe(error.as_ref()), "{}", self.0);
        } else {
            tracing::error!(error = %describe(error.as_ref()), "{}", self.0);
        }
        Box::pin(async {})
    }
}

/// The customer blocked the bot, deleted their account or removed the bot from the chat: what
/// they do, not a fault of ours (a warning, not an error).
fn is_gone(error: &(dyn std::error::Error + 'static)) -> bool {
    use teloxide::ApiError;
    matches!(
        error.downcast_ref::<RequestError>(),
        Some(RequestError::Api(
            ApiError::BotBlocked | ApiError::UserDeactivated | ApiError::BotKicked
        ))
    )
}

/// An error said without content from Telegram: a Bot API answer that could not be parsed
/// is named by where parsing failed, not quoted (serde's message quotes the value it choked on).
pub fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    match error.downcast_ref::<RequestError>() {
        Some(RequestError::InvalidJson { source, .. }) => format!(
            "the Bot API's answer could not be parsed ({:?} error at line {}, column {}; the \
             answer is not logged)",
            source.classify(),
            source.line(),
            source.column()
        ),
        Some(e) => e.to_string(),
        None => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_customer_who_blocked_the_bot_is_not_an_error_of_ours() {
        use teloxide::ApiError;
        assert!(is_gone(&RequestError::Api(ApiError::BotBlocked)));
        assert!(is_gone(&RequestError::Api(ApiError::UserDeactivated)));
        assert!(!is_gone(&RequestError::Api(ApiError::MessageNotModified)));
        assert!(!is_gone(&RequestError::RetryAfter(
            teloxide::types::Seconds::from_seconds(3)
        )));
    }

    #[test]
    fn a_bot_api_answer_that_cannot_be_parsed_is_described_without_its_content() {
        let source = serde_json::from_str::<u32>("\"hunter2\"").unwrap_err();
        assert!(source.to_string().contains("hunter2"), "serde quotes it");
        let error = RequestError::InvalidJson {
            source: Arc::new(source),
            raw: "{\"text\": \"hunter2\"}".into(),
        };
        let said = describe(&error);
        assert!(!said.contains("hunter2"), "{said}");
        assert!(said.contains("line 1, column 9"), "{said}");
        assert_eq!(
            describe(&RequestError::RetryAfter(
                teloxide::types::Seconds::from_seconds(3)
            )),
            RequestError::RetryAfter(teloxide::types::Seconds::from_seconds(3)).to_string()
        );
    }
}
