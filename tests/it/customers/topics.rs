//! Forum topics and groups that refuse media, played by customers (en and ru) through a real
//! `autoposter run --simulated-accounts` and the fake Bot API, pressing only what the screens
//! show: a group added by a topic's link goes into that topic; a forum picked from the
//! account's groups offers its topics (General first, the closed one locked) and the pick is
//! kept; a group whose rights forbid media is flagged when added and, once the post has
//! media, on the Groups screen, where the customer chooses "the caption as text"; then the
//! posts, as the simulated Telegram's ledger has them, carry the topics and the text.

use std::time::Duration;

use autoposter::bench::fake_api::{Customer, FakeBotApi};
use autoposter::i18n::{t, t_args, Args, Lang};
use autoposter::schedule::content::MediaKind;
use autoposter::store::NewMedia;
use autoposter::telegram::sim::read_ledger;

use super::{assert_clean, wait_until, Run};

const PATIENCE: Duration = Duration::from_secs(15);

fn anywhere(api: &FakeBotApi, chat: i64, text: &str) -> bool {
    api.chat(chat).iter().any(|m| m.text.contains(text))
}

async fn expect(api: &FakeBotApi, who: &Customer, text: &str) {
    assert!(
        wait_until(PATIENCE, || anywhere(api, who.id, text)).await,
        "never shown {text:?}; the chat: {:#?}",
        api.chat(who.id)
    );
}

/// Presses the button `label` (it must be shown) and waits until a message shows `then`
/// among its buttons.
async fn press(api: &FakeBotApi, who: &Customer, label: &str, then: &str) {
    if let Err(e) = api.press(who, label) {
        panic!("{e}: {:#?}", api.chat(who.id));
    }
    assert!(
        wait_until(PATIENCE, || api
            .chat(who.id)
            .iter()
            .rev()
            .any(|m| m.labels().contains(&then)))
        .await,
        "after {label:?}, no {then:?}: {:#?}",
        api.chat(who.id)
    );
}

fn lang_of(c: &Customer) -> Lang {
    match c.language_code.as_deref() {
        Some("ru") => Lang::Ru,
        _ => Lang::En,
    }
}

/// Up to Groups: the welcome, a plan from the admin, an account on the keypad, the Groups
/// screen open.
async fn to_groups(api: &FakeBotApi, admin: &Customer, who: &Customer, phone: &str) {
    let lang = lang_of(who);
    api.say(who, "/start");
    expect(api, who, &t(lang, "welcome")).await;
    api.say(admin, &format!("/setplan {} ENTERPRISE 30", who.id));
    expect(api, who, "ENTERPRISE").await;
    press(
        api,
        who,
        &t(lang, "button-accounts"),
        &t(lang, "button-add-account"),
    )
    .await;
    press(
        api,
        who,
        &t(lang, "button-add-account"),
        &t(lang, "button-cancel"),
    )
    .await;
    api.say(who, phone);
    assert!(
        wait_until(PATIENCE, || api
            .last(who.id)
            .is_some_and(|m| m.labels().contains(&"✓")))
        .await
    );
    let digit = &phone[5..6];
    for _ in 0..5 {
        api.press(who, digit).unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    press(api, who, "✓", &t(lang, "button-add-account")).await;
    press(api, who, &t(lang, "button-back"), &t(lang, "button-groups")).await;
    press(
        api,
        who,
        &t(lang, "button-groups"),
        &t(lang, "button-add-group"),
    )
    .await;
}

/// Every text the bot sent the customer is in their language: none of the other language's
/// texts of these screens shows.
fn assert_in_language(api: &FakeBotApi, who: &Customer) {
    let other = match lang_of(who) {
        Lang::En => Lang::Ru,
        Lang::Ru => Lang::En,
    };
    let words = t(other, "media-choice-explain");
    let general = t_args(
        other,
        "button-topic-general",
        &Args::new().text("topic", ""),
    );
    for m in api.chat(who.id) {
        assert!(!m.text.contains(&words), "{m:?}");
        assert!(
            m.labels().iter().all(|l| !l.contains(general.trim())),
            "{m:?}"
        );
    }
}

async fn journey(api: &FakeBotApi, admin: &Customer, who: &Customer, phone: &str) {
    let lang = lang_of(who);
    to_groups(api, admin, who, phone).await;

    // A topic's link: the topic "Offers" (3) of the forum @sim_forum_2.
    press(
        api,
        who,
        &t(lang, "button-add-group"),
        &t(lang, "button-cancel"),
    )
    .await;
    // A link whose topic part is no number is refused, and the question stays.
    api.say(who, "https://t.me/sim_forum_2/offers");
    expect(api, who, &t(lang, "group-bad-link")).await;
    api.say(who, "https://t.me/sim_forum_2/3");
    let added = t_args(
        lang,
        "group-added-topic",
        &Args::new()
            .text("group", "@sim_forum_2")
            .text("topic", "Offers"),
    );
    expect(api, who, &added).await;

    // A forum picked from the account's groups: its topics offered, General first.
    press(api, who, &t(lang, "button-pick-groups"), "➕ sim_forum_1").await;
    let general = format!(
        "✅ {}",
        t_args(
            lang,
            "button-topic-general",
            &Args::new().text("topic", "General")
        )
    );
    press(api, who, "➕ sim_forum_1", &general).await;
    let offered = api
        .chat(who.id)
        .into_iter()
        .rev()
        .find(|m| m.labels().contains(&general.as_str()))
        .unwrap();
    assert_eq!(
        offered.labels(),
        [
            general.as_str(),
            "🧵 Announcements",
            "🧵 Offers",
            "🔒 Archive",
            t(lang, "button-back").as_str()
        ]
    );
    let pick = t_args(
        lang,
        "topic-pick",
        &Args::new().text("group", "@sim_forum_1"),
    );
    assert!(offered.text.contains(&pick), "{}", offered.text);
    // The closed topic is refused (an alert); Announcements is taken.
    api.press(who, "🔒 Archive").unwrap();
    press(api, who, "🧵 Announcements", &t(lang, "button-add-group")).await;
    let picked = t_args(
        lang,
        "topic-picked",
        &Args::new()
            .text("group", "@sim_forum_1")
            .text("topic", "Announcements"),
    );
    expect(api, who, &picked).await;
    expect(api, who, "@sim_forum_1 › Announcements").await;

    // A group whose rights forbid media: flagged when added.
    press(
        api,
        who,
        &t(lang, "button-pick-groups"),
        "➕ sim_no_media_1",
    )
    .await;
    press(api, who, "➕ sim_no_media_1", &t(lang, "button-add-group")).await;
    let flagged = t_args(
        lang,
        "group-media-bans",
        &Args::new().text("what", t(lang, "media-what-media")),
    );
    expect(api, who, &flagged).await;
}

/// After the post became media: the Groups screen flags the group, and the customer
/// chooses the caption as text there.
async fn choose_caption(api: &FakeBotApi, who: &Customer) {
    let lang = lang_of(who);
    let before = api.chat(who.id).len();
    api.say(who, "/menu");
    assert!(
        wait_until(PATIENCE, || api.chat(who.id).len() > before
            && api.last(who.id).is_some_and(|m| m
                .labels()
                .contains(&t(lang, "button-groups").as_str())))
        .await
    );
    press(
        api,
        who,
        &t(lang, "button-groups"),
        &t(lang, "button-media"),
    )
    .await;
    let refused = t_args(
        lang,
        "health-media-refused",
        &Args::new().text("what", t(lang, "media-what-media")),
    );
    expect(api, who, &refused).await;
    press(
        api,
        who,
        &t(lang, "button-media"),
        &t(lang, "button-media-caption_as_text"),
    )
    .await;
    expect(
        api,
        who,
        &t_args(
            lang,
            "media-choice-title",
            &Args::new().text("group", "@sim_no_media_1"),
        ),
    )
    .await;
    press(
        api,
        who,
        &t(lang, "button-media-caption_as_text"),
        &t(lang, "button-add-group"),
    )
    .await;
    let saved = t_args(
        lang,
        "media-choice-saved",
        &Args::new()
            .text("group", "@sim_no_media_1")
            .html("choice", t(lang, "media-choice-caption_as_text")),
    );
    expect(api, who, &saved).await;
    press(api, who, &t(lang, "button-back"), &t(lang, "button-start")).await;
    press(api, who, &t(lang, "button-start"), &t(lang, "button-stop")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_by_link_and_picker_and_a_media_refusing_groups_choice_reach_the_posts() {
    let api = FakeBotApi::start([]).await.unwrap();
    let ledger = std::env::temp_dir().join(format!("autoposter-topics-{}", fastrand::u64(..)));
    let flag = ledger.display().to_string();
    let mut run = Run::launch(
        &api,
        &["--simulated-accounts", "--sim-ledger", &flag],
        &[("AUTOPOSTER_ADMINS", "1")],
    );
    let admin = Customer::new(1, Some("en"));
    let english = Customer::new(701, Some("en"));
    let russian = Customer::new(702, Some("ru"));
    api.say(&admin, "/start");
    expect(&api, &admin, &t(Lang::En, "welcome")).await;
    tokio::join!(
        journey(&api, &admin, &english, "9996612345"),
        journey(&api, &admin, &russian, "9996623456"),
    );
    // The posts become a photo with a caption (set in the store the process uses).
    let url = format!("sqlite:{}", run.dir.join("autoposter.db").display());
    let store = autoposter::store::Store::connect(&url).await.unwrap();
    for who in [&english, &russian] {
        let photo = [NewMedia {
            kind: MediaKind::Photo,
            bytes: b"\x89PNG a photo",
            name: None,
            mime: None,
        }];
        (store.set_media_content(who.id, &photo, "<b>Spring</b> sale"))
            .await
            .unwrap();
    }
    tokio::join!(
        choose_caption(&api, &english),
        choose_caption(&api, &russian)
    );
    // One cycle each: three groups 10 s apart (the default timing), three posts, none failed.
    for who in [&english, &russian] {
        let lang = lang_of(who);
        let done = t_args(
            lang,
            "status-last-cycle",
            &Args::new()
                .num("seq", 1)
                .num("sent", 3)
                .num("failed", 0)
                .num("skipped", 0),
        );
        let started = tokio::time::Instant::now();
        while !anywhere(&api, who.id, &done) && started.elapsed() < Duration::from_secs(60) {
            api.say(who, "/status");
            tokio::time::sleep(Duration::from_millis(1500)).await;
        }
        assert!(anywhere(&api, who.id, &done), "{:#?}", api.chat(who.id));
        assert_in_language(&api, who);
    }
    assert_clean(&api.report());
    assert_eq!(run.stop(), Some(0));
    // What the simulated Telegram was sent, per group of each customer: the topics, and the
    // caption alone as a text in the group that takes no media.
    let posts = read_ledger(&ledger).unwrap();
    for who in [&english, &russian] {
        let groups = store.groups(who.id).await.unwrap();
        let accounts = store.accounts(who.id).await.unwrap();
        let account = accounts[0].id;
        let seen: Vec<_> = (groups.iter())
            .map(|g| {
                let post = (posts.iter())
                    .find(|p| (p.account, p.group) == (account, g.id))
                    .unwrap_or_else(|| panic!("nothing posted in {}: {posts:?}", g.reference));
                (g.reference.as_str(), post.topic, post.kind.as_str())
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("@sim_forum_2", Some(3), "photo"),
                ("@sim_forum_1", Some(2), "photo"),
                ("@sim_no_media_1", None, "text"),
            ],
            "customer {}",
            who.id
        );
    }
    let _ = std::fs::remove_file(&ledger);
}
