//! The teloxide layer against teloxide_tests' fake Bot API server: real updates through the
//! real handler tree, real Bot API requests recorded by the fake. The conversation itself is
//! tested in `bot.rs`; here we check that it reaches Telegram as it should: HTML parse mode,
//! inline keyboards with our callback data, edits in place, answered button presses, text
//! formatting rendered to HTML, group chats ignored, and the command list per language.

use std::sync::Arc;

use autoposter::bot::callback::{Cb, Screen};
use autoposter::bot::dispatch::{handler_tree, register_commands, HandlerError};
use autoposter::bot::Control;
use autoposter::engine::Engine;
use autoposter::store::Store;
use autoposter::telegram::login::SimLogin;
use autoposter::telegram::sim::SimTransport;
use teloxide::dptree;
use teloxide::prelude::*;
use teloxide::types::{MessageEntity, ParseMode, ReplyMarkup};
use teloxide_tests::{
    MockBot, MockCallbackQuery, MockGroupChat, MockMessagePhoto, MockMessageText, MockUser,
};

async fn control() -> (Arc<Control>, Store) {
    let store = Store::memory().await.unwrap();
    let (engine, _tasks) = Engine::new(
        store.clone(),
        Arc::new(SimTransport::new(std::time::Duration::ZERO, false)),
        None,
    );
    (
        Arc::new(Control::new(
            store.clone(),
            engine,
            Some(Arc::new(SimLogin)),
            Arc::new(autoposter::telegram::groups::SimGroups),
        )),
        store,
    )
}

fn user(lang: &str) -> teloxide::types::User {
    MockUser::new().language_code(lang.to_string()).build()
}

fn callback_data(markup: &Option<ReplyMarkup>) -> Vec<String> {
    match markup {
        Some(ReplyMarkup::InlineKeyboard(k)) => k
            .inline_keyboard
            .iter()
            .flatten()
            .filter_map(|b| match &b.kind {
                teloxide::types::InlineKeyboardButtonKind::CallbackData(d) => Some(d.clone()),
                _ => None,
            })
            .collect(),
        other => panic!("no inline keyboard: {other:?}"),
    }
}

#[tokio::test]
async fn start_sends_the_menu_as_html_with_our_inline_keyboard() {
    let (control, _store) = control().await;
    let mut bot = MockBot::new(
        MockMessageText::new().text("/start").from(user("ru")),
        handler_tree(),
    );
    bot.dependencies(dptree::deps![control]);
    bot.dispatch().await;
    let responses = bot.get_responses();
    let sent = &responses
        .sent_messages_text
        .last()
        .expect("a message")
        .bot_request;
    assert_eq!(sent.parse_mode, Some(ParseMode::Html));
    assert!(
        sent.text.contains("Добро пожаловать в <b>autoposter</b>"),
        "{}",
        sent.text
    );
    let data = callback_data(&sent.reply_markup);
    assert!(
        data.contains(&Cb::Open(Screen::Groups).encode()) && data.contains(&Cb::Start.encode()),
        "{data:?}"
    );
}

#[tokio::test]
async fn a_button_press_edits_the_menu_in_place_and_is_answered() {
    let (control, _store) = control().await;
    let menu = MockMessageText::new().text("menu").id(77).build();
    let press = MockCallbackQuery::new()
        .data(Cb::Open(Screen::Timing).encode())
        .message(menu)
        .from(user("en"));
    let mut bot = MockBot::new(press, handler_tree());
    bot.dependencies(dptree::deps![control]);
    bot.dispatch().await;
    let responses = bot.get_responses();
    assert!(
        responses.sent_messages_text.is_empty(),
        "no new message for a tap"
    );
    let edit = &responses
        .edited_messages_text
        .last()
        .expect("an edit")
        .bot_request;
    assert_eq!(edit.message_id, Some(77));
    assert_eq!(edit.parse_mode, Some(ParseMode::Html));
    assert!(edit.text.starts_with("<b>Timing</b>"), "{}", edit.text);
    assert!(callback_data(&edit.reply_markup).contains(&"t:posts".to_string()));
    assert_eq!(responses.answered_callback_queries.len(), 1);
}

#[tokio::test]
async fn forged_callback_data_gets_an_alert_and_no_edit() {
    let (control, _store) = control().await;
    let press = MockCallbackQuery::new()
        .data("g:rmy:424242")
        .from(user("en"));
    let mut bot = MockBot::new(press, handler_tree());
    bot.dependencies(dptree::deps![control]);
    bot.dispatch().await;
    let responses = bot.get_responses();
    assert!(responses.edited_messages_text.is_empty());
    let answer = responses
        .answered_callback_queries
        .last()
        .expect("answered");
    assert_eq!(answer.show_alert, Some(true));
    assert_eq!(
        answer.text.as_deref(),
        Some("This menu is out of date. Open /menu for a fresh one.")
    );
}

#[tokio::test]
async fn the_posts_formatting_reaches_the_store_as_html() {
    let (control, store) = control().await;
    // Open the Message screen first: the next message is the post.
    let mut bot = MockBot::new(
        MockCallbackQuery::new()
            .data(Cb::Open(Screen::Message).encode())
            .from(user("en")),
        handler_tree(),
    );
    bot.dependencies(dptree::deps![control.clone()]);
    bot.dispatch().await;
    let link: MessageEntity = serde_json::from_value(serde_json::json!({
        "type": "text_link", "offset": 24, "length": 4, "url": "https://shop.example/?utm=a&ref=b"
    }))
    .unwrap();
    let post = MockMessageText::new()
        .text("Big sale today: 5 < 7 & more")
        .entities(vec![
            MessageEntity::bold(0, 8),
            MessageEntity::italic(9, 5),
            link,
        ])
        .from(user("en"));
    bot.update(post);
    bot.dispatch().await;
    let want = "<b>Big sale</b> <i>today</i>: 5 &lt; 7 &amp; <a href=\"https://shop.example/?utm=a&amp;ref=b\">more</a>";
    let saved = store.timing(MockUser::ID as i64).await.unwrap().unwrap();
    assert_eq!(saved.message_html.as_deref(), Some(want));
    let responses = bot.get_responses();
    let reply = &responses
        .sent_messages_text
        .last()
        .expect("a reply")
        .bot_request;
    assert!(reply.text.contains(want), "{}", reply.text);
}

#[tokio::test]
async fn media_is_refused_and_a_group_gets_only_a_pointer_to_the_private_chat() {
    let (control, store) = control().await;
    let mut bot = MockBot::new(MockMessagePhoto::new().from(user("en")), handler_tree());
    bot.dependencies(dptree::deps![control.clone()]);
    bot.dispatch().await;
    let responses = bot.get_responses();
    let reply = &responses
        .sent_messages_text
        .last()
        .expect("a reply")
        .bot_request;
    assert!(
        reply.text.starts_with("Use the buttons below"),
        "{}",
        reply.text
    );

    let group = MockGroupChat::new().build();
    let in_group = MockMessageText::new()
        .text("/start")
        .chat(group.clone())
        .from(MockUser::new().id(555).build());
    bot.update(in_group);
    bot.dispatch().await;
    // Only where the bot works: no screen, no keyboard, nothing of anyone's data.
    let said = bot.get_responses().sent_messages_text;
    assert_eq!(said.len(), 1, "one answer in the group");
    let pointer = autoposter::i18n::t_args(
        autoposter::i18n::Lang::En,
        "group-chat-private-only",
        &autoposter::i18n::Args::new().text("bot", bot.me.username()),
    );
    assert_eq!(said[0].bot_request.text, pointer);
    assert_eq!(said[0].bot_request.chat_id.id(), group.id.0);
    assert!(said[0].bot_request.reply_markup.is_none());
    // Text that is not a command is not answered there.
    let chatter = MockMessageText::new()
        .text("hello everyone")
        .chat(MockGroupChat::new().build())
        .from(MockUser::new().id(555).build());
    bot.update(chatter);
    bot.dispatch().await;
    assert!(
        bot.get_responses().sent_messages.is_empty(),
        "plain text in a group is ignored"
    );
    assert!(
        store.customer(555).await.unwrap().is_none(),
        "nobody registered from a group"
    );
}

#[tokio::test]
async fn the_command_list_is_registered_in_english_and_russian() {
    let tree = dptree::entry().endpoint(|bot: Bot| async move {
        register_commands(&bot, &[]).await?;
        Ok::<(), HandlerError>(())
    });
    let mut bot = MockBot::new(MockMessageText::new().text("x"), tree);
    bot.dispatch().await;
    let set = bot.get_responses().set_my_commands;
    let langs: Vec<Option<String>> = set.iter().map(|s| s.language_code.clone()).collect();
    assert_eq!(langs, [None, Some("en".into()), Some("ru".into())]);
    let names: Vec<&str> = set[2].commands.iter().map(|c| c.command.as_str()).collect();
    assert_eq!(
        names,
        ["start", "stop", "status", "menu", "help", "language", "cancel"]
    );
    assert_eq!(set[2].commands[1].description, "Остановить постинг сейчас");
    assert_eq!(set[0].commands[1].description, "Stop posting now");
}
