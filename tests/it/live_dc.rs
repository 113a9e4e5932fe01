//! The live transport on the wire: the product's real grammers code paths (import, group
//! check, posting, Telegram's refusals, a lost answer) against the loopback data centre in
//! [`crate::dc`], on real time, with the seams `autoposter run` builds over a SQLite file.

use std::sync::Arc;
use std::time::Duration;

use autoposter::bot::callback::Cb;
use autoposter::bot::{Control, Input, Sender};
use autoposter::config::{KeySource, RunConfig, Secret, TelegramApp};
use autoposter::engine::{CycleReport, Engine, EngineTasks};
use autoposter::schedule::{slot_random_id, Plan};
use autoposter::store::{AccountStatus, Restriction, Store};
use autoposter::vault::MasterKey;
use grammers_tl_types as tl;
use tokio::sync::mpsc;

use crate::dc::{Group, LoopbackDc, Reply};
use crate::helpers::{customer, settings, Heard, Listener};

pub(crate) const CUSTOMER: i64 = 31;
const API_ID: i32 = 424_242;

pub(crate) fn group(n: i64) -> Group {
    Group {
        channel_id: 1_700_000 + n,
        access_hash: 9_000 + n,
        username: Some(format!("loopgroup_{n}")),
        title: format!("Loop group {n}"),
        slow_mode_secs: None,
        topics: None,
        default_banned: Vec::new(),
    }
}

/// A private group: no username, so it is added by its numeric id.
fn private_group(n: i64) -> Group {
    Group {
        username: None,
        ..group(n)
    }
}

/// A loopback DC, a SQLite file store, the seams `autoposter run` builds and the control bot
/// over them, and a customer whose account was imported from a Telethon string and whose
/// groups were added (checked through that account) on the bot's screens.
pub(crate) struct LiveRig {
    pub(crate) dc: LoopbackDc,
    pub(crate) store: Store,
    pub(crate) engine: Engine,
    control: Control,
    pub(crate) tasks: Option<EngineTasks>,
    pub(crate) heard: mpsc::UnboundedReceiver<Heard>,
    /// The Message screen's seam for source chats (the live transport).
    pub(crate) sources: Arc<dyn autoposter::telegram::source::Sources>,
    pub(crate) account_id: i64,
    /// (store group id, DC group) in posting order.
    pub(crate) groups: Vec<(i64, Group)>,
    /// What the bot answered to the session string and to each group.
    answers: Vec<String>,
    dir: std::path::PathBuf,
}

impl LiveRig {
    async fn new(groups: usize) -> LiveRig {
        LiveRig::posting(groups, "<b>Sale</b> today").await
    }

    /// A rig whose customer posts `html` (set in the store: the bot would refuse some).
    async fn posting(groups: usize, html: &str) -> LiveRig {
        let dc_groups: Vec<Group> = (1..=groups as i64).map(group).collect();
        LiveRig::build(dc_groups, groups, html, 60.0).await
    }

    /// A rig whose account is in `dc_groups`; the first `added` are added on the Groups
    /// screen by their [`Group::reference`].
    /// The customer pauses `between_cycles` seconds between cycles.
    pub(crate) async fn build(
        dc_groups: Vec<Group>,
        added: usize,
        html: &str,
        between_cycles: f64,
    ) -> LiveRig {
        let dc = LoopbackDc::start(dc_groups.clone()).await;
        let dir = std::env::temp_dir().join(format!("autoposter-dc-{}", fastrand::u64(..)));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite:{}", dir.join("live.db").display());
        let store = Store::connect(&url).await.unwrap();
        let config = RunConfig {
            database_url: Secret::new(&url),
            bot_token: None,
            bot_api_url: None,
            simulated_accounts: false,
            sim_latency: Duration::ZERO,
            sim_ledger: None,
            telegram_app: Some(TelegramApp {
                api_id: API_ID,
                api_hash: Secret::new("loopback-api-hash"),
            }),
            master_key: KeySource::Given {
                key: Secret::new(MasterKey::generate_base64()),
                version: 1,
            },
            previous_master_key: None,
            admins: Vec::new(),
            catalog: Default::default(),
            metrics_addr: None,
            lease_ttl: Duration::from_secs(30),
        };
        let seams = autoposter::serve::seams(&config, &store).await.unwrap();
        let mut c = customer(
            CUSTOMER,
            Plan::Enterprise,
            0,
            0,
            settings(3.0, between_cycles, None),
        );
        c.message_html = html.to_string();
        store.create_customers(&[c]).await.unwrap();
        let (tx, heard) = mpsc::unbounded_channel();
        let (engine, tasks) = Engine::new(
            store.clone(),
            seams.transport.clone(),
            Some(Arc::new(Listener(tx))),
        );
        let control = Control::new(
            store.clone(),
            engine.clone(),
            Some(seams.login.clone()),
            seams.groups.clone(),
        );
        let say = |input: Input| say(&control, input);
        // The import screen: the string is pasted, the login seam proves it with a request,
        // the account is stored and adopts the session.
        let mut answers = Vec::new();
        say(press(Cb::ImportSession)).await;
        answers.push(say(typed(&dc.telethon_session(2), 10)).await);
        let accounts = store.accounts(CUSTOMER).await.unwrap();
        assert_eq!(accounts.len(), 1, "{answers:?}");
        assert_eq!(accounts[0].label, format!("+{}", crate::dc::PHONE));
        let account_id = accounts[0].id;

        // The Groups screen: each group checked through the account, its peer stored.
        for g in &dc_groups[..added] {
            say(press(Cb::AddGroup)).await;
            answers.push(say(typed(&g.reference(), 11)).await);
        }
        let stored = store.groups(CUSTOMER).await.unwrap();
        assert_eq!(stored.len(), added, "{answers:?}");
        let pairs = stored.iter().map(|g| g.id).zip(dc_groups).collect();
        LiveRig {
            dc,
            store,
            engine,
            control,
            tasks: Some(tasks),
            heard,
            sources: seams.sources.clone(),
            account_id,
            groups: pairs,
            answers,
            dir,
        }
    }

    /// Starts the customer, waits for its first cycle, stops the engine and writes the post
    /// log out: the report and the restrictions heard.
    pub(crate) async fn one_cycle(&mut self) -> (CycleReport, Vec<Restriction>) {
        let mut restricted = Vec::new();
        self.engine.start(CUSTOMER, None).await.unwrap();
        let report = next_cycle(&mut self.heard, &mut restricted).await;
        self.engine.shutdown().await;
        self.tasks.take().expect("one cycle per rig").finish().await;
        self.assert_no_faults();
        (report, restricted)
    }

    /// The random_id of the slot (report's cycle, the account, `group_id`).
    pub(crate) async fn slot_id(&self, report: &CycleReport, group_id: i64) -> i64 {
        let key = self
            .store
            .snapshot(CUSTOMER)
            .await
            .unwrap()
            .unwrap()
            .post_key
            .unwrap();
        slot_random_id(key, report.seq, self.account_id, group_id)
    }

    fn sent_requests(&self) -> Vec<(usize, tl::functions::messages::SendMessage)> {
        self.dc.state(|s| {
            s.named("messages.sendMessage")
                .iter()
                .map(|r| (r.connection, r.decode()))
                .collect()
        })
    }
}

impl LiveRig {
    /// Every byte the client sent was understood by the data centre.
    pub(crate) fn assert_no_faults(&self) {
        let faults = self.dc.state(|s| s.faults.clone());
        assert!(faults.is_empty(), "the loopback DC: {faults:?}");
    }
}

impl Drop for LiveRig {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What the bot answers the customer (in en), as text.
async fn say(control: &Control, input: Input) -> String {
    let sender = Sender {
        user_id: CUSTOMER,
        language_code: Some("en".into()),
    };
    format!("{:?}", control.handle(&sender, input).await)
}

fn press(cb: Cb) -> Input {
    Input::Callback {
        data: cb.encode(),
        message_id: Some(1),
    }
}

fn typed(text: &str, message_id: i32) -> Input {
    Input::Text {
        plain: text.to_string(),
        html: autoposter::i18n::escape(text),
        message_id,
        reply_to: None,
    }
}

/// The next cycle report, restrictions heard meanwhile collected.
pub(crate) async fn next_cycle(
    heard: &mut mpsc::UnboundedReceiver<Heard>,
    restricted: &mut Vec<Restriction>,
) -> CycleReport {
    loop {
        let next = tokio::time::timeout(Duration::from_secs(15), heard.recv())
            .await
            .expect("a cycle within 15 s")
            .expect("engine alive");
        match next {
            Heard::Cycle(report) => return report,
            Heard::Stopped(id, why) => panic!("customer {id} stopped: {why}"),
            Heard::Restricted(r) => restricted.push(r),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_telethon_session_imports_checks_groups_and_posts_on_schedule_over_mtproto() {
    let mut rig = LiveRig::new(2).await;
    assert!(
        rig.answers[0].contains("Account +15550001111 added."),
        "{}",
        rig.answers[0]
    );
    for (answer, (_, g)) in rig.answers[1..].iter().zip(&rig.groups) {
        assert!(
            answer.contains(&format!("{} added.", g.reference())),
            "{answer}"
        );
    }

    // The import went over the wire: initConnection with our app, then users.getUsers.
    let (api_ids, names) = rig.dc.state(|s| {
        (
            s.api_ids.clone(),
            s.requests.iter().map(|r| r.name).collect::<Vec<_>>(),
        )
    });
    assert!(api_ids.iter().all(|&id| id == API_ID), "{api_ids:?}");
    assert_eq!(names[..2], ["help.getConfig", "users.getUsers"]);
    assert_eq!(
        rig.dc.state(|s| s.named("contacts.resolveUsername").len()),
        2
    );
    // The session is stored, sealed.
    assert!(rig
        .store
        .load_session(rig.account_id)
        .await
        .unwrap()
        .is_some());
    // Each group's peer as Telegram described it to the account.
    for (group_id, g) in &rig.groups {
        assert_eq!(
            rig.store
                .group_peer(rig.account_id, *group_id)
                .await
                .unwrap(),
            Some((g.dialog_id(), g.access_hash))
        );
    }

    let (report, restricted) = rig.one_cycle().await;
    assert_eq!(report.tally.sent, 2, "{report:?}");
    assert!(restricted.is_empty(), "{restricted:?}");

    let sent = rig.sent_requests();
    assert_eq!(sent.len(), 2);
    // The import's connection closed when the account adopted the session; the posts went
    // on a connection the transport opened from the session sealed in the store.
    let import = rig.dc.state(|s| s.named("users.getUsers")[0].connection);
    assert!(sent.iter().all(|(connection, _)| *connection != import));
    let (want_text, want_entities) =
        autoposter::telegram::live::text_and_entities("<b>Sale</b> today");
    assert_eq!(want_text, "Sale today");
    for ((_, request), (group_id, g)) in sent.iter().zip(&rig.groups) {
        match &request.peer {
            tl::enums::InputPeer::Channel(c) => {
                assert_eq!((c.channel_id, c.access_hash), (g.channel_id, g.access_hash))
            }
            other => panic!("peer {other:?}"),
        }
        assert_eq!(request.random_id, rig.slot_id(&report, *group_id).await);
        assert_eq!(request.message, want_text);
        assert_eq!(request.entities, want_entities);
        assert!(matches!(
            request.entities.as_deref(),
            Some([tl::enums::MessageEntity::Bold(b)]) if b.offset == 0 && b.length == 4
        ));
        assert!(!request.silent && !request.no_webpage && request.reply_to.is_none());
    }
    let rows = rig.store.posts(CUSTOMER).await.unwrap();
    assert_eq!(rows.len(), 2);
    for (row, (_, request)) in rows.iter().zip(&sent) {
        assert_eq!(row.outcome, "sent", "{row:?}");
        assert_eq!(row.random_id, request.random_id);
        assert_eq!(row.account_id, rig.account_id);
    }
    let posted = rig.dc.state(|s| s.posted.clone());
    assert_eq!(posted.len(), 2);
    assert!(posted.iter().all(|p| p.request.message == "Sale today"));
}

/// How a refusal is brought about.
enum Cause {
    /// The DC answers the send with this error.
    Scripted(i32, &'static str),
    /// The DC refuses what the customer posts, as Telegram would.
    Posting(String),
}

/// What one refusal must leave behind.
enum Expect {
    Outcome(&'static str),
    AccountWait(u64),
    PairWait(u64),
    PairBlock,
    Quarantined,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_telegram_refusal_on_the_wire_has_its_effect_end_to_end() {
    use Cause::{Posting, Scripted};
    let cases = [
        (Scripted(420, "FLOOD_WAIT_30"), Expect::AccountWait(30)),
        (Scripted(420, "SLOWMODE_WAIT_60"), Expect::PairWait(60)),
        (
            Scripted(400, "RANDOM_ID_DUPLICATE"),
            Expect::Outcome("sent"),
        ),
        (Scripted(401, "AUTH_KEY_UNREGISTERED"), Expect::Quarantined),
        (Scripted(403, "CHAT_WRITE_FORBIDDEN"), Expect::PairBlock),
        (Scripted(400, "PEER_FLOOD"), Expect::Quarantined),
        // Over Telegram's 4096 characters: the request also goes gzip_packed.
        (Posting("x".repeat(5000)), Expect::Outcome("rejected")),
    ];
    for (cause, expect) in cases {
        let (mut rig, name) = match cause {
            Scripted(code, name) => {
                let rig = LiveRig::new(1).await;
                rig.dc
                    .script("messages.sendMessage", Reply::Error(code, name.into()));
                (rig, name)
            }
            Posting(html) => (LiveRig::posting(1, &html).await, "MESSAGE_TOO_LONG"),
        };
        let (group_id, _) = rig.groups[0];
        let before = now_ms();
        let (report, restricted) = rig.one_cycle().await;

        let sent = rig.sent_requests();
        assert_eq!(sent.len(), 1, "{name}: one request, no retry");
        assert_eq!(sent[0].1.random_id, rig.slot_id(&report, group_id).await);
        assert!(rig.dc.state(|s| s.posted.is_empty()), "{name}");
        let rows = rig.store.posts(CUSTOMER).await.unwrap();
        assert_eq!(rows.len(), 1, "{name}: {rows:?}");
        let account = rig.store.accounts(CUSTOMER).await.unwrap().remove(0);
        match expect {
            Expect::Outcome(outcome) => {
                assert_eq!(rows[0].outcome, outcome, "{name}: {rows:?}");
                if outcome == "rejected" {
                    let error = rows[0].error.as_deref().unwrap_or_default();
                    assert!(error.ends_with(name), "{rows:?}");
                    assert!(rig.dc.state(|s| s.named("messages.sendMessage")[0].packed));
                }
                assert!(restricted.is_empty(), "{name}: {restricted:?}");
                assert_eq!(account.status, AccountStatus::Active);
            }
            Expect::AccountWait(secs) => {
                let waits = rig.store.account_waits(CUSTOMER).await.unwrap();
                assert_eq!(waits.len(), 1, "{name}: {waits:?}");
                let (account_id, until) = waits[0];
                assert_eq!(account_id, rig.account_id);
                assert_within(until, before, secs, name);
                assert!(matches!(restricted[..], [Restriction::AccountWait { .. }]));
            }
            Expect::PairWait(secs) => {
                let waits = rig.store.pair_waits(CUSTOMER).await.unwrap();
                assert_eq!(waits.len(), 1, "{name}: {waits:?}");
                let (account_id, group, until) = waits[0];
                assert_eq!((account_id, group), (rig.account_id, group_id));
                assert_within(until, before, secs, name);
            }
            Expect::PairBlock => {
                let blocks = rig.store.pair_blocks(CUSTOMER).await.unwrap();
                assert_eq!(blocks.len(), 1, "{name}: {blocks:?}");
                assert_eq!(
                    (blocks[0].account_id, blocks[0].group_id),
                    (rig.account_id, group_id)
                );
            }
            Expect::Quarantined => {
                assert_eq!(account.status, AccountStatus::Quarantined, "{name}");
            }
        }
    }
}

/// A persisted "not before" `secs` from the send (allowing for the time the test took).
fn assert_within(until_ms: i64, before_ms: i64, secs: u64, name: &str) {
    let after = now_ms();
    let secs = secs as i64 * 1000;
    assert!(
        until_ms >= before_ms + secs && until_ms <= after + secs,
        "{name}: until {until_ms} not {secs} ms after [{before_ms}, {after}]"
    );
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_is_sent_again_with_the_same_random_id_and_posts_once() {
    let mut rig = LiveRig::new(1).await;
    // Telegram posts the message, then the connection dies before the answer arrives.
    rig.dc.script("messages.sendMessage", Reply::Drop);
    let (group_id, _) = rig.groups[0];
    let (report, _) = rig.one_cycle().await;

    let sent = rig.sent_requests();
    assert_eq!(sent.len(), 2, "one send, one re-send");
    let id = rig.slot_id(&report, group_id).await;
    assert!(sent.iter().all(|(_, r)| r.random_id == id));
    assert_ne!(sent[0].0, sent[1].0, "the re-send came on a new connection");
    assert_eq!(rig.dc.state(|s| s.posted.len()), 1, "posted exactly once");
    let rows = rig.store.posts(CUSTOMER).await.unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!((rows[0].outcome.as_str(), rows[0].random_id), ("sent", id));
    assert_eq!(report.tally.sent, 1);
}

/// Everything logged at any level while a session is imported and a post goes out (grammers'
/// own logs included): neither the session string nor the auth key, in any spelling.
#[tokio::test]
async fn nothing_secret_reaches_the_logs_on_the_wire() {
    // A current-thread runtime: every task (grammers', the DC's, the engine's) logs into the
    // subscriber set on this thread.
    let captured = Logs::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _scoped = tracing::subscriber::set_default(subscriber);
    let mut rig = LiveRig::new(1).await;
    let (report, _) = rig.one_cycle().await;
    assert_eq!(report.tally.sent, 1);

    let logs = String::from_utf8_lossy(&captured.0.lock().unwrap()).to_string();
    assert!(
        logs.contains("req_name=\"messages.sendMessage\""),
        "the capture saw grammers' traffic: {logs}"
    );
    let session = rig.dc.telethon_session(2);
    let key = rig.dc.auth_key;
    let hex: String = key[..8].iter().map(|b| format!("{b:02x}")).collect();
    let debug = format!("{:?}", &key[..6]);
    let debug = &debug[1..debug.len() - 1];
    assert!(
        !logs.contains(&session[1..41]),
        "session string in the logs"
    );
    assert!(
        !logs.to_lowercase().contains(&hex),
        "auth key (hex) in the logs"
    );
    assert!(!logs.contains(debug), "auth key (bytes) in the logs");
}

/// A log sink for one test.
#[derive(Clone, Default)]
struct Logs(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The peer a `messages.sendMessage` went to, as (channel id, access hash).
fn channel_of(request: &tl::functions::messages::SendMessage) -> (i64, i64) {
    match &request.peer {
        tl::enums::InputPeer::Channel(c) => (c.channel_id, c.access_hash),
        other => panic!("peer {other:?}"),
    }
}

/// A private group typed by its numeric id is found among the account's dialogs
/// (`messages.getDialogs`, no username to resolve); "Pick from my groups" lists the account's
/// other groups from the same call, and the picked one is checked and added the same way.
/// Both are then posted to with the access hash the dialogs gave.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_added_by_numeric_id_and_picked_from_the_accounts_groups_come_from_its_dialogs() {
    let typed_in = private_group(1);
    let picked = private_group(2);
    let mut rig = LiveRig::build(vec![typed_in.clone(), picked.clone()], 1, "Sale", 60.0).await;
    let id = typed_in.dialog_id().to_string();
    assert!(
        rig.answers[1].contains(&format!("{id} added.")),
        "{}",
        rig.answers[1]
    );
    assert_eq!(rig.dc.state(|s| s.named("messages.getDialogs").len()), 1);
    assert!(rig
        .dc
        .state(|s| s.named("contacts.resolveUsername").is_empty()));

    // The pick list: the account's groups not yet added, from its dialogs.
    let list = say(&rig.control, press(Cb::PickGroups)).await;
    assert!(list.contains(&picked.title), "{list}");
    assert!(!list.contains(&typed_in.title), "{list}");
    let added = say(&rig.control, press(Cb::PickGroup(picked.dialog_id()))).await;
    assert!(
        added.contains(&format!("{} added.", picked.dialog_id())),
        "{added}"
    );
    // Listed, listed again at the tap, then checked by id.
    assert_eq!(rig.dc.state(|s| s.named("messages.getDialogs").len()), 4);
    assert!(rig
        .dc
        .state(|s| s.named("channels.getFullChannel").is_empty()));

    let stored = rig.store.groups(CUSTOMER).await.unwrap();
    let expected = [&typed_in, &picked];
    assert_eq!(
        stored
            .iter()
            .map(|g| g.reference.clone())
            .collect::<Vec<_>>(),
        expected.map(|g| g.reference())
    );
    for (row, g) in stored.iter().zip(expected) {
        assert_eq!(
            rig.store.group_peer(rig.account_id, row.id).await.unwrap(),
            Some((g.dialog_id(), g.access_hash))
        );
    }

    let (report, _) = rig.one_cycle().await;
    assert_eq!(report.tally.sent, 2, "{report:?}");
    let mut peers: Vec<_> = rig
        .sent_requests()
        .iter()
        .map(|(_, r)| channel_of(r))
        .collect();
    peers.sort();
    assert_eq!(
        peers,
        expected.map(|g| (g.channel_id, g.access_hash)).to_vec()
    );
}

/// A group in slow mode: the check asks Telegram for the group's full description
/// (`channels.getFullChannel`, with the account's access hash) and the bot tells the
/// customer the slow mode it found.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_in_slow_mode_is_checked_for_its_interval_and_the_bot_says_it() {
    let slow = Group {
        slow_mode_secs: Some(45),
        ..group(1)
    };
    let rig = LiveRig::build(vec![slow.clone()], 1, "Sale", 60.0).await;
    let answer = &rig.answers[1];
    assert!(answer.contains("@loopgroup_1 added."), "{answer}");
    assert!(
        answer.contains("Slow mode there: one post every 45 s per account."),
        "{answer}"
    );
    let asked = rig.dc.state(|s| s.named("channels.getFullChannel"));
    assert_eq!(asked.len(), 1);
    let request: tl::functions::channels::GetFullChannel = asked[0].decode();
    match request.channel {
        tl::enums::InputChannel::Channel(c) => {
            assert_eq!(
                (c.channel_id, c.access_hash),
                (slow.channel_id, slow.access_hash)
            )
        }
        other => panic!("channel {other:?}"),
    }
    rig.assert_no_faults();
}

/// The engine's warm-up on the wire, on tokio's paused clock (a 20-minute pause between
/// cycles is skipped, not waited; loopback I/O still runs): after cycle 1 the account is
/// released (its connection closed), and before cycle 2's post it is connected again and
/// asks `updates.getState` (the warm-up), on the connection the post then goes on; cycle 2
/// starts when it is due.
#[tokio::test(start_paused = true)]
async fn over_a_long_pause_the_account_is_released_and_warmed_up_before_the_next_cycle() {
    autoposter::engine::clock::use_virtual_time();
    let mut rig = LiveRig::build(vec![group(1)], 1, "Sale", 1200.0).await;
    rig.engine.start(CUSTOMER, None).await.unwrap();
    let mut reports = Vec::new();
    while reports.len() < 2 {
        let next = tokio::time::timeout(Duration::from_secs(3600), rig.heard.recv())
            .await
            .expect("two cycles within the hour")
            .expect("engine alive");
        match next {
            Heard::Cycle(report) => reports.push(report),
            Heard::Stopped(id, why) => panic!("customer {id} stopped: {why}"),
            Heard::Restricted(r) => panic!("restricted: {r:?}"),
        }
    }
    rig.engine.shutdown().await;
    rig.tasks.take().unwrap().finish().await;
    rig.assert_no_faults();
    let due = reports[0].ended + Duration::from_secs(1200);
    assert!(reports[1].start >= due, "{:?}", reports[1]);
    assert!(
        reports[1].start - due < Duration::from_secs(1),
        "cycle 2 on time: {:?}",
        reports[1].start - due
    );
    assert_eq!(reports[1].tally.sent, 1, "{:?}", reports[1]);
    assert!(
        reports[1].max_lateness < Duration::from_secs(1),
        "{:?}",
        reports[1]
    );

    let requests = rig.dc.state(|s| s.requests.clone());
    let sends: Vec<_> = requests
        .iter()
        .enumerate()
        .filter(|(_, r)| r.name == "messages.sendMessage")
        .collect();
    assert_eq!(sends.len(), 2, "one post per cycle");
    let ((first_at, first), (second_at, second)) = (sends[0], sends[1]);
    assert_ne!(
        first.connection, second.connection,
        "the account was disconnected over the pause"
    );
    // grammers opens a connection with help.getConfig; the warm-up's own request follows.
    let before_post: Vec<_> = requests[first_at..second_at]
        .iter()
        .filter(|r| r.connection == second.connection)
        .map(|r| r.name)
        .collect();
    assert_eq!(
        before_post,
        ["help.getConfig", "updates.getState"],
        "connected and warmed up before cycle 2's post"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forum_topic_link_and_a_groups_default_rights_are_read_over_mtproto_and_the_post_goes_into_the_topic(
) {
    let forum = Group {
        topics: Some(vec![
            (1, "General".to_string(), false),
            (5, "Deals & offers".to_string(), false),
            (7, "Old".to_string(), true),
        ]),
        ..group(1)
    };
    let no_photos = Group {
        default_banned: vec!["send_photos"],
        ..group(2)
    };
    let mut rig = LiveRig::build(vec![forum.clone(), no_photos.clone()], 0, "Sale", 60.0).await;
    let say = |input| say(&rig.control, input);
    // A closed topic's link is refused and changes nothing; t.me/name/N with N no topic of
    // the forum is a message link: the group is added and its topics offered.
    say(press(Cb::AddGroup)).await;
    let closed = say(typed("https://t.me/loopgroup_1/7", 12)).await;
    assert!(closed.contains("The topic “Old” is closed"), "{closed}");
    assert!(rig.store.groups(CUSTOMER).await.unwrap().is_empty());
    let added = say(typed("https://t.me/loopgroup_1/5", 13)).await;
    assert!(
        added.contains("@loopgroup_1 added: posts go into its topic “Deals &amp; offers”."),
        "{added}"
    );
    say(press(Cb::AddGroup)).await;
    let banned = say(typed("@loopgroup_2", 14)).await;
    assert!(banned.contains("@loopgroup_2 added."), "{banned}");
    assert!(
        banned.contains("Its rights forbid members to send photos"),
        "{banned}"
    );
    let stored = rig.store.groups(CUSTOMER).await.unwrap();
    let view: Vec<_> = (stored.iter())
        .map(|g| {
            (
                g.reference.as_str(),
                g.forum,
                g.topic,
                g.topic_title.as_deref(),
                g.media_bans.names(),
            )
        })
        .collect();
    assert_eq!(
        view,
        [
            (
                "@loopgroup_1",
                true,
                Some(5),
                Some("Deals & offers"),
                Vec::<&str>::new()
            ),
            ("@loopgroup_2", false, None, None, vec!["photos"]),
        ]
    );
    // messages.getForumTopics went out for the forum's peer, with the account's access hash.
    let asked: Vec<tl::functions::messages::GetForumTopics> = rig.dc.state(|s| {
        s.named("messages.getForumTopics")
            .iter()
            .map(|r| r.decode())
            .collect()
    });
    assert_eq!(asked.len(), 2, "one per link typed");
    for request in &asked {
        let tl::enums::InputPeer::Channel(peer) = &request.peer else {
            panic!("{:?}", request.peer);
        };
        assert_eq!(
            (peer.channel_id, peer.access_hash),
            (forum.channel_id, forum.access_hash)
        );
    }
    // 🧵 on the list shows the forum's topics through the account: General first, the others
    // in Telegram's order, the deleted one left out, the closed one locked, the current one
    // marked.
    let sender = Sender {
        user_id: CUSTOMER,
        language_code: Some("en".into()),
    };
    let picker = (rig.control)
        .handle(&sender, press(Cb::Topics(stored[0].id)))
        .await;
    let buttons: Vec<String> = picker
        .iter()
        .flat_map(|a| match a {
            autoposter::bot::Action::Edit { screen, .. } => screen
                .keyboard
                .iter()
                .flatten()
                .map(|b| b.text.clone())
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    assert_eq!(
        buttons,
        [
            "🧵 General (main chat)",
            "🔒 Old",
            "✅ Deals & offers",
            "« Back"
        ]
    );
    // The post goes into the topic: reply_to with top_msg_id 5; the other group plainly.
    let (report, _) = rig.one_cycle().await;
    assert_eq!(report.tally.sent, 2, "{report:?}");
    let sent = rig.sent_requests();
    let reply_of = |channel_id: i64| {
        let (_, request) = sent
            .iter()
            .find(|(_, r)| channel_of(r).0 == channel_id)
            .expect("sent");
        match &request.reply_to {
            Some(tl::enums::InputReplyTo::Message(m)) => Some((m.reply_to_msg_id, m.top_msg_id)),
            None => None,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(reply_of(forum.channel_id), Some((5, Some(5))));
    assert_eq!(reply_of(no_photos.channel_id), None);
}
