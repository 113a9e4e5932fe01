//! A customer who blocked the bot: the replies and notices that Telegram refuses with 403 are
//! given up at once (not retried) and hold nobody else up; a broadcast counts them as blocked;
//! the confirmation counts customers only (the admin gets no copy of their own broadcast).

use autoposter::bench::fake_api::{Customer, FakeBotApi};
use autoposter::i18n::{t, t_args, Args, Lang};

use super::{assert_clean, expect, expect_now, first_line, press_when_shown, Run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_who_blocked_the_bot_holds_nobody_up_and_the_broadcast_counts_them_blocked() {
    let api = FakeBotApi::start([]).await.unwrap();
    let admin = Customer::new(1, Some("en"));
    let mut run = Run::start_with(&api, &[("AUTOPOSTER_ADMINS", "1")]);
    let customers: Vec<Customer> = (0..4).map(|i| Customer::new(901 + i, Some("en"))).collect();
    let blocker = customers[2].clone();
    api.say(&admin, "/start");
    for c in &customers {
        api.say(c, "/start");
    }
    for c in customers.iter().chain([&admin]) {
        expect(&api, c.id, &t(Lang::En, "welcome")).await;
    }

    // The customer writes and blocks the bot before the answer comes; the others write too.
    api.block(blocker.id);
    for c in &customers {
        api.say(c, "/menu");
    }
    let menu = first_line(
        Lang::En,
        "main-menu",
        &Args::new().html("plan", "").html("state", ""),
    );
    for c in customers.iter().filter(|c| c.id != blocker.id) {
        expect_now(&api, c.id, std::slice::from_ref(&menu)).await;
    }
    // A notice to them (a plan granted) is refused too; the admin is answered.
    api.say(&admin, &format!("/setplan {} STARTER 30", blocker.id));
    let plan_set = t_args(
        Lang::En,
        "admin-plan-set",
        &Args::new()
            .text("id", blocker.id.to_string())
            .html("plan", "\u{1}"),
    );
    expect(&api, admin.id, plan_set.split('\u{1}').next().unwrap()).await;

    // The broadcast: four customers, the admin not among them.
    api.say(&admin, "/broadcast Big news");
    let count = Args::new().num("count", 4.0);
    press_when_shown(
        &api,
        &admin,
        &t_args(Lang::En, "button-broadcast-send", &count),
    )
    .await;
    let done = t_args(
        Lang::En,
        "broadcast-done",
        &Args::new()
            .num("id", 1.0)
            .num("sent", 3.0)
            .num("blocked", 1.0)
            .num("failed", 0.0)
            .num("unknown", 0.0)
            .num("total", 4.0),
    );
    expect(&api, admin.id, &done).await;
    for c in customers.iter().filter(|c| c.id != blocker.id) {
        assert!(
            api.chat(c.id).iter().any(|m| m.text == "Big news"),
            "{} got no broadcast",
            c.id
        );
    }
    assert!(
        !api.chat(admin.id).iter().any(|m| m.text == "Big news"),
        "the admin got a copy: {:#?}",
        api.chat(admin.id)
    );
    // Each refused message was tried once: the reply, the notice, the broadcast.
    assert_eq!(api.refusals().1, 3, "403 answers");
    assert_eq!(api.sent_to(blocker.id), 1, "only the welcome reached them");
    assert_clean(&api.report());
    assert_eq!(run.stop(), Some(0));
}
