//! The live transport on the wire: the product's real grammers code paths (import, group
//! check, posting, Telegram's refusals, a lost answer) against the loopback data centre in
//! [`crate::dc`], on real time, with the seams `autoposter run` builds over a SQLite file.

use std::sync::Arc;
use std::time::Duration;

use autoposter::config::{KeySource, RunConfig, Secret, TelegramApp};
use autoposter::engine::{CycleReport, Engine, EngineTasks};
use autoposter::schedule::{slot_random_id, Plan};
use autoposter::serve::Seams;
use autoposter::store::{AccountStatus, Restriction, Store};
use autoposter::telegram::groups::GroupInfo;
use autoposter::vault::MasterKey;
use grammers_tl_types as tl;
use tokio::sync::mpsc;

use crate::dc::{Group, LoopbackDc, Reply};
use crate::helpers::{customer, settings, Heard, Listener};

const CUSTOMER: i64 = 31;
const API_ID: i32 = 424_242;

fn group(n: i64) -> Group {
    Group {
        channel_id: 1_700_000 + n,
        access_hash: 9_000 + n,
        username: format!("loopgroup_{n}"),
        title: format!("Loop group {n}"),
    }
}

/// A loopback DC, a SQLite file store, the seams `autoposter run` builds, and a customer
/// whose account was imported from a Telethon string and whose groups were checked through
/// that account.
struct LiveRig {
    dc: LoopbackDc,
    store: Store,
    seams: Seams,
    account_id: i64,
    /// (store group id, DC group) in posting order.
    groups: Vec<(i64, Group)>,
    checked: Vec<GroupInfo>,
    dir: std::path::PathBuf,
}

impl LiveRig {
    async fn new(groups: usize) -> LiveRig {
        LiveRig::posting(groups, "<b>Sale</b> today").await
    }

    /// A rig whose customer posts `html`.
    async fn posting(groups: usize, html: &str) -> LiveRig {
        let dc_groups: Vec<Group> = (1..=groups as i64).map(group).collect();
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
        let mut c = customer(CUSTOMER, Plan::Enterprise, 0, 0, settings(3.0, 60.0, None));
        c.groups = dc_groups
            .iter()
            .map(|g| format!("@{}", g.username))
            .collect();
        c.message_html = html.to_string();
        store.create_customers(&[c]).await.unwrap();

        // The import screen's flow: the string is parsed, the login seam proves it with a
        // request, the account is stored and adopts the session (bot.rs, typed_session).
        let session = dc.telethon_session(2);
        let imported = autoposter::telegram::import::parse(&session).unwrap();
        let signed_in = seams
            .login
            .import_session(CUSTOMER, &imported)
            .await
            .expect("the session imports");
        assert_eq!(signed_in.label, format!("+{}", crate::dc::PHONE));
        let account_id = store.add_account(CUSTOMER, &signed_in.label).await.unwrap();
        seams
            .login
            .adopt(CUSTOMER, &signed_in.label, account_id)
            .await
            .unwrap();

        // The Groups screen's flow: each group checked through the account, its peer stored.
        let stored = store.groups(CUSTOMER).await.unwrap();
        let mut checked = Vec::new();
        let mut pairs = Vec::new();
        for (g, dc_group) in stored.iter().zip(dc_groups) {
            let info = seams
                .groups
                .check(account_id, &g.reference)
                .await
                .expect("the group checks");
            store
                .save_group_peer(
                    account_id,
                    g.id,
                    info.dialog_id,
                    info.access_hash,
                    info.slow_mode_secs,
                )
                .await
                .unwrap();
            checked.push(info);
            pairs.push((g.id, dc_group));
        }
        LiveRig {
            dc,
            store,
            seams,
            account_id,
            groups: pairs,
            checked,
            dir,
        }
    }

    fn engine(&self) -> (Engine, EngineTasks, mpsc::UnboundedReceiver<Heard>) {
        let (tx, heard) = mpsc::unbounded_channel();
        let (engine, tasks) = Engine::new(
            self.store.clone(),
            self.seams.transport.clone(),
            Some(Arc::new(Listener(tx))),
        );
        (engine, tasks, heard)
    }

    /// Starts the customer on a fresh engine, waits for its first cycle, stops and writes
    /// the post log out: the report and the restrictions heard.
    async fn one_cycle(&self) -> (CycleReport, Vec<Restriction>) {
        let (engine, tasks, mut heard) = self.engine();
        let mut restricted = Vec::new();
        engine.start(CUSTOMER, None).await.unwrap();
        let report = next_cycle(&mut heard, &mut restricted).await;
        engine.shutdown().await;
        tasks.finish().await;
        self.assert_no_faults();
        (report, restricted)
    }

    /// The random_id of the slot (report's cycle, the account, `group_id`).
    async fn slot_id(&self, report: &CycleReport, group_id: i64) -> i64 {
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
    fn assert_no_faults(&self) {
        let faults = self.dc.state(|s| s.faults.clone());
        assert!(faults.is_empty(), "the loopback DC: {faults:?}");
    }
}

impl Drop for LiveRig {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The next cycle report, restrictions heard meanwhile collected.
async fn next_cycle(
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
    let rig = LiveRig::new(2).await;

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
    // The session is stored, sealed: it opens for the account.
    assert!(rig
        .store
        .load_session(rig.account_id)
        .await
        .unwrap()
        .is_some());
    // The groups as Telegram described them through the account.
    for (info, (_, g)) in rig.checked.iter().zip(&rig.groups) {
        assert_eq!(info.dialog_id, g.dialog_id());
        assert_eq!(info.access_hash, g.access_hash);
        assert_eq!(info.title, g.title);
        assert_eq!(info.slow_mode_secs, None);
    }

    let (report, restricted) = rig.one_cycle().await;
    assert_eq!(report.tally.sent, 2, "{report:?}");
    assert!(restricted.is_empty(), "{restricted:?}");

    let sent = rig.sent_requests();
    assert_eq!(sent.len(), 2);
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
        let (rig, name) = match cause {
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
    let rig = LiveRig::new(1).await;
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
    let rig = LiveRig::new(1).await;
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
