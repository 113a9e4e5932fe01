//! Media posts as customers send them (issue 13), through a real `autoposter run` and the fake
//! Bot API: a photo with a formatted caption saved, shown back as the groups will see it and
//! posted by the engine; albums delivered out of order and back to back; files too big for a
//! bot, stickers, polls and the other kinds the accounts don't post, refused with their reason
//! and changing nothing; a long caption refused while an account has no Premium; many customers
//! sending albums at once. In English and Russian; every answer read as the customer reads it.

use std::time::Duration;

use serde_json::json;

use super::{
    assert_clean, configure, expect, expect_now, open_menu, press_when_shown, wait_until, Run,
};
use autoposter::bench::fake_api::{other_message, Attachment, Customer, FakeBotApi, FileKind};
use autoposter::bot::view;
use autoposter::i18n::{t, t_args, Args, Lang};
use autoposter::schedule::content::{MediaKind, PostContent, Sha256};

/// `len` bytes that differ with `seed` (each file its own content).
fn bytes(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn lang_code(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "en",
        Lang::Ru => "ru",
    }
}

/// What the Message screen says a single file is: `a photo (1.2 MB)`.
fn one(lang: Lang, kind: MediaKind, size: usize) -> String {
    t_args(
        lang,
        "media-one",
        &Args::new()
            .html("kind", t(lang, &format!("media-kind-{}", kind.as_str())))
            .text("size", view::size(lang, size as u64)),
    )
}

fn album_saved(lang: Lang, count: usize, size: usize) -> String {
    t_args(
        lang,
        "media-album-saved",
        &Args::new()
            .num("count", count as f64)
            .text("size", view::size(lang, size as u64)),
    )
}

/// Opens the Message screen from a new menu (the post is asked while it is open).
async fn open_message(api: &FakeBotApi, customer: &Customer, lang: Lang) {
    open_menu(api, customer, lang).await;
    api.press(customer, &t(lang, "button-message")).unwrap();
    let opened = wait_until(Duration::from_secs(20), || {
        api.last(customer.id)
            .is_some_and(|m| m.edits > 0 && m.labels().contains(&t(lang, "button-back").as_str()))
    })
    .await;
    assert!(opened, "no Message screen: {:#?}", api.last(customer.id));
}

/// Waits until the bot has sent `count` media messages to `chat`.
async fn previews(
    api: &FakeBotApi,
    chat: i64,
    count: usize,
) -> Vec<autoposter::bench::fake_api::SentMedia> {
    let seen = wait_until(Duration::from_secs(20), || {
        api.media_sent(chat).len() >= count
    })
    .await;
    assert!(
        seen,
        "{count} previews expected: {:#?}",
        api.media_sent(chat)
    );
    api.media_sent(chat)
}

/// The customer's post as stored.
async fn content(run: &Run, customer: i64) -> Option<PostContent> {
    run.open_store().await.content(customer).await.unwrap()
}

/// Waits until the ledger holds `lines` items posted from the customer's account.
async fn posted_items(run: &Run, customer: i64, lines: usize) -> Vec<i64> {
    let store = run.open_store().await;
    let account = store.accounts(customer).await.unwrap()[0].id;
    let done = wait_until(Duration::from_secs(30), || {
        run.ledger().iter().filter(|l| l.account == account).count() >= lines
    })
    .await;
    let ids: Vec<i64> = (run.ledger().into_iter())
        .filter(|l| l.account == account && !l.repeated)
        .map(|l| l.random_id)
        .collect();
    assert!(
        done,
        "{lines} items expected from account {account}: {ids:?}"
    );
    ids
}

/// A photo with a bold caption: saved, shown back, "Show the post", posted by the engine (the
/// account uploads those bytes and posts one item); a text after it makes the post a text
/// again; an album delivered out of order is saved in the customer's order, shown as an
/// album and posted as one post of three items; two albums back to back are two albums, the
/// second replacing the first.
async fn photo_then_albums(
    api: &FakeBotApi,
    run: &Run,
    admin: &Customer,
    c: &Customer,
    lang: Lang,
) {
    let id = c.id;
    let phone = format!("+99966{}1{}", 1 + (id % 8), 100 + id % 900);
    configure(
        api,
        admin,
        c,
        lang,
        &phone,
        &["@media_group_1"],
        "Plain text",
    )
    .await;

    // A photo with a formatted caption.
    open_message(api, c, lang).await;
    let photo = bytes(id as u8, 150_000);
    let caption = if lang == Lang::Ru {
        "Большая распродажа сегодня"
    } else {
        "Big sale today"
    };
    let bold = if lang == Lang::Ru { 7 } else { 3 };
    let file = Attachment::new(FileKind::Photo, photo.clone()).caption(
        caption,
        json!([{"type": "bold", "offset": 0, "length": bold}]),
    );
    api.send_file(c, &file);
    let html = format!(
        "<b>{}</b>{}",
        caption.chars().take(bold).collect::<String>(),
        caption.chars().skip(bold).collect::<String>()
    );
    let saved = t_args(
        lang,
        "media-saved",
        &Args::new().html("what", one(lang, MediaKind::Photo, photo.len())),
    );
    expect(api, id, &saved).await;
    let sent = previews(api, id, 1).await;
    assert_eq!(sent[0].method, "sendphoto");
    assert_eq!(sent[0].files.len(), 1);
    assert_eq!(
        sent[0].files[0].bytes, photo,
        "the largest size, downloaded whole"
    );
    assert_eq!(sent[0].files[0].caption.as_deref(), Some(html.as_str()));
    assert_eq!(sent[0].files[0].parse_mode.as_deref(), Some("HTML"));
    // The screen under the preview states the kind and size, and shows the caption.
    let screen = api.last(id).unwrap();
    assert!(screen.text.contains(&html), "{}", screen.text);
    assert!(screen.text.contains(&view::size(lang, photo.len() as u64)));
    match content(run, id).await {
        Some(PostContent::Media { item, caption }) => {
            assert_eq!(
                (item.kind, item.sha256),
                (MediaKind::Photo, Sha256::of(&photo))
            );
            assert_eq!(caption, html);
        }
        other => panic!("{other:?}"),
    }
    // "Show the post" sends the same photo again.
    press_when_shown(api, c, &t(lang, "button-show-post")).await;
    let sent = previews(api, id, 2).await;
    assert_eq!(sent[1], sent[0]);

    // Posted by the engine as that photo.
    open_menu(api, c, lang).await;
    api.press(c, &t(lang, "button-start")).unwrap();
    let first = posted_items(run, id, 1).await;
    assert_eq!(first.len(), 1, "one post of one item");
    // The engine's debug line for the upload names the file's hash (the log may be coloured).
    let hash = Sha256::of(&photo).hex();
    let uploaded = || {
        run.log()
            .lines()
            .any(|l| l.contains("uploaded") && l.contains(&hash))
    };
    assert!(
        wait_until(Duration::from_secs(10), uploaded).await,
        "the account uploaded the photo's bytes: {}",
        run.log()
    );
    api.say(c, "/stop");
    expect(api, id, &t(lang, "stopped")).await;

    // A text after media makes the post a text again.
    open_message(api, c, lang).await;
    api.say(c, "Back to text");
    expect_now(api, id, &[t(lang, "message-saved"), "Back to text".into()]).await;
    assert_eq!(
        content(run, id).await,
        Some(PostContent::Text {
            html: "Back to text".into()
        })
    );

    // An album delivered out of order: photo, video, photo, the caption on the first.
    open_message(api, c, lang).await;
    let album: Vec<Vec<u8>> = (0..3)
        .map(|i| bytes(id as u8 + 10 * i, 40_000 + i as usize))
        .collect();
    let files = vec![
        Attachment::new(FileKind::Photo, album[0].clone()).caption("Album", json!([])),
        Attachment::new(FileKind::Video, album[1].clone()).named("clip.mp4", "video/mp4"),
        Attachment::new(FileKind::Photo, album[2].clone()),
    ];
    api.send_album(c, &format!("album-{id}"), &files, &[2, 0, 1]);
    let total: usize = album.iter().map(Vec::len).sum();
    expect(api, id, &album_saved(lang, 3, total)).await;
    let sent = previews(api, id, 3).await;
    let group = &sent[2];
    assert_eq!(group.method, "sendmediagroup");
    let kinds: Vec<&str> = group.files.iter().map(|f| f.kind.as_str()).collect();
    assert_eq!(kinds, ["photo", "video", "photo"]);
    for (file, want) in group.files.iter().zip(&album) {
        assert_eq!(&file.bytes, want, "in the customer's order");
    }
    assert_eq!(group.files[0].caption.as_deref(), Some("Album"));
    assert!(group.files[1..].iter().all(|f| f.caption.is_none()));
    assert_eq!(group.files[1].file_name.as_deref(), Some("clip.mp4"));
    let stored = content(run, id).await.unwrap();
    let hashes: Vec<Sha256> = stored.items().iter().map(|i| i.sha256).collect();
    assert_eq!(
        hashes,
        album.iter().map(|b| Sha256::of(b)).collect::<Vec<_>>()
    );

    // Two albums back to back, the second sent before the first is confirmed: two albums,
    // each confirmed, the second the post.
    let a: Vec<Attachment> = (0..2)
        .map(|i| Attachment::new(FileKind::Photo, bytes(id as u8 + 50 + i, 20_000)))
        .collect();
    let b: Vec<Attachment> = (0..4)
        .map(|i| {
            Attachment::new(FileKind::Document, bytes(id as u8 + 60 + i, 10_000))
                .named(&format!("price-{i}.pdf"), "application/pdf")
        })
        .collect();
    api.send_album(c, &format!("a-{id}"), &a, &[0, 1]);
    api.send_album(c, &format!("b-{id}"), &b, &[3, 1, 0, 2]);
    expect(api, id, &album_saved(lang, 2, 40_000)).await;
    expect(api, id, &album_saved(lang, 4, 40_000)).await;
    let sent = previews(api, id, 5).await;
    assert_eq!((sent[3].files.len(), sent[4].files.len()), (2, 4));
    let names: Vec<_> = sent[4]
        .files
        .iter()
        .map(|f| f.file_name.clone().unwrap())
        .collect();
    assert_eq!(
        names,
        ["price-0.pdf", "price-1.pdf", "price-2.pdf", "price-3.pdf"]
    );
    let stored = content(run, id).await.unwrap();
    assert!(
        matches!(&stored, PostContent::Album { items, .. } if items.len() == 4
        && items.iter().all(|i| i.kind == MediaKind::Document))
    );

    // A text sent right after an album is answered after it, and is the post (in the order
    // sent); the album sent again is the post once more.
    let before = api.chat(id).len();
    api.send_album(c, &format!("c-{id}"), &a, &[1, 0]);
    api.say(c, "Text after the album");
    let answered = wait_until(Duration::from_secs(20), || {
        let texts: Vec<String> = (api.chat(id).into_iter().skip(before))
            .map(|m| m.text)
            .collect();
        let album = texts
            .iter()
            .position(|m| m.contains(&album_saved(lang, 2, 40_000)));
        let text = texts
            .iter()
            .position(|m| m.contains(&t(lang, "message-saved")));
        matches!((album, text), (Some(a), Some(t)) if a < t)
    });
    assert!(answered.await, "{:#?}", api.chat(id));
    assert_eq!(
        content(run, id).await,
        Some(PostContent::Text {
            html: "Text after the album".into()
        })
    );
    api.send_album(c, &format!("d-{id}"), &b, &[0, 1, 2, 3]);
    let again = wait_until(Duration::from_secs(20), || {
        (api.chat(id).iter().skip(before))
            .filter(|m| m.text.contains(&album_saved(lang, 4, 40_000)))
            .count()
            == 1
    });
    assert!(again.await);

    // The engine posts the album: one post of four items, each with its own random id.
    open_menu(api, c, lang).await;
    api.press(c, &t(lang, "button-start")).unwrap();
    let ids = posted_items(run, id, 5).await;
    let album_ids: std::collections::HashSet<_> = ids[1..].iter().collect();
    assert_eq!(album_ids.len(), 4, "{ids:?}");
    api.say(c, "/stop");
    expect_now(api, id, &[t(lang, "stopped")]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_and_albums_are_saved_shown_and_posted_in_english_and_russian() {
    let api = FakeBotApi::start([]).await.unwrap();
    let admin = Customer::new(1, Some("en"));
    let run = Run::start_recorded(
        &api,
        &[
            ("AUTOPOSTER_ADMINS", "1"),
            ("RUST_LOG", "warn,autoposter::engine::send=debug"),
        ],
    );
    api.say(&admin, "/start");
    let english = Customer::new(701, Some("en"));
    let russian = Customer::new(702, Some("ru"));
    tokio::join!(
        photo_then_albums(&api, &run, &admin, &english, Lang::En),
        photo_then_albums(&api, &run, &admin, &russian, Lang::Ru)
    );
    assert_clean(&api.report());
    let mut run = run;
    assert_eq!(run.stop(), Some(0));
}

/// Every kind the accounts don't post, a file too big for a bot, albums Telegram would refuse
/// and a file getFile refuses: each refused with its own reason, the question still open, nothing downloaded and
/// the post unchanged.
async fn refusals(api: &FakeBotApi, run: &Run, admin: &Customer, c: &Customer, lang: Lang) {
    let id = c.id;
    let phone = format!("+99966{}2{}", 1 + (id % 8), 100 + id % 900);
    configure(api, admin, c, lang, &phone, &["@media_group_2"], "Keep me").await;
    let kept = Some(PostContent::Text {
        html: "Keep me".into(),
    });
    open_message(api, c, lang).await;

    // 21 MB: refused from the size Telegram states, before any download.
    let mut big =
        Attachment::new(FileKind::Document, bytes(1, 1_000)).named("big.zip", "application/zip");
    big.stated_size = Some(21 * 1024 * 1024);
    let (get_files, downloads) = api.file_requests(id);
    api.send_file(c, &big);
    let too_big = t_args(
        lang,
        "media-too-big",
        &Args::new()
            .text("size", view::size(lang, 21 * 1024 * 1024))
            .text("max", view::size(lang, 20 * 1024 * 1024)),
    );
    expect(api, id, &too_big).await;
    assert!(
        too_big.contains(if lang == Lang::Ru { "21 МБ" } else { "21 MB" }),
        "{too_big}"
    );
    assert!(
        too_big.contains(if lang == Lang::Ru { "20 МБ" } else { "20 MB" }),
        "{too_big}"
    );

    for kind in [
        "sticker",
        "poll",
        "voice",
        "location",
        "contact",
        "video_note",
        "audio",
        "dice",
        "venue",
    ] {
        api.send_other(c, other_message(kind));
        let refused = t_args(
            lang,
            "message-unsupported",
            &Args::new().html("what", t(lang, &format!("unsupported-{kind}"))),
        );
        expect(api, id, &refused).await;
        // The question is still open: the refusal offers Cancel.
        let last = api.last(id).unwrap();
        assert!(last.text.contains(&refused), "{kind}: {}", last.text);
        assert_eq!(last.labels(), [t(lang, "button-cancel").as_str()]);
    }

    // An album mixing files with photos.
    let mixed = [
        Attachment::new(FileKind::Photo, bytes(2, 1_000)),
        Attachment::new(FileKind::Document, bytes(3, 1_000)),
    ];
    api.send_album(c, &format!("mixed-{id}"), &mixed, &[1, 0]);
    expect(api, id, &t(lang, "reason-content-documents_mixed")).await;
    // Eleven items (Telegram's apps send at most ten; the Bot API would pass a forged one on).
    let eleven: Vec<Attachment> = (0..11)
        .map(|i| Attachment::new(FileKind::Photo, bytes(10 + i, 1_000)))
        .collect();
    let order: Vec<usize> = (0..11).rev().collect();
    api.send_album(c, &format!("eleven-{id}"), &eleven, &order);
    let too_many = t_args(
        lang,
        "reason-content-too_many_items",
        &Args::new().num("count", 11.0).num("max", 10.0),
    );
    expect(api, id, &too_many).await;
    assert_eq!(
        api.file_requests(id),
        (get_files, downloads),
        "nothing downloaded"
    );

    // Telegram refusing getFile: told, nothing changes.
    let mut gone = Attachment::new(FileKind::Photo, bytes(6, 1_000));
    gone.unavailable = true;
    api.send_file(c, &gone);
    expect(api, id, &t(lang, "media-download-failed")).await;
    assert_eq!(api.file_requests(id).1, downloads, "nothing downloaded");
    assert_eq!(content(run, id).await, kept, "the post unchanged");
    assert!(api.media_sent(id).is_empty(), "nothing shown as a post");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_accounts_cannot_post_is_refused_with_its_reason_in_english_and_russian() {
    let api = FakeBotApi::start([]).await.unwrap();
    let admin = Customer::new(1, Some("en"));
    let run = Run::start_recorded(&api, &[("AUTOPOSTER_ADMINS", "1")]);
    api.say(&admin, "/start");
    let english = Customer::new(711, Some("en"));
    let russian = Customer::new(712, Some("ru"));
    tokio::join!(
        refusals(&api, &run, &admin, &english, Lang::En),
        refusals(&api, &run, &admin, &russian, Lang::Ru)
    );
    assert_clean(&api.report());
    let mut run = run;
    assert_eq!(run.stop(), Some(0));
}

/// A 1500-character caption: refused while the account has no Premium (the account named, both
/// limits stated), taken once the account is Premium; the preview (bots may caption only 1024
/// characters) shows the photo and the caption under it.
async fn long_caption(api: &FakeBotApi, run: &Run, admin: &Customer, c: &Customer, lang: Lang) {
    let id = c.id;
    let phone = format!("+99966{}3{}", 1 + (id % 8), 100 + id % 900);
    configure(api, admin, c, lang, &phone, &["@media_group_3"], "Short").await;
    open_message(api, c, lang).await;
    let caption = "x".repeat(1500);
    let photo = bytes(id as u8, 5_000);
    let file = Attachment::new(FileKind::Photo, photo.clone()).caption(&caption, json!([]));
    api.send_file(c, &file);
    let refused = t_args(
        lang,
        "caption-needs-premium",
        &Args::new()
            .num("len", 1500.0)
            .num("max", 1024.0)
            .num("premium", 4096.0)
            .text("accounts", &phone),
    );
    expect(api, id, &refused).await;
    assert!(refused.contains(&phone) && refused.contains("1024") && refused.contains("4096"));
    assert_eq!(
        content(run, id).await,
        Some(PostContent::Text {
            html: "Short".into()
        })
    );

    let store = run.open_store().await;
    let account = store.accounts(id).await.unwrap()[0].id;
    assert!(store.set_account_premium(id, account, true).await.unwrap());
    api.send_file(c, &file);
    let saved = t_args(
        lang,
        "media-saved",
        &Args::new().html("what", one(lang, MediaKind::Photo, photo.len())),
    );
    expect(api, id, &saved).await;
    let sent = previews(api, id, 1).await;
    assert_eq!(sent[0].files[0].bytes, photo);
    assert_eq!(
        sent[0].files[0].caption, None,
        "a bot can't caption 1500 characters"
    );
    expect(api, id, &caption).await;
    let premium_note = t_args(
        lang,
        "media-caption-premium",
        &Args::new().num("len", 1500.0).num("max", 1024.0),
    );
    expect(api, id, &premium_note).await;
    assert!(
        matches!(content(run, id).await, Some(PostContent::Media { caption: c, .. }) if c == caption)
    );

    // Another account without Premium: added, with a warning that it can't post this caption.
    let second = format!("+99966{}4{}", 1 + (id % 8), 100 + id % 900);
    open_menu(api, c, lang).await;
    api.press(c, &t(lang, "button-accounts")).unwrap();
    press_when_shown(api, c, &t(lang, "button-add-account")).await;
    api.say(c, &second);
    let digit = &second[6..7];
    press_when_shown(api, c, digit).await;
    for _ in 1..5 {
        api.press(c, digit).unwrap();
    }
    api.press(c, "✓").unwrap();
    let warning = t_args(
        lang,
        "account-caption-needs-premium",
        &Args::new().num("len", 1500.0).num("max", 1024.0),
    );
    expect_now(
        api,
        id,
        &[
            t_args(lang, "account-added", &Args::new().text("account", &second)),
            warning,
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caption_over_1024_needs_every_active_account_to_be_premium() {
    let api = FakeBotApi::start([]).await.unwrap();
    let admin = Customer::new(1, Some("en"));
    let run = Run::start_recorded(&api, &[("AUTOPOSTER_ADMINS", "1")]);
    api.say(&admin, "/start");
    let english = Customer::new(721, Some("en"));
    let russian = Customer::new(722, Some("ru"));
    tokio::join!(
        long_caption(&api, &run, &admin, &english, Lang::En),
        long_caption(&api, &run, &admin, &russian, Lang::Ru)
    );
    assert_clean(&api.report());
    let mut run = run;
    assert_eq!(run.stop(), Some(0));
}

/// Eight customers send albums at the same moment, their items interleaved and every album
/// under the same media_group_id: each gets their own album, confirmed once, in their own
/// language.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_customers_sending_albums_at_once_each_get_their_own() {
    let api = FakeBotApi::start([]).await.unwrap();
    let run = Run::start_recorded(&api, &[]);
    let customers: Vec<(Customer, Lang)> = (0..8)
        .map(|i| {
            let lang = if i % 2 == 0 { Lang::En } else { Lang::Ru };
            (Customer::new(800 + i, Some(lang_code(lang))), lang)
        })
        .collect();
    for (c, lang) in &customers {
        api.say(c, "/start");
        expect(&api, c.id, &t(*lang, "welcome")).await;
        api.press(c, &t(*lang, "button-message")).unwrap();
    }
    for (c, lang) in &customers {
        let seen = wait_until(Duration::from_secs(20), || {
            api.last(c.id).is_some_and(|m| m.edits > 0)
        })
        .await;
        assert!(seen, "{lang:?} {:#?}", api.last(c.id));
    }
    // Items of every album, interleaved: customer 0's first, customer 1's first, …
    let albums: Vec<Vec<Attachment>> = (customers.iter().enumerate())
        .map(|(i, _)| {
            (0..2 + i % 3)
                .map(|k| Attachment::new(FileKind::Photo, bytes((10 * i + k) as u8, 3_000 + i)))
                .collect()
        })
        .collect();
    for k in 0..4 {
        for ((c, _), album) in customers.iter().zip(&albums) {
            if k < album.len() {
                // One item at a time, the shared group id.
                api.send_album(
                    c,
                    "g1",
                    std::slice::from_ref(&album[album.len() - 1 - k]),
                    &[0],
                );
            }
        }
    }
    for ((c, lang), album) in customers.iter().zip(&albums) {
        let total: usize = album.iter().map(|a| a.bytes.len()).sum();
        expect(&api, c.id, &album_saved(*lang, album.len(), total)).await;
        let sent = previews(&api, c.id, 1).await;
        assert_eq!(sent.len(), 1, "one preview for {}", c.id);
        let got: Vec<&Vec<u8>> = sent[0].files.iter().map(|f| &f.bytes).collect();
        // Sent last-first one message at a time: message ids ascend in sending order.
        let want: Vec<&Vec<u8>> = album.iter().rev().map(|a| &a.bytes).collect();
        assert_eq!(got, want, "customer {}", c.id);
        let saved = album_saved(*lang, album.len(), total);
        let confirmations = (api.chat(c.id).iter())
            .filter(|m| m.text.contains(&saved))
            .count();
        assert_eq!(confirmations, 1);
    }
    assert_clean(&api.report());
    let mut run = run;
    assert_eq!(run.stop(), Some(0));
}
