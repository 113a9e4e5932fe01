//! A real `autoposter run --simulated-accounts` process polling the local fake Bot API
//! (`autoposter::bench::fake_api`), played by scripted customers who type and press only the
//! buttons the screens they were shown carry. The rig and the journeys are here; payments,
//! group chats, blocked customers and the replays of issue 12's defects have their own files.

mod blocked;
mod defects;
mod forward;
mod groups;
mod journeys;
mod media;
mod payments;
mod topics;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use autoposter::bench::fake_api::{Customer, FakeBotApi, Report};
use autoposter::i18n::{t, t_args, Args, Lang};

/// A running `autoposter run` and its files.
pub(super) struct Run {
    child: Child,
    dir: std::path::PathBuf,
}

impl Run {
    pub(super) fn start(api: &FakeBotApi) -> Run {
        Run::start_with(api, &[])
    }

    /// With these environment variables too.
    pub(super) fn start_with(api: &FakeBotApi, env: &[(&str, &str)]) -> Run {
        Run::launch(api, &["--simulated-accounts"], env)
    }

    /// With real accounts (logins through Telegram's MTProto, session import offered): an
    /// application id and hash that are never used, since nothing here logs in.
    pub(super) fn start_with_real_accounts(api: &FakeBotApi, env: &[(&str, &str)]) -> Run {
        let mut all = vec![
            ("TELEGRAM_API_ID", "12345"),
            ("TELEGRAM_API_HASH", "0123456789abcdef"),
        ];
        all.extend_from_slice(env);
        Run::launch(api, &[], &all)
    }

    /// With simulated accounts whose posts go to a ledger file (`ledger()`), and the log
    /// (`RUST_LOG` from `env`, else `warn`) kept in a file (`log()`).
    pub(super) fn start_recorded(api: &FakeBotApi, env: &[(&str, &str)]) -> Run {
        let dir = Run::new_dir();
        let ledger = dir.join("ledger");
        let log = std::fs::File::create(dir.join("stderr.log")).unwrap();
        let flags = [
            "--simulated-accounts",
            "--sim-ledger",
            ledger.to_str().unwrap(),
        ];
        Run::launch_in(dir, api, &flags, env, Stdio::from(log))
    }

    /// The ledger of a [`Run::start_recorded`] run: every post's items (account, group,
    /// random id, …).
    pub(super) fn ledger(&self) -> Vec<autoposter::telegram::sim::LedgerRequest> {
        autoposter::telegram::sim::read_ledger(&self.dir.join("ledger")).unwrap()
    }

    /// The log of a [`Run::start_recorded`] run so far.
    pub(super) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("stderr.log")).unwrap_or_default()
    }

    /// The run's database, opened while it runs (SQLite allows it).
    pub(super) async fn open_store(&self) -> autoposter::store::Store {
        self.store().await
    }

    fn new_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "autoposter-customers-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn launch(api: &FakeBotApi, flags: &[&str], env: &[(&str, &str)]) -> Run {
        Run::launch_in(Run::new_dir(), api, flags, env, Stdio::inherit())
    }

    fn launch_in(
        dir: std::path::PathBuf,
        api: &FakeBotApi,
        flags: &[&str],
        env: &[(&str, &str)],
        stderr: Stdio,
    ) -> Run {
        let child = Command::new(env!("CARGO_BIN_EXE_autoposter"))
            .arg("run")
            .args(flags)
            .args(["--bot-api-url", &api.url()])
            .arg("--database-url")
            .arg(format!("sqlite:{}", dir.join("autoposter.db").display()))
            .arg("--key-file")
            .arg(dir.join("autoposter.key"))
            .env("TELOXIDE_TOKEN", "123456:TEST")
            .env("RUST_LOG", "warn")
            .env_remove("DATABASE_URL")
            .env_remove("TELOXIDE_API_URL")
            .env_remove("AUTOPOSTER_MASTER_KEY")
            .env_remove("AUTOPOSTER_ADMINS")
            .env_remove("AUTOPOSTER_SIMULATED_ACCOUNTS")
            .env_remove("TELEGRAM_API_ID")
            .env_remove("TELEGRAM_API_HASH")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("the binary runs");
        Run { child, dir }
    }

    /// SIGTERM, then the exit code (within 15 s). The files stay until the run is dropped.
    pub(super) fn stop(&mut self) -> Option<i32> {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while std::time::Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Run {
    /// The database the stopped process left (open it after [`Run::stop`]).
    pub(super) async fn store(&self) -> autoposter::store::Store {
        let url = format!("sqlite:{}", self.dir.join("autoposter.db").display());
        autoposter::store::Store::connect(&url).await.unwrap()
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Waits (up to `limit`) until `done` holds; whether it did.
pub(super) async fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    done()
}

/// The first line of a locale text rendered with `args` (the part a test can rely on).
pub(super) fn first_line(lang: Lang, key: &str, args: &Args) -> String {
    let text = t_args(lang, key, args);
    text.lines().next().unwrap_or_default().to_string()
}

/// Whether the bot's newest message in `chat` holds `text`.
pub(super) fn shows(api: &FakeBotApi, chat: i64, text: &str) -> bool {
    api.last(chat).is_some_and(|m| m.text.contains(text))
}

/// Nothing the fake saw went against Telegram's rules.
pub(super) fn assert_clean(report: &Report) {
    assert!(
        report.during_retry_after.is_empty(),
        "sent while a retry_after was in force: {:?}",
        report.during_retry_after
    );
    assert!(report.busiest_second <= 30, "{report:?}");
    assert!(report.refused_texts.is_empty(), "{report:?}");
    assert!(report.unknown_methods.is_empty(), "{report:?}");
    assert!(report.answered_twice.is_empty(), "{report:?}");
    assert!(report.unanswered.is_empty(), "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_customers_sending_start_within_five_seconds_all_get_the_welcome() {
    let api = FakeBotApi::start([]).await.unwrap();
    let mut run = Run::start(&api);
    assert!(
        wait_until(Duration::from_secs(30), || api.polls() > 0).await,
        "the bot never polled"
    );
    let customers: Vec<Customer> = (0..300)
        .map(|i| Customer::new(10_000 + i, Some(if i % 3 == 0 { "ru" } else { "en" })))
        .collect();
    let started = tokio::time::Instant::now();
    for (i, customer) in customers.iter().enumerate() {
        tokio::time::sleep_until(started + Duration::from_secs(5) * i as u32 / 300).await;
        api.say(customer, "/start");
    }
    assert!(started.elapsed() < Duration::from_millis(5_100));
    let welcome = |c: &Customer| {
        let lang = if c.language_code.as_deref() == Some("ru") {
            Lang::Ru
        } else {
            Lang::En
        };
        t(lang, "welcome")
    };
    // 300 messages at under 30 a second: about 11 s; a minute is the patience allowed.
    let all_welcomed = wait_until(Duration::from_secs(60), || {
        customers.iter().all(|c| shows(&api, c.id, &welcome(c)))
    })
    .await;
    let missing: Vec<i64> = customers
        .iter()
        .filter(|c| !shows(&api, c.id, &welcome(c)))
        .map(|c| c.id)
        .collect();
    let report = api.report();
    assert!(
        all_welcomed,
        "{} customers got no welcome, e.g. {:?}; {} answered 429, {} sent during a retry_after",
        missing.len(),
        &missing[..missing.len().min(5)],
        report.too_many,
        report.during_retry_after.len()
    );
    for c in &customers {
        assert_eq!(api.sent_to(c.id), 1, "customer {} got one message", c.id);
    }
    assert_clean(&api.report());
    assert_eq!(run.stop(), Some(0));
}

/// /start → Message → a typed post → back to the menu, pressing only what the screens show.
async fn journey(api: &FakeBotApi, customer: &Customer, lang: Lang) {
    let id = customer.id;
    let patience = Duration::from_secs(15);
    api.say(customer, "/start");
    assert!(
        wait_until(patience, || shows(api, id, &t(lang, "welcome"))).await,
        "{:?}",
        api.chat(id)
    );
    api.press(customer, &t(lang, "button-message")).unwrap();
    let max = Args::new().num("max", autoposter::bot::input::MAX_MESSAGE_LEN as f64);
    let empty = first_line(lang, "message-screen-empty", &max);
    assert!(
        wait_until(patience, || shows(api, id, &empty)).await,
        "{:?}",
        api.chat(id)
    );
    api.say(customer, "Spring sale: everything half price");
    let saved = t(lang, "message-saved");
    assert!(
        wait_until(patience, || api
            .chat(id)
            .iter()
            .any(|m| m.text.contains(&saved)))
        .await,
        "{:?}",
        api.chat(id)
    );
    api.press(customer, &t(lang, "button-back")).unwrap();
    let menu = first_line(
        lang,
        "main-menu",
        &Args::new().html("plan", "").html("state", ""),
    );
    assert!(
        wait_until(patience, || shows(api, id, &menu)
            && api
                .last(id)
                .unwrap()
                .labels()
                .contains(&t(lang, "button-message").as_str()))
        .await,
        "{:?}",
        api.chat(id)
    );
    // A button the screens do not show cannot be pressed.
    assert!(api.press(customer, "no such button").is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_sets_the_message_through_the_buttons_shown_in_english_and_russian() {
    let api = FakeBotApi::start([]).await.unwrap();
    let mut run = Run::start(&api);
    let english = Customer::new(501, Some("en"));
    let russian = Customer::new(502, Some("ru"));
    tokio::join!(
        journey(&api, &english, Lang::En),
        journey(&api, &russian, Lang::Ru)
    );
    assert!(api.commands_set() > 0, "the command list was registered");
    assert_clean(&api.report());
    assert_eq!(run.stop(), Some(0));
}

/// The broadcast shares the bot's budget: customers who write during it are answered while
/// it is still going, and together they stay within Telegram's limits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_writing_during_a_broadcast_are_answered_before_it_ends() {
    let api = FakeBotApi::start([]).await.unwrap();
    let admin = Customer::new(1, Some("en"));
    let mut run = Run::start_with(&api, &[("AUTOPOSTER_ADMINS", "1")]);
    let audience: Vec<Customer> = (0..250).map(|i| Customer::new(20_000 + i, None)).collect();
    api.say(&admin, "/start");
    for c in &audience {
        api.say(c, "/start");
    }
    let welcome = t(Lang::En, "welcome");
    assert!(
        wait_until(Duration::from_secs(60), || audience
            .iter()
            .all(|c| shows(&api, c.id, &welcome)))
        .await
    );
    let before = api.chat(admin.id).len();
    api.say(&admin, "/broadcast Big news");
    assert!(
        wait_until(Duration::from_secs(15), || api.chat(admin.id).len()
            > before
            && api.last(admin.id).is_some_and(|m| !m.buttons.is_empty()))
        .await,
        "{:?}",
        api.chat(admin.id)
    );
    // The confirmation's first button sends it.
    let send = api.last(admin.id).unwrap().buttons[0][0].0.clone();
    api.press(&admin, &send).unwrap();
    assert!(
        wait_until(Duration::from_secs(15), || audience
            .iter()
            .any(|c| api.sent_to(c.id) == 2))
        .await,
        "the broadcast started"
    );
    let newcomers: Vec<Customer> = (0..20).map(|i| Customer::new(30_000 + i, None)).collect();
    for c in &newcomers {
        api.say(c, "/start");
    }
    assert!(
        wait_until(Duration::from_secs(60), || audience
            .iter()
            .all(|c| api.sent_to(c.id) == 2)
            && newcomers.iter().all(|c| shows(&api, c.id, &welcome)))
        .await
    );
    let delivered = api.delivered();
    let broadcast_end = delivered
        .iter()
        .filter(|(chat, _)| audience.iter().any(|c| c.id == *chat))
        .map(|(_, at)| *at)
        .max()
        .unwrap();
    for c in &newcomers {
        let (_, welcomed) = delivered.iter().find(|(chat, _)| *chat == c.id).unwrap();
        assert!(
            *welcomed < broadcast_end,
            "customer {} waited for the broadcast",
            c.id
        );
    }
    assert_clean(&api.report());
    assert_eq!(run.stop(), Some(0));
}

/// Waits until some bot message in `chat` holds `text`; fails with the chat's messages.
pub(super) async fn expect(api: &FakeBotApi, chat: i64, text: &str) {
    let seen = wait_until(Duration::from_secs(20), || {
        api.chat(chat).iter().any(|m| m.text.contains(text))
    })
    .await;
    assert!(
        seen,
        "{text:?} never shown to {chat}: {:#?}",
        api.chat(chat)
    );
}

/// Waits until the newest bot message in `chat` holds every one of `texts`.
pub(super) async fn expect_now(api: &FakeBotApi, chat: i64, texts: &[String]) {
    let seen = wait_until(Duration::from_secs(20), || {
        api.last(chat)
            .is_some_and(|m| texts.iter().all(|t| m.text.contains(t.as_str())))
    })
    .await;
    assert!(
        seen,
        "{texts:?} not on {chat}'s screen: {:#?}",
        api.last(chat)
    );
}

/// Asks for the menu and waits until it is the newest screen (a new message: a menu already
/// on screen does not count).
pub(super) async fn open_menu(api: &FakeBotApi, customer: &Customer, lang: Lang) {
    let before = api.sent_to(customer.id);
    api.say(customer, "/menu");
    let menu = first_line(
        lang,
        "main-menu",
        &Args::new().html("plan", "").html("state", ""),
    );
    let shown = wait_until(Duration::from_secs(20), || {
        api.sent_to(customer.id) > before && shows(api, customer.id, &menu)
    })
    .await;
    assert!(shown, "no menu: {:#?}", api.last(customer.id));
}

/// Waits until the newest screen carries the button `label`, then presses it.
pub(super) async fn press_when_shown(api: &FakeBotApi, customer: &Customer, label: &str) {
    let shown = wait_until(Duration::from_secs(20), || {
        api.last(customer.id)
            .is_some_and(|m| m.labels().contains(&label))
    })
    .await;
    assert!(shown, "no {label:?} on {:#?}", api.last(customer.id));
    api.press(customer, label).unwrap();
}

/// A new customer: /start, then `plan` for 30 days from `admin`; the menu is the newest screen.
pub(super) async fn start_with_plan(
    api: &FakeBotApi,
    admin: &Customer,
    customer: &Customer,
    lang: Lang,
    plan: &str,
) {
    let id = customer.id;
    api.say(customer, "/start");
    expect(api, id, &t(lang, "welcome")).await;
    api.say(admin, &format!("/setplan {id} {plan} 30"));
    expect(
        api,
        id,
        &first_line(lang, "plan-granted", &Args::new().html("plan", "")),
    )
    .await;
    open_menu(api, customer, lang).await;
}

/// A new customer set up through the screens: /start, an ENTERPRISE plan from `admin`, the
/// test account `phone` (`+99966XYYYY`, code X five times) logged in on the keypad, `groups`
/// added, and `post` saved as the message; the Message screen is the newest.
pub(super) async fn configure(
    api: &FakeBotApi,
    admin: &Customer,
    customer: &Customer,
    lang: Lang,
    phone: &str,
    groups: &[&str],
    post: &str,
) {
    let id = customer.id;
    start_with_plan(api, admin, customer, lang, "ENTERPRISE").await;
    api.press(customer, &t(lang, "button-accounts")).unwrap();
    press_when_shown(api, customer, &t(lang, "button-add-account")).await;
    expect(
        api,
        id,
        &first_line(lang, "account-ask-phone", &Args::new()),
    )
    .await;
    api.say(customer, phone);
    let digit = &phone[6..7];
    press_when_shown(api, customer, digit).await;
    for _ in 1..5 {
        api.press(customer, digit).unwrap();
    }
    api.press(customer, "✓").unwrap();
    expect(
        api,
        id,
        &t_args(lang, "account-added", &Args::new().text("account", phone)),
    )
    .await;

    open_menu(api, customer, lang).await;
    api.press(customer, &t(lang, "button-groups")).unwrap();
    for group in groups {
        press_when_shown(api, customer, &t(lang, "button-add-group")).await;
        expect(api, id, &first_line(lang, "group-ask", &Args::new())).await;
        api.say(customer, group);
        expect(
            api,
            id,
            &t_args(lang, "group-added", &Args::new().text("group", group)),
        )
        .await;
    }

    open_menu(api, customer, lang).await;
    api.press(customer, &t(lang, "button-message")).unwrap();
    let max = Args::new().num("max", autoposter::bot::input::MAX_MESSAGE_LEN as f64);
    expect(api, id, &first_line(lang, "message-screen-empty", &max)).await;
    api.say(customer, post);
    expect(api, id, &t(lang, "message-saved")).await;
}

/// The whole journey, pressing only what the screens show: a plan from the admin, an account
/// logged in on the keypad, three groups, the post; start, status, a stop in the middle of the
/// first cycle, and the status again, which says the cycle was cut short and what was not
/// posted (ENTERPRISE, 1 account × 3 groups, 10 s apart: the stop comes after the first post).
async fn whole_journey(api: &FakeBotApi, admin: &Customer, customer: &Customer, lang: Lang) {
    let id = customer.id;
    let groups = ["@sale_group_1", "@sale_group_2", "@sale_group_3"];
    let post = "Spring sale: everything half price";
    configure(api, admin, customer, lang, "+9996611000", &groups, post).await;
    api.press(customer, &t(lang, "button-back")).unwrap();
    press_when_shown(api, customer, &t(lang, "button-start")).await;
    expect(
        api,
        id,
        t_args(lang, "started", &Args::new().text("time", "\u{1}"))
            .split('\u{1}')
            .next()
            .unwrap(),
    )
    .await;
    api.say(customer, "/status");
    expect_now(
        api,
        id,
        &[
            t(lang, "status-running"),
            t_args(lang, "status-cycle", &Args::new().num("seq", 1.0)),
            t_args(lang, "status-next-post", &Args::new().text("time", "")),
        ],
    )
    .await;
    api.say(customer, "/stop");
    expect(api, id, &t(lang, "stopped")).await;
    api.say(customer, "/status");
    expect_now(
        api,
        id,
        &[
            t(lang, "status-stopped"),
            t_args(
                lang,
                "status-last-cycle-stopped",
                &Args::new()
                    .num("seq", 1.0)
                    .num("sent", 1.0)
                    .num("failed", 0.0)
                    .num("skipped", 0.0)
                    .num("unposted", 2.0),
            ),
            t_args(lang, "status-groups-fine", &Args::new().num("count", 1.0)),
        ],
    )
    .await;
    let status = api.last(id).unwrap().text;
    for g in [2, 3] {
        assert!(status.contains(&format!("@sale_group_{g}")), "{status}");
    }
    assert!(
        !status.contains(&t_args(
            lang,
            "status-groups-all-fine",
            &Args::new().num("count", 3.0)
        )),
        "{status}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_configure_start_watch_and_stop_mid_cycle_in_english_and_russian() {
    let api = FakeBotApi::start([]).await.unwrap();
    let admin = Customer::new(1, Some("en"));
    let mut run = Run::start_with(&api, &[("AUTOPOSTER_ADMINS", "1")]);
    api.say(&admin, "/start");
    let english = Customer::new(601, Some("en"));
    let russian = Customer::new(602, Some("ru"));
    tokio::join!(
        whole_journey(&api, &admin, &english, Lang::En),
        whole_journey(&api, &admin, &russian, Lang::Ru)
    );
    assert_clean(&api.report());
    assert_eq!(run.stop(), Some(0));
}

/// A SIGTERM that arrives while a customer's /stop is still being handled: the process still
/// stops in good time (the handler in flight finishes, nothing waits for it forever).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigterm_right_after_a_customers_stop_exits_promptly() {
    let api = FakeBotApi::start([]).await.unwrap();
    let admin = Customer::new(1, Some("en"));
    let mut run = Run::start_with(
        &api,
        &[
            ("AUTOPOSTER_ADMINS", "1"),
            ("RUST_LOG", "debug,hyper=info,reqwest=info,sqlx=warn"),
        ],
    );
    let customer = Customer::new(950, Some("en"));
    let lang = Lang::En;
    configure(
        &api,
        &admin,
        &customer,
        lang,
        "+9996633001",
        &["@sale_group_1"],
        "a post",
    )
    .await;
    api.say(&customer, "/menu");
    press_when_shown(&api, &customer, &t(lang, "button-start")).await;
    let store = run.store().await;
    let mut posted = false;
    for _ in 0..120 {
        if !store.posts(customer.id).await.unwrap().is_empty() {
            posted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(posted, "never posted");
    api.say(&customer, "/stop");
    let started = std::time::Instant::now();
    unsafe { libc::kill(run.child.id() as i32, libc::SIGTERM) };
    let mut code = None;
    while started.elapsed() < Duration::from_secs(30) {
        if let Some(status) = run.child.try_wait().unwrap() {
            code = status.code();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(code, Some(0), "exited after {:?}", started.elapsed());
}
