//! The Groups screen's forum topics and media choices in the bot's conversation (simulated
//! groups, the engine on tokio's paused clock): every malformed topic link refused in the
//! customer's language with nothing stored; a media refusal's notice offering the choice;
//! the choice resuming the group and the next cycle skipping it as `media_skipped`.

use std::sync::Arc;

use autoposter::bot::callback::{Cb, Screen};
use autoposter::bot::html;
use autoposter::bot::Notifier;
use autoposter::i18n::{t, Lang};
use autoposter::schedule::choice::MediaChoice;
use autoposter::schedule::content::MediaKind;
use autoposter::schedule::Plan;
use autoposter::store::{LogEntry, NewMedia, Restriction};
use autoposter::telegram::sim::Target;
use autoposter::telegram::{GroupRefusal, Media, Outcome};

use crate::helpers::{account_ids, alert, button_texts, buttons, group_ids, shown, BotRig, ME};

#[tokio::test(start_paused = true)]
async fn every_malformed_group_link_is_refused_in_the_customers_language_and_nothing_is_added() {
    for (lang, code) in [(Lang::En, "en"), (Lang::Ru, "ru")] {
        let rig = BotRig::new(Some(code)).await;
        rig.grant(Plan::Enterprise, None).await;
        rig.configure(1, 0).await;
        for (input, key) in [
            ("t.me/sim_forum_1/abc", "group-bad-link"),
            ("https://t.me/sim_forum_1/0", "group-bad-link"),
            ("t.me/sim_forum_1/1/2/3", "group-bad-link"),
            ("https://t.me/c/abc/5", "group-bad-link"),
            ("t.me/c/1234567890/99999999999", "group-bad-link"),
            ("t.me/abc/5", "group-bad-reference"),
            ("https://t.me/+AbCdEf", "group-private-invite"),
        ] {
            rig.press(Cb::AddGroup).await;
            let refused = shown(&rig.text(input).await);
            assert_eq!(refused.text, t(lang, key), "{lang:?} {input}");
            assert!(html::check(&refused.text).is_ok(), "{}", refused.text);
            assert_eq!(buttons(&refused), ["cancel"], "the question stays open");
        }
        assert!(rig.store.groups(ME).await.unwrap().is_empty(), "{lang:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_topic_link_to_a_message_of_a_plain_group_adds_the_group_and_a_forums_topic_is_kept() {
    let rig = BotRig::new(Some("ru")).await;
    rig.grant(Plan::Enterprise, None).await;
    rig.configure(1, 0).await;
    // Not a forum: t.me/name/N is a message link naming the group.
    rig.press(Cb::AddGroup).await;
    let plain = shown(&rig.text("https://t.me/plain_group/777").await);
    assert!(
        plain.text.starts_with("✅ @plain_group добавлена."),
        "{}",
        plain.text
    );
    // A forum: topic 3 is "Offers".
    rig.press(Cb::AddGroup).await;
    let topic = shown(&rig.text("t.me/sim_forum_9/3").await);
    assert!(
        topic
            .text
            .starts_with("✅ @sim_forum_9 добавлена: посты пойдут в её тему «Offers»."),
        "{}",
        topic.text
    );
    // A forum, and a number that is no topic of it: a message link; the topics are offered.
    rig.press(Cb::AddGroup).await;
    let offered = shown(&rig.text("t.me/sim_forum_8/12345").await);
    assert!(
        offered.text.contains("@sim_forum_8 добавлена."),
        "{}",
        offered.text
    );
    assert!(
        offered
            .text
            .contains("<b>@sim_forum_8</b> — форум: выберите тему"),
        "{}",
        offered.text
    );
    assert_eq!(
        button_texts(&offered),
        [
            "✅ General (основной чат)",
            "🧵 Announcements",
            "🧵 Offers",
            "🔒 Archive",
            "« Назад"
        ]
    );
    // A message inside a topic that does not exist: refused, nothing added.
    rig.press(Cb::AddGroup).await;
    let missing = shown(&rig.text("t.me/sim_forum_7/55/100").await);
    assert_eq!(
        missing.text,
        "В @sim_forum_7 нет темы 55 (возможно, её удалили). Пришлите ссылку на саму группу и выберите тему из списка."
    );
    let groups = rig.store.groups(ME).await.unwrap();
    let seen: Vec<_> = (groups.iter())
        .map(|g| {
            (
                g.reference.as_str(),
                g.forum,
                g.topic,
                g.topic_title.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("@plain_group", false, None, None),
            ("@sim_forum_9", true, Some(3), Some("Offers")),
            ("@sim_forum_8", true, None, None),
        ]
    );
    // The closed topic is refused with an alert; the list names the picked topic.
    let forum8 = groups[2].id;
    let closed = alert(&rig.press(Cb::PickTopic(forum8, 4)).await);
    assert!(closed.starts_with("🔒 Тема «Archive» закрыта"), "{closed}");
    // Telegram said the topic was closed: picking another one resumes the group.
    let account = account_ids(&rig).await[0];
    let block = |reason: &str| {
        LogEntry::Restrict(Restriction::PairBlock {
            account_id: account,
            group_id: forum8,
            reason: reason.into(),
            at: 1,
            stars: None,
        })
    };
    (rig.store.write_log(&[block("topic_closed")]))
        .await
        .unwrap();
    let list = shown(&rig.press(Cb::PickTopic(forum8, 2)).await);
    assert!(
        rig.store.pair_blocks(ME).await.unwrap().is_empty(),
        "resumed"
    );
    assert!(
        list.text
            .starts_with("✅ @sim_forum_8: посты пойдут в тему «Announcements»."),
        "{}",
        list.text
    );
    assert!(
        list.text.contains("3. @sim_forum_8 › Announcements — "),
        "{}",
        list.text
    );
    // A topic the forum does not have, or a group that is no forum: out of date.
    let stale = alert(&rig.press(Cb::PickTopic(forum8, 99)).await);
    assert_eq!(stale, t(Lang::Ru, "menu-out-of-date"));
    let plain_id = groups[0].id;
    let stale = alert(&rig.press(Cb::PickTopic(plain_id, 2)).await);
    assert_eq!(stale, t(Lang::Ru, "menu-out-of-date"));
    assert_eq!(rig.store.groups(ME).await.unwrap()[0].topic, None);
}

#[tokio::test(start_paused = true)]
async fn a_refused_media_post_offers_the_choice_which_resumes_the_group_and_skip_is_obeyed() {
    let (tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let rig = BotRig::observed(Some("en"), Some(Arc::new(Notifier(tx)))).await;
    rig.grant(Plan::Enterprise, None).await;
    rig.configure(1, 2).await;
    let photo = [NewMedia {
        kind: MediaKind::Photo,
        bytes: b"\x89PNG",
        name: None,
        mime: None,
    }];
    (rig.store.set_media_content(ME, &photo, "<b>Sale</b> today"))
        .await
        .unwrap();
    let accounts = account_ids(&rig).await;
    let groups = group_ids(&rig).await;
    rig.sim.inject(
        Target::Slot {
            account_id: accounts[0],
            group_id: groups[1],
        },
        Outcome::GroupRefused(GroupRefusal::MediaForbidden(Media::Photos)),
    );
    rig.press(Cb::Start).await;
    let (_, event) = events.recv().await.expect("an event");
    let notice = rig.control.event_notice(ME, &event).await.unwrap().unwrap();
    assert_eq!(
        notice.text,
        "⏸ @group_number_1 refused the account +9996611000: the group takes no photos from the account. The group is paused for that account; once it is fixed, press ▶ on the group under Groups.\nChoose what goes there when your post has media: the caption as text, an album's first item, or skip the group."
    );
    assert_eq!(
        buttons(&notice),
        [format!("g:mc:{}", groups[1]), "m:stat".to_string()]
    );
    rig.cmd("/stop").await;
    rig.control.engine().flush().await;
    // The choice page says why, and marks "as they are".
    let page = shown(&rig.press(Cb::MediaChoices(groups[1])).await);
    assert!(
        page.text.starts_with(
            "🖼 <b>@group_number_1</b>: what goes there when your post has media?\nTelegram refused your post there: the group takes no photos from the account."
        ),
        "{}",
        page.text
    );
    assert!(html::check(&page.text).is_ok());
    assert_eq!(
        button_texts(&page),
        [
            "✅ 📤 Post media as they are",
            "📝 Post the caption as text",
            "⏭ Skip this group for media posts",
            "« Back"
        ],
        "an album's first item is media too: not offered where photos are refused"
    );
    let saved = shown(
        &rig.press(Cb::SetMedia(groups[1], Some(MediaChoice::Skip)))
            .await,
    );
    assert!(
        saved
            .text
            .starts_with("✅ @group_number_1: ⏭ skipped for media posts."),
        "{}",
        saved.text
    );
    assert!(
        saved
            .text
            .contains("2. @group_number_1 — ✅ ok; ⏭ skipped for media posts"),
        "{}",
        saved.text
    );
    assert!(
        rig.store.pair_blocks(ME).await.unwrap().is_empty(),
        "resumed"
    );
    // Another customer's group, or a forged choice: out of date, nothing changed.
    let forged = alert(&rig.data(&format!("g:ms:{}:skip", groups[1] + 100)).await);
    assert_eq!(forged, t(Lang::En, "menu-out-of-date"));
    // A slow-mode group that refused an album is offered its first item alone.
    (rig.store
        .write_log(&[LogEntry::Restrict(Restriction::PairBlock {
            account_id: accounts[0],
            group_id: groups[0],
            reason: "albums_refused".into(),
            at: 1,
            stars: None,
        })]))
    .await
    .unwrap();
    let page = shown(&rig.press(Cb::MediaChoices(groups[0])).await);
    assert!(
        page.text
            .contains("Telegram refused your post there: the group's slow mode refuses albums.")
            && page
                .text
                .ends_with(&t(Lang::En, "media-choice-explain-first")),
        "{}",
        page.text
    );
    assert_eq!(
        buttons(&page)[..4],
        ["post", "text", "first", "skip"].map(|c| format!("g:ms:{}:{c}", groups[0]))
    );
    rig.press(Cb::SetMedia(groups[0], None)).await;
    assert!(rig.store.pair_blocks(ME).await.unwrap().is_empty());
    // The next cycle: group 0 gets the photo, group 1 is skipped as the customer chose.
    rig.press(Cb::Start).await;
    // Group 0 at once, group 1's slot 10 s later (the default timing).
    tokio::time::sleep(std::time::Duration::from_secs(15)).await;
    rig.cmd("/stop").await;
    rig.control.engine().flush().await;
    let posts = rig.store.posts(ME).await.unwrap();
    let seq = posts.iter().map(|r| r.cycle_seq).max().unwrap();
    let last: Vec<_> = (posts.iter().filter(|r| r.cycle_seq == seq))
        .map(|r| (r.group_id, r.outcome.clone(), r.error.clone()))
        .collect();
    assert_eq!(
        last,
        [
            (groups[0], "sent".to_string(), None),
            (
                groups[1],
                "skipped".to_string(),
                Some("media_skipped".to_string())
            ),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_closed_topic_is_told_with_the_topic_picker_and_a_new_topic_resumes_the_group() {
    let (tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let rig = BotRig::observed(Some("ru"), Some(Arc::new(Notifier(tx)))).await;
    rig.grant(Plan::Enterprise, None).await;
    rig.configure(1, 0).await;
    rig.press(Cb::AddGroup).await;
    rig.text("https://t.me/sim_forum_3/2").await;
    let group = group_ids(&rig).await[0];
    let account = account_ids(&rig).await[0];
    rig.sim.inject(
        Target::Slot {
            account_id: account,
            group_id: group,
        },
        Outcome::GroupRefused(GroupRefusal::TopicClosed),
    );
    rig.press(Cb::Start).await;
    let (_, event) = events.recv().await.expect("an event");
    rig.cmd("/stop").await;
    rig.control.engine().flush().await;
    let notice = rig.control.event_notice(ME, &event).await.unwrap().unwrap();
    assert_eq!(
        notice.text,
        "⏸ @sim_forum_3 не принимает посты от аккаунта +9996611000: тема группы закрыта. Для этого аккаунта группа поставлена на паузу; когда проблема будет решена, нажмите ▶ у группы в разделе «Группы».\nВыберите другую тему кнопкой 🧵: группа продолжит работу в ней."
    );
    assert!(html::check(&notice.text).is_ok());
    assert_eq!(
        buttons(&notice),
        [format!("g:tl:{group}"), "m:stat".to_string()]
    );
    assert_eq!(rig.store.pair_blocks(ME).await.unwrap().len(), 1);
    let picker = shown(&rig.press(Cb::Topics(group)).await);
    assert!(button_texts(&picker).contains(&"✅ Announcements".to_string()));
    rig.press(Cb::PickTopic(group, 3)).await;
    assert!(rig.store.pair_blocks(ME).await.unwrap().is_empty());
    assert_eq!(rig.store.groups(ME).await.unwrap()[0].topic, Some(3));
}

#[tokio::test(start_paused = true)]
async fn an_album_is_flagged_for_a_slow_mode_group_and_its_first_item_alone_goes_there() {
    let rig = BotRig::new(Some("en")).await;
    rig.grant(Plan::Enterprise, None).await;
    rig.configure(1, 0).await;
    for group in ["@sim_slow_1", "@sim_group_1"] {
        rig.press(Cb::AddGroup).await;
        rig.text(group).await;
    }
    let groups = group_ids(&rig).await;
    let file = |kind, bytes: &'static [u8]| NewMedia {
        kind,
        bytes,
        name: None,
        mime: None,
    };
    // A single photo: a slow-mode group takes it, nothing is flagged.
    let photo = [file(MediaKind::Photo, b"\x89PNG one")];
    (rig.store.set_media_content(ME, &photo, "cap"))
        .await
        .unwrap();
    let list = shown(&rig.press(Cb::Open(Screen::Groups)).await);
    assert!(!list.text.contains("🐢"), "{}", list.text);
    assert!(!buttons(&list).iter().any(|b| b.starts_with("g:mc:")));
    // An album: flagged there only, with 🖼 offering its first item alone.
    let album = [
        file(MediaKind::Photo, b"\x89PNG one"),
        file(MediaKind::Video, b"mp4 two"),
    ];
    (rig.store.set_media_content(ME, &album, "cap"))
        .await
        .unwrap();
    let list = shown(&rig.press(Cb::Open(Screen::Groups)).await);
    assert!(
        list.text.contains(
            "1. @sim_slow_1 — 🐢 slow mode: an album can't go there (🖼 to choose)\n2. @sim_group_1 — ✅ ok"
        ),
        "{}",
        list.text
    );
    assert!(html::check(&list.text).is_ok());
    let choose: Vec<String> = (buttons(&list).into_iter())
        .filter(|b| b.starts_with("g:mc:"))
        .collect();
    assert_eq!(choose, [format!("g:mc:{}", groups[0])]);
    let page = shown(&rig.press(Cb::MediaChoices(groups[0])).await);
    assert!(
        page.text
            .contains("It is in slow mode, where Telegram takes no album from members."),
        "{}",
        page.text
    );
    assert!(buttons(&page).contains(&format!("g:ms:{}:first", groups[0])));
    let saved = shown(
        &rig.press(Cb::SetMedia(groups[0], Some(MediaChoice::FirstItem)))
            .await,
    );
    assert!(
        saved
            .text
            .contains("1. @sim_slow_1 — ✅ ok; 🖼 albums: the first item with the caption"),
        "{}",
        saved.text
    );
    // The cycle: the slow group gets the photo alone, the other the album.
    rig.press(Cb::Start).await;
    tokio::time::sleep(std::time::Duration::from_secs(15)).await;
    rig.cmd("/stop").await;
    rig.control.engine().flush().await;
    let kinds: Vec<_> = (rig.sim.sent().iter())
        .map(|s| (s.group_id, s.kind, s.item_ids.len()))
        .collect();
    assert_eq!(
        kinds,
        [
            (groups[0], autoposter::telegram::ContentKind::Photo, 1),
            (groups[1], autoposter::telegram::ContentKind::Album, 2),
        ]
    );
    let outcomes: Vec<String> = (rig.store.posts(ME).await.unwrap().into_iter())
        .map(|r| r.outcome)
        .collect();
    assert_eq!(outcomes, ["sent", "sent"]);
}

/// A post passed on from a channel goes to every group as it is, so the Groups screen offers
/// no media choice for it (a photo post does, for a group that takes no media).
#[tokio::test(start_paused = true)]
async fn no_media_choice_is_offered_while_the_post_comes_from_a_channel() {
    use autoposter::schedule::content::ForwardMode;
    let rig = BotRig::new(Some("en")).await;
    rig.grant(Plan::Enterprise, None).await;
    rig.configure(1, 0).await;
    rig.press(Cb::AddGroup).await;
    rig.text("@sim_no_media_1").await;
    let group = group_ids(&rig).await[0];
    let photo = [NewMedia {
        kind: MediaKind::Photo,
        bytes: b"\x89PNG one",
        name: None,
        mime: None,
    }];
    (rig.store.set_media_content(ME, &photo, "cap"))
        .await
        .unwrap();
    let list = shown(&rig.press(Cb::Open(Screen::Groups)).await);
    assert!(
        buttons(&list).contains(&format!("g:mc:{group}")),
        "{list:?}"
    );
    let set = rig
        .store
        .set_forward(ME, "@news", vec![5], ForwardMode::Forward, &[]);
    set.await.unwrap();
    let list = shown(&rig.press(Cb::Open(Screen::Groups)).await);
    assert!(
        !buttons(&list).iter().any(|b| b.starts_with("g:mc:")),
        "{list:?}"
    );
}
