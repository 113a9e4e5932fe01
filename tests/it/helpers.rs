//! Shared test set-up: configured customers, an observing engine, the bot's conversation rig
//! ([`BotRig`]) and what to read from its actions, PostgreSQL databases.

use std::sync::Arc;
use std::time::Duration;

use autoposter::bot::callback::{Cb, Screen};
use autoposter::bot::{Action, Control, Input, Screenful, Sender};
use autoposter::engine::{CycleReport, Engine, EngineError, EngineTasks, Observer, Restricted};
use autoposter::schedule::{
    CycleLength, DelayBetweenCycles, DelayBetweenPosts, Field, Plan, Settings,
};
use autoposter::store::Restriction;
use autoposter::store::{NewCustomer, PlanGrant, Store};
use autoposter::telegram::groups::{Groups, SimGroups};
use autoposter::telegram::login::{Login, SimLogin};
use autoposter::telegram::sim::SimTransport;
use tokio::sync::mpsc;

/// Timing settings from seconds and minutes.
pub fn settings(delay: f64, between: f64, minutes: Option<f64>) -> Settings {
    Settings {
        delay_between_posts: DelayBetweenPosts::from_secs(delay).unwrap(),
        delay_between_cycles: DelayBetweenCycles::from_secs(between).unwrap(),
        cycle_length: minutes.map(|m| CycleLength::from_minutes(m).unwrap()),
    }
}

/// A configured customer with `accounts` accounts and `groups` groups.
pub fn customer(id: i64, plan: Plan, accounts: usize, groups: usize, s: Settings) -> NewCustomer {
    NewCustomer {
        id,
        plan: PlanGrant {
            plan,
            expires_at: None,
        },
        settings: s,
        message_html: "<b>Sale</b> today".into(),
        accounts: (1..=accounts).map(|i| format!("account {i}")).collect(),
        groups: (1..=groups).map(|i| format!("@group_{i}")).collect(),
    }
}

/// What the engine told the test.
pub enum Heard {
    Cycle(CycleReport),
    Stopped(i64, String),
    Restricted(Restriction),
}

pub struct Listener(pub mpsc::UnboundedSender<Heard>);

impl Observer for Listener {
    fn cycle_finished(&self, _customer_id: i64, r: &CycleReport) {
        let _ = self.0.send(Heard::Cycle(r.clone()));
    }
    fn customer_stopped(&self, customer_id: i64, reason: &EngineError) {
        let _ = self.0.send(Heard::Stopped(customer_id, reason.to_string()));
    }
    fn restricted(&self, event: &Restricted) {
        let _ = self.0.send(Heard::Restricted(event.restriction.clone()));
    }
}

/// An engine on an in-memory store and a recording simulated transport.
pub struct Rig {
    pub engine: Engine,
    pub tasks: Option<EngineTasks>,
    pub sim: Arc<SimTransport>,
    pub store: Store,
    pub heard: mpsc::UnboundedReceiver<Heard>,
    heard_tx: mpsc::UnboundedSender<Heard>,
    /// What the engine restricted so far, in order.
    pub restricted: Vec<Restriction>,
}

impl Rig {
    pub async fn new(customers: &[NewCustomer], latency: Duration) -> Rig {
        autoposter::engine::clock::use_virtual_time();
        let store = Store::memory().await.unwrap();
        Rig::on(store, customers, latency).await
    }

    pub async fn on(store: Store, customers: &[NewCustomer], latency: Duration) -> Rig {
        store.create_customers(customers).await.unwrap();
        let sim = Arc::new(SimTransport::new(latency, true));
        let (heard_tx, heard) = mpsc::unbounded_channel();
        let (engine, tasks) = Engine::new(
            store.clone(),
            sim.clone(),
            Some(Arc::new(Listener(heard_tx.clone()))),
        );
        Rig {
            engine,
            tasks: Some(tasks),
            sim,
            store,
            heard,
            heard_tx,
            restricted: Vec::new(),
        }
    }

    /// Stops this engine as a process exit would (customers stay marked running, the post log
    /// is written) and starts a fresh one on the same store, clock and simulated Telegram:
    /// nothing the old engine kept in memory survives.
    pub async fn restart(&mut self) {
        self.finish().await;
        let clock = *self.engine.clock();
        let (engine, tasks) = Engine::with_clock(
            self.store.clone(),
            self.sim.clone(),
            Some(Arc::new(Listener(self.heard_tx.clone()))),
            clock,
        );
        self.engine = engine;
        self.tasks = Some(tasks);
    }

    /// Waits for the next finished cycle (any customer).
    pub async fn next_cycle(&mut self) -> CycleReport {
        loop {
            match self.heard.recv().await.expect("engine alive") {
                Heard::Cycle(r) => return r,
                Heard::Stopped(id, why) => panic!("customer {id} stopped: {why}"),
                Heard::Restricted(r) => self.restricted.push(r),
            }
        }
    }

    /// Stops everything and writes the post log out.
    pub async fn finish(&mut self) {
        self.engine.shutdown().await;
        if let Some(tasks) = self.tasks.take() {
            tasks.finish().await;
        }
    }
}

/// Where the PostgreSQL tests connect; `TEST_DATABASE_URL` overrides.
pub fn pg_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// A fresh PostgreSQL database for one test, dropped by [`PgDb::drop_db`]. `None` (with the
/// reason printed) when PostgreSQL is unreachable outside CI; in CI that is a failure.
pub struct PgDb {
    pub url: String,
    name: String,
}

pub async fn pg_db() -> Option<PgDb> {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let admin = pg_admin_url();
    let mut conn = match sqlx::AnyConnection::connect(&admin).await {
        Ok(c) => c,
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true but PostgreSQL is unreachable at {admin}: {e}")
        }
        Err(e) => {
            eprintln!("SKIPPED: PostgreSQL unreachable at {admin} ({e}); set TEST_DATABASE_URL");
            return None;
        }
    };
    let name = format!("autoposter_t_{}_{}", std::process::id(), fastrand::u64(..));
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    Some(PgDb {
        url: format!("{base}/{name}"),
        name,
    })
}

impl PgDb {
    pub async fn drop_db(self) {
        use sqlx::Connection;
        if let Ok(mut conn) = sqlx::AnyConnection::connect(&pg_admin_url()).await {
            let _ = sqlx::query(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn)
            .await;
            let _ = conn.close().await;
        }
    }
}

/// Reads a child process's stderr until a line containing `what`; returns the lines read.
pub fn wait_for(child: &mut std::process::Child, what: &str) -> Vec<String> {
    use std::io::BufRead;
    let stderr = child.stderr.take().unwrap();
    let mut lines = Vec::new();
    let mut reader = std::io::BufReader::new(stderr);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            panic!("the engine ended before saying {what:?}: {lines:?}");
        }
        let found = line.contains(what);
        lines.push(line);
        if found {
            // Keep draining in the background so the child never blocks on a full pipe.
            std::thread::spawn(move || {
                let mut rest = String::new();
                while reader.read_line(&mut rest).unwrap_or(0) > 0 {
                    rest.clear();
                }
            });
            return lines;
        }
    }
}

/// The customer the bot tests play.
pub(crate) const ME: i64 = 1001;
pub(crate) const MENU: i32 = 500;

pub(crate) struct BotRig {
    pub(crate) control: Control,
    pub(crate) store: Store,
    pub(crate) sim: Arc<SimTransport>,
    pub(crate) lang: Option<&'static str>,
    pub(crate) user: i64,
    /// The post-log writer, alive as long as the rig.
    _tasks: EngineTasks,
}

impl BotRig {
    pub(crate) async fn new(lang: Option<&'static str>) -> BotRig {
        BotRig::observed(lang, None).await
    }

    pub(crate) async fn observed(
        lang: Option<&'static str>,
        observer: Option<Arc<dyn Observer>>,
    ) -> BotRig {
        BotRig::built(lang, observer, Arc::new(SimLogin)).await
    }

    pub(crate) async fn built(
        lang: Option<&'static str>,
        observer: Option<Arc<dyn Observer>>,
        login: Arc<dyn Login>,
    ) -> BotRig {
        BotRig::with_seams(lang, observer, login, Arc::new(SimGroups)).await
    }

    pub(crate) async fn with_seams(
        lang: Option<&'static str>,
        observer: Option<Arc<dyn Observer>>,
        login: Arc<dyn Login>,
        groups: Arc<dyn Groups>,
    ) -> BotRig {
        autoposter::engine::clock::use_virtual_time();
        let store = Store::memory().await.unwrap();
        let sim = Arc::new(SimTransport::new(Duration::ZERO, true));
        let (engine, tasks) = Engine::new(store.clone(), sim.clone(), observer);
        let control = Control::new(store.clone(), engine, Some(login), groups)
            .with_sources(Arc::new(autoposter::telegram::source::SimSources));
        BotRig {
            control,
            store,
            sim,
            lang,
            user: ME,
            _tasks: tasks,
        }
    }

    pub(crate) fn sender(&self) -> Sender {
        Sender {
            user_id: self.user,
            language_code: self.lang.map(str::to_string),
        }
    }

    pub(crate) async fn cmd(&self, line: &str) -> Vec<Action> {
        self.text(line).await
    }

    pub(crate) async fn text(&self, text: &str) -> Vec<Action> {
        self.html(text, &autoposter::i18n::escape(text)).await
    }

    pub(crate) async fn html(&self, plain: &str, html: &str) -> Vec<Action> {
        let input = Input::Text {
            plain: plain.to_string(),
            html: html.to_string(),
            message_id: 1,
            reply_to: None,
        };
        self.control.handle(&self.sender(), input).await
    }

    pub(crate) async fn press(&self, cb: Cb) -> Vec<Action> {
        self.data(&cb.encode()).await
    }

    pub(crate) async fn data(&self, data: &str) -> Vec<Action> {
        let input = Input::Callback {
            data: data.to_string(),
            message_id: Some(MENU),
        };
        self.control.handle(&self.sender(), input).await
    }

    pub(crate) async fn grant(&self, plan: Plan, expires_at: Option<i64>) {
        self.store.ensure_customer(self.user, None).await.unwrap();
        self.store
            .set_plan(self.user, PlanGrant { plan, expires_at })
            .await
            .unwrap();
    }

    /// Message, `accounts` test accounts and `groups` groups, through the bot.
    pub(crate) async fn configure(&self, accounts: usize, groups: usize) {
        self.cmd("/start").await;
        self.press(Cb::Open(Screen::Message)).await;
        self.html("Sale today", "<b>Sale</b> today").await;
        for i in 0..accounts {
            self.press(Cb::AddAccount).await;
            let dc = i + 1;
            self.text(&format!("+99966{dc}{dc}000")).await;
            for _ in 0..5 {
                self.press(Cb::Digit(dc as u8)).await;
            }
            self.press(Cb::SubmitCode).await;
            assert_eq!(self.store.accounts(self.user).await.unwrap().len(), i + 1);
        }
        for i in 0..groups {
            self.press(Cb::AddGroup).await;
            self.text(&format!("@group_number_{i}")).await;
        }
    }

    pub(crate) async fn set_timing(&self, field: Field, value: &str) -> Vec<Action> {
        self.press(Cb::AskTiming(field)).await;
        self.text(value).await
    }
}

/// The customer's account ids, oldest first.
pub(crate) async fn account_ids(rig: &BotRig) -> Vec<i64> {
    rig.store
        .accounts(ME)
        .await
        .unwrap()
        .iter()
        .map(|a| a.id)
        .collect()
}

/// The customer's group ids, in posting order.
pub(crate) async fn group_ids(rig: &BotRig) -> Vec<i64> {
    rig.store
        .groups(ME)
        .await
        .unwrap()
        .iter()
        .map(|g| g.id)
        .collect()
}

/// The screen the bot showed last (sent or edited).
pub(crate) fn shown(actions: &[Action]) -> Screenful {
    actions
        .iter()
        .rev()
        .find_map(|a| match a {
            Action::Send(s) => Some(s.clone()),
            Action::Edit { screen, .. } => Some(screen.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no screen in {actions:?}"))
}

/// The alert or toast text of a button answer.
pub(crate) fn answered(actions: &[Action]) -> Option<String> {
    actions.iter().find_map(|a| match a {
        Action::Answer { text, .. } => text.clone(),
        _ => None,
    })
}

pub(crate) fn alert(actions: &[Action]) -> String {
    match actions
        .iter()
        .find(|a| matches!(a, Action::Answer { alert: true, .. }))
    {
        Some(Action::Answer { text: Some(t), .. }) => t.clone(),
        _ => panic!("no alert in {actions:?}"),
    }
}

pub(crate) fn buttons(screen: &Screenful) -> Vec<String> {
    screen
        .keyboard
        .iter()
        .flatten()
        .map(|b| b.data.clone())
        .collect()
}

/// The texts of the messages sent, in order.
pub(crate) fn texts(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send(s) => Some(s.text.clone()),
            _ => None,
        })
        .collect()
}

/// The texts of a screen's buttons, in order.
pub(crate) fn button_texts(screen: &Screenful) -> Vec<String> {
    screen
        .keyboard
        .iter()
        .flatten()
        .map(|b| b.text.clone())
        .collect()
}
