//! Admin commands as an admin and as anyone else, plan purchases with Telegram Stars, plan
//! expiry and its reminder.

use autoposter::bot::callback::{Cb, Screen};
use autoposter::bot::payment::{Paid, STARS};
use autoposter::bot::{Action, Input};
use std::time::Duration;

use autoposter::schedule::{Plan, DAY_MS};
use autoposter::store::PlanGrant;

use crate::helpers::{alert, button_texts, shown, texts, BotRig, ME};

const ADMIN: i64 = 7;

/// A rig whose customer is ME, with ADMIN as the admin; `as_admin` switches who talks.
async fn rig() -> BotRig {
    let mut rig = BotRig::new(Some("en")).await;
    rig.control.set_admins(vec![ADMIN]);
    rig.cmd("/start").await;
    rig
}

async fn as_user(rig: &mut BotRig, user: i64, line: &str) -> Vec<Action> {
    let me = rig.user;
    rig.user = user;
    let out = rig.cmd(line).await;
    rig.user = me;
    out
}

fn notified(actions: &[Action]) -> Vec<(i64, String)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Notify { user_id, text } => Some((*user_id, text.clone())),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn admin_commands_from_anyone_else_get_the_ordinary_unknown_command_answer() {
    let mut rig = rig().await;
    let unknown = texts(&rig.cmd("/nonsense").await);
    for line in [
        "/setplan 1001 ENTERPRISE 30",
        "/users",
        "/user 1001",
        "/stats",
    ] {
        assert_eq!(texts(&rig.cmd(line).await), unknown, "{line}");
    }
    // Nothing changed.
    assert_eq!(rig.store.plan_of(ME).await.unwrap(), None);
    // An admin button pressed by a customer is just out of date.
    let text = alert(&rig.data(&Cb::AdminUsers(0).encode()).await);
    assert!(text.contains("out of date"), "{text}");
    // The admin gets the real thing.
    let out = as_user(&mut rig, ADMIN, "/users").await;
    assert!(texts(&out)[0].starts_with("<b>Customers</b>: 2"), "{out:?}");
}

#[tokio::test(start_paused = true)]
async fn setplan_refuses_bad_arguments_and_grants_and_tells_the_customer() {
    let mut rig = rig().await;
    rig.cmd("/language ru").await;
    as_user(&mut rig, ADMIN, "/start").await;
    for (line, says) in [
        (
            "/setplan",
            "Usage: /setplan &lt;user id&gt; &lt;STARTER|ENTERPRISE&gt; [days]",
        ),
        ("/setplan 1001", "Usage: /setplan"),
        ("/setplan bob STARTER", "“bob” is not a Telegram user id"),
        (
            "/setplan 1001 GOLD",
            "There is no plan “GOLD”: the plans are STARTER and ENTERPRISE.",
        ),
        (
            "/setplan 1001 STARTER 0",
            "Days must be a whole number from 1 to 3650; “0” is not.",
        ),
        ("/setplan 1001 STARTER 99999", "“99999” is not"),
        (
            "/setplan 5555 STARTER",
            "User 5555 has not started this bot.",
        ),
    ] {
        let out = as_user(&mut rig, ADMIN, line).await;
        assert!(texts(&out)[0].contains(says), "{line}: {out:?}");
        assert!(notified(&out).is_empty());
        assert_eq!(rig.store.plan_of(ME).await.unwrap(), None, "{line}");
    }
    let now = rig
        .control
        .engine()
        .clock()
        .wall_ms(tokio::time::Instant::now());
    let out = as_user(&mut rig, ADMIN, "/setplan 1001 enterprise 30").await;
    let until = now + 30 * DAY_MS;
    assert_eq!(
        rig.store.plan_of(ME).await.unwrap(),
        Some(PlanGrant {
            plan: Plan::Enterprise,
            expires_at: Some(until)
        })
    );
    assert!(
        texts(&out)[0].starts_with("✅ User 1001: ENTERPRISE, until "),
        "{out:?}"
    );
    // The customer is told, in their language.
    let told = notified(&out);
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].0, ME);
    assert!(
        told[0].1.starts_with("🎁 Ваш тариф теперь: ENTERPRISE"),
        "{told:?}"
    );
    // Without days: no expiry.
    as_user(&mut rig, ADMIN, "/setplan 1001 STARTER").await;
    assert_eq!(
        rig.store.plan_of(ME).await.unwrap(),
        Some(PlanGrant {
            plan: Plan::Starter,
            expires_at: None
        })
    );
}

#[tokio::test]
async fn users_are_listed_twenty_a_page_with_buttons_to_turn_them() {
    let mut rig = rig().await;
    for id in 2_000..2_043 {
        rig.store.ensure_customer(id, None).await.unwrap();
    }
    // 43 + ME + ADMIN.
    rig.user = ADMIN;
    let first = shown(&rig.cmd("/users").await);
    assert!(
        first.text.starts_with("<b>Customers</b>: 45 (page 1 of 3)"),
        "{}",
        first.text
    );
    assert_eq!(first.text.lines().count(), 21);
    assert!(first
        .text
        .contains("<code>7</code> · none yet · ⏸ stopped · 0 acc. · 0 groups"));
    assert_eq!(button_texts(&first), ["▶"]);
    let last = shown(&rig.press(Cb::AdminUsers(2)).await);
    assert!(
        last.text.starts_with("<b>Customers</b>: 45 (page 3 of 3)"),
        "{}",
        last.text
    );
    assert_eq!(last.text.lines().count(), 6);
    assert_eq!(button_texts(&last), ["◀"]);
    // A page past the end shows the last one.
    let past = shown(&rig.press(Cb::AdminUsers(99)).await);
    assert_eq!(past.text, last.text);
    assert!(texts(&rig.cmd("/users 2").await)[0].starts_with("Usage: /users"));
}

#[tokio::test]
async fn user_shows_a_customers_plan_accounts_groups_and_status() {
    let mut rig = rig().await;
    rig.grant(Plan::Starter, None).await;
    rig.configure(1, 2).await;
    rig.user = ADMIN;
    let out = texts(&rig.cmd("/user 1001").await).join("\n");
    for part in [
        "<b>Customer</b> <code>1001</code> (en)",
        "STARTER, no expiry",
        "<b>Accounts</b> (1):",
        "• +9996611000 — ✅ ok",
        "<b>Groups</b> (2):",
        "• @group_number_0 — ✅ ok",
        "<b>Status</b>: ⏸ stopped",
    ] {
        assert!(out.contains(part), "{part}: {out}");
    }
    assert!(texts(&rig.cmd("/user").await)[0].starts_with("Usage: /user &lt;user id&gt;"));
    assert!(texts(&rig.cmd("/user x1").await)[0].contains("“x1” is not a Telegram user id"));
    assert_eq!(
        texts(&rig.cmd("/user 42").await)[0],
        "User 42 has not started this bot."
    );
}

#[tokio::test]
async fn stats_count_customers_accounts_posts_and_payments() {
    let mut rig = rig().await;
    rig.grant(Plan::Starter, None).await;
    rig.configure(2, 1).await;
    rig.user = ADMIN;
    let out = texts(&rig.cmd("/stats").await).join("\n");
    assert!(
        out.contains("Customers: 2, running: 0 (0 in this engine)"),
        "{out}"
    );
    assert!(out.contains("Accounts: active 2"), "{out}");
    assert!(out.contains("Posts in the last 24 h: —"), "{out}");
    assert!(out.contains("Payments: 0, 0 ⭐"), "{out}");
}

fn invoice(actions: &[Action]) -> autoposter::bot::payment::Invoice {
    actions
        .iter()
        .find_map(|a| match a {
            Action::Invoice(i) => Some(i.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no invoice in {actions:?}"))
}

async fn checkout(rig: &BotRig, payload: &str, currency: &str, amount: u32) -> Option<String> {
    let input = Input::PreCheckout {
        query_id: "q1".into(),
        payload: payload.into(),
        currency: currency.into(),
        total_amount: amount,
    };
    match rig.control.handle(&rig.sender(), input).await.as_slice() {
        [Action::AnswerPreCheckout { query_id, error }] => {
            assert_eq!(query_id, "q1");
            error.clone()
        }
        other => panic!("{other:?}"),
    }
}

async fn pay(rig: &BotRig, charge: &str, payload: &str, amount: u32) -> Vec<Action> {
    let input = Input::Payment(Paid {
        charge_id: charge.into(),
        provider_charge_id: String::new(),
        payload: payload.into(),
        currency: STARS.into(),
        total_amount: amount,
    });
    rig.control.handle(&rig.sender(), input).await
}

#[tokio::test(start_paused = true)]
async fn a_plan_is_bought_with_stars_once_per_payment() {
    let rig = rig().await;
    rig.press(Cb::Open(Screen::Plan)).await;
    let inv = invoice(&rig.press(Cb::Buy(Plan::Starter)).await);
    assert_eq!(
        (inv.stars, inv.payload.as_str()),
        (250, "plan:STARTER:30:250")
    );
    assert_eq!(inv.title, "STARTER plan, 30 days");
    assert!(inv.description.contains("up to 3 accounts and 30 groups"));
    // Telegram asks first: only our invoice, in Stars, for its amount.
    assert_eq!(checkout(&rig, &inv.payload, STARS, 250).await, None);
    let invalid = checkout(&rig, &inv.payload, STARS, 1).await.unwrap();
    assert!(
        invalid.starts_with("This invoice is no longer valid"),
        "{invalid}"
    );
    assert!(checkout(&rig, &inv.payload, "USD", 250).await.is_some());
    assert!(checkout(&rig, "plan:GOLD:30:250", STARS, 250)
        .await
        .is_some());
    // The payment grants the plan.
    let now = rig
        .control
        .engine()
        .clock()
        .wall_ms(tokio::time::Instant::now());
    let out = pay(&rig, "charge-1", &inv.payload, 250).await;
    let screen = shown(&out);
    assert!(
        screen
            .text
            .starts_with("✅ Thank you, the payment went through. Your plan: STARTER, until"),
        "{}",
        screen.text
    );
    let granted = PlanGrant {
        plan: Plan::Starter,
        expires_at: Some(now + 30 * DAY_MS),
    };
    assert_eq!(rig.store.plan_of(ME).await.unwrap(), Some(granted));
    // Delivered twice: nothing more is granted, nothing is said.
    assert!(pay(&rig, "charge-1", &inv.payload, 250).await.is_empty());
    assert_eq!(rig.store.plan_of(ME).await.unwrap(), Some(granted));
    // Renewing adds 30 days to the running plan (Telegram asks again first).
    assert_eq!(checkout(&rig, &inv.payload, STARS, 250).await, None);
    pay(&rig, "charge-2", &inv.payload, 250).await;
    assert_eq!(
        rig.store.plan_of(ME).await.unwrap().unwrap().expires_at,
        Some(now + 60 * DAY_MS)
    );
}

#[tokio::test]
async fn an_invoice_made_before_a_price_change_is_refused_at_checkout() {
    let rig = rig().await;
    let inv = invoice(&rig.press(Cb::Buy(Plan::Enterprise)).await);
    let mut catalog = rig.control.engine().catalog();
    catalog.enterprise.price_stars = 2_000;
    rig.control.engine().set_catalog(catalog);
    let stale = checkout(&rig, &inv.payload, STARS, inv.stars)
        .await
        .unwrap();
    assert!(stale.contains("price or length has changed"), "{stale}");
}

#[tokio::test]
async fn a_payment_the_bot_did_not_approve_at_checkout_grants_nothing_and_the_admins_are_told() {
    let rig = rig().await;
    let inv = invoice(&rig.press(Cb::Buy(Plan::Enterprise)).await);
    // No pre-checkout approval for this payment: nothing is granted.
    let out = pay(&rig, "charge-7", &inv.payload, inv.stars).await;
    assert!(
        texts(&out)[0].starts_with("⚠️ Your payment arrived, but it does not match a checkout"),
        "{out:?}"
    );
    let told = notified(&out);
    assert_eq!(told.len(), 1);
    assert!(told[0].1.contains("charge-7"), "{told:?}");
    assert!(
        told[0].1.contains("not approved at pre-checkout"),
        "{told:?}"
    );
    assert_eq!(rig.store.plan_of(ME).await.unwrap(), None);
    // A refused checkout approves nothing either.
    assert!(checkout(&rig, &inv.payload, STARS, 1).await.is_some());
    pay(&rig, "charge-8", &inv.payload, inv.stars).await;
    assert_eq!(rig.store.plan_of(ME).await.unwrap(), None);
    // Approved, then paid: granted.
    assert_eq!(checkout(&rig, &inv.payload, STARS, inv.stars).await, None);
    pay(&rig, "charge-9", &inv.payload, inv.stars).await;
    assert_eq!(
        rig.store.plan_of(ME).await.unwrap().map(|g| g.plan),
        Some(Plan::Enterprise)
    );
}

#[tokio::test]
async fn a_payment_that_matches_no_plan_is_kept_and_the_admins_are_told() {
    let rig = rig().await;
    let out = pay(&rig, "charge-9", "plan:STARTER:30:250", 99).await;
    assert!(texts(&out)[0].starts_with("⚠️ Your payment arrived, but it does not match"));
    let told = notified(&out);
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].0, ADMIN);
    assert!(told[0].1.contains("charge-9"), "{told:?}");
    assert_eq!(rig.store.plan_of(ME).await.unwrap(), None);
    let stats = rig.store.fleet_stats(0).await.unwrap();
    assert_eq!((stats.payments, stats.stars), (1, 99));
}

#[tokio::test(start_paused = true)]
async fn a_reminder_goes_out_once_a_day_before_the_plan_expires() {
    use autoposter::bot::reminder;
    use tokio::time::Instant;
    let rig = rig().await;
    let t0 = Instant::now();
    let clock = *rig.control.engine().clock();
    let expires = clock.wall_ms(t0) + 3 * DAY_MS + 5_000;
    rig.grant(Plan::Starter, Some(expires)).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let send = move |id: i64, text: String| {
        let tx = tx.clone();
        async move {
            let _ = tx.send((Instant::now(), id, text));
        }
    };
    let checks = async {
        let day = Duration::from_millis(DAY_MS as u64);
        let (at, id, text) = rx.recv().await.unwrap();
        assert_eq!(at, t0 + 2 * day + Duration::from_secs(5), "one day before");
        assert_eq!(id, ME);
        assert!(
            text.starts_with("⏰ Your plan expires soon: STARTER, until "),
            "{text}"
        );
        // Once per expiry: nothing more until it has passed.
        tokio::time::sleep_until(t0 + 4 * day).await;
        assert!(rx.try_recv().is_err());
        // A renewal gets its own reminder, a day before the new expiry.
        let renewed = clock.wall_ms(t0) + 10 * DAY_MS;
        rig.grant(Plan::Starter, Some(renewed)).await;
        let (at, id, _) = rx.recv().await.unwrap();
        assert_eq!((at, id), (t0 + 9 * day, ME));
    };
    let forever = tokio_util::sync::CancellationToken::new();
    tokio::select! {
        _ = reminder::run(&rig.control, send, &forever) => {
            unreachable!("the loop runs until stopped")
        }
        _ = checks => {}
    }
    // Noted in the store: a restarted loop does not send it again.
    assert!(rig.control.take_due_reminders().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_payment_the_store_cannot_record_is_reported_and_a_checkout_is_refused() {
    let rig = rig().await;
    rig.store.close().await;
    // Telegram is told no at once: nothing is charged.
    let refused = checkout(&rig, "plan:STARTER:30:250", STARS, 250).await;
    assert!(refused.is_some());
    // Charged already: the customer is reassured and the admins get the charge id.
    let out = pay(&rig, "charge-lost", "plan:STARTER:30:250", 250).await;
    assert!(texts(&out)[0].starts_with("⚠️ Your payment went through, but I could not record it"));
    let told = notified(&out);
    assert_eq!(told.len(), 1);
    assert!(
        told[0].1.contains("charge-lost") && told[0].1.contains("/setplan"),
        "{told:?}"
    );
}

#[tokio::test]
async fn a_plan_without_expiry_has_nothing_to_renew() {
    let rig = rig().await;
    rig.grant(Plan::Enterprise, None).await;
    let screen = shown(&rig.press(Cb::Open(Screen::Plan)).await);
    let labels = button_texts(&screen);
    assert!(
        labels.iter().any(|b| b.starts_with("⭐ Buy STARTER")),
        "{labels:?}"
    );
    assert!(
        !labels.iter().any(|b| b.contains("ENTERPRISE")),
        "{labels:?}"
    );
    // An old invoice for it is refused before anything is charged.
    let refused = checkout(&rig, "plan:ENTERPRISE:30:1500", STARS, 1500)
        .await
        .unwrap();
    assert_eq!(
        refused,
        "Your plan has no expiry: there is nothing to renew."
    );
    // The other plan can still be bought.
    assert_eq!(
        checkout(&rig, "plan:STARTER:30:250", STARS, 250).await,
        None
    );
}

/// Every text in `actions` that goes out in HTML parse mode, refused as Telegram would.
pub(crate) fn assert_valid_html(actions: &[Action]) {
    for a in actions {
        let text = match a {
            Action::Send(s) | Action::Edit { screen: s, .. } => &s.text,
            Action::Notify { text, .. } => text,
            _ => continue,
        };
        if let Err(e) = autoposter::bot::html::check(text) {
            panic!("Telegram would refuse {text:?}: {e}");
        }
    }
}

#[tokio::test]
async fn admin_usage_texts_reach_the_admin_in_both_languages() {
    let mut rig = rig().await;
    for lang in ["en", "ru"] {
        as_user(&mut rig, ADMIN, &format!("/language {lang}")).await;
        for line in ["/setplan", "/setplan 1001", "/user", "/users 2"] {
            let out = as_user(&mut rig, ADMIN, line).await;
            assert_eq!(texts(&out).len(), 1, "{lang} {line}: {out:?}");
            assert_valid_html(&out);
        }
    }
    // What the admin reads once Telegram has parsed it.
    as_user(&mut rig, ADMIN, "/language en").await;
    assert_eq!(
        texts(&as_user(&mut rig, ADMIN, "/user").await)[0],
        "Usage: /user &lt;user id&gt;"
    );
}
