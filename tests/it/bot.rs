//! The control bot's conversation, driven as a customer would: commands, typed answers and
//! button presses go into `Control::handle`, and each test reads what the bot showed and what
//! the store holds. Every refusal is checked for its text and for changing nothing. The end to
//! end test runs the engine on the paused clock.

use std::sync::Arc;
use std::time::Duration;

use autoposter::bot::callback::{Cb, Screen};
use autoposter::bot::{Action, BotEvent, Input, Notifier, Sender, StopReason};
use autoposter::engine::Engine;
use autoposter::schedule::NotReady;
use autoposter::schedule::{Field, Mode, Plan, PlanCatalog};
use autoposter::store::{GroupStatus, Store};
use autoposter::telegram::groups::{GroupInfo, GroupProblem, Groups};
use autoposter::telegram::login::{Login, LoginError, SignInStep, SignedIn, SimLogin};
use autoposter::telegram::sim::{SimTransport, Target};
use autoposter::telegram::BoxFuture;
use autoposter::telegram::{GroupRefusal, Outcome};
use std::collections::VecDeque;
use std::sync::Mutex;
use tokio::time::Instant;

use crate::helpers::{
    account_ids, alert, answered, button_texts, buttons, group_ids, shown, BotRig, ME, MENU,
};

const OTHER: i64 = 2002;

const STARTER_ONLY: &str =
    "STARTER plan requires starter execution mode. Cannot use enterprise mode with STARTER plan.";
const ENTERPRISE_ONLY: &str = "ENTERPRISE plan requires enterprise execution mode. Cannot use starter mode with ENTERPRISE plan.";
const STARTER_ONLY_RU: &str = "Тариф STARTER требует режима выполнения starter. Режим enterprise с тарифом STARTER использовать нельзя.";
const ENTERPRISE_ONLY_RU: &str = "Тариф ENTERPRISE требует режима выполнения enterprise. Режим starter с тарифом ENTERPRISE использовать нельзя.";

#[tokio::test]
async fn first_start_welcomes_in_the_apps_language_with_the_whole_menu() {
    for (lang, welcome, plan) in [
        (Some("en"), "Welcome to <b>autoposter</b>", "Plan: none yet"),
        (Some("ru-RU"), "Добро пожаловать", "Тариф: пока нет"),
        (Some("de"), "Welcome to", "Plan: none yet"),
    ] {
        let rig = BotRig::new(lang).await;
        let screen = shown(&rig.cmd("/start").await);
        assert!(screen.text.contains(welcome), "{}", screen.text);
        assert!(screen.text.contains(plan), "{}", screen.text);
        let data = buttons(&screen);
        for screen in [
            "m:msg", "m:grp", "m:acc", "m:tim", "m:prev", "start", "m:stat", "m:plan", "m:lang",
        ] {
            assert!(
                data.contains(&screen.to_string()),
                "{screen} missing from {data:?}"
            );
        }
        // A second /start is not a welcome any more.
        let again = shown(&rig.cmd("/start").await);
        assert!(!again.text.contains(welcome));
    }
}

#[tokio::test]
async fn menu_buttons_edit_the_menu_message_in_place_and_every_screen_has_back() {
    let rig = BotRig::new(Some("en")).await;
    rig.cmd("/start").await;
    for screen in [
        Screen::Message,
        Screen::Groups,
        Screen::Accounts,
        Screen::Timing,
        Screen::Preview,
        Screen::Status,
        Screen::Plan,
        Screen::Language,
    ] {
        let actions = rig.press(Cb::Open(screen)).await;
        assert!(
            matches!(
                actions.as_slice(),
                [
                    Action::Answer { .. },
                    Action::Edit {
                        message_id: MENU,
                        ..
                    }
                ]
            ),
            "{screen:?}: {actions:?}"
        );
        assert!(
            buttons(&shown(&actions)).contains(&"m:main".to_string()),
            "{screen:?} has no Back"
        );
    }
    let main = rig.press(Cb::Open(Screen::Main)).await;
    assert!(shown(&main).text.contains("<b>autoposter</b>"));
}

#[tokio::test]
async fn the_message_keeps_its_formatting_as_html() {
    let rig = BotRig::new(Some("en")).await;
    rig.cmd("/start").await;
    let screen = shown(&rig.press(Cb::Open(Screen::Message)).await);
    assert!(screen.text.contains("not set yet"), "{}", screen.text);
    let saved = shown(
        &rig.html(
            "Big sale, link",
            "<b>Big sale</b>, <a href=\"https://x.example\">link</a>",
        )
        .await,
    );
    assert!(saved.text.starts_with("✅ Message saved."));
    assert!(saved
        .text
        .contains("<b>Big sale</b>, <a href=\"https://x.example\">link</a>"));
    let timing = rig.store.timing(ME).await.unwrap().unwrap();
    assert_eq!(
        timing.message_html.as_deref(),
        Some("<b>Big sale</b>, <a href=\"https://x.example\">link</a>")
    );
}

#[tokio::test]
async fn empty_overlong_and_media_messages_are_refused_and_change_nothing() {
    for (lang, too_long, media) in [
        (
            Some("en"),
            "The message is 4097 characters long; Telegram allows at most 4096.",
            "This kind of message can't be posted",
        ),
        (
            Some("ru"),
            "В сообщении 4097 символов; Telegram допускает не более 4096.",
            "Такое сообщение опубликовать нельзя",
        ),
    ] {
        let rig = BotRig::new(lang).await;
        rig.cmd("/start").await;
        rig.press(Cb::Open(Screen::Message)).await;
        rig.html("kept", "<i>kept</i>").await;
        rig.press(Cb::Open(Screen::Message)).await;
        let long = "x".repeat(4097);
        let refused = shown(&rig.text(&long).await);
        assert!(refused.text.contains(too_long), "{}", refused.text);
        let refused = rig
            .control
            .handle(&rig.sender(), Input::Media { message_id: 9 })
            .await;
        assert!(
            shown(&refused).text.contains(media),
            "{}",
            shown(&refused).text
        );
        let refused = shown(&rig.text("   ").await);
        assert!(refused.text.contains("4096"), "{}", refused.text);
        let timing = rig.store.timing(ME).await.unwrap().unwrap();
        assert_eq!(timing.message_html.as_deref(), Some("<i>kept</i>"));
        // The question stays open: a good message is still taken.
        rig.text("fine").await;
        assert_eq!(
            rig.store
                .timing(ME)
                .await
                .unwrap()
                .unwrap()
                .message_html
                .as_deref(),
            Some("fine")
        );
    }
}

#[tokio::test]
async fn groups_take_usernames_links_and_ids_and_refuse_the_rest() {
    let rig = BotRig::new(Some("en")).await;
    rig.cmd("/start").await;
    // Groups are checked through the customer's accounts: none yet, nothing added.
    rig.press(Cb::AddGroup).await;
    let refused = shown(&rig.text("@group_one").await);
    assert!(
        refused.text.starts_with("Add an account first"),
        "{}",
        refused.text
    );
    assert!(rig.store.groups(ME).await.unwrap().is_empty());
    rig.press(Cb::Cancel).await;
    rig.configure(1, 0).await;
    for good in ["@Group_One", "https://t.me/group_two", "-1001234567890"] {
        rig.press(Cb::AddGroup).await;
        let added = shown(&rig.text(good).await);
        assert!(added.text.contains("added"), "{good}: {}", added.text);
    }
    let refs: Vec<String> = rig
        .store
        .groups(ME)
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.reference)
        .collect();
    assert_eq!(refs, ["@group_one", "@group_two", "-1001234567890"]);

    rig.press(Cb::AddGroup).await;
    for (bad, says) in [
        ("hello world", "That is not a group reference."),
        ("@abc", "That is not a group reference."),
        ("https://t.me/+AbCdEfGh", "Invite links are not accepted"),
        ("t.me/GROUP_ONE", "@group_one is already in your list."),
    ] {
        let refused = shown(&rig.text(bad).await);
        assert!(refused.text.contains(says), "{bad}: {}", refused.text);
        assert_eq!(buttons(&refused), vec!["cancel"]);
    }
    assert_eq!(
        rig.store.groups(ME).await.unwrap().len(),
        3,
        "nothing added"
    );
    let cancelled = shown(&rig.press(Cb::Cancel).await);
    assert!(
        cancelled.text.starts_with("Cancelled."),
        "{}",
        cancelled.text
    );
    // After cancel, text is no longer taken as a group.
    rig.text("@group_four").await;
    assert_eq!(rig.store.groups(ME).await.unwrap().len(), 3);
}

#[tokio::test]
async fn groups_and_accounts_pause_resume_and_remove_after_confirmation() {
    let rig = BotRig::new(Some("en")).await;
    rig.configure(1, 2).await;
    let group = rig.store.groups(ME).await.unwrap()[0].id;
    let account = rig.store.accounts(ME).await.unwrap()[0].id;

    let paused = shown(&rig.press(Cb::ToggleGroup(group)).await);
    assert!(
        paused.text.contains("@group_number_0 — ⏸ paused"),
        "{}",
        paused.text
    );
    rig.press(Cb::ToggleGroup(group)).await;
    assert_eq!(
        rig.store.groups(ME).await.unwrap()[0].status,
        GroupStatus::Active
    );

    let confirm = shown(&rig.press(Cb::RemoveGroup(group)).await);
    assert!(
        confirm.text.contains("Remove @group_number_0"),
        "{}",
        confirm.text
    );
    assert_eq!(
        rig.store.groups(ME).await.unwrap().len(),
        2,
        "asking removes nothing"
    );
    rig.press(Cb::ConfirmRemoveGroup(group)).await;
    assert_eq!(rig.store.groups(ME).await.unwrap().len(), 1);

    let paused = shown(&rig.press(Cb::ToggleAccount(account)).await);
    assert!(
        paused.text.contains("+9996611000 — ⏸ paused"),
        "{}",
        paused.text
    );
    rig.press(Cb::ToggleAccount(account)).await;
    rig.press(Cb::RemoveAccount(account)).await;
    rig.press(Cb::ConfirmRemoveAccount(account)).await;
    assert!(rig.store.accounts(ME).await.unwrap().is_empty());
    // Pressing the same confirmation again: the menu is out of date.
    let stale = rig.press(Cb::ConfirmRemoveAccount(account)).await;
    assert_eq!(
        alert(&stale),
        "This menu is out of date. Open /menu for a fresh one."
    );
}

#[tokio::test]
async fn accounts_log_in_with_test_numbers_through_the_keypad() {
    let rig = BotRig::new(Some("en")).await;
    rig.cmd("/start").await;
    let ask = shown(&rig.press(Cb::AddAccount).await);
    assert!(ask.text.contains("phone number"), "{}", ask.text);
    let keypad = shown(&rig.text("+999 66 2 1234").await);
    assert!(
        keypad.text.contains("Login code for +9996621234: <b>—</b>"),
        "{}",
        keypad.text
    );
    assert!(buttons(&keypad).contains(&"k:ok".to_string()));
    // A code typed as a message is refused (Telegram voids codes sent in chats).
    let typed = shown(&rig.text("22222").await);
    assert!(typed.text.contains("keypad"), "{}", typed.text);
    // Adding another account while this login is open is refused.
    assert!(alert(&rig.press(Cb::AddAccount).await).contains("already in progress"));
    // Wrong code: said, digits cleared, login still open.
    for d in [2, 2, 2, 2, 3] {
        rig.press(Cb::Digit(d)).await;
    }
    let shown_code = shown(&rig.press(Cb::Backspace).await);
    assert!(
        shown_code.text.contains("<b>2 2 2 2</b>"),
        "{}",
        shown_code.text
    );
    rig.press(Cb::Digit(3)).await;
    let wrong = shown(&rig.press(Cb::SubmitCode).await);
    assert!(wrong.text.starts_with("❌ Wrong code."), "{}", wrong.text);
    assert!(wrong.text.contains("<b>—</b>"));
    assert!(rig.store.accounts(ME).await.unwrap().is_empty());
    // Submitting nothing is refused.
    assert_eq!(
        alert(&rig.press(Cb::SubmitCode).await),
        "Type the code first."
    );
    for _ in 0..5 {
        rig.press(Cb::Digit(2)).await;
    }
    let added = shown(&rig.press(Cb::SubmitCode).await);
    assert!(
        added.text.contains("✅ Account +9996621234 added."),
        "{}",
        added.text
    );
    assert!(added.text.contains("+9996621234 — ✅ ok"), "{}", added.text);
    // The keypad is dead once the login is over.
    assert_eq!(
        alert(&rig.press(Cb::Digit(1)).await),
        "This menu is out of date. Open /menu for a fresh one."
    );
}

#[tokio::test]
async fn bad_phones_other_numbers_and_duplicates_are_refused() {
    for (lang, bad_phone, not_test, dup) in [
        (
            Some("en"),
            "That is not a phone number.",
            "Telegram test number 99966XYYYY",
            "+9996611111 is already one of your accounts.",
        ),
        (
            Some("ru"),
            "Это не номер телефона.",
            "тестовый номер Telegram 99966XYYYY",
            "+9996611111 уже есть среди ваших аккаунтов.",
        ),
    ] {
        let rig = BotRig::new(lang).await;
        rig.cmd("/start").await;
        rig.press(Cb::AddAccount).await;
        assert!(shown(&rig.text("call me").await).text.contains(bad_phone));
        assert!(shown(&rig.text("+44 7700 900123").await)
            .text
            .contains(not_test));
        rig.text("+9996611111").await;
        for _ in 0..5 {
            rig.press(Cb::Digit(1)).await;
        }
        rig.press(Cb::SubmitCode).await;
        rig.press(Cb::AddAccount).await;
        assert!(shown(&rig.text("9996611111").await).text.contains(dup));
        assert_eq!(rig.store.accounts(ME).await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn timing_answers_are_parsed_floored_and_checked_for_feasibility_at_once() {
    let rig = BotRig::new(Some("en")).await;
    rig.grant(Plan::Starter, None).await;
    rig.configure(2, 5).await;
    let saved = shown(&rig.set_timing(Field::DelayBetweenPosts, "1").await);
    assert!(
        saved
            .text
            .starts_with("✅ Saved. It applies from the next cycle."),
        "{}",
        saved.text
    );
    assert!(
        saved.text.contains(
            "Delay between posts: 1 s\n⚠️ Delay between posts (1 s) is below the minimum (3 s); 3 s is used."
        ),
        "{}",
        saved.text
    );
    assert_eq!(saved.text.matches("⚠️").count(), 1, "said once");
    // 5 groups × 10 s = 50 s against 1 minute / 2 = 30.0 s: the seed's example.
    rig.set_timing(Field::DelayBetweenPosts, "10").await;
    let infeasible = shown(&rig.set_timing(Field::CycleMinutes, "1").await);
    assert!(
        infeasible.text.contains("Starter mode infeasible: session runtime (50s) must be less than per-session offset (30.0s). Increase total_cycle_minutes or reduce groups/delay."),
        "{}",
        infeasible.text
    );
    let feasible = shown(&rig.set_timing(Field::CycleMinutes, "2,5").await);
    assert!(
        feasible.text.contains("Cycle length: 2.5 min"),
        "{}",
        feasible.text
    );
    assert!(
        feasible.text.contains(
            "✅ Feasible: each account posts for 50 s; the 2 accounts start 75.0 s apart."
        ),
        "{}",
        feasible.text
    );
    let settings = rig.store.timing(ME).await.unwrap().unwrap().settings;

    // Bad values: each refused with the field's range, nothing stored.
    rig.press(Cb::AskTiming(Field::DelayBetweenPosts)).await;
    for (bad, says) in [
        (
            "ten",
            "That is not a number. Send the delay between posts in seconds, from 0.001 to 86400.",
        ),
        (
            "-5",
            "The delay between posts must be at least 0.001 seconds.",
        ),
        ("1e3", "That is not a number."),
        ("NaN", "That is not a number."),
        (
            "0",
            "The delay between posts must be at least 0.001 seconds.",
        ),
        (
            "0.0004",
            "The delay between posts must be at least 0.001 seconds.",
        ),
        (
            "99999999",
            "The delay between posts may be at most 86400 seconds.",
        ),
    ] {
        let refused = shown(&rig.text(bad).await);
        assert!(refused.text.contains(says), "{bad}: {}", refused.text);
    }
    assert_eq!(
        rig.store.timing(ME).await.unwrap().unwrap().settings,
        settings
    );
}

#[tokio::test]
async fn russian_customers_get_the_feasibility_message_in_russian() {
    let rig = BotRig::new(Some("ru")).await;
    rig.grant(Plan::Starter, None).await;
    rig.configure(2, 5).await;
    rig.set_timing(Field::DelayBetweenPosts, "10").await;
    let text = shown(&rig.set_timing(Field::CycleMinutes, "1").await).text;
    assert!(text.contains("Режим starter невыполним: длительность сессии (50 с) должна быть меньше смещения между сессиями (30,0 с)."), "{text}");
}

#[tokio::test]
async fn negative_and_huge_numbers_are_refused_for_what_they_are_in_both_languages() {
    let huge = "99999999999999999999";
    for (lang, cases) in [
        (
            "en",
            [
                (
                    Field::DelayBetweenCycles,
                    "-5",
                    "The delay between cycles must not be negative.",
                ),
                (
                    Field::DelayBetweenCycles,
                    "-0.5",
                    "The delay between cycles must not be negative.",
                ),
                (
                    Field::DelayBetweenPosts,
                    "-0.5",
                    "The delay between posts must be at least 0.001 seconds.",
                ),
                (
                    Field::DelayBetweenPosts,
                    huge,
                    "The delay between posts may be at most 86400 seconds.",
                ),
                (
                    Field::DelayBetweenCycles,
                    huge,
                    "The delay between cycles may be at most 604800 seconds.",
                ),
                (
                    Field::CycleMinutes,
                    huge,
                    "The cycle length may be at most 10080 minutes.",
                ),
            ],
        ),
        (
            "ru",
            [
                (
                    Field::DelayBetweenCycles,
                    "-5",
                    "Пауза между циклами: значение не может быть отрицательным.",
                ),
                (
                    Field::DelayBetweenCycles,
                    "-0,5",
                    "Пауза между циклами: значение не может быть отрицательным.",
                ),
                (
                    Field::DelayBetweenPosts,
                    "-0,5",
                    "Пауза между постами: не меньше 0,001 с.",
                ),
                (
                    Field::DelayBetweenPosts,
                    huge,
                    "Пауза между постами: не больше 86400 с.",
                ),
                (
                    Field::DelayBetweenCycles,
                    huge,
                    "Пауза между циклами: не больше 604800 с.",
                ),
                (
                    Field::CycleMinutes,
                    huge,
                    "Длина цикла: не больше 10080 мин.",
                ),
            ],
        ),
    ] {
        let rig = BotRig::new(Some(lang)).await;
        rig.grant(Plan::Starter, None).await;
        rig.cmd("/start").await;
        rig.set_timing(Field::DelayBetweenPosts, "5").await;
        let before = rig.store.timing(ME).await.unwrap();
        for (field, bad, want) in cases {
            let refused = shown(&rig.set_timing(field, bad).await).text;
            assert!(refused.starts_with(want), "{lang} {field} {bad}: {refused}");
            assert_eq!(rig.store.timing(ME).await.unwrap(), before, "{lang} {bad}");
        }
        // A Russian customer's decimal comma is a number too.
        let saved = shown(&rig.set_timing(Field::DelayBetweenCycles, "2,5").await).text;
        assert!(saved.starts_with("✅"), "{lang}: {saved}");
    }
}

#[tokio::test]
async fn enterprise_is_not_offered_a_cycle_length_and_a_forged_request_is_refused() {
    let rig = BotRig::new(Some("en")).await;
    rig.grant(Plan::Enterprise, None).await;
    rig.cmd("/start").await;
    let timing = shown(&rig.press(Cb::Open(Screen::Timing)).await);
    assert!(!buttons(&timing).contains(&"t:minutes".to_string()));
    assert!(!timing.text.contains("Cycle length"));
    assert_eq!(alert(&rig.data("t:minutes").await), ENTERPRISE_ONLY);
}

#[tokio::test]
async fn the_other_mode_is_refused_by_button_by_forged_data_and_by_command_argument() {
    for (lang, plan, other, refusal) in [
        (Some("en"), Plan::Starter, Mode::Enterprise, STARTER_ONLY),
        (Some("en"), Plan::Enterprise, Mode::Starter, ENTERPRISE_ONLY),
        (Some("ru"), Plan::Starter, Mode::Enterprise, STARTER_ONLY_RU),
        (
            Some("ru"),
            Plan::Enterprise,
            Mode::Starter,
            ENTERPRISE_ONLY_RU,
        ),
    ] {
        let rig = BotRig::new(lang).await;
        rig.grant(plan, None).await;
        rig.configure(1, 1).await;
        let timing = shown(&rig.press(Cb::Open(Screen::Timing)).await);
        assert!(
            buttons(&timing).contains(&Cb::Mode(other).encode()),
            "the button is there"
        );
        assert_eq!(alert(&rig.press(Cb::Mode(other)).await), refusal);
        let forged = format!("mode:{}", other.as_str().to_ascii_lowercase());
        assert_eq!(alert(&rig.data(&forged).await), refusal);
        let arg = shown(&rig.cmd(&format!("/start {}", other.as_str())).await);
        assert_eq!(arg.text, refusal);
        assert!(!rig.control.engine().is_running(ME), "nothing started");
        // The plan's own mode is accepted.
        let own = rig.press(Cb::Mode(plan.mode())).await;
        assert!(answered(&own).is_some());
        assert!(!own
            .iter()
            .any(|a| matches!(a, Action::Answer { alert: true, .. })));
    }
}

#[tokio::test]
async fn start_refuses_with_a_precise_reason_and_starts_nothing() {
    let rig = BotRig::new(Some("en")).await;
    rig.cmd("/start").await;
    let says = |actions: Vec<Action>| shown(&actions).text;
    assert!(says(rig.press(Cb::Start).await).starts_with("❌ Cannot start: you have no plan."));
    rig.grant(Plan::Starter, Some(1_000)).await;
    assert!(says(rig.press(Cb::Start).await)
        .starts_with("❌ Cannot start: your plan expired on 1970-01-01 00:00:01 UTC."));
    rig.grant(Plan::Starter, None).await;
    assert!(says(rig.press(Cb::Start).await).starts_with("❌ Cannot start: there is no message."));
    rig.press(Cb::Open(Screen::Message)).await;
    rig.text("hello").await;
    assert!(says(rig.press(Cb::Start).await).starts_with("❌ Cannot start: no healthy account."));
    rig.press(Cb::AddAccount).await;
    rig.text("9996631234").await;
    for _ in 0..5 {
        rig.press(Cb::Digit(3)).await;
    }
    rig.press(Cb::SubmitCode).await;
    let account = rig.store.accounts(ME).await.unwrap()[0].id;
    rig.press(Cb::ToggleAccount(account)).await;
    assert!(
        says(rig.press(Cb::Start).await).starts_with("❌ Cannot start: no healthy account."),
        "a paused account is not healthy"
    );
    rig.press(Cb::ToggleAccount(account)).await;
    assert!(says(rig.press(Cb::Start).await).starts_with("❌ Cannot start: no active group."));
    rig.press(Cb::AddGroup).await;
    rig.text("@only_group").await;
    rig.set_timing(Field::DelayBetweenPosts, "10").await;
    rig.set_timing(Field::CycleMinutes, "0.1").await;
    assert!(says(rig.press(Cb::Start).await).starts_with("Starter mode infeasible: session runtime (10s) must be less than per-session offset (6.0s)."));
    assert!(!rig.control.engine().is_running(ME));
    assert!(!rig.store.customer(ME).await.unwrap().unwrap().running);
}

#[tokio::test]
async fn forged_and_stale_buttons_never_touch_another_customers_data() {
    let mut rig = BotRig::new(Some("en")).await;
    rig.user = OTHER;
    rig.configure(1, 1).await;
    let their_group = rig.store.groups(OTHER).await.unwrap()[0].id;
    let their_account = rig.store.accounts(OTHER).await.unwrap()[0].id;
    rig.user = ME;
    rig.cmd("/start").await;
    for cb in [
        Cb::ToggleGroup(their_group),
        Cb::RemoveGroup(their_group),
        Cb::ConfirmRemoveGroup(their_group),
        Cb::ToggleAccount(their_account),
        Cb::RemoveAccount(their_account),
        Cb::ConfirmRemoveAccount(their_account),
        Cb::Digit(1),
        Cb::SubmitCode,
    ] {
        let refused = rig.press(cb).await;
        assert_eq!(
            alert(&refused),
            "This menu is out of date. Open /menu for a fresh one.",
            "{cb:?}"
        );
        assert!(
            !refused
                .iter()
                .any(|a| matches!(a, Action::Edit { .. } | Action::Send(_))),
            "{cb:?} showed a screen"
        );
    }
    for junk in ["", "zzz", "g:p:abc", "m:admin", "g:rmy:1:2"] {
        assert_eq!(
            alert(&rig.data(junk).await),
            "This menu is out of date. Open /menu for a fresh one."
        );
    }
    let groups = rig.store.groups(OTHER).await.unwrap();
    assert_eq!((groups.len(), groups[0].status.as_str()), (1, "active"));
    let accounts = rig.store.accounts(OTHER).await.unwrap();
    assert_eq!((accounts.len(), accounts[0].status.as_str()), (1, "active"));
    // In Russian too.
    rig.lang = Some("ru");
    rig.user = 3003;
    assert_eq!(
        alert(&rig.data("zzz").await),
        "Это меню устарело. Откройте /menu, чтобы получить свежее."
    );
}

#[tokio::test]
async fn the_language_follows_telegram_until_chosen_and_the_choice_is_kept() {
    let rig = BotRig::new(Some("en")).await;
    let screen = shown(&rig.cmd("/language").await);
    assert_eq!(buttons(&screen), vec!["l:en", "l:ru", "m:main"]);
    let switched = shown(&rig.press(Cb::Language(autoposter::i18n::Lang::Ru)).await);
    assert!(
        switched.text.starts_with("✅ Язык: русский."),
        "{}",
        switched.text
    );
    // The app still says English; the stored choice wins.
    assert!(shown(&rig.cmd("/menu").await)
        .text
        .contains("Тариф: пока нет"));
    assert_eq!(
        rig.store
            .customer(ME)
            .await
            .unwrap()
            .unwrap()
            .language
            .as_deref(),
        Some("ru")
    );
    let back = shown(&rig.cmd("/language en").await);
    assert!(back.text.starts_with("✅ Language: English."));
    assert_eq!(
        shown(&rig.cmd("/language de").await).text,
        "I speak English (en) and Russian (ru)."
    );
    assert_eq!(
        rig.store
            .customer(ME)
            .await
            .unwrap()
            .unwrap()
            .language
            .as_deref(),
        Some("en")
    );
}

#[tokio::test]
async fn unknown_commands_and_stray_text_get_guidance() {
    let rig = BotRig::new(Some("en")).await;
    rig.cmd("/start").await;
    for cmd in ["/frobnicate", "/broadcast hello", "/setplan 1 ENTERPRISE"] {
        assert_eq!(
            shown(&rig.cmd(cmd).await).text,
            "I don't know that command. /help lists what I can do."
        );
    }
    assert!(shown(&rig.text("hi").await)
        .text
        .starts_with("Use the buttons below, or /help."));
    assert!(shown(&rig.cmd("/help").await)
        .text
        .contains("/stop — stop posting at once"));
    assert_eq!(
        shown(&rig.cmd("/start now").await).text,
        "/start takes no argument, or the mode of your plan: starter or enterprise."
    );
}

#[tokio::test]
async fn the_plan_screen_shows_the_plan_its_mode_and_expiry() {
    let rig = BotRig::new(Some("en")).await;
    rig.cmd("/start").await;
    let none = shown(&rig.press(Cb::Open(Screen::Plan)).await);
    assert!(none.text.contains("You have no plan yet:"), "{}", none.text);
    assert!(
        none.text.contains(
            "• STARTER: up to 3 accounts and 30 groups — 250 ⭐ for 30 days\n\
             • ENTERPRISE: up to 25 accounts and 300 groups — 1500 ⭐ for 30 days"
        ),
        "{}",
        none.text
    );
    assert_eq!(
        button_texts(&none)[..2],
        [
            "⭐ Buy STARTER — 250 Stars",
            "⭐ Buy ENTERPRISE — 1500 Stars"
        ]
    );
    rig.grant(Plan::Enterprise, Some(4_102_444_800_000)).await;
    let plan = shown(&rig.press(Cb::Open(Screen::Plan)).await);
    assert!(
        plan.text.contains("Limits: 25 accounts, 300 groups."),
        "{}",
        plan.text
    );
    assert_eq!(
        button_texts(&plan)[..2],
        [
            "⭐ Buy STARTER — 250 Stars",
            "⭐ Renew ENTERPRISE — 1500 Stars"
        ]
    );
    assert!(
        plan.text
            .contains("ENTERPRISE, until 2100-01-01 00:00:00 UTC"),
        "{}",
        plan.text
    );
    assert!(plan
        .text
        .contains("all your accounts post at the same time"));
}

#[tokio::test]
async fn the_plan_screen_opens_with_a_heading_in_both_languages() {
    for (lang, none, granted) in [
        (
            "en",
            "<b>Plan</b>: none yet\n",
            "<b>Plan</b>: STARTER, no expiry\n",
        ),
        (
            "ru",
            "<b>Тариф</b>: пока нет\n",
            "<b>Тариф</b>: STARTER, бессрочно\n",
        ),
    ] {
        let rig = BotRig::new(Some(lang)).await;
        rig.cmd("/start").await;
        let screen = shown(&rig.press(Cb::Open(Screen::Plan)).await);
        assert!(screen.text.starts_with(none), "{}", screen.text);
        rig.grant(Plan::Starter, None).await;
        let screen = shown(&rig.press(Cb::Open(Screen::Plan)).await);
        assert!(screen.text.starts_with(granted), "{}", screen.text);
    }
}

#[tokio::test]
async fn the_mode_button_without_a_plan_says_what_modes_are_and_how_to_get_a_plan() {
    for (lang, says) in [
        (
            "en",
            "Modes come with plans: STARTER posts in starter mode, ENTERPRISE in enterprise \
             mode. You have no plan yet: buy one on the Plan screen, or ask an admin.",
        ),
        (
            "ru",
            "Режим задаётся тарифом: STARTER работает в режиме starter, ENTERPRISE — в режиме \
             enterprise. У вас пока нет тарифа: купите его на экране «Тариф» или попросите \
             администратора.",
        ),
    ] {
        let rig = BotRig::new(Some(lang)).await;
        rig.cmd("/start").await;
        let timing = shown(&rig.press(Cb::Open(Screen::Timing)).await);
        for mode in [Mode::Starter, Mode::Enterprise] {
            assert!(buttons(&timing).contains(&Cb::Mode(mode).encode()));
            let text = alert(&rig.press(Cb::Mode(mode)).await);
            assert_eq!(text, says, "{lang} {mode:?}");
            // Telegram shows at most 200 characters in an alert.
            assert!(text.chars().count() <= 200, "{}", text.chars().count());
        }
        assert_eq!(rig.store.plan_of(ME).await.unwrap(), None);
    }
}

#[tokio::test]
async fn the_schedule_preview_lays_out_the_next_cycle_and_shows_an_overlap() {
    let rig = BotRig::new(Some("en")).await;
    rig.grant(Plan::Starter, None).await;
    rig.configure(2, 3).await;
    rig.set_timing(Field::DelayBetweenPosts, "3").await;
    rig.set_timing(Field::CycleMinutes, "60").await;
    let preview = shown(&rig.press(Cb::Open(Screen::Preview)).await);
    assert!(
        preview
            .text
            .starts_with("<b>The first cycle if you start now</b> (STARTER, from "),
        "{}",
        preview.text
    );
    assert!(
        preview.text.contains("+9996611000: starts "),
        "{}",
        preview.text
    );
    for offset in [
        "(+0:00:00), ends",
        "(+0:00:09)\n",
        "(+0:30:00), ends",
        "(+0:30:09)\n",
    ] {
        assert!(preview.text.contains(offset), "{offset}: {}", preview.text);
    }
    rig.set_timing(Field::CycleMinutes, "0.1").await;
    let overlap = shown(&rig.press(Cb::Open(Screen::Preview)).await);
    // 3 groups × 3 s = 9 s per session, sessions 3 s apart: 6 s of overlap.
    assert!(
        overlap.text.contains("⚠️ overlaps +9996622000 by 6 s"),
        "{}",
        overlap.text
    );
    assert!(
        overlap
            .text
            .contains("Starter mode infeasible: session runtime (9s)"),
        "{}",
        overlap.text
    );
}

#[tokio::test(start_paused = true)]
async fn a_customer_configures_everything_starts_posts_on_schedule_checks_status_and_stops() {
    let rig = BotRig::new(Some("en")).await;
    rig.grant(Plan::Starter, None).await;
    rig.configure(2, 3).await;
    rig.set_timing(Field::DelayBetweenPosts, "3").await;
    rig.set_timing(Field::DelayBetweenCycles, "5").await;
    rig.set_timing(Field::CycleMinutes, "1").await;
    let status = shown(&rig.cmd("/status").await);
    assert!(
        status.text.contains("No cycle has finished yet."),
        "{}",
        status.text
    );

    let t0 = Instant::now();
    let started = shown(&rig.press(Cb::Start).await);
    assert!(
        started.text.starts_with("✅ Started. First post at "),
        "{}",
        started.text
    );
    assert!(
        buttons(&started).contains(&"stop".to_string()),
        "the menu offers Stop now"
    );
    // /start while running shows the status instead of starting twice.
    assert!(shown(&rig.cmd("/start").await)
        .text
        .contains("<b>Status</b>: ▶️ running"));

    tokio::time::sleep(Duration::from_secs(40)).await;
    let mut at: Vec<(Duration, i64, i64)> = rig
        .sim
        .sent()
        .iter()
        .map(|s| (s.at - t0, s.account_id, s.group_id))
        .collect();
    at.sort();
    let accounts = account_ids(&rig).await;
    let groups = group_ids(&rig).await;
    let secs = Duration::from_secs;
    let expected: Vec<(Duration, i64, i64)> = [(0, 0), (30, 1)]
        .iter()
        .flat_map(|&(offset, a)| {
            let groups = groups.clone();
            let accounts = accounts.clone();
            (0..3).map(move |g| (secs(offset + 3 * g as u64), accounts[a], groups[g]))
        })
        .collect();
    assert_eq!(at, expected, "every post exactly on its target");

    // Cycle 1 ended at 39 s; cycle 2 is due at 44 s.
    let status = shown(&rig.cmd("/status").await);
    let next_cycle = format!(
        "Cycle 2 starts at {}",
        autoposter::bot::view::clock_time(
            rig.control
                .engine()
                .live(ME)
                .unwrap()
                .next_cycle_ms
                .unwrap()
        )
    );
    assert!(status.text.contains(&next_cycle), "{}", status.text);
    assert!(
        !status.text.contains("Cycle 1 in progress"),
        "{}",
        status.text
    );
    assert!(
        status
            .text
            .contains("Last cycle (1): 6 posted, 0 failed, 0 skipped"),
        "{}",
        status.text
    );
    assert!(!status.text.contains("the other"), "{}", status.text);
    for line in [
        "• all 3 groups: everything posted",
        "<b>Accounts</b>: 2 of 2 ok",
        "<b>Groups</b>: 3 of 3 active",
    ] {
        assert!(status.text.contains(line), "{line}: {}", status.text);
    }
    // Between cycles the preview is anchored on the next cycle's start.
    let preview = shown(&rig.press(Cb::Open(Screen::Preview)).await);
    assert!(
        preview
            .text
            .starts_with("<b>Next cycle</b> (STARTER, starts "),
        "{}",
        preview.text
    );
    assert!(
        !status.text.contains("Next post: "),
        "between cycles the next cycle is named instead: {}",
        status.text
    );

    let stopped = shown(&rig.cmd("/stop").await);
    assert!(
        stopped
            .text
            .starts_with("⏹ Stopped. No more posts will be sent."),
        "{}",
        stopped.text
    );
    tokio::time::sleep(Duration::from_secs(600)).await;
    assert_eq!(rig.sim.sent().len(), 6, "no post after the stop");
    assert!(shown(&rig.cmd("/status").await)
        .text
        .contains("<b>Status</b>: ⏸ stopped"));
    assert_eq!(
        shown(&rig.cmd("/stop").await).text.lines().next(),
        Some("Not running; nothing to stop.")
    );
}

#[tokio::test(start_paused = true)]
async fn a_cycle_stopped_midway_is_reported_as_cut_short_with_what_was_not_posted() {
    for (lang, running, headline, group_line, rest) in [
        (
            "en",
            ["Cycle 1 in progress", "Next post: "],
            "Last cycle (1) was stopped before it finished: 2 posted, 0 failed, 0 skipped, 2 not posted",
            "• @group_number_2: 0 posted, 0 failed, 0 skipped, 1 not posted",
            "• the other 2 groups: everything posted",
        ),
        (
            "ru",
            ["Идёт цикл 1", "Следующий пост: "],
            "Прошлый цикл (1) остановлен, не завершившись: опубликовано 2, ошибок 0, пропущено 0, не опубликовано 2",
            "• @group_number_2: опубликовано 0, ошибок 0, пропущено 0, не опубликовано 1",
            "• остальные 2 группы: всё опубликовано",
        ),
    ] {
        let rig = BotRig::new(Some(lang)).await;
        rig.grant(Plan::Enterprise, None).await;
        rig.configure(1, 4).await;
        rig.set_timing(Field::DelayBetweenPosts, "3").await;
        rig.press(Cb::Start).await;
        // Right after the start: the cycle and its next post are shown.
        let status = shown(&rig.cmd("/status").await);
        for line in running {
            assert!(status.text.contains(line), "{line}: {}", status.text);
        }
        // Posts at 0 s and 3 s went out; the stop comes before the one at 6 s.
        tokio::time::sleep(Duration::from_millis(4_500)).await;
        rig.cmd("/stop").await;
        assert_eq!(rig.sim.sent().len(), 2);
        let status = shown(&rig.cmd("/status").await);
        for line in [headline, group_line, rest] {
            assert!(status.text.contains(line), "{line}: {}", status.text);
        }
    }
}

#[tokio::test(start_paused = true)]
async fn right_after_an_enterprise_start_the_status_names_the_cycle_and_its_next_post() {
    let rig = BotRig::new(Some("en")).await;
    rig.grant(Plan::Enterprise, None).await;
    rig.configure(2, 3).await;
    rig.press(Cb::Start).await;
    for _ in 0..3 {
        let status = shown(&rig.cmd("/status").await);
        assert!(
            status.text.contains("Cycle 1 in progress"),
            "{}",
            status.text
        );
        assert!(status.text.contains("Next post: "), "{}", status.text);
        tokio::task::yield_now().await;
    }
    rig.cmd("/stop").await;
}

#[tokio::test(start_paused = true)]
async fn a_customer_whose_plan_expires_mid_run_is_stopped_and_told_in_their_language() {
    let (tx, mut stops) = tokio::sync::mpsc::unbounded_channel();
    let rig = BotRig::observed(Some("ru"), Some(Arc::new(Notifier(tx)))).await;
    let now_ms = rig.control.engine().clock().wall_ms(Instant::now());
    // Cycle 1 posts at once; cycle 2 would start 30 s after it, past the expiry at 20 s.
    rig.grant(Plan::Starter, Some(now_ms + 20_000)).await;
    rig.configure(1, 1).await;
    rig.set_timing(Field::DelayBetweenCycles, "30").await;
    rig.press(Cb::Start).await;
    let (customer, reason) = stops.recv().await.expect("the engine stops the customer");
    assert_eq!(customer, ME);
    assert_eq!(
        reason,
        BotEvent::Stopped(StopReason::NotReady(NotReady::PlanExpired {
            expired_at: now_ms + 20_000
        }))
    );
    assert_eq!(rig.sim.sent().len(), 1, "cycle 1 only");
    let notice = rig
        .control
        .event_notice(ME, &reason)
        .await
        .unwrap()
        .unwrap();
    assert!(
        notice
            .text
            .starts_with("⏹ Постинг остановлен: ваш тариф истёк "),
        "{}",
        notice.text
    );
    assert!(
        buttons(&notice).contains(&"start".to_string()),
        "the menu offers Start again"
    );
    assert!(!rig.control.engine().is_running(ME));
    assert!(!rig.store.customer(ME).await.unwrap().unwrap().running);
}

#[tokio::test]
async fn russian_refusals_for_start_groups_timing_and_login() {
    let rig = BotRig::new(Some("ru")).await;
    rig.cmd("/start").await;
    let says = |actions: Vec<Action>| shown(&actions).text;
    assert!(says(rig.press(Cb::Start).await).starts_with("❌ Запуск невозможен: у вас нет тарифа."));
    rig.grant(Plan::Starter, Some(1_000)).await;
    assert!(says(rig.press(Cb::Start).await)
        .starts_with("❌ Запуск невозможен: ваш тариф истёк 1970-01-01 00:00:01 UTC."));
    rig.grant(Plan::Starter, None).await;
    assert!(says(rig.press(Cb::Start).await).starts_with("❌ Запуск невозможен: нет сообщения."));
    rig.press(Cb::Open(Screen::Message)).await;
    rig.text("привет").await;
    assert!(says(rig.press(Cb::Start).await)
        .starts_with("❌ Запуск невозможен: нет исправного аккаунта."));
    rig.press(Cb::AddAccount).await;
    rig.text("+9996641234").await;
    rig.press(Cb::Digit(1)).await;
    assert!(says(rig.press(Cb::SubmitCode).await).starts_with("❌ Неверный код."));
    rig.press(Cb::Cancel).await;
    rig.configure(1, 0).await;
    assert!(
        says(rig.press(Cb::Start).await).starts_with("❌ Запуск невозможен: нет активной группы.")
    );

    rig.press(Cb::AddGroup).await;
    assert!(says(rig.text("просто слово").await).starts_with("Это не ссылка на группу."));
    assert!(says(rig.text("https://t.me/+abc").await)
        .starts_with("Пригласительные ссылки не принимаются"));
    rig.text("@group_ru_one").await;
    rig.press(Cb::AddGroup).await;
    assert_eq!(
        says(rig.text("t.me/group_ru_one").await),
        "@group_ru_one уже есть в вашем списке."
    );
    rig.press(Cb::Cancel).await;

    let floor = says(rig.set_timing(Field::DelayBetweenPosts, "2").await);
    assert!(
        floor.contains("⚠️ Пауза между постами (2 с) меньше минимума (3 с); используется 3 с."),
        "{floor}"
    );
    rig.press(Cb::AskTiming(Field::DelayBetweenPosts)).await;
    for (bad, want) in [
        (
            "два",
            "Это не число. Пришлите паузу между постами в секундах, от 0,001 до 86400.",
        ),
        ("0", "Пауза между постами: не меньше 0,001 с."),
        ("100000", "Пауза между постами: не больше 86400 с."),
    ] {
        assert_eq!(says(rig.text(bad).await), want, "{bad}");
    }
    assert_eq!(
        rig.store
            .timing(ME)
            .await
            .unwrap()
            .unwrap()
            .settings
            .delay_between_posts
            .requested(),
        Duration::from_secs(2),
        "the refused values changed nothing"
    );
}

#[tokio::test]
async fn a_login_in_progress_is_not_dropped_by_another_question() {
    let rig = BotRig::new(Some("en")).await;
    rig.cmd("/start").await;
    rig.press(Cb::AddAccount).await;
    rig.text("+9996651234").await;
    rig.press(Cb::Digit(5)).await;
    for cb in [
        Cb::Open(Screen::Message),
        Cb::AddGroup,
        Cb::AskTiming(Field::DelayBetweenPosts),
        Cb::AddAccount,
    ] {
        assert_eq!(
            alert(&rig.press(cb).await),
            "A login is already in progress. Finish it or press Cancel first.",
            "{cb:?}"
        );
    }
    // Other screens can be looked at; the login goes on where it was.
    rig.press(Cb::Open(Screen::Status)).await;
    for _ in 0..4 {
        rig.press(Cb::Digit(5)).await;
    }
    let added = shown(&rig.press(Cb::SubmitCode).await);
    assert!(
        added.text.contains("✅ Account +9996651234 added."),
        "{}",
        added.text
    );
}

#[tokio::test]
async fn long_lists_are_paged_and_a_change_keeps_its_page() {
    let rig = BotRig::new(Some("en")).await;
    rig.configure(1, 0).await;
    for i in 0..25 {
        rig.press(Cb::AddGroup).await;
        rig.text(&format!("@paged_group_{i:02}")).await;
    }
    let first = shown(&rig.press(Cb::Open(Screen::Groups)).await);
    assert!(
        first.text.starts_with("<b>Groups</b> (25)"),
        "{}",
        first.text
    );
    assert!(
        first.text.contains("10. @paged_group_09") && !first.text.contains("11. "),
        "{}",
        first.text
    );
    assert!(buttons(&first).contains(&"pg:grp:1".to_string()));
    let last = shown(&rig.press(Cb::Page(Screen::Groups, 2)).await);
    assert!(
        last.text.contains("21. @paged_group_20") && last.text.contains("25. @paged_group_24"),
        "{}",
        last.text
    );
    assert!(
        !buttons(&last).contains(&"pg:grp:3".to_string()),
        "no page after the last"
    );
    // A page past the end shows the last page.
    let clamped = shown(&rig.press(Cb::Page(Screen::Groups, 40)).await);
    assert!(clamped.text.contains("25. @paged_group_24"));
    let id = rig.store.groups(ME).await.unwrap()[22].id;
    let toggled = shown(&rig.press(Cb::ToggleGroup(id)).await);
    assert!(
        toggled
            .text
            .contains("23. @paged_group_22 — ⏸ paused (by you)"),
        "{}",
        toggled.text
    );
    assert!(toggled.text.len() < 4096);
}

#[tokio::test]
async fn the_post_is_shown_exactly_and_a_long_one_does_not_break_the_menu() {
    let rig = BotRig::new(Some("en")).await;
    rig.cmd("/start").await;
    rig.press(Cb::Open(Screen::Message)).await;
    // A post that starts with "/" is a post, not an unknown command.
    let saved = shown(&rig.html("/promo Big sale", "/promo <b>Big sale</b>").await);
    assert!(
        saved.text.starts_with("✅ Message saved."),
        "{}",
        saved.text
    );
    let post = rig.press(Cb::ShowPost).await;
    assert_eq!(shown(&post).text, "/promo <b>Big sale</b>");
    assert!(shown(&post).keyboard.is_empty());

    rig.press(Cb::Open(Screen::Message)).await;
    let long = "word ".repeat(800);
    let screen = shown(
        &rig.html(long.trim_end(), &format!("<i>{}</i>", long.trim_end()))
            .await,
    );
    assert!(
        screen
            .text
            .contains("3999 characters, too long to show inside this menu"),
        "{}",
        &screen.text[..200]
    );
    assert!(screen.text.chars().count() < 1000);
    assert_eq!(
        shown(&rig.press(Cb::ShowPost).await).text,
        format!("<i>{}</i>", long.trim_end())
    );
    // Known commands still work while the bot waits for the post.
    rig.press(Cb::Open(Screen::Message)).await;
    assert!(shown(&rig.cmd("/cancel").await)
        .text
        .starts_with("Cancelled."));
}

#[tokio::test]
async fn a_customer_an_admin_created_first_still_gets_the_welcome_once() {
    let rig = BotRig::new(Some("en")).await;
    rig.grant(Plan::Enterprise, None).await;
    let first = shown(&rig.cmd("/start").await);
    assert!(
        first.text.contains("Welcome to <b>autoposter</b>"),
        "{}",
        first.text
    );
    assert!(
        first.text.contains("Plan: ENTERPRISE, no expiry"),
        "{}",
        first.text
    );
    assert!(!shown(&rig.cmd("/start").await).text.contains("Welcome"));
}

#[tokio::test(start_paused = true)]
async fn the_status_names_failures_in_words() {
    let rig = BotRig::new(Some("en")).await;
    rig.grant(Plan::Enterprise, None).await;
    rig.configure(1, 2).await;
    let group = rig.store.groups(ME).await.unwrap()[1].clone();
    let account = rig.store.accounts(ME).await.unwrap()[0].id;
    rig.sim.inject(
        Target::Slot {
            account_id: account,
            group_id: group.id,
        },
        Outcome::GroupRefused(GroupRefusal::WriteForbidden),
    );
    rig.press(Cb::Start).await;
    tokio::time::sleep(Duration::from_secs(25)).await;
    let status = shown(&rig.cmd("/status").await);
    assert!(
        status.text.contains("• @group_number_1: 0 posted, 1 failed, 0 skipped; last problem: the account may not write there"),
        "{}",
        status.text
    );
    assert!(
        status.text.contains("• the other group: everything posted"),
        "{}",
        status.text
    );
    rig.cmd("/stop").await;
}

#[tokio::test(start_paused = true)]
async fn telegrams_refusals_and_waits_are_shown_and_told_and_a_fixed_group_can_be_resumed() {
    let (tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let rig = BotRig::observed(Some("en"), Some(Arc::new(Notifier(tx)))).await;
    rig.grant(Plan::Enterprise, None).await;
    rig.configure(3, 2).await;
    let accounts = account_ids(&rig).await;
    let groups = group_ids(&rig).await;
    rig.sim
        .inject(Target::Account(accounts[0]), Outcome::PeerFlood);
    rig.sim.inject(
        Target::Slot {
            account_id: accounts[1],
            group_id: groups[1],
        },
        Outcome::GroupRefused(GroupRefusal::WriteForbidden),
    );
    rig.sim.inject(
        Target::Account(accounts[2]),
        Outcome::FloodWait(Duration::from_secs(3600)),
    );
    rig.press(Cb::Start).await;
    // Two messages: the quarantine and the refusal (waits are shown, not sent).
    let mut told = Vec::new();
    for _ in 0..2 {
        let (customer, event) = events.recv().await.expect("an event");
        assert_eq!(customer, ME);
        told.push(
            rig.control
                .event_notice(ME, &event)
                .await
                .unwrap()
                .unwrap()
                .text,
        );
    }
    told.sort();
    assert_eq!(
        told,
        vec![
            "⏸ @group_number_1 refused the account +9996622000: the account may not write there. The group is paused for that account; once it is fixed, press ▶ on the group under Groups.".to_string(),
            "⛔ Telegram stopped the account +9996611000: Telegram limits this account (PEER_FLOOD). It posts no more. Remove it and add it again once it is fixed.".to_string(),
        ]
    );
    tokio::time::sleep(Duration::from_secs(30)).await;
    rig.control.engine().flush().await;

    let screen = shown(&rig.press(Cb::Open(Screen::Accounts)).await);
    assert!(
        screen.text.contains(
            "1. +9996611000 — ⛔ quarantined (Telegram limits this account (PEER_FLOOD))"
        ),
        "{}",
        screen.text
    );
    assert!(
        screen.text.contains("3. +9996633000 — ⏳ waiting until "),
        "{}",
        screen.text
    );
    let screen = shown(&rig.press(Cb::Open(Screen::Groups)).await);
    assert!(
        screen.text.contains(
            "2. @group_number_1 — ⏸ paused for +9996622000 (the account may not write there)"
        ),
        "{}",
        screen.text
    );
    assert!(buttons(&screen).contains(&Cb::ToggleGroup(groups[1]).encode()));
    assert!(
        screen.keyboard[1][0].text.starts_with("▶️"),
        "{:?}",
        screen.keyboard[1]
    );
    let status = shown(&rig.cmd("/status").await);
    assert!(
        status.text.contains("<b>Accounts</b>: 1 of 3 ok"),
        "{}",
        status.text
    );
    assert!(
        status.text.contains("<b>Groups</b>: 1 of 2 active"),
        "{}",
        status.text
    );
    // The customer fixed the group's permissions: ▶ lifts the refusal, pausing nothing.
    let resumed = shown(&rig.press(Cb::ToggleGroup(groups[1])).await);
    assert!(
        resumed.text.contains("2. @group_number_1 — ✅ ok"),
        "{}",
        resumed.text
    );
    assert!(rig.store.pair_blocks(ME).await.unwrap().is_empty());
    assert_eq!(
        rig.store.groups(ME).await.unwrap()[1].status,
        GroupStatus::Active
    );
    rig.cmd("/stop").await;

    // In Russian too.
    rig.cmd("/language ru").await;
    let event = BotEvent::Restricted(autoposter::store::Restriction::Quarantine {
        account_id: accounts[0],
        reason: "account_revoked".into(),
    });
    let text = rig
        .control
        .event_notice(ME, &event)
        .await
        .unwrap()
        .unwrap()
        .text;
    assert_eq!(text, "⛔ Telegram остановил аккаунт +9996611000: сессия аккаунта отозвана. Он больше не публикует. Удалите его и добавьте снова, когда проблема будет решена.");
}

/// A scripted login: each step answers with the next scripted result, and every call is
/// recorded with the customer it was for.
#[derive(Default)]
struct FakeLogin {
    codes: Mutex<VecDeque<Result<(), LoginError>>>,
    sign_ins: Mutex<VecDeque<Result<SignInStep, LoginError>>>,
    passwords: Mutex<VecDeque<Result<SignedIn, LoginError>>>,
    imports: Mutex<VecDeque<Result<SignedIn, LoginError>>>,
    calls: Mutex<Vec<(i64, String)>>,
}

impl FakeLogin {
    fn next<T>(queue: &Mutex<VecDeque<T>>, what: &str) -> T {
        queue
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| panic!("unexpected {what}"))
    }
    /// Every call, whichever customer it was for.
    fn calls(&self) -> Vec<String> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .map(|(_, c)| c.clone())
            .collect()
    }
    /// The calls for one customer.
    fn calls_for(&self, customer: i64) -> Vec<String> {
        let calls = self.calls.lock().unwrap();
        calls
            .iter()
            .filter(|(c, _)| *c == customer)
            .map(|(_, call)| call.clone())
            .collect()
    }
    fn record(&self, customer: i64, call: String) {
        self.calls.lock().unwrap().push((customer, call));
    }
}

impl Login for FakeLogin {
    fn request_code<'a>(
        &'a self,
        customer: i64,
        phone: &'a str,
    ) -> BoxFuture<'a, Result<(), LoginError>> {
        self.record(customer, format!("code {phone}"));
        let r = FakeLogin::next(&self.codes, "code request");
        Box::pin(async move { r })
    }
    fn sign_in<'a>(
        &'a self,
        customer: i64,
        phone: &'a str,
        code: &'a str,
    ) -> BoxFuture<'a, Result<SignInStep, LoginError>> {
        self.record(customer, format!("sign_in {phone} {code}"));
        let r = FakeLogin::next(&self.sign_ins, "sign in");
        Box::pin(async move { r })
    }
    fn check_password<'a>(
        &'a self,
        customer: i64,
        phone: &'a str,
        password: &'a str,
    ) -> BoxFuture<'a, Result<SignedIn, LoginError>> {
        self.record(customer, format!("password {phone} {password}"));
        let r = FakeLogin::next(&self.passwords, "password");
        Box::pin(async move { r })
    }
    fn cancel<'a>(&'a self, customer: i64, phone: &'a str) -> BoxFuture<'a, ()> {
        self.record(customer, format!("cancel {phone}"));
        Box::pin(async {})
    }
    fn import_session<'a>(
        &'a self,
        customer: i64,
        session: &'a autoposter::telegram::import::Imported,
    ) -> BoxFuture<'a, Result<SignedIn, LoginError>> {
        self.record(customer, format!("import dc{}", session.dc_id));
        let r = FakeLogin::next(&self.imports, "import");
        Box::pin(async move { r })
    }
    fn adopt<'a>(
        &'a self,
        customer: i64,
        label: &'a str,
        _account_id: i64,
    ) -> BoxFuture<'a, Result<(), LoginError>> {
        self.record(customer, format!("adopt {label}"));
        Box::pin(async { Ok(()) })
    }
}

async fn fake_rig(lang: &'static str, login: &Arc<FakeLogin>) -> BotRig {
    let rig = BotRig::built(Some(lang), None, login.clone()).await;
    rig.cmd("/start").await;
    rig
}

/// Presses the digits of `code` and ✓.
async fn key_in(rig: &BotRig, code: &str) -> Vec<Action> {
    for d in code.bytes() {
        rig.press(Cb::Digit(d - b'0')).await;
    }
    rig.press(Cb::SubmitCode).await
}

async fn type_as(rig: &BotRig, text: &str, message_id: i32) -> Vec<Action> {
    let input = Input::Text {
        plain: text.to_string(),
        html: text.to_string(),
        message_id,
        reply_to: None,
    };
    rig.control.handle(&rig.sender(), input).await
}

#[tokio::test]
async fn two_step_verification_asks_the_password_deletes_it_and_gives_the_hint_when_wrong() {
    let login = Arc::new(FakeLogin::default());
    login.codes.lock().unwrap().push_back(Ok(()));
    login
        .sign_ins
        .lock()
        .unwrap()
        .push_back(Ok(SignInStep::PasswordRequired {
            hint: Some("my cat".into()),
        }));
    login.passwords.lock().unwrap().extend([
        Err(LoginError::InvalidPassword {
            hint: Some("my cat".into()),
        }),
        Ok(SignedIn {
            label: "+447700900123".into(),
            premium: false,
        }),
    ]);
    let rig = fake_rig("en", &login).await;
    rig.press(Cb::AddAccount).await;
    rig.text("+44 7700 900123").await;
    let ask = shown(&key_in(&rig, "12345").await);
    assert_eq!(
        ask.text,
        "🔐 +447700900123 has two-step verification. Send its password (hint: my cat); the message is deleted at once."
    );
    // The password step is a login in progress too: no other question meanwhile, and
    // looking at another screen keeps it.
    assert_eq!(
        alert(&rig.press(Cb::AddGroup).await),
        "A login is already in progress. Finish it or press Cancel first."
    );
    rig.press(Cb::Open(Screen::Status)).await;
    let wrong = type_as(&rig, "hunter1", 91).await;
    assert_eq!(
        wrong[0],
        Action::Delete { message_id: 91 },
        "deleted before anything else"
    );
    assert_eq!(
        shown(&wrong).text,
        "❌ Wrong password (hint: my cat). Send it again, or press Cancel."
    );
    assert!(rig.store.accounts(ME).await.unwrap().is_empty());
    let right = type_as(&rig, "hunter2", 92).await;
    assert_eq!(right[0], Action::Delete { message_id: 92 });
    assert!(
        shown(&right)
            .text
            .starts_with("✅ Account +447700900123 added."),
        "{}",
        shown(&right).text
    );
    assert_eq!(rig.store.accounts(ME).await.unwrap().len(), 1);
    assert_eq!(
        login.calls(),
        [
            "code 447700900123",
            "sign_in 447700900123 12345",
            "password 447700900123 hunter1",
            "password 447700900123 hunter2",
            "adopt +447700900123"
        ]
    );
    // The login is over: text is text again.
    assert!(!type_as(&rig, "hello", 93)
        .await
        .contains(&Action::Delete { message_id: 93 }));
}

#[tokio::test]
async fn an_expired_code_a_flood_wait_and_an_unreachable_telegram_end_the_login_cleanly() {
    let login = Arc::new(FakeLogin::default());
    login
        .codes
        .lock()
        .unwrap()
        .extend([Err(LoginError::FloodWait(120)), Ok(()), Ok(())]);
    login
        .sign_ins
        .lock()
        .unwrap()
        .extend([Err(LoginError::CodeExpired), Err(LoginError::Unavailable)]);
    let rig = fake_rig("en", &login).await;
    rig.press(Cb::AddAccount).await;
    let flood = shown(&rig.text("+44 7700 900123").await);
    assert!(
        flood
            .text
            .starts_with("Telegram asks to wait 120 s before the next login attempt."),
        "{}",
        flood.text
    );
    // The question stays open: the customer may try again later.
    rig.text("+44 7700 900123").await;
    let expired = shown(&key_in(&rig, "11111").await);
    assert!(
        expired
            .text
            .starts_with("The code expired. Add the account again to get a new one."),
        "{}",
        expired.text
    );
    assert_eq!(
        alert(&rig.press(Cb::Digit(1)).await),
        "This menu is out of date. Open /menu for a fresh one."
    );
    rig.press(Cb::AddAccount).await;
    rig.text("+44 7700 900123").await;
    let down = shown(&key_in(&rig, "22222").await);
    assert!(
        down.text.starts_with("Telegram could not be reached."),
        "{}",
        down.text
    );
    assert!(rig.store.accounts(ME).await.unwrap().is_empty());
    let calls = login.calls();
    assert_eq!(
        calls.iter().filter(|c| c.starts_with("cancel")).count(),
        2,
        "{calls:?}"
    );
}

#[tokio::test]
async fn cancel_at_every_login_step_abandons_the_login_and_stores_nothing() {
    let login = Arc::new(FakeLogin::default());
    login.codes.lock().unwrap().extend([Ok(()), Ok(())]);
    login
        .sign_ins
        .lock()
        .unwrap()
        .push_back(Ok(SignInStep::PasswordRequired { hint: None }));
    let rig = fake_rig("ru", &login).await;
    // At the phone question.
    rig.press(Cb::AddAccount).await;
    assert!(shown(&rig.press(Cb::Cancel).await)
        .text
        .starts_with("Отменено."));
    // At the keypad.
    rig.press(Cb::AddAccount).await;
    rig.text("+44 7700 900123").await;
    rig.press(Cb::Digit(4)).await;
    rig.press(Cb::Cancel).await;
    // At the password.
    rig.press(Cb::AddAccount).await;
    rig.text("+44 7700 900123").await;
    let ask = shown(&key_in(&rig, "54321").await);
    assert_eq!(ask.text, "🔐 У +447700900123 включена двухэтапная проверка. Пришлите пароль; сообщение будет сразу удалено.");
    rig.press(Cb::Cancel).await;
    assert!(!type_as(&rig, "secret", 50)
        .await
        .contains(&Action::Delete { message_id: 50 }));
    assert!(rig.store.accounts(ME).await.unwrap().is_empty());
    assert_eq!(
        login
            .calls()
            .iter()
            .filter(|c| c.starts_with("cancel"))
            .cloned()
            .collect::<Vec<_>>(),
        ["cancel 447700900123", "cancel 447700900123"]
    );
}

/// A Telethon session string for data centre 2.
fn telethon_string() -> String {
    use base64::Engine as _;
    let mut b = vec![2u8, 149, 154, 167, 51];
    b.extend_from_slice(&443u16.to_be_bytes());
    b.extend((0..256).map(|i| i as u8));
    format!("1{}", base64::engine::general_purpose::URL_SAFE.encode(b))
}

#[tokio::test]
async fn a_session_string_is_deleted_checked_and_imported_once() {
    let login = Arc::new(FakeLogin::default());
    login.imports.lock().unwrap().extend([
        Ok(SignedIn {
            label: "+447700900555".into(),
            premium: false,
        }),
        Ok(SignedIn {
            label: "+447700900555".into(),
            premium: false,
        }),
        Err(LoginError::SessionNotAuthorized),
    ]);
    let rig = fake_rig("en", &login).await;
    // The Accounts screen offers the import next to adding an account by phone.
    let accounts = shown(&rig.press(Cb::Open(Screen::Accounts)).await);
    let row = accounts
        .keyboard
        .iter()
        .find(|row| row.iter().any(|b| b.data == Cb::AddAccount.encode()))
        .expect("an add row");
    let import = row
        .iter()
        .find(|b| b.data == Cb::ImportSession.encode())
        .expect("the import button beside Add an account");
    assert_eq!(import.text, "📥 Import a session");
    let ask = shown(&rig.data(&import.data).await);
    assert!(
        ask.text
            .starts_with("Send the account's Telethon or Pyrogram session string."),
        "{}",
        ask.text
    );
    let junk = type_as(&rig, "not a session", 60).await;
    assert_eq!(junk[0], Action::Delete { message_id: 60 });
    assert!(shown(&junk)
        .text
        .starts_with("That is not a Telethon or Pyrogram session string."));
    // The question stays open after a bad string.
    let done = type_as(&rig, &telethon_string(), 61).await;
    assert_eq!(done[0], Action::Delete { message_id: 61 });
    assert!(
        shown(&done)
            .text
            .starts_with("✅ Account +447700900555 added."),
        "{}",
        shown(&done).text
    );
    // The same account again is not added twice.
    rig.press(Cb::ImportSession).await;
    let again = type_as(&rig, &telethon_string(), 62).await;
    assert!(
        shown(&again)
            .text
            .starts_with("+447700900555 is already one of your accounts."),
        "{}",
        shown(&again).text
    );
    rig.press(Cb::ImportSession).await;
    let dead = type_as(&rig, &telethon_string(), 63).await;
    assert!(
        shown(&dead)
            .text
            .starts_with("Telegram says this session is not logged in"),
        "{}",
        shown(&dead).text
    );
    assert_eq!(rig.store.accounts(ME).await.unwrap().len(), 1);
    assert_eq!(
        login.calls(),
        [
            "import dc2",
            "adopt +447700900555",
            "import dc2",
            "cancel +447700900555",
            "import dc2"
        ],
        "only a new account's session is adopted; a duplicate's is let go"
    );
}

#[tokio::test]
async fn simulated_accounts_do_not_import_session_strings() {
    let rig = BotRig::new(Some("ru")).await;
    rig.cmd("/start").await;
    // Not offered: the Accounts screen has no import button here.
    let accounts = shown(&rig.press(Cb::Open(Screen::Accounts)).await);
    assert!(buttons(&accounts).contains(&Cb::AddAccount.encode()));
    assert!(!buttons(&accounts).contains(&Cb::ImportSession.encode()));
    // A forged press is refused at once and asks nothing.
    let refused = alert(&rig.press(Cb::ImportSession).await);
    assert!(
        refused
            .starts_with("На этом сервере аккаунты симулируются: импорт строк сессий недоступен"),
        "{refused}"
    );
    let typed = type_as(&rig, &telethon_string(), 70).await;
    assert!(
        !typed.contains(&Action::Delete { message_id: 70 }),
        "no session question was open: {typed:?}"
    );
    assert!(rig.store.accounts(ME).await.unwrap().is_empty());
}

/// Everything logged anywhere in this test binary while it runs.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn logs_never_carry_a_password_a_session_string_or_an_auth_key() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .try_init()
        .expect("the only test that installs a global subscriber");
    let password = "pw-Secr3t-9d41";
    let session = telethon_string();
    let login = Arc::new(FakeLogin::default());
    login.codes.lock().unwrap().push_back(Ok(()));
    login
        .sign_ins
        .lock()
        .unwrap()
        .push_back(Ok(SignInStep::PasswordRequired { hint: None }));
    login.passwords.lock().unwrap().extend([
        Err(LoginError::InvalidPassword { hint: None }),
        Ok(SignedIn {
            label: "+447700900777".into(),
            premium: false,
        }),
    ]);
    login
        .imports
        .lock()
        .unwrap()
        .push_back(Err(LoginError::SessionNotAuthorized));
    let rig = fake_rig("en", &login).await;
    rig.press(Cb::AddAccount).await;
    rig.text("+44 7700 900777").await;
    key_in(&rig, "12345").await;
    type_as(&rig, password, 80).await;
    type_as(&rig, password, 81).await;
    rig.press(Cb::ImportSession).await;
    type_as(&rig, &session, 82).await;
    // A sealed session with a known auth key, saved and opened.
    let key = crate::vault::key(1);
    let account = rig.store.accounts(ME).await.unwrap()[0].id;
    let auth_key = [0x5au8; 256];
    let vault =
        autoposter::telegram::mtproto::VaultSession::fresh(account, rig.store.clone(), key.clone());
    use grammers_session::Session as _;
    vault
        .set_dc_option(&crate::vault::dc(2, auth_key))
        .await
        .unwrap();
    autoposter::telegram::mtproto::VaultSession::load(account, rig.store.clone(), key)
        .await
        .unwrap();
    tracing::info!(?vault, "a debug print of the session");

    let logs = String::from_utf8_lossy(&capture.0.lock().unwrap()).to_string();
    assert!(logs.len() > 100, "the logs were captured: {logs}");
    assert!(!logs.contains(password), "password in the logs");
    assert!(!logs.contains(&session[..40]), "session string in the logs");
    let hex: String = auth_key
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(!logs.to_lowercase().contains(&hex), "auth key in the logs");
    assert!(
        !logs.contains("90, 90, 90, 90"),
        "auth key bytes in the logs"
    );
}

/// Groups as scripted per (account label, reference); anything not scripted checks out.
/// An account's own groups are `listed`, or Telegram is unreachable when there are none.
#[derive(Default)]
struct FakeGroups {
    problems: Mutex<Vec<(i64, String, GroupProblem)>>,
    listed: Vec<GroupInfo>,
}

impl Groups for FakeGroups {
    fn check<'a>(
        &'a self,
        account_id: i64,
        reference: &'a str,
    ) -> BoxFuture<'a, Result<GroupInfo, GroupProblem>> {
        let problem = self
            .problems
            .lock()
            .unwrap()
            .iter()
            .find(|(a, r, _)| *a == account_id && r == reference)
            .map(|(_, _, p)| p.clone());
        Box::pin(async move {
            match problem {
                Some(p) => Err(p),
                None => Ok(GroupInfo {
                    reference: reference.to_string(),
                    title: "A group".into(),
                    dialog_id: -1_000_000_000_000 - account_id,
                    access_hash: 4242 + account_id,
                    slow_mode_secs: Some(30),
                    forum: false,
                    forbids: Default::default(),
                }),
            }
        })
    }
    fn list<'a>(&'a self, _account_id: i64) -> BoxFuture<'a, Result<Vec<GroupInfo>, GroupProblem>> {
        let listed = self.listed.clone();
        Box::pin(async move {
            match listed.is_empty() {
                true => Err(GroupProblem::Unavailable),
                false => Ok(listed),
            }
        })
    }
    fn topics<'a>(
        &'a self,
        _account_id: i64,
        _reference: &'a str,
    ) -> BoxFuture<'a, Result<Vec<autoposter::telegram::groups::Topic>, GroupProblem>> {
        Box::pin(async { Err(GroupProblem::NotAForum) })
    }
}

#[tokio::test]
async fn an_alert_reads_as_plain_text_not_as_html() {
    // Telegram shows a button answer as plain text: "&amp;" would show as such.
    let groups = Arc::new(FakeGroups {
        listed: vec![GroupInfo {
            reference: "@shop_group".into(),
            title: "Shop".into(),
            dialog_id: -1_000_000_000_777,
            access_hash: 1,
            slow_mode_secs: None,
            forum: false,
            forbids: Default::default(),
        }],
        ..FakeGroups::default()
    });
    let rig = BotRig::with_seams(Some("en"), None, Arc::new(SimLogin), groups.clone()).await;
    rig.configure(1, 0).await;
    let shop = rig.store.add_account(ME, "Bob & Co <shop>").await.unwrap();
    groups.problems.lock().unwrap().push((
        shop,
        "@shop_group".to_string(),
        GroupProblem::NotMember,
    ));
    let list = shown(&rig.press(Cb::PickGroups).await);
    let pick = buttons(&list)
        .into_iter()
        .find(|d| d.starts_with("g:pk:"))
        .expect("the group is offered");
    assert_eq!(
        alert(&rig.data(&pick).await),
        "@shop_group can't be added:\n• Bob & Co <shop> — not a member\nYour accounts must already be members and allowed to write there."
    );
    assert!(rig.store.groups(ME).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_group_is_checked_through_every_account_and_refused_with_each_reason() {
    let groups = Arc::new(FakeGroups::default());
    let rig = BotRig::with_seams(Some("en"), None, Arc::new(SimLogin), groups.clone()).await;
    rig.configure(2, 0).await;
    let accounts = account_ids(&rig).await;
    groups.problems.lock().unwrap().extend([
        (
            accounts[0],
            "@closed_group".to_string(),
            GroupProblem::NotMember,
        ),
        (
            accounts[1],
            "@closed_group".to_string(),
            GroupProblem::CannotWrite,
        ),
    ]);
    rig.press(Cb::AddGroup).await;
    let refused = shown(&rig.text("@closed_group").await);
    assert_eq!(
        refused.text,
        "@closed_group can't be added:\n• +9996611000 — not a member\n• +9996622000 — may not write there\nYour accounts must already be members and allowed to write there."
    );
    assert!(
        rig.store.groups(ME).await.unwrap().is_empty(),
        "nothing added"
    );
    let added = shown(&rig.text("@open_group").await);
    assert!(
        added
            .text
            .starts_with("✅ @open_group added. Slow mode there: one post every 30 s per account."),
        "{}",
        added.text
    );
    let group = rig.store.groups(ME).await.unwrap()[0].id;
    for account in accounts {
        assert_eq!(
            rig.store.group_peer(account, group).await.unwrap(),
            Some((-1_000_000_000_000 - account, 4242 + account)),
            "how each account reaches the group is stored"
        );
    }
    // Picking needs the account's list; Telegram unreachable says so.
    assert_eq!(
        alert(&rig.press(Cb::PickGroups).await),
        "Telegram could not be reached. Try again in a minute."
    );
}

#[tokio::test]
async fn groups_can_be_picked_from_the_accounts_own_and_forged_picks_are_stale() {
    let rig = BotRig::new(Some("ru")).await;
    rig.configure(1, 0).await;
    let list = shown(&rig.press(Cb::PickGroups).await);
    assert!(
        list.text.starts_with("Группы вашего аккаунта"),
        "{}",
        list.text
    );
    let picks: Vec<String> = buttons(&list)
        .into_iter()
        .filter(|d| d.starts_with("g:pk:"))
        .collect();
    // Five plain groups, a forum, a group without media and one in slow mode (SimGroups).
    assert_eq!(picks.len(), 8);
    let added = shown(&rig.data(&picks[2]).await);
    assert!(
        added.text.starts_with("✅ @sim_group_3 добавлена."),
        "{}",
        added.text
    );
    assert_eq!(
        rig.store.groups(ME).await.unwrap()[0].reference,
        "@sim_group_3"
    );
    // The picked group leaves the list; picking it again, or a made-up id, is stale.
    let again = shown(&rig.press(Cb::PickGroups).await);
    assert_eq!(
        buttons(&again)
            .iter()
            .filter(|d| d.starts_with("g:pk:"))
            .count(),
        7
    );
    assert_eq!(
        alert(&rig.data(&picks[2]).await),
        "Это меню устарело. Откройте /menu, чтобы получить свежее."
    );
    assert_eq!(
        alert(&rig.press(Cb::PickGroup(-5)).await),
        "Это меню устарело. Откройте /menu, чтобы получить свежее."
    );
    assert_eq!(rig.store.groups(ME).await.unwrap().len(), 1);
}

/// A catalog with room for 2 accounts and 2 groups on STARTER, 3 and 3 on ENTERPRISE.
fn small_catalog() -> PlanCatalog {
    let mut c = PlanCatalog::default();
    c.starter.max_accounts = 2;
    c.starter.max_groups = 2;
    c.enterprise.max_accounts = 3;
    c.enterprise.max_groups = 3;
    c
}

#[tokio::test(start_paused = true)]
async fn adding_beyond_the_plans_limits_is_refused_with_the_limit_and_changes_nothing() {
    let rig = BotRig::new(Some("en")).await;
    rig.control.engine().set_catalog(small_catalog());
    rig.grant(Plan::Starter, None).await;
    rig.configure(2, 2).await;
    let (accounts, groups) = (account_ids(&rig).await, group_ids(&rig).await);
    assert_eq!((accounts.len(), groups.len()), (2, 2));
    // The buttons refuse before asking anything.
    let text = alert(&rig.press(Cb::AddAccount).await);
    assert!(
        text.contains("STARTER plan allows 2 accounts, and you have 2"),
        "{text}"
    );
    let text = alert(&rig.press(Cb::ImportSession).await);
    assert!(text.contains("allows 2 accounts"), "{text}");
    let text = alert(&rig.press(Cb::AddGroup).await);
    assert!(
        text.contains("STARTER plan allows 2 groups, and you have 2"),
        "{text}"
    );
    // Nothing is awaited: a typed group is not taken.
    rig.text("@one_more_group").await;
    assert_eq!(group_ids(&rig).await, groups);
    assert_eq!(account_ids(&rig).await, accounts);
    // A question asked before the limit was reached is refused at the answer.
    rig.store.remove_group(ME, groups[1]).await.unwrap();
    rig.press(Cb::AddGroup).await;
    rig.store.add_group(ME, "@sneaked_in").await.unwrap();
    let shown_text = shown(&rig.text("@one_more_group").await).text;
    assert!(shown_text.contains("allows 2 groups"), "{shown_text}");
    assert_eq!(group_ids(&rig).await.len(), 2);
    // In Russian too.
    rig.cmd("/language ru").await;
    let text = alert(&rig.press(Cb::AddAccount).await);
    assert!(
        text.contains("Тариф STARTER допускает аккаунтов: 2"),
        "{text}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_plan_with_more_room_allows_more_and_no_plan_is_held_to_the_largest() {
    let rig = BotRig::new(Some("en")).await;
    rig.control.engine().set_catalog(small_catalog());
    rig.configure(3, 0).await; // no plan: ENTERPRISE's 3 accounts at most
    let text = alert(&rig.press(Cb::AddAccount).await);
    assert!(
        text.contains("At most 3 accounts can be added, and you have 3"),
        "{text}"
    );
    rig.grant(Plan::Enterprise, None).await;
    for i in 0..3 {
        rig.press(Cb::AddGroup).await;
        rig.text(&format!("@roomy_{i}")).await;
    }
    assert_eq!(group_ids(&rig).await.len(), 3);
    let text = alert(&rig.press(Cb::AddGroup).await);
    assert!(text.contains("ENTERPRISE plan allows 3 groups"), "{text}");
}

#[tokio::test(start_paused = true)]
async fn start_is_refused_when_a_smaller_plan_leaves_too_many_accounts_or_groups() {
    let rig = BotRig::new(Some("en")).await;
    rig.control.engine().set_catalog(small_catalog());
    rig.grant(Plan::Enterprise, None).await;
    rig.configure(3, 1).await;
    rig.grant(Plan::Starter, None).await;
    let text = shown(&rig.press(Cb::Start).await).text;
    assert!(
        text.contains("Cannot start: your STARTER plan allows 2 active accounts, and you have 3"),
        "{text}"
    );
    assert!(!rig.control.engine().is_running(ME));
    // Pausing one is enough.
    let first = account_ids(&rig).await[0];
    rig.press(Cb::ToggleAccount(first)).await;
    let text = shown(&rig.press(Cb::Start).await).text;
    assert!(rig.control.engine().is_running(ME), "{text}");
    rig.control.engine().stop(ME).await.unwrap();
}

/// Engines sharing the database: the customer runs on another engine. The bot shows them
/// running, and its Stop returns once that engine has stopped them and let go.
#[tokio::test(start_paused = true)]
async fn a_customer_running_on_another_engine_is_shown_running_and_stopped_from_the_bot() {
    use autoposter::engine::LeaseConfig;
    let rig = BotRig::new(Some("en")).await;
    let leases = |holder: &str| LeaseConfig {
        holder: holder.to_string(),
        ttl: Duration::from_secs(60),
    };
    rig.control.engine().share(leases("bot"));
    rig.grant(Plan::Enterprise, None).await;
    rig.configure(1, 3).await;
    let other_sim = Arc::new(SimTransport::new(Duration::ZERO, true));
    let (other, other_tasks) = Engine::with_clock(
        rig.store.clone(),
        other_sim.clone(),
        None,
        *rig.control.engine().clock(),
    );
    other.share(leases("other"));
    other.resume().await.unwrap();
    other.start(rig.user, None).await.unwrap();
    assert!(shown(&rig.cmd("/start").await)
        .text
        .contains("<b>Status</b>: ▶️ running"));
    // Started twice from the bot: refused, it runs elsewhere.
    assert!(shown(&rig.press(Cb::Start).await)
        .text
        .contains("Already running"));
    tokio::time::sleep(Duration::from_secs(5)).await;
    let t0 = Instant::now();
    let stopped = shown(&rig.press(Cb::Stop).await);
    assert!(stopped.text.starts_with("⏹ Stopped."), "{}", stopped.text);
    // The other engine stopped it at its next keeper round (every 12 s).
    assert!(Instant::now() - t0 <= Duration::from_secs(12));
    assert!(!other.is_running(rig.user));
    let posts = other_sim.sent().len();
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(other_sim.sent().len(), posts, "nothing after the stop");
    assert!(rig.sim.sent().is_empty(), "the bot's engine never posted");
    assert!(!shown(&rig.cmd("/status").await).text.contains("▶️ running"));
    other.shutdown().await;
    other_tasks.finish().await;
}

/// How many times the login was cancelled so far.
fn cancels(login: &FakeLogin) -> usize {
    login
        .calls()
        .iter()
        .filter(|c| c.starts_with("cancel"))
        .count()
}

#[tokio::test]
async fn every_command_that_leaves_a_login_cancels_it_at_the_keypad_and_at_the_password() {
    let login = Arc::new(FakeLogin::default());
    let rig = fake_rig("en", &login).await;
    for leave in ["/cancel", "/menu", "/start"] {
        // At the keypad.
        login.codes.lock().unwrap().extend([Ok(()), Ok(())]);
        rig.press(Cb::AddAccount).await;
        rig.text("+44 7700 900123").await;
        rig.press(Cb::Digit(4)).await;
        let before = cancels(&login);
        rig.cmd(leave).await;
        assert_eq!(cancels(&login), before + 1, "{leave} at the keypad");
        assert_eq!(
            alert(&rig.press(Cb::Digit(1)).await),
            "This menu is out of date. Open /menu for a fresh one.",
            "{leave}: the keypad is over"
        );
        // At the password.
        login
            .sign_ins
            .lock()
            .unwrap()
            .push_back(Ok(SignInStep::PasswordRequired { hint: None }));
        rig.press(Cb::AddAccount).await;
        rig.text("+44 7700 900123").await;
        key_in(&rig, "54321").await;
        let before = cancels(&login);
        rig.cmd(leave).await;
        assert_eq!(cancels(&login), before + 1, "{leave} at the password");
        assert!(
            !type_as(&rig, "secret", 50)
                .await
                .contains(&Action::Delete { message_id: 50 }),
            "{leave}: the password question is over"
        );
    }
    // Commands that only look (and leave the question where it was) keep the login.
    login.codes.lock().unwrap().push_back(Ok(()));
    rig.press(Cb::AddAccount).await;
    rig.text("+44 7700 900123").await;
    let before = cancels(&login);
    for look in ["/status", "/help", "/language"] {
        rig.cmd(look).await;
    }
    assert_eq!(cancels(&login), before);
    assert!(rig.store.accounts(ME).await.unwrap().is_empty());
}

/// A Telethon session string for data centre 2 at `addr` (IPv4), with `auth_key`.
fn telethon_string_at(addr: std::net::SocketAddrV4, auth_key: [u8; 256]) -> String {
    use base64::Engine as _;
    let mut b = vec![2u8];
    b.extend_from_slice(&addr.ip().octets());
    b.extend_from_slice(&addr.port().to_be_bytes());
    b.extend_from_slice(&auth_key);
    format!("1{}", base64::engine::general_purpose::URL_SAFE.encode(b))
}

#[tokio::test]
async fn an_import_that_cannot_connect_is_logged_at_warn_with_its_cause_and_no_secret() {
    use autoposter::config::Secret;
    use autoposter::telegram::live::{MtprotoConfig, MtprotoLogin};
    // A port nobody listens on: the connection is refused at once.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        match listener.local_addr().unwrap() {
            std::net::SocketAddr::V4(v4) => v4,
            other => panic!("{other}"),
        }
    };
    let auth_key = [0x6bu8; 256];
    let session = telethon_string_at(closed, auth_key);
    let imported = autoposter::telegram::import::parse(&session).unwrap();
    let api_hash = "hash-Secr3t-51aa";
    let login = MtprotoLogin::new(MtprotoConfig {
        api_id: 1,
        api_hash: Secret::new(api_hash),
        key: crate::vault::key(1),
        store: Store::memory().await.unwrap(),
    });
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let result = {
        let _scoped = tracing::subscriber::set_default(subscriber);
        login.import_session(ME, &imported).await
    };
    assert_eq!(result, Err(LoginError::Unavailable));
    let logs = String::from_utf8_lossy(&capture.0.lock().unwrap()).to_string();
    let warned: Vec<&str> = logs.lines().filter(|l| l.contains("WARN")).collect();
    assert!(
        warned
            .iter()
            .any(|l| l.to_lowercase().contains("connection refused")),
        "the cause is logged at warn: {logs}"
    );
    assert!(!logs.contains(&session[..40]), "session string in the logs");
    assert!(!logs.contains(api_hash), "api hash in the logs");
    assert!(
        !logs.to_lowercase().contains("6b6b6b6b"),
        "auth key in the logs"
    );
    assert!(
        !logs.contains("107, 107, 107"),
        "auth key bytes in the logs"
    );
}

/// One input from another customer, through the same bot.
async fn as_customer(rig: &BotRig, user_id: i64, input: Input) -> Vec<Action> {
    let sender = Sender {
        user_id,
        language_code: Some("en".into()),
    };
    rig.control.handle(&sender, input).await
}

fn typed(text: &str) -> Input {
    Input::Text {
        plain: text.to_string(),
        html: text.to_string(),
        message_id: 1,
        reply_to: None,
    }
}

fn pressed(cb: Cb) -> Input {
    Input::Callback {
        data: cb.encode(),
        message_id: Some(MENU),
    }
}

#[tokio::test]
async fn another_customer_typing_a_number_mid_login_touches_only_their_own_login() {
    let login = Arc::new(FakeLogin::default());
    login.codes.lock().unwrap().extend([Ok(()), Ok(())]);
    login
        .sign_ins
        .lock()
        .unwrap()
        .push_back(Ok(SignInStep::Done(SignedIn {
            label: "+447700900123".into(),
            premium: false,
        })));
    let rig = fake_rig("en", &login).await;
    rig.press(Cb::AddAccount).await;
    rig.text("+44 7700 900123").await;
    // Someone else types the same number, then leaves.
    as_customer(&rig, OTHER, typed("/start")).await;
    as_customer(&rig, OTHER, pressed(Cb::AddAccount)).await;
    as_customer(&rig, OTHER, typed("+44 7700 900123")).await;
    as_customer(&rig, OTHER, typed("/menu")).await;
    assert_eq!(
        login.calls_for(OTHER),
        ["code 447700900123", "cancel 447700900123"]
    );
    // The owner's login goes on.
    let added = shown(&key_in(&rig, "12345").await);
    assert!(
        added.text.starts_with("✅ Account +447700900123 added."),
        "{}",
        added.text
    );
    assert_eq!(
        login.calls_for(ME),
        [
            "code 447700900123",
            "sign_in 447700900123 12345",
            "adopt +447700900123"
        ]
    );
    assert!(rig.store.accounts(OTHER).await.unwrap().is_empty());
}

#[tokio::test]
async fn failures_that_are_not_telegrams_answer_and_a_string_of_another_user_say_what_went_wrong() {
    use autoposter::telegram::import::OtherUser;
    let other_user = LoginError::SessionOfAnotherUser(OtherUser {
        string_user: 777000,
        telegram_user: 424242,
    });
    let cases: [(LoginError, &str, &str); 8] = [
        (
            other_user,
            "This session string belongs to user id 777000, but Telegram says the session is user 424242: the string is damaged or was edited.",
            "Эта строка сессии принадлежит пользователю с id 777000, но Telegram сообщает, что сессия принадлежит пользователю 424242: строка повреждена или изменена.",
        ),
        (
            LoginError::Unavailable,
            "Telegram could not be reached. Try again in a minute.",
            "Не удалось связаться с Telegram",
        ),
        (
            LoginError::Unreadable,
            "Telegram answered something this server could not read.",
            "Telegram ответил так, что сервер не смог разобрать ответ.",
        ),
        (
            LoginError::KeyRefused,
            "Telegram refused the connection's key.",
            "Telegram отклонил ключ соединения.",
        ),
        (
            LoginError::KeyExchange,
            "A secure connection to Telegram could not be set up (the key exchange failed).",
            "Не удалось установить защищённое соединение с Telegram (обмен ключами не удался).",
        ),
        (
            LoginError::Unexpected {
                name: "AUTH_RESTART".into(),
            },
            "Telegram answered with an error this step does not expect: AUTH_RESTART.",
            "Telegram ответил ошибкой, которой на этом шаге быть не должно: AUTH_RESTART.",
        ),
        (
            LoginError::Internal,
            "Something went wrong on this server during the login.",
            "Во время входа на сервере что-то пошло не так.",
        ),
        (
            LoginError::TooManyLogins,
            "Too many logins are in progress on this server right now. Try again in a few minutes.",
            "Сейчас на сервере идёт слишком много входов в аккаунты.",
        ),
    ];
    for lang in ["en", "ru"] {
        for (error, en, ru) in &cases {
            let login = Arc::new(FakeLogin::default());
            login.imports.lock().unwrap().push_back(Err(error.clone()));
            let rig = fake_rig(lang, &login).await;
            rig.press(Cb::ImportSession).await;
            let told = shown(&type_as(&rig, &telethon_string(), 64).await);
            let expected = if lang == "en" { en } else { ru };
            assert!(told.text.starts_with(expected), "{lang}: {}", told.text);
            assert!(rig.store.accounts(ME).await.unwrap().is_empty());
        }
    }
}

#[tokio::test]
async fn too_many_code_requests_are_refused_with_when_to_try_again_and_the_question_stays() {
    let login = Arc::new(FakeLogin::default());
    login.codes.lock().unwrap().extend([
        Err(LoginError::TooManyCodes { wait_secs: 1140 }),
        Err(LoginError::TooManyCodes { wait_secs: 61 }),
    ]);
    let rig = fake_rig("en", &login).await;
    rig.press(Cb::AddAccount).await;
    let refused = shown(&rig.text("+44 7700 900123").await);
    assert!(
        refused.text.starts_with(
            "Too many login codes were asked for (for this number, or from your chat). Try again in 19 min."
        ),
        "{}",
        refused.text
    );
    // Still at the phone question: the next number is taken.
    let refused = shown(&rig.text("+44 7700 900124").await);
    assert!(
        refused.text.contains("Try again in 2 min."),
        "{}",
        refused.text
    );
    let ru = Arc::new(FakeLogin::default());
    ru.codes
        .lock()
        .unwrap()
        .push_back(Err(LoginError::TooManyCodes { wait_secs: 600 }));
    let rig = fake_rig("ru", &ru).await;
    rig.press(Cb::AddAccount).await;
    let refused = shown(&rig.text("+44 7700 900123").await);
    assert!(
        refused.text.starts_with("Запрошено слишком много кодов входа (для этого номера или из вашего чата). Попробуйте снова через 10 мин."),
        "{}",
        refused.text
    );
}

#[tokio::test(start_paused = true)]
async fn a_group_asking_stars_per_message_is_told_with_its_price_in_the_notice_and_on_groups() {
    let (tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let rig = BotRig::observed(Some("en"), Some(Arc::new(Notifier(tx)))).await;
    rig.grant(Plan::Enterprise, None).await;
    rig.configure(1, 2).await;
    let accounts = account_ids(&rig).await;
    let groups = group_ids(&rig).await;
    rig.sim.inject(
        Target::Slot {
            account_id: accounts[0],
            group_id: groups[1],
        },
        Outcome::GroupRefused(GroupRefusal::PaymentRequired { stars: Some(50) }),
    );
    rig.press(Cb::Start).await;
    let (customer, event) = events.recv().await.expect("an event");
    assert_eq!(customer, ME);
    let notice = rig.control.event_notice(ME, &event).await.unwrap().unwrap();
    assert_eq!(
        notice.text,
        "⏸ @group_number_1 refused the account +9996611000: the group asks 50 ⭐ per message; autoposter never pays it. The group is paused for that account; once it is fixed, press ▶ on the group under Groups."
    );
    rig.control.engine().flush().await;
    let screen = shown(&rig.press(Cb::Open(Screen::Groups)).await);
    assert!(
        screen.text.contains(
            "2. @group_number_1 — ⏸ paused for +9996611000 (the group asks 50 ⭐ per message; autoposter never pays it)"
        ),
        "{}",
        screen.text
    );
    rig.cmd("/stop").await;

    rig.cmd("/language ru").await;
    let notice = rig.control.event_notice(ME, &event).await.unwrap().unwrap();
    assert!(
        notice.text.contains(
            ": группа просит 50 ⭐ за каждое сообщение; autoposter никогда их не платит."
        ),
        "{}",
        notice.text
    );
    let screen = shown(&rig.press(Cb::Open(Screen::Groups)).await);
    assert!(
        screen
            .text
            .contains("(группа просит 50 ⭐ за каждое сообщение; autoposter никогда их не платит)"),
        "{}",
        screen.text
    );
}

#[tokio::test(start_paused = true)]
async fn the_message_screens_silent_switch_is_saved_shown_and_posts_go_out_silent() {
    let rig = BotRig::new(Some("en")).await;
    rig.grant(Plan::Enterprise, None).await;
    rig.configure(1, 1).await;
    assert!(!rig.store.silent(ME).await.unwrap());
    let screen = shown(&rig.press(Cb::Open(Screen::Message)).await);
    assert!(
        screen.text.contains("🔔 <b>Silent posts</b>: off"),
        "{}",
        screen.text
    );
    assert!(
        buttons(&screen).contains(&"sil:1".to_string()),
        "{:?}",
        buttons(&screen)
    );
    assert!(button_texts(&screen).contains(&"🔕 Silent posts: turn on".to_string()));
    // The button the screen shows turns it on; the screen says so.
    let screen = shown(&rig.data("sil:1").await);
    assert!(rig.store.silent(ME).await.unwrap());
    assert!(
        screen.text.contains(
            "🔕 <b>Silent posts</b>: on — group members get no notification sound for your posts."
        ),
        "{}",
        screen.text
    );
    assert!(
        buttons(&screen).contains(&"sil:0".to_string()),
        "{:?}",
        buttons(&screen)
    );
    // A stale press of the old button sets what it said, again; a forged one is out of date.
    shown(&rig.data("sil:1").await);
    assert!(rig.store.silent(ME).await.unwrap());
    for forged in ["sil:2", "sil:", "sil:1:1"] {
        assert_eq!(
            alert(&rig.data(forged).await),
            "This menu is out of date. Open /menu for a fresh one.",
            "{forged}"
        );
    }
    // The engine's posts carry it.
    rig.press(Cb::Start).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let sent = rig.sim.sent();
    assert!(!sent.is_empty());
    assert!(sent.iter().all(|s| s.silent), "{sent:?}");
    rig.cmd("/stop").await;

    // Off again, in Russian.
    rig.cmd("/language ru").await;
    let screen = shown(&rig.data("sil:0").await);
    assert!(!rig.store.silent(ME).await.unwrap());
    assert!(
        screen.text.contains("🔔 <b>Тихие посты</b>: выключены"),
        "{}",
        screen.text
    );
    assert!(button_texts(&screen).contains(&"🔕 Тихие посты: включить".to_string()));
}

#[tokio::test]
async fn an_account_telegram_calls_premium_is_stored_as_premium_and_others_are_not() {
    let login = Arc::new(FakeLogin::default());
    login.codes.lock().unwrap().extend([Ok(()), Ok(())]);
    login.sign_ins.lock().unwrap().extend([
        Ok(SignInStep::Done(SignedIn {
            label: "+447700900123".into(),
            premium: true,
        })),
        Ok(SignInStep::Done(SignedIn {
            label: "+447700900124".into(),
            premium: false,
        })),
    ]);
    let rig = fake_rig("en", &login).await;
    let grant = autoposter::store::PlanGrant {
        plan: autoposter::schedule::Plan::Enterprise,
        expires_at: None,
    };
    rig.store.set_plan(ME, grant).await.unwrap();
    for phone in ["+44 7700 900123", "+44 7700 900124"] {
        rig.press(Cb::AddAccount).await;
        rig.text(phone).await;
        let added = shown(&key_in(&rig, "12345").await);
        assert!(
            added.text.starts_with("✅ Account +44770090012"),
            "{}",
            added.text
        );
    }
    let accounts = rig.store.accounts(ME).await.unwrap();
    let premium = rig.store.premium_accounts(ME).await.unwrap();
    assert_eq!(accounts.len(), 2);
    assert_eq!(
        premium,
        vec![accounts[0].id],
        "only the first account has Premium"
    );
}

/// /start of a customer whose post is passed on from a channel (no text of ours: the stored
/// message is empty) starts posting, as it does for a text or media post.
#[tokio::test(start_paused = true)]
async fn start_starts_a_customer_whose_post_comes_from_a_channel() {
    use autoposter::schedule::content::ForwardMode;
    let rig = BotRig::new(Some("en")).await;
    rig.grant(Plan::Enterprise, None).await;
    rig.configure(1, 1).await;
    let set = rig
        .store
        .set_forward(ME, "@news", vec![5], ForwardMode::Copy, &[]);
    set.await.unwrap();
    let text = shown(&rig.cmd("/start").await).text;
    assert!(rig.control.engine().is_running(ME), "{text}");
    rig.control.engine().stop(ME).await.unwrap();
}

/// An account added after the post was set from a channel is checked against that channel:
/// one that can't read it is added with a warning naming the channel and why.
#[tokio::test(start_paused = true)]
async fn an_account_added_after_a_post_from_a_channel_is_warned_when_it_cannot_read_it() {
    use autoposter::schedule::content::ForwardMode;
    for (lang, warned) in [
        (
            Some("en"),
            "⚠️ This account can't pass on your post from @private_club",
        ),
        (
            Some("ru"),
            "⚠️ Этот аккаунт не может публиковать ваш пост из @private_club",
        ),
    ] {
        let rig = BotRig::new(lang).await;
        rig.grant(Plan::Enterprise, None).await;
        rig.configure(1, 1).await;
        // Readable by every account: a new one is added without a word about it.
        let set = rig
            .store
            .set_forward(ME, "@news", vec![5], ForwardMode::Copy, &[]);
        set.await.unwrap();
        rig.press(Cb::AddAccount).await;
        rig.text("+9996622000").await;
        for _ in 0..5 {
            rig.press(Cb::Digit(2)).await;
        }
        let added = shown(&rig.press(Cb::SubmitCode).await).text;
        assert!(!added.contains("⚠️"), "{added}");
        // A channel nobody can read (set by hand: the bot would have refused it).
        let set = rig
            .store
            .set_forward(ME, "@private_club", vec![5], ForwardMode::Copy, &[]);
        set.await.unwrap();
        rig.press(Cb::AddAccount).await;
        rig.text("+9996633000").await;
        for _ in 0..5 {
            rig.press(Cb::Digit(3)).await;
        }
        let added = shown(&rig.press(Cb::SubmitCode).await).text;
        assert!(added.contains(warned), "{added}");
        assert!(autoposter::bot::html::check(&added).is_ok(), "{added}");
        assert_eq!(
            rig.store.accounts(ME).await.unwrap().len(),
            3,
            "added all the same"
        );
    }
}

/// The post picked from the account's Saved Messages (one active account): listed newest
/// first, asked as forward or copy, saved as that account's Saved Messages; a second account
/// is warned it can't pass it on, and the picker then says why it can't be used.
#[tokio::test(start_paused = true)]
async fn the_post_is_picked_from_the_one_accounts_saved_messages() {
    use autoposter::i18n::{t, Lang};
    use autoposter::schedule::content::{ForwardMode, ForwardSource, PostContent};
    for (code, lang, warned) in [
        (
            "en",
            Lang::En,
            "⚠️ This account won't post your current post",
        ),
        (
            "ru",
            Lang::Ru,
            "⚠️ Этот аккаунт не будет публиковать текущий пост",
        ),
    ] {
        let rig = BotRig::new(Some(code)).await;
        rig.grant(Plan::Enterprise, None).await;
        rig.configure(1, 1).await;
        let account = account_ids(&rig).await[0];
        rig.press(Cb::Open(Screen::Message)).await;
        let picker = shown(&rig.press(Cb::SavedMessages).await);
        assert_eq!(
            buttons(&picker),
            ["sv:103", "sv:102", "sv:101", "m:msg"],
            "{picker:?}"
        );
        assert!(button_texts(&picker).contains(&"📝 New opening hours from Monday".to_string()));
        assert!(autoposter::bot::html::check(&picker.text).is_ok());
        let asked = shown(&rig.press(Cb::PickSaved(102)).await);
        assert_eq!(asked.text, t(lang, "forward-question-saved"));
        let saved = shown(&rig.press(Cb::PassOn(ForwardMode::Copy)).await).text;
        assert!(saved.contains(&t(lang, "forward-not-shown")), "{saved}");
        let expected = PostContent::Forward {
            source: ForwardSource {
                chat: format!("me:{account}"),
                message_ids: vec![102],
            },
            mode: ForwardMode::Copy,
        };
        assert_eq!(rig.store.content(ME).await.unwrap(), Some(expected));
        // A second account can't pass another account's Saved Messages on: warned when added.
        rig.press(Cb::AddAccount).await;
        rig.text("+9996622000").await;
        for _ in 0..5 {
            rig.press(Cb::Digit(2)).await;
        }
        let added = shown(&rig.press(Cb::SubmitCode).await).text;
        assert!(added.contains(warned), "{added}");
        let refused = alert(&rig.press(Cb::SavedMessages).await);
        assert_eq!(refused, t(lang, "saved-one-account"));
    }
}
