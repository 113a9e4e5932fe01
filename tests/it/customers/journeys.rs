//! Customers and an admin using a real `autoposter run --simulated-accounts` through the local
//! fake Bot API, pressing only the buttons shown: what each screen says must be true.

use std::time::Duration;

use autoposter::bench::fake_api::{Customer, FakeBotApi};
use autoposter::i18n::{t, t_args, Args, Lang};

use super::{wait_until, Run};

const PATIENCE: Duration = Duration::from_secs(15);

/// Whether any bot message in `chat` holds `text` now.
fn anywhere(api: &FakeBotApi, chat: i64, text: &str) -> bool {
    api.chat(chat).iter().any(|m| m.text.contains(text))
}

/// Waits until some bot message in the customer's chat holds `text`; fails the test if none
/// does in time.
async fn expect(api: &FakeBotApi, who: &Customer, text: &str) {
    assert!(
        wait_until(PATIENCE, || anywhere(api, who.id, text)).await,
        "never shown {text:?}; the chat: {:#?}",
        api.chat(who.id)
    );
}

/// Presses the button `label` (it must be shown) and waits until the newest message showing
/// buttons carries `then` among them.
async fn press(api: &FakeBotApi, who: &Customer, label: &str, then: &str) {
    if let Err(e) = api.press(who, label) {
        let brief: Vec<_> = api
            .chat(who.id)
            .iter()
            .map(|m| (m.message_id, m.edits, m.text.clone()))
            .collect();
        panic!("{e}: {brief:#?}");
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

/// /start, then the welcome.
async fn welcome(api: &FakeBotApi, who: &Customer) {
    api.say(who, "/start");
    expect(api, who, &t(lang_of(who), "welcome")).await;
}

/// Timing → a value's button → the typed value → "Saved" → Back; the Timing screen shown
/// with "Saved".
async fn set_timing(api: &FakeBotApi, who: &Customer, button: &str, value: &str) -> String {
    let lang = lang_of(who);
    let saved_before = count(api, who, &t(lang, "timing-saved"));
    press(api, who, &t(lang, "button-timing"), &t(lang, button)).await;
    press(api, who, &t(lang, button), &t(lang, "button-cancel")).await;
    api.say(who, value);
    assert!(
        wait_until(PATIENCE, || count(api, who, &t(lang, "timing-saved"))
            > saved_before)
        .await,
        "{value:?} not saved: {:#?}",
        api.chat(who.id)
    );
    let saved = api
        .chat(who.id)
        .into_iter()
        .rev()
        .find(|m| m.text.contains(&t(lang, "timing-saved")))
        .unwrap()
        .text;
    press(api, who, &t(lang, "button-back"), &t(lang, "button-timing")).await;
    saved
}

fn count(api: &FakeBotApi, who: &Customer, text: &str) -> usize {
    api.chat(who.id)
        .iter()
        .filter(|m| m.text.contains(text))
        .count()
}

/// A Cancel button left under a question the customer has since answered must not tell them
/// "Cancelled. Nothing was changed.": their answer was saved and stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_under_an_answered_question_does_not_claim_the_answer_was_undone() {
    let api = FakeBotApi::start([]).await.unwrap();
    let _run = Run::start(&api);
    let english = Customer::new(601, Some("en"));
    let russian = Customer::new(602, Some("ru"));
    tokio::join!(
        cancel_after_answer(&api, &english),
        cancel_after_answer(&api, &russian)
    );
}

async fn cancel_after_answer(api: &FakeBotApi, who: &Customer) {
    let lang = lang_of(who);
    welcome(api, who).await;
    set_timing(api, who, "button-delay-posts", "7").await;
    // The question's message still shows its Cancel; the customer presses it.
    press(
        api,
        who,
        &t(lang, "button-cancel"),
        &t(lang, "button-timing"),
    )
    .await;
    expect(api, who, &t(lang, "cancel-nothing")).await;
    assert!(
        !anywhere(api, who.id, &t(lang, "cancelled")),
        "{:#?}",
        api.chat(who.id)
    );
    // And the typed command says the same.
    api.say(who, "/cancel");
    assert!(
        wait_until(PATIENCE, || count(api, who, &t(lang, "cancel-nothing"))
            == 2)
        .await,
        "{:#?}",
        api.chat(who.id)
    );
    assert!(!anywhere(api, who.id, &t(lang, "cancelled")));
    // The answer stands.
    press(
        api,
        who,
        &t(lang, "button-timing"),
        &t(lang, "button-delay-posts"),
    )
    .await;
    let seven = t_args(lang, "timing-delay-posts", &Args::new().text("secs", "7"));
    expect(api, who, &seven).await;
}

/// /user lists a customer's accounts and groups; with none, it says so instead of leaving a
/// heading over nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_looking_at_a_new_customer_reads_that_there_are_no_accounts_or_groups() {
    let api = FakeBotApi::start([]).await.unwrap();
    let _run = Run::start_with(&api, &[("AUTOPOSTER_ADMINS", "1")]);
    let admin = Customer::new(1, Some("ru"));
    let customer = Customer::new(603, Some("en"));
    welcome(&api, &customer).await;
    api.say(&admin, "/user 603");
    expect(&api, &admin, "<code>603</code>").await;
    let shown = api.last(admin.id).unwrap().text;
    for key in ["admin-user-accounts", "admin-user-groups"] {
        let heading = t_args(Lang::Ru, key, &Args::new().num("count", 0));
        assert!(shown.contains(&heading), "{shown}");
    }
    assert!(shown.contains(&t(Lang::Ru, "accounts-empty")), "{shown}");
    assert!(shown.contains(&t(Lang::Ru, "groups-empty")), "{shown}");
}

/// With one account in STARTER mode, the Timing screen says what the engine does: cycles
/// follow each other the delay between cycles apart, whatever the cycle length.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_starter_account_the_timing_screen_tells_how_far_apart_cycles_really_are() {
    let api = FakeBotApi::start([]).await.unwrap();
    let _run = Run::start_with(&api, &[("AUTOPOSTER_ADMINS", "1")]);
    let admin = Customer::new(1, Some("en"));
    let who = Customer::new(604, Some("ru"));
    let lang = Lang::Ru;
    welcome(&api, &who).await;
    api.say(&admin, "/setplan 604 STARTER 30");
    expect(&api, &admin, "604").await;
    expect(&api, &who, "STARTER").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    // An account by the keypad login.
    press(
        &api,
        &who,
        &t(lang, "button-accounts"),
        &t(lang, "button-add-account"),
    )
    .await;
    press(
        &api,
        &who,
        &t(lang, "button-add-account"),
        &t(lang, "button-cancel"),
    )
    .await;
    api.say(&who, "9996612345");
    assert!(
        wait_until(PATIENCE, || api
            .last(who.id)
            .is_some_and(|m| m.labels().contains(&"✓")))
        .await
    );
    for _ in 0..5 {
        api.press(&who, "1").unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    press(&api, &who, "✓", &t(lang, "button-add-account")).await;
    press(
        &api,
        &who,
        &t(lang, "button-back"),
        &t(lang, "button-groups"),
    )
    .await;
    // A group picked from the account's own.
    press(
        &api,
        &who,
        &t(lang, "button-groups"),
        &t(lang, "button-pick-groups"),
    )
    .await;
    press(&api, &who, &t(lang, "button-pick-groups"), "➕ sim_group_1").await;
    api.press(&who, "➕ sim_group_1").unwrap();
    expect(&api, &who, "sim_group_1").await;
    press(
        &api,
        &who,
        &t(lang, "button-back"),
        &t(lang, "button-message"),
    )
    .await;
    // The post.
    press(
        &api,
        &who,
        &t(lang, "button-message"),
        &t(lang, "button-back"),
    )
    .await;
    api.say(&who, "Весенняя распродажа");
    expect(&api, &who, &t(lang, "message-saved")).await;
    press(
        &api,
        &who,
        &t(lang, "button-back"),
        &t(lang, "button-timing"),
    )
    .await;
    // Half-minute cycles asked for, one second between cycles.
    set_timing(&api, &who, "button-delay-posts", "3").await;
    set_timing(&api, &who, "button-cycle-minutes", "0,5").await;
    let timing = set_timing(&api, &who, "button-delay-cycles", "1").await;
    let promise = t_args(
        lang,
        "feasible-starter-one",
        &Args::new().text("runtime", "3").text("pause", "1"),
    );
    assert!(timing.contains(&promise), "{timing}");
    press(
        &api,
        &who,
        &t(lang, "button-start"),
        &t(lang, "button-stop"),
    )
    .await;
    // 3 s of posting and 1 s of pause: the second cycle is over within about 8 s, far
    // sooner than one half-minute cycle.
    let second_done = t_args(
        lang,
        "status-last-cycle",
        &Args::new()
            .num("seq", 2)
            .num("sent", 1)
            .num("failed", 0)
            .num("skipped", 0),
    );
    let started = tokio::time::Instant::now();
    let mut seen = false;
    while !seen && started.elapsed() < Duration::from_secs(20) {
        api.say(&who, "/status");
        tokio::time::sleep(Duration::from_millis(1500)).await;
        seen = anywhere(&api, who.id, &second_done);
    }
    assert!(seen, "{:#?}", api.chat(who.id));
    assert!(started.elapsed() < Duration::from_secs(20));
}
