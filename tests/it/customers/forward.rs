//! A post passed on from the customer's channel, through the real `autoposter run` and the
//! fake Bot API, pressing only what the screens show: a message forwarded to the bot while the
//! Message screen asks for the post is offered as a forward or a copy; the choice is checked
//! through every account (a channel no account can read, a deleted message: refused, naming
//! the account, and nothing changes), saved, shown back as the groups will see it, and posted
//! by the engine. In English and Russian.

use std::time::Duration;

use autoposter::bench::fake_api::{Customer, FakeBotApi};
use autoposter::i18n::{t, t_args, Args, Lang};
use autoposter::schedule::content::{ForwardMode, ForwardSource, PostContent};
use autoposter::telegram::source::SimSources;

use super::{assert_clean, configure, expect, first_line, wait_until, Run};

const PHONE_EN: &str = "+9996631001";
const PHONE_RU: &str = "+9996632001";

fn question(lang: Lang, chat: &str) -> String {
    first_line(lang, "forward-question", &Args::new().text("chat", chat))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_forwarded_from_a_channel_is_checked_saved_shown_and_posted_in_both_languages() {
    let api = FakeBotApi::start([]).await.unwrap();
    let admin = Customer::new(1, Some("en"));
    let mut run = Run::start_with(&api, &[("AUTOPOSTER_ADMINS", "1")]);
    let cases = [
        (
            Customer::new(901, Some("en")),
            Lang::En,
            PHONE_EN,
            ForwardMode::Forward,
        ),
        (
            Customer::new(902, Some("ru")),
            Lang::Ru,
            PHONE_RU,
            ForwardMode::Copy,
        ),
    ];
    for (customer, lang, phone, mode) in &cases {
        let (id, lang, mode) = (customer.id, *lang, *mode);
        configure(
            &api,
            &admin,
            customer,
            lang,
            phone,
            &["@sale_group_1"],
            "text first",
        )
        .await;
        // The Message screen asks for the post when it is opened.
        super::open_menu(&api, customer, lang).await;
        api.press(customer, &t(lang, "button-message")).unwrap();
        let show = t(lang, "button-show-post");
        let opened = wait_until(Duration::from_secs(20), || {
            (api.last(id)).is_some_and(|m| m.labels().contains(&show.as_str()))
        });
        assert!(opened.await, "{:?}", api.last(id));

        // A channel no account is a member of: refused, naming the account; nothing changes.
        api.forward_from_channel(customer, (-100_111, Some("private_club"), "Club"), 5, "hi");
        expect(&api, id, &question(lang, "Club")).await;
        let button = match mode {
            ForwardMode::Forward => t(lang, "button-forward"),
            ForwardMode::Copy => t(lang, "button-copy"),
        };
        api.press(customer, &button).unwrap();
        let refused = first_line(
            lang,
            "forward-check-failed",
            &Args::new().text("chat", "Club").html("problems", ""),
        );
        expect(&api, id, &refused).await;
        let last = api.last(id).unwrap();
        assert!(
            last.text.contains(phone),
            "names the account: {}",
            last.text
        );
        assert!(last.text.contains(&t(lang, "reason-source-not_readable")));
        let store = run.store().await;
        let text = PostContent::Text {
            html: "text first".into(),
        };
        assert_eq!(store.content(id).await.unwrap().as_ref(), Some(&text));

        // A message deleted from the channel since: refused with its id.
        let gone = SimSources::GONE_FROM;
        api.forward_from_channel(
            customer,
            (-100_222, Some("OurNews"), "Our News"),
            gone as i64,
            "x",
        );
        expect(&api, id, &question(lang, "Our News")).await;
        let before = api.chat(id).len();
        api.press(customer, &button).unwrap();
        assert!(wait_until(Duration::from_secs(20), || api.chat(id).len() > before).await);
        let why = t_args(
            lang,
            "reason-source-message_gone",
            &Args::new().num("id", f64::from(gone)),
        );
        expect(&api, id, &why).await;
        assert_eq!(store.content(id).await.unwrap().as_ref(), Some(&text));

        // The channel's message 42: saved, shown back as the groups will see it.
        let mine =
            api.forward_from_channel(customer, (-100_222, Some("OurNews"), "Our News"), 42, "Big");
        expect(&api, id, &question(lang, "Our News")).await;
        api.press(customer, &button).unwrap();
        let saved = match mode {
            ForwardMode::Forward => "forward-saved",
            ForwardMode::Copy => "copy-saved",
        };
        expect(
            &api,
            id,
            &t_args(lang, saved, &Args::new().text("chat", "Our News")),
        )
        .await;
        let method = match mode {
            ForwardMode::Forward => "forwardmessage",
            ForwardMode::Copy => "copymessage",
        };
        let shown_back = (method.to_string(), id, id, mine);
        assert!(
            wait_until(Duration::from_secs(20), || api
                .passed_on()
                .contains(&shown_back))
            .await,
            "{:?}",
            api.passed_on()
        );
        let expected = PostContent::Forward {
            source: ForwardSource {
                chat: "@ournews".into(),
                message_ids: vec![42],
            },
            mode,
        };
        assert_eq!(store.content(id).await.unwrap().as_ref(), Some(&expected));
        // The Message screen says what the post is; "Show the post" shows it again.
        let screen = match mode {
            ForwardMode::Forward => "message-screen-forward",
            ForwardMode::Copy => "message-screen-copy",
        };
        let args = Args::new().text("chat", "@ournews").num("count", 1.0);
        expect(&api, id, &first_line(lang, screen, &args)).await;
        api.press(customer, &t(lang, "button-show-post")).unwrap();
        assert!(
            wait_until(Duration::from_secs(20), || {
                api.passed_on().iter().filter(|p| **p == shown_back).count() == 2
            })
            .await
        );

        // An album from the channel (its messages come one by one): asked once, taken whole.
        let asked = |api: &FakeBotApi| {
            let q = question(lang, "Our News");
            api.chat(id).iter().filter(|m| m.text.contains(&q)).count()
        };
        let asked_before = asked(&api);
        let channel = (-100_222, Some("OurNews"), "Our News");
        let album = api.forward_album_from_channel(customer, channel, &[52, 50, 51]);
        assert!(wait_until(Duration::from_secs(20), || asked(&api) > asked_before).await);
        api.press(customer, &button).unwrap();
        expect(
            &api,
            id,
            &t_args(lang, saved, &Args::new().text("chat", "Our News")),
        )
        .await;
        let whole = PostContent::Forward {
            source: ForwardSource {
                chat: "@ournews".into(),
                message_ids: vec![50, 51, 52],
            },
            mode,
        };
        let mut stored = None;
        for _ in 0..80 {
            stored = store.content(id).await.unwrap();
            if stored.as_ref() == Some(&whole) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        assert_eq!(stored.as_ref(), Some(&whole));
        assert_eq!(asked(&api), asked_before + 1, "asked once for the album");
        let shown: Vec<_> = album
            .iter()
            .map(|m| (method.to_string(), id, id, *m))
            .collect();
        assert!(
            wait_until(Duration::from_secs(20), || {
                shown.iter().all(|s| api.passed_on().contains(s))
            })
            .await,
            "the album shown back whole: {:?}",
            api.passed_on()
        );

        // A typed link to a message: posted as the text, or the message it links to passed on
        // (the bot is not in that chat: it says it can't show it).
        let linked = |chat: &str| {
            first_line(
                lang,
                "forward-question-link",
                &Args::new().text("chat", chat),
            )
        };
        api.say(customer, "https://t.me/c/1234567890/77");
        expect(&api, id, &linked("-1001234567890")).await;
        api.press(customer, &t(lang, "button-link-as-text"))
            .unwrap();
        let mut stored = None;
        for _ in 0..80 {
            stored = store.content(id).await.unwrap();
            if matches!(&stored, Some(PostContent::Text { html }) if html.contains("t.me/c/1234567890/77"))
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        assert!(
            matches!(&stored, Some(PostContent::Text { html }) if html.contains("t.me/c/1234567890/77")),
            "{stored:?}"
        );
        api.say(customer, "https://t.me/OurNews/77");
        expect(&api, id, &linked("@ournews")).await;
        api.press(customer, &button).unwrap();
        expect(&api, id, &t(lang, "forward-not-shown")).await;
        let from_link = PostContent::Forward {
            source: ForwardSource {
                chat: "@ournews".into(),
                message_ids: vec![77],
            },
            mode,
        };
        assert_eq!(store.content(id).await.unwrap().as_ref(), Some(&from_link));

        // Started, the account passes it on into the group.
        api.say(customer, "/menu");
        super::press_when_shown(&api, customer, &t(lang, "button-start")).await;
        let mut posted = Vec::new();
        for _ in 0..120 {
            posted = store.posts(id).await.unwrap();
            if !posted.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let outcomes: Vec<_> = posted.iter().map(|r| r.outcome.as_str()).collect();
        assert_eq!(outcomes.first(), Some(&"sent"), "the forward was posted");
        api.say(customer, "/stop");
        expect(&api, id, &t(lang, "stopped")).await;
    }
    assert_clean(&api.report());
    assert_eq!(run.stop(), Some(0));
}
