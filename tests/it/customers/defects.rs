//! Issue 12's defects (section 1) replayed the way they were found: a real `autoposter run`
//! played by customers and admins who type and press only what the screens show, in English
//! and Russian where the texts matter. (A cycle stopped midway reported as cut short, with
//! what was not posted, and "Next post" right after an ENTERPRISE start are replayed by the
//! whole journey in `customers/mod.rs`.)

use std::time::Duration;

use autoposter::bench::fake_api::{Customer, FakeBotApi};
use autoposter::i18n::{t, t_args, Args, Lang};

use super::{
    assert_clean, configure, expect, expect_now, open_menu, press_when_shown, start_with_plan,
    wait_until, Run,
};

/// The session import is offered on the Accounts screen, in the row of "Add an account".
async fn import_offered(api: &FakeBotApi, admin: &Customer, customer: Customer, lang: Lang) {
    let customer = &customer;
    let id = customer.id;
    start_with_plan(api, admin, customer, lang, "STARTER").await;
    api.press(customer, &t(lang, "button-accounts")).unwrap();
    let (add, import) = (
        t(lang, "button-add-account"),
        t(lang, "button-import-session"),
    );
    let offered = wait_until(Duration::from_secs(20), || {
        api.last(id).is_some_and(|m| {
            m.buttons.iter().any(|row| {
                let labels: Vec<&str> = row.iter().map(|(l, _)| l.as_str()).collect();
                labels == [add.as_str(), import.as_str()]
            })
        })
    })
    .await;
    assert!(offered, "{:#?}", api.last(id));
    api.press(customer, &import).unwrap();
    expect(api, id, &t(lang, "import-ask")).await;
    let deleted = api.deleted_user_messages(id);
    api.say(customer, "certainly not a session string");
    expect(api, id, &t(lang, "import-unrecognised")).await;
    // What was typed as a session string does not stay in the chat.
    assert_eq!(api.deleted_user_messages(id), deleted + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_accounts_screen_offers_session_import_beside_add_an_account() {
    let api = FakeBotApi::start([]).await.unwrap();
    let admin = Customer::new(1, Some("en"));
    let mut run = Run::start_with_real_accounts(&api, &[("AUTOPOSTER_ADMINS", "1")]);
    api.say(&admin, "/start");
    tokio::join!(
        import_offered(&api, &admin, Customer::new(1101, Some("en")), Lang::En),
        import_offered(&api, &admin, Customer::new(1102, Some("ru")), Lang::Ru)
    );
    assert_clean(&api.report());
    assert_eq!(run.stop(), Some(0));
}

/// Negative, fractional negative and huge numbers on the Timing screen, then a decimal the
/// customer's way; `cases` are (typed, the refusal's text).
async fn numbers(
    api: &FakeBotApi,
    customer: Customer,
    lang: Lang,
    cases: Vec<(&'static str, &'static str)>,
) {
    let customer = &customer;
    let (decimal, shown) = match lang {
        Lang::En => ("2.5", "Delay between cycles: 2.5 s"),
        Lang::Ru => ("2,5", "Пауза между циклами: 2,5 с"),
    };
    let id = customer.id;
    api.say(customer, "/start");
    expect(api, id, &t(lang, "welcome")).await;
    api.press(customer, &t(lang, "button-timing")).unwrap();
    press_when_shown(api, customer, &t(lang, "button-delay-cycles")).await;
    for (typed, refusal) in &cases {
        api.say(customer, typed);
        expect_now(api, id, &[refusal.to_string()]).await;
        assert!(
            !api.last(id)
                .unwrap()
                .text
                .contains(&t(lang, "timing-not-a-number")),
            "{typed}: {:?}",
            api.last(id)
        );
    }
    api.say(customer, decimal);
    expect_now(api, id, &[t(lang, "timing-saved"), shown.to_string()]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn negative_and_huge_numbers_are_refused_as_such_and_decimals_shown_the_customers_way() {
    let api = FakeBotApi::start([]).await.unwrap();
    let mut run = Run::start(&api);
    let huge = "99999999999999999999";
    tokio::join!(
        numbers(
            &api,
            Customer::new(1201, Some("en")),
            Lang::En,
            vec![
                ("-5", "The delay between cycles must not be negative."),
                ("-0.5", "The delay between cycles must not be negative."),
                (
                    huge,
                    "The delay between cycles may be at most 604800 seconds."
                ),
            ]
        ),
        numbers(
            &api,
            Customer::new(1202, Some("ru")),
            Lang::Ru,
            vec![
                (
                    "-5",
                    "Пауза между циклами: значение не может быть отрицательным."
                ),
                (
                    "-0,5",
                    "Пауза между циклами: значение не может быть отрицательным."
                ),
                (huge, "Пауза между циклами: не больше 604800 с."),
            ]
        )
    );
    assert_clean(&api.report());
    assert_eq!(run.stop(), Some(0));
}

/// The admin's usage texts hold `<user id>`: escaped, Telegram takes them (the fake refuses
/// what Telegram's HTML parser would).
async fn usage(api: &FakeBotApi, admin: Customer, lang: Lang) {
    let admin = &admin;
    api.say(admin, "/start");
    expect(api, admin.id, &t(lang, "welcome")).await;
    for (command, key) in [
        ("/setplan", "admin-setplan-usage"),
        ("/setplan 5", "admin-setplan-usage"),
        ("/user", "admin-user-usage"),
    ] {
        let before = api.sent_to(admin.id);
        api.say(admin, command);
        let answered = wait_until(Duration::from_secs(20), || api.sent_to(admin.id) > before).await;
        assert!(answered, "{command} unanswered: {:?}", api.report());
        expect_now(api, admin.id, &[t(lang, key)]).await;
        assert_eq!(api.sent_to(admin.id), before + 1, "{command}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_usage_texts_reach_the_admin_in_english_and_russian() {
    let api = FakeBotApi::start([]).await.unwrap();
    let mut run = Run::start_with(&api, &[("AUTOPOSTER_ADMINS", "1,2")]);
    tokio::join!(
        usage(&api, Customer::new(1, Some("en")), Lang::En),
        usage(&api, Customer::new(2, Some("ru")), Lang::Ru)
    );
    let report = api.report();
    assert!(
        report.refused_texts.is_empty(),
        "{:?}",
        report.refused_texts
    );
    assert_clean(&report);
    assert_eq!(run.stop(), Some(0));
}

/// Without a plan: the Plan screen opens with its heading, and the mode buttons on the
/// Timing screen say what modes are and how to get a plan.
async fn without_a_plan(api: &FakeBotApi, customer: Customer, lang: Lang) {
    let customer = &customer;
    let id = customer.id;
    api.say(customer, "/start");
    expect(api, id, &t(lang, "welcome")).await;
    api.press(customer, &t(lang, "button-plan")).unwrap();
    let heading = t_args(
        lang,
        "plan-title",
        &Args::new().html("plan", t(lang, "plan-none")),
    );
    let opened = wait_until(Duration::from_secs(20), || {
        api.last(id).is_some_and(|m| m.text.starts_with(&heading))
    })
    .await;
    assert!(opened, "{heading:?} does not head {:#?}", api.last(id));
    press_when_shown(api, customer, &t(lang, "button-back")).await;
    press_when_shown(api, customer, &t(lang, "button-timing")).await;
    for mode in ["button-mode-starter", "button-mode-enterprise"] {
        press_when_shown(api, customer, &t(lang, mode)).await;
        let query = api.press(customer, &t(lang, mode)).unwrap();
        assert!(
            wait_until(Duration::from_secs(20), || api.answer_to(&query).is_some()).await,
            "{mode} unanswered"
        );
        assert_eq!(
            api.answer_to(&query),
            Some((Some(t(lang, "mode-no-plan")), true)),
            "{mode}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_plan_the_plan_screen_has_its_heading_and_the_mode_buttons_explain() {
    let api = FakeBotApi::start([]).await.unwrap();
    let mut run = Run::start(&api);
    tokio::join!(
        without_a_plan(&api, Customer::new(1301, Some("en")), Lang::En),
        without_a_plan(&api, Customer::new(1302, Some("ru")), Lang::Ru)
    );
    assert_clean(&api.report());
    assert_eq!(run.stop(), Some(0));
}

/// ENTERPRISE, one account and one group, ten minutes between cycles: once the first cycle
/// is over, the status names cycle 2 and when it starts, and reports cycle 1 as the last one
/// (not as the one in progress).
async fn between_cycles(api: &FakeBotApi, admin: &Customer, customer: Customer, lang: Lang) {
    let customer = &customer;
    let id = customer.id;
    let phone = format!("+99966{}", 21000 + id % 1000);
    let post = "Between cycles";
    configure(
        api,
        admin,
        customer,
        lang,
        &phone,
        &["@between_cycles"],
        post,
    )
    .await;
    open_menu(api, customer, lang).await;
    api.press(customer, &t(lang, "button-timing")).unwrap();
    press_when_shown(api, customer, &t(lang, "button-delay-cycles")).await;
    api.say(customer, "600");
    expect_now(api, id, &[t(lang, "timing-saved")]).await;
    open_menu(api, customer, lang).await;
    api.press(customer, &t(lang, "button-start")).unwrap();
    let next_cycle = t_args(
        lang,
        "status-next-cycle",
        &Args::new().num("seq", 2.0).text("time", "\u{1}"),
    );
    let next_cycle = next_cycle.split('\u{1}').next().unwrap().to_string();
    let last = t_args(
        lang,
        "status-last-cycle",
        &Args::new()
            .num("seq", 1.0)
            .num("sent", 1.0)
            .num("failed", 0.0)
            .num("skipped", 0.0),
    );
    // The cycle's one post and the 3 s after it; asked every second or so until it is over.
    let mut between = None;
    for _ in 0..30 {
        let before = api.sent_to(id);
        api.say(customer, "/status");
        wait_until(Duration::from_secs(10), || api.sent_to(id) > before).await;
        let status = api.last(id).unwrap().text;
        if status.contains(&next_cycle) {
            between = Some(status);
            break;
        }
    }
    let status = between.unwrap_or_else(|| panic!("never between cycles: {:#?}", api.last(id)));
    assert!(status.contains(&t(lang, "status-running")), "{status}");
    assert!(status.contains(&last), "{status}");
    let in_progress = t_args(lang, "status-cycle", &Args::new().num("seq", 1.0));
    assert!(!status.contains(&in_progress), "{status}");
    // The start: a full date and time, ten minutes after the post (the cycle's start).
    let at = status.split(&next_cycle).nth(1).unwrap();
    assert!(at.contains(" UTC"), "{status}");
    api.say(customer, "/stop");
    expect(api, id, &t(lang, "stopped")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn between_cycles_the_status_names_the_next_cycle_and_when_it_starts() {
    let api = FakeBotApi::start([]).await.unwrap();
    let admin = Customer::new(1, Some("en"));
    let mut run = Run::start_with(&api, &[("AUTOPOSTER_ADMINS", "1")]);
    api.say(&admin, "/start");
    tokio::join!(
        between_cycles(&api, &admin, Customer::new(1401, Some("en")), Lang::En),
        between_cycles(&api, &admin, Customer::new(1402, Some("ru")), Lang::Ru)
    );
    assert_clean(&api.report());
    assert_eq!(run.stop(), Some(0));
}
