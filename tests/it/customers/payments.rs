//! Plans bought with Telegram Stars through the fake Bot API: the Buy button the Plan screen
//! shows, the invoice, Telegram's pre-checkout query and the successful payment that follows
//! an approval; a payment delivered twice grants once; a checkout the bot never offered is
//! refused, and a payment nobody approved grants nothing (and the admins are told, even when
//! the customer has blocked the bot meanwhile).

use std::time::Duration;

use autoposter::bench::fake_api::{Customer, FakeBotApi};
use autoposter::i18n::{t, t_args, Args, Lang};
use autoposter::schedule::{Plan, PlanCatalog, DAY_MS};

use super::{assert_clean, expect, open_menu, press_when_shown, wait_until, Run};

/// The STARTER plan's default terms, as the Buy button and the invoice name them.
fn starter_args() -> Args {
    let terms = PlanCatalog::default().starter;
    Args::new()
        .text("plan", "STARTER")
        .num("accounts", terms.max_accounts as f64)
        .num("groups", terms.max_groups as f64)
        .num("stars", terms.price_stars as f64)
        .num("days", terms.days as f64)
}

/// The customer opens the Plan screen, presses Buy STARTER, pays the invoice, and is told
/// the plan is theirs; the same payment delivered again grants nothing more.
async fn buy_starter(api: &FakeBotApi, customer: &Customer, lang: Lang) {
    let id = customer.id;
    api.say(customer, "/start");
    expect(api, id, &t(lang, "welcome")).await;
    open_menu(api, customer, lang).await;
    api.press(customer, &t(lang, "button-plan")).unwrap();
    press_when_shown(api, customer, &t_args(lang, "button-buy", &starter_args())).await;
    assert!(
        wait_until(Duration::from_secs(20), || !api.invoices(id).is_empty()).await,
        "no invoice for {id}"
    );
    let invoice = api.invoices(id).remove(0);
    let terms = PlanCatalog::default().starter;
    assert_eq!(
        invoice.title,
        t_args(lang, "invoice-title", &starter_args())
    );
    assert_eq!(
        (invoice.currency.as_str(), invoice.total_amount),
        ("XTR", u64::from(terms.price_stars))
    );
    let query = api.pay(customer, &invoice);
    let granted = t_args(lang, "payment-granted", &Args::new().html("plan", "\u{1}"));
    expect(api, id, granted.split('\u{1}').next().unwrap()).await;
    assert!(api.pre_checkout_answers().contains(&(query, true)));
    let charges: Vec<String> = api
        .payments()
        .into_iter()
        .filter(|(c, _, _)| *c == id)
        .map(|(_, charge, _)| charge)
        .collect();
    assert_eq!(charges.len(), 1, "one payment for {id}");
    // Telegram delivers the payment again (a restart before the offset was confirmed): the
    // chat's updates are handled in order, so once /menu is answered the repeat was seen.
    let before = api.sent_to(id);
    api.deliver_payment_again(&charges[0]);
    open_menu(api, customer, lang).await;
    assert_eq!(
        api.sent_to(id),
        before + 1,
        "the repeated payment was answered: {:#?}",
        api.chat(id)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_buy_a_plan_with_the_buy_button_and_a_payment_delivered_twice_grants_once() {
    let api = FakeBotApi::start([]).await.unwrap();
    let mut run = Run::start(&api);
    let english = Customer::new(701, Some("en"));
    let russian = Customer::new(702, Some("ru"));
    let paid_from = autoposter::time::unix_ms_now();
    tokio::join!(
        buy_starter(&api, &english, Lang::En),
        buy_starter(&api, &russian, Lang::Ru)
    );
    let paid_until = autoposter::time::unix_ms_now();
    assert_clean(&api.report());
    assert_eq!(run.stop(), Some(0));
    // One grant of 30 days each, not two.
    let store = run.store().await;
    let days = i64::from(PlanCatalog::default().starter.days);
    for id in [english.id, russian.id] {
        let grant = store.customer(id).await.unwrap().unwrap().plan.unwrap();
        assert_eq!(grant.plan, Plan::Starter);
        let expires = grant.expires_at.unwrap();
        assert!(
            (paid_from + days * DAY_MS..=paid_until + days * DAY_MS).contains(&expires),
            "customer {id}: expires {expires}, paid between {paid_from} and {paid_until}"
        );
    }
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkout_the_bot_never_offered_is_refused_and_an_unapproved_payment_grants_nothing() {
    let api = FakeBotApi::start([]).await.unwrap();
    let admin = Customer::new(1, Some("en"));
    let mut run = Run::start_with(&api, &[("AUTOPOSTER_ADMINS", "1")]);
    let customer = Customer::new(703, Some("en"));
    api.say(&customer, "/start");
    expect(&api, customer.id, &t(Lang::En, "welcome")).await;
    let price = u64::from(PlanCatalog::default().enterprise.price_stars);
    let real = format!("plan:ENTERPRISE:30:{price}");
    // Not our payload; ours at a price it never had; ours for a different amount; another
    // currency.
    let forged = [
        api.checkout(&customer, "premium-forever", "XTR", 1),
        api.checkout(&customer, "plan:ENTERPRISE:30:1", "XTR", 1),
        api.checkout(&customer, &real, "XTR", 1),
        api.checkout(&customer, &real, "USD", price),
    ];
    assert!(
        wait_until(Duration::from_secs(20), || api.pre_checkout_answers().len()
            == 4)
        .await,
        "{:?}",
        api.pre_checkout_answers()
    );
    for query in &forged {
        assert!(
            api.pre_checkout_answers().contains(&(query.clone(), false)),
            "{query} approved: {:?}",
            api.pre_checkout_answers()
        );
    }
    assert!(api.payments().is_empty(), "Telegram took no payment");
    // A successful payment the bot never approved: kept, nothing granted, everyone told.
    api.forge_payment(&customer, &real, "XTR", price);
    expect(&api, customer.id, &t(Lang::En, "payment-unapproved")).await;
    let admin_note = t_args(
        Lang::En,
        "admin-payment-unapproved",
        &Args::new()
            .text("charge", "\u{1}")
            .num("stars", 0.0)
            .text("id", "")
            .text("payload", ""),
    );
    let admin_note = admin_note.split('\u{1}').next().unwrap();
    expect(&api, admin.id, admin_note).await;
    // The same from a customer who blocked the bot meanwhile: their message is refused, and
    // the admins are told all the same.
    let gone = Customer::new(704, Some("en"));
    api.say(&gone, "/start");
    expect(&api, gone.id, &t(Lang::En, "welcome")).await;
    api.block(gone.id);
    api.forge_payment(&gone, &real, "XTR", price);
    let told = wait_until(Duration::from_secs(20), || {
        api.chat(admin.id)
            .iter()
            .filter(|m| m.text.starts_with(admin_note))
            .count()
            == 2
    })
    .await;
    assert!(told, "the admin was not told: {:#?}", api.chat(admin.id));
    assert_clean(&api.report());
    assert_eq!(run.stop(), Some(0));
    let store = run.store().await;
    let row = store.customer(customer.id).await.unwrap().unwrap();
    assert_eq!(row.plan, None, "no plan was granted");
    store.close().await;
}
