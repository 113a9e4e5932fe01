//! The bot added to a group chat: the conversation lives in private chats, so a command
//! addressed to the bot there is answered with where to find it (in the sender's language)
//! and nothing of a private screen, an admin answer or a customer's data shows in the group;
//! everything else said there is ignored, and nobody becomes a customer by writing there.

use std::time::Duration;

use autoposter::bench::fake_api::{Customer, FakeBotApi, BOT_ID};
use autoposter::i18n::{t, t_args, Args, Lang};

use super::{assert_clean, expect, wait_until, Run};

const GROUP: i64 = -1_001_234_567_890;

fn pointer(lang: Lang) -> String {
    t_args(
        lang,
        "group-chat-private-only",
        &Args::new().text("bot", "autoposter_bot"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_group_commands_point_to_the_private_chat_and_no_private_screen_shows() {
    let api = FakeBotApi::start([]).await.unwrap();
    let admin = Customer::new(1, Some("en"));
    let mut run = Run::start_with(&api, &[("AUTOPOSTER_ADMINS", "1")]);
    let customer = Customer::new(801, Some("ru"));
    let stranger = Customer::new(802, Some("en"));
    // The customer has a private chat with the bot already.
    api.say(&customer, "/start");
    expect(&api, customer.id, &t(Lang::Ru, "welcome")).await;
    let private_before = (api.sent_to(customer.id), api.sent_to(admin.id));

    api.add_bot_to_group(&customer, GROUP);
    api.say_in_group(&stranger, GROUP, "hello everyone");
    api.say_in_group(&stranger, GROUP, "/start@some_other_bot");
    api.say_in_group(&stranger, GROUP, "/start");
    api.say_in_group(&admin, GROUP, "/stats");
    api.say_in_group(&customer, GROUP, "/status@autoposter_bot");
    // Three commands addressed to this bot, three pointers (the group's updates are handled
    // in order, so what came before them has been handled too).
    assert!(
        wait_until(Duration::from_secs(30), || api.chat(GROUP).len() >= 3).await,
        "{:#?}",
        api.chat(GROUP)
    );
    let texts: Vec<String> = api.chat(GROUP).into_iter().map(|m| m.text).collect();
    assert_eq!(
        texts,
        vec![pointer(Lang::En), pointer(Lang::En), pointer(Lang::Ru)],
        "what the group saw"
    );
    for shown in api.chat(GROUP) {
        assert!(
            shown.buttons.is_empty(),
            "a keyboard in the group: {shown:?}"
        );
    }
    // Nothing went to anyone's private chat on the group's account.
    assert_eq!(
        (api.sent_to(customer.id), api.sent_to(admin.id)),
        private_before
    );
    assert_eq!(api.sent_to(stranger.id), 0);
    assert_eq!(api.sent_to(BOT_ID), 0);
    // Writing in a group makes nobody a customer.
    api.say(&admin, &format!("/user {}", stranger.id));
    expect(
        &api,
        admin.id,
        &t_args(
            Lang::En,
            "admin-no-such-user",
            &Args::new().text("id", stranger.id.to_string()),
        ),
    )
    .await;
    assert_clean(&api.report());
    assert_eq!(run.stop(), Some(0));
}
