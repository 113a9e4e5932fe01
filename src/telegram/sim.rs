//! The simulated transport: every post "succeeds" after a configurable latency unless an
//! outcome was injected for it (any [`Outcome`]: a flood wait, a group refusing media or
//! asking for payment, a closed topic, a stale media reference, …). It can record every send
//! (instant, account, group, random ids, what it carried: kind, items, topic, silent) so tests
//! can compare what was posted, and when, with what the schedule says. While
//! recording it also behaves like Telegram with a `random_id` it has already posted from that
//! account: nothing is posted again and the send counts as sent (RANDOM_ID_DUPLICATE).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::{BoxFuture, Content, ContentKind, Outcome, Post, Transport, UploadedHandle};
use crate::schedule::content::{ForwardSource, MediaItem, Sha256};
use crate::store::MediaFile;

/// One send as the simulated Telegram saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    /// When the send started (tokio's clock, so exact under a paused clock).
    pub at: Instant,
    pub account_id: i64,
    pub group_id: i64,
    pub random_id: i64,
    pub html: String,
    /// What the post was: text (media kinds join it).
    pub kind: ContentKind,
    /// One random id per item, in order (`item_ids[0] == random_id`).
    pub item_ids: Vec<i64>,
    /// The topic it went into (`None`: the main chat, the General topic included).
    pub topic: Option<i32>,
    pub silent: bool,
    /// The hash of each media item, in order (none for a text).
    pub media: Vec<Sha256>,
    /// The source chat and messages of a forward or copy (`kind` says which).
    pub source: Option<ForwardSource>,
}

/// One upload as the simulated Telegram saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upload {
    /// When the upload started.
    pub at: Instant,
    pub account_id: i64,
    pub sha256: Sha256,
    pub size: u64,
    /// The name and MIME type the file was uploaded with.
    pub name: Option<String>,
    pub mime: Option<String>,
}

/// Which sends an injected outcome applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// Every group of this account.
    Account(i64),
    /// This account in this group.
    Slot { account_id: i64, group_id: i64 },
}

/// A simulated Telegram. Cheap per send: one lookup when outcomes are injected, one push when
/// recording is on, one sleep for the latency.
pub struct SimTransport {
    latency: Duration,
    record: bool,
    injected: Mutex<HashMap<Target, VecDeque<Outcome>>>,
    /// Sends whose post is made but whose answer is lost (a network error after posting).
    lost_answers: Mutex<HashMap<Target, usize>>,
    sent: Mutex<Vec<Sent>>,
    /// (account, random id) of every post made, while recording.
    posted: Mutex<HashSet<(i64, i64)>>,
    /// Sends that repeated a posted random id: nothing was posted for them.
    duplicates: Mutex<Vec<Sent>>,
    released: Mutex<Vec<i64>>,
    /// A file that outlives the process and is shared by every engine process using it:
    /// every post made, one line each.
    ledger: Option<Mutex<Ledger>>,
    /// (when, account) of every connection prepared ahead of a cycle.
    prepared: Mutex<Vec<(Instant, i64)>>,
    /// (when, account, chat) of every source chat looked up ahead.
    sources_prepared: Mutex<Vec<(Instant, i64, String)>>,
    /// How long an upload takes (ns).
    upload_latency: std::sync::atomic::AtomicU64,
    /// The files each account holds an upload of.
    uploaded: Mutex<HashSet<(i64, Sha256)>>,
    /// Every upload, in order.
    uploads: Mutex<Vec<Upload>>,
    /// Sends that carried a file their account had not uploaded (answered StaleFile).
    not_uploaded: Mutex<usize>,
}

impl SimTransport {
    /// A transport whose sends take `latency`; `record` keeps a log of every send.
    pub fn new(latency: Duration, record: bool) -> Self {
        Self {
            latency,
            record,
            injected: Mutex::new(HashMap::new()),
            lost_answers: Mutex::new(HashMap::new()),
            sent: Mutex::new(Vec::new()),
            posted: Mutex::new(HashSet::new()),
            duplicates: Mutex::new(Vec::new()),
            released: Mutex::new(Vec::new()),
            ledger: None,
            prepared: Mutex::new(Vec::new()),
            sources_prepared: Mutex::new(Vec::new()),
            upload_latency: std::sync::atomic::AtomicU64::new(latency.as_nanos() as u64),
            uploaded: Mutex::new(HashSet::new()),
            uploads: Mutex::new(Vec::new()),
            not_uploaded: Mutex::new(0),
        }
    }

    /// Uploads take `latency` from now on (by default, a send's).
    pub fn set_upload_latency(&self, latency: Duration) {
        (self.upload_latency).store(
            latency.as_nanos() as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    /// Every upload so far, in order.
    pub fn uploads(&self) -> Vec<Upload> {
        self.uploads.lock().expect("sim lock").clone()
    }

    /// How many sends carried a file their account had not uploaded (each answered
    /// StaleFile, as Telegram answers a reference it doesn't know). Zero when the engine
    /// uploads before it sends.
    pub fn not_uploaded(&self) -> usize {
        *self.not_uploaded.lock().expect("sim lock")
    }

    /// The account's uploads of the post's files are all there; else the send is answered
    /// StaleFile.
    fn holds_files(&self, post: &Post<'_>) -> bool {
        let files = post.content.media();
        if files.is_empty() {
            return true;
        }
        let uploaded = self.uploaded.lock().expect("sim lock");
        let all = (files.iter()).all(|f| uploaded.contains(&(post.account_id, f.sha256)));
        drop(uploaded);
        if !all {
            *self.not_uploaded.lock().expect("sim lock") += 1;
        }
        all
    }

    /// A stale reference: the account's uploads of the post's files are gone (the next send
    /// needs them uploaded again).
    fn forget_files(&self, post: &Post<'_>) {
        let mut uploaded = self.uploaded.lock().expect("sim lock");
        for f in post.content.media() {
            uploaded.remove(&(post.account_id, f.sha256));
        }
    }

    /// The next send matching `target` ends with `outcome` instead of `Sent` (queued: inject
    /// several to script a sequence). A slot's own queue wins over its account's.
    pub fn inject(&self, target: Target, outcome: Outcome) {
        self.injected
            .lock()
            .expect("sim lock")
            .entry(target)
            .or_default()
            .push_back(outcome);
    }

    /// A simulated Telegram that remembers across processes: every post is appended to
    /// `path` (created if missing) before it is answered, as `account,group,random_id,pid,
    /// unix_ms,repeated` (every request: `repeated` is 1 when the id was already posted from
    /// that account, and nothing was posted); the posts already there, and those other processes append meanwhile, count
    /// as made (a repeated random id is answered like RANDOM_ID_DUPLICATE). Several engine
    /// processes can share it (each re-reads before appending). For crash and lease tests.
    pub fn with_ledger(latency: Duration, path: &std::path::Path) -> std::io::Result<Self> {
        let mut sim = SimTransport::new(latency, false);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)?;
        sim.ledger = Some(Mutex::new(Ledger { file, read_to: 0 }));
        Ok(sim)
    }

    /// The next send matching `target` is posted, but its answer is lost: the sender sees a
    /// network error. Only meaningful while recording (which models the posted ids).
    pub fn lose_answer(&self, target: Target) {
        *self
            .lost_answers
            .lock()
            .expect("sim lock")
            .entry(target)
            .or_default() += 1;
    }

    fn answer_lost(&self, account_id: i64, group_id: i64) -> bool {
        let mut lost = self.lost_answers.lock().expect("sim lock");
        if lost.is_empty() {
            return false;
        }
        for target in [
            Target::Slot {
                account_id,
                group_id,
            },
            Target::Account(account_id),
        ] {
            if let Some(n) = lost.get_mut(&target) {
                *n -= 1;
                if *n == 0 {
                    lost.remove(&target);
                }
                return true;
            }
        }
        false
    }

    /// Every account released so far (its customer stopped), in order.
    pub fn released(&self) -> Vec<i64> {
        self.released.lock().expect("sim lock").clone()
    }

    /// (when, account) of every account connected ahead of a cycle, in order.
    pub fn prepared(&self) -> Vec<(Instant, i64)> {
        self.prepared.lock().expect("sim lock").clone()
    }

    /// (when, account, chat) of every source chat looked up ahead of a cycle.
    pub fn sources_prepared(&self) -> Vec<(Instant, i64, String)> {
        self.sources_prepared.lock().expect("sim lock").clone()
    }

    /// Every send that posted, in the order they started (a failed send is listed too: it
    /// reached Telegram; a repeated random id is not: see `duplicates`).
    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().expect("sim lock").clone()
    }

    /// Sends that carried a random id already posted from their account: Telegram answered
    /// RANDOM_ID_DUPLICATE and posted nothing.
    pub fn duplicates(&self) -> Vec<Sent> {
        self.duplicates.lock().expect("sim lock").clone()
    }

    /// The demonstration groups' own rights first (`@sim_no_media…` takes no media:
    /// [`super::groups::SimGroups::refuses`]), then what was injected.
    fn answer_for(&self, post: &Post<'_>) -> Outcome {
        match super::groups::SimGroups::refuses(post.group_ref, post.content.media()) {
            Some(refusal) => Outcome::GroupRefused(refusal),
            None => self.outcome_for(post.account_id, post.group_id),
        }
    }

    fn outcome_for(&self, account_id: i64, group_id: i64) -> Outcome {
        let mut injected = self.injected.lock().expect("sim lock");
        if injected.is_empty() {
            return Outcome::Sent;
        }
        for target in [
            Target::Slot {
                account_id,
                group_id,
            },
            Target::Account(account_id),
        ] {
            if let Some(outcome) = injected.get_mut(&target).and_then(VecDeque::pop_front) {
                return outcome;
            }
        }
        Outcome::Sent
    }
}

impl SimTransport {
    /// A send with a ledger: a new post is written to it before it is answered.
    /// The post is made when the request leaves (a process frozen or killed after that has
    /// posted); the answer takes the latency.
    async fn post_to_ledger(&self, ledger: &Mutex<Ledger>, post: &Post<'_>) -> Outcome {
        let mut outcome = self.answer_for(post);
        if outcome == Outcome::StaleFile {
            self.forget_files(post);
        }
        if outcome == Outcome::Sent {
            let mut posted = self.posted.lock().expect("sim lock");
            // Posted now, or already (RANDOM_ID_DUPLICATE): both answer Sent.
            if let Err(e) = ledger.lock().expect("sim lock").post(&mut posted, post) {
                outcome = Outcome::Network(format!("ledger: {e}"));
            }
        }
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        outcome
    }
}

/// One request as a ledger file has it (see [`SimTransport::with_ledger`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerRequest {
    pub account: i64,
    pub group: i64,
    pub random_id: i64,
    /// The process that made it.
    pub pid: u32,
    pub at_ms: i64,
    /// The random id was already posted from the account: nothing was posted.
    pub repeated: bool,
    /// The forum topic it went into (`None`: the main chat).
    pub topic: Option<i32>,
    /// What the post was (`text`, `photo`, … `album`; every item of an album says `album`).
    pub kind: String,
}

/// Every request in a ledger file, in order (none when it does not exist yet).
pub fn read_ledger(path: &std::path::Path) -> std::io::Result<Vec<LedgerRequest>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    text.lines()
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            let bad = || std::io::Error::other(format!("ledger line {line:?}"));
            let (numbers, topic, kind) = match fields[..] {
                [.., topic, kind] if fields.len() == 8 => {
                    (&fields[..6], topic.parse::<i32>().map_err(|_| bad())?, kind)
                }
                _ => (&fields[..], 0, "text"),
            };
            let v: Vec<i64> = numbers.iter().filter_map(|p| p.parse().ok()).collect();
            match v[..] {
                [account, group, random_id, pid, at_ms, repeated] => Ok(LedgerRequest {
                    account,
                    group,
                    random_id,
                    pid: pid as u32,
                    at_ms,
                    repeated: repeated == 1,
                    topic: (topic != 0).then_some(topic),
                    kind: kind.to_string(),
                }),
                _ => Err(bad()),
            }
        })
        .collect()
}

/// The simulated Telegram's memory across processes (see [`SimTransport::with_ledger`]).
struct Ledger {
    file: std::fs::File,
    /// How much of the file this process has read.
    read_to: u64,
}

impl Ledger {
    /// Reads what other processes appended, and appends the post, marked repeated when its
    /// random id was already posted from its account. `true` when posted now. No lock across
    /// processes (a process frozen while holding one would freeze every other): two processes
    /// sending one id at the same instant would both count as posted, which the audits report
    /// as a double post, and which only two engines sending for one customer at once can cause.
    fn post(&mut self, posted: &mut HashSet<(i64, i64)>, post: &Post<'_>) -> std::io::Result<bool> {
        use std::io::{Read, Seek, SeekFrom, Write};
        self.file.seek(SeekFrom::Start(self.read_to))?;
        let mut text = String::new();
        self.file.read_to_string(&mut text)?;
        // Whole lines only (each is one write); this process's own lines are read back too.
        let whole = text.rfind('\n').map_or(0, |i| i + 1);
        self.read_to += whole as u64;
        for line in text[..whole].lines() {
            let v: Vec<i64> = line.split(',').filter_map(|p| p.parse().ok()).collect();
            if let [account, _group, random_id, _pid, _at_ms, 0, ..] = v[..] {
                posted.insert((account, random_id));
            }
        }
        let key = (post.account_id, post.random_id());
        let repeated = posted.contains(&key);
        // A repeated id is written too (last field 1): the request reached Telegram, which
        // posted nothing for it. An album is one line per item, each with its own id (all
        // repeated or none: Telegram takes or refuses the album whole).
        let (pid, at_ms) = (std::process::id(), crate::time::unix_ms_now());
        let mut lines = String::new();
        // Then the topic (0: the main chat) and the kind.
        let (topic, kind) = (post.thread().unwrap_or(0), post.content.kind().as_str());
        for i in 0..post.content.items() {
            lines.push_str(&format!(
                "{},{},{},{pid},{at_ms},{},{topic},{kind}\n",
                post.account_id,
                post.group_id,
                post.ids.item(i),
                u8::from(repeated)
            ));
        }
        // One write (appended: O_APPEND): a kill -9 leaves whole lines, and the whole album.
        self.file.write_all(lines.as_bytes())?;
        for i in 0..post.content.items() {
            posted.insert((post.account_id, post.ids.item(i)));
        }
        Ok(!repeated)
    }
}

impl Transport for SimTransport {
    fn send<'a>(&'a self, post: Post<'a>) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            if let Content::Forward { source, .. } = post.content {
                let owner = crate::schedule::content::saved_messages_of(&source.chat);
                if owner.is_some_and(|owner| owner != post.account_id) {
                    // As the live transport: never another box's message with the same id.
                    let refused = "source chat: another account's Saved Messages";
                    return Outcome::Rejected(refused.into());
                }
            }
            if !self.holds_files(&post) {
                if !self.latency.is_zero() {
                    tokio::time::sleep(self.latency).await;
                }
                return Outcome::StaleFile;
            }
            if let Some(ledger) = &self.ledger {
                return self.post_to_ledger(ledger, &post).await;
            }
            if self.record {
                let sent = Sent {
                    at: Instant::now(),
                    account_id: post.account_id,
                    group_id: post.group_id,
                    random_id: post.random_id(),
                    html: post.content.html().to_string(),
                    kind: post.content.kind(),
                    item_ids: (0..post.content.items())
                        .map(|i| post.ids.item(i))
                        .collect(),
                    topic: post.thread(),
                    silent: post.silent,
                    media: post.content.media().iter().map(|m| m.sha256).collect(),
                    source: match post.content {
                        Content::Forward { source, .. } => Some(source.clone()),
                        _ => None,
                    },
                };
                let key = (post.account_id, post.random_id());
                if self.posted.lock().expect("sim lock").contains(&key) {
                    self.duplicates.lock().expect("sim lock").push(sent);
                    if !self.latency.is_zero() {
                        tokio::time::sleep(self.latency).await;
                    }
                    return Outcome::Sent;
                }
                self.sent.lock().expect("sim lock").push(sent);
            }
            let outcome = self.answer_for(&post);
            if outcome == Outcome::StaleFile {
                self.forget_files(&post);
            }
            if self.record && outcome == Outcome::Sent {
                self.posted
                    .lock()
                    .expect("sim lock")
                    .insert((post.account_id, post.random_id()));
            }
            if !self.latency.is_zero() {
                tokio::time::sleep(self.latency).await;
            }
            if outcome == Outcome::Sent && self.answer_lost(post.account_id, post.group_id) {
                return Outcome::Network("answer lost".into());
            }
            outcome
        })
    }

    fn release<'a>(&'a self, accounts: &'a [i64]) -> BoxFuture<'a, ()> {
        self.released
            .lock()
            .expect("sim lock")
            .extend_from_slice(accounts);
        Box::pin(async {})
    }

    fn prepare_source<'a>(&'a self, accounts: &'a [i64], chat: &'a str) -> BoxFuture<'a, ()> {
        let now = Instant::now();
        let looked_up = accounts.iter().map(|a| (now, *a, chat.to_string()));
        self.sources_prepared
            .lock()
            .expect("sim lock")
            .extend(looked_up);
        Box::pin(async {})
    }

    fn prepare<'a>(&'a self, accounts: &'a [i64]) -> BoxFuture<'a, ()> {
        let now = Instant::now();
        self.prepared
            .lock()
            .expect("sim lock")
            .extend(accounts.iter().map(|a| (now, *a)));
        Box::pin(async {})
    }

    fn has_upload(&self, account_id: i64, sha256: Sha256) -> bool {
        (self.uploaded.lock().expect("sim lock")).contains(&(account_id, sha256))
    }

    fn upload<'a>(
        &'a self,
        account_id: i64,
        item: MediaItem,
        file: &'a MediaFile,
    ) -> BoxFuture<'a, Result<UploadedHandle, Outcome>> {
        Box::pin(async move {
            let upload = Upload {
                at: Instant::now(),
                account_id,
                sha256: item.sha256,
                size: item.size,
                name: file.name.clone(),
                mime: file.mime.clone(),
            };
            self.uploads.lock().expect("sim lock").push(upload);
            let latency = self
                .upload_latency
                .load(std::sync::atomic::Ordering::Relaxed);
            if latency != 0 {
                tokio::time::sleep(Duration::from_nanos(latency)).await;
            }
            if Sha256::of(&file.bytes) != item.sha256 {
                return Err(Outcome::Rejected("the bytes don't match the hash".into()));
            }
            (self.uploaded.lock().expect("sim lock")).insert((account_id, item.sha256));
            Ok(UploadedHandle {
                account_id,
                sha256: item.sha256,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::RandomIds;
    use crate::telegram::Content;

    #[tokio::test]
    async fn the_ledger_records_each_posts_topic_and_kind_and_reads_older_lines_too() {
        let path = std::env::temp_dir().join(format!("autoposter-ledger-{}", fastrand::u64(..)));
        // A line from before topics and kinds were written.
        std::fs::write(&path, "1,2,33,100,1700000000000,0\n").unwrap();
        let sim = SimTransport::with_ledger(Duration::ZERO, &path).unwrap();
        let post = Post {
            account_id: 1,
            group_id: 3,
            group_ref: "@g",
            content: Content::Text { html: "hi" },
            ids: RandomIds::of(1, 1, 1, 3),
            topic: Some(7),
            silent: false,
            not_after: None,
        };
        assert_eq!(sim.send(post.clone()).await, Outcome::Sent);
        let general = Post {
            group_id: 4,
            ids: RandomIds::of(1, 1, 1, 4),
            topic: Some(crate::telegram::GENERAL_TOPIC),
            ..post
        };
        assert_eq!(sim.send(general).await, Outcome::Sent);
        let read = read_ledger(&path).unwrap();
        let seen: Vec<_> = (read.iter())
            .map(|r| (r.group, r.topic, r.kind.as_str(), r.repeated))
            .collect();
        assert_eq!(
            seen,
            [
                (2, None, "text", false),
                (3, Some(7), "text", false),
                (4, None, "text", false)
            ]
        );
        std::fs::write(&path, "1,2,33,100,1700000000000,0,x,text\n").unwrap();
        assert!(read_ledger(&path).is_err(), "a topic that is no number");
        let _ = std::fs::remove_file(&path);
    }

    fn post(account_id: i64, group_id: i64) -> Post<'static> {
        Post {
            account_id,
            group_id,
            group_ref: "@g",
            content: Content::Text { html: "<b>hi</b>" },
            ids: RandomIds::of(1, 1, 1, 7),
            topic: None,
            silent: false,
            not_after: None,
        }
    }

    #[tokio::test]
    async fn a_send_records_what_it_carried() {
        let sim = SimTransport::new(Duration::ZERO, true);
        let mut p = post(1, 2);
        p.topic = Some(55);
        p.silent = true;
        sim.send(p.clone()).await;
        // The General topic is the main chat.
        p.topic = Some(crate::telegram::GENERAL_TOPIC);
        p.silent = false;
        p.ids = RandomIds::of(1, 1, 1, 8);
        sim.send(p).await;
        let sent = sim.sent();
        let carried: Vec<_> = sent
            .iter()
            .map(|s| (s.kind, s.item_ids.clone(), s.topic, s.silent))
            .collect();
        let first = RandomIds::of(1, 1, 1, 7).first();
        let second = RandomIds::of(1, 1, 1, 8).first();
        assert_eq!(
            carried,
            [
                (ContentKind::Text, vec![first], Some(55), true),
                (ContentKind::Text, vec![second], None, false),
            ]
        );
        assert_eq!(sent[0].random_id, first);
    }

    #[tokio::test]
    async fn every_refusal_of_a_rich_post_can_be_injected() {
        use crate::telegram::{GroupRefusal, Media};
        let sim = SimTransport::new(Duration::ZERO, false);
        let refusals = [
            Outcome::GroupRefused(GroupRefusal::MediaForbidden(Media::Photos)),
            Outcome::GroupRefused(GroupRefusal::PaymentRequired { stars: Some(10) }),
            Outcome::GroupRefused(GroupRefusal::TopicClosed),
            Outcome::GroupRefused(GroupRefusal::TopicDeleted),
            Outcome::GroupRefused(GroupRefusal::AlbumsRefused),
            Outcome::StaleFile,
        ];
        for outcome in &refusals {
            sim.inject(Target::Account(1), outcome.clone());
        }
        for outcome in refusals {
            assert_eq!(sim.send(post(1, 2)).await, outcome);
        }
        assert_eq!(sim.send(post(1, 2)).await, Outcome::Sent);
    }

    #[tokio::test(start_paused = true)]
    async fn a_send_takes_the_configured_latency_and_is_recorded() {
        let sim = SimTransport::new(Duration::from_millis(50), true);
        let start = Instant::now();
        assert_eq!(sim.send(post(1, 2)).await, Outcome::Sent);
        assert_eq!(start.elapsed(), Duration::from_millis(50));
        let sent = sim.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(
            (sent[0].at, sent[0].account_id, sent[0].group_id),
            (start, 1, 2)
        );
        assert_eq!(sent[0].html, "<b>hi</b>");
    }

    #[tokio::test]
    async fn injected_outcomes_apply_once_slot_before_account() {
        let sim = SimTransport::new(Duration::ZERO, false);
        sim.inject(Target::Account(1), Outcome::PeerFlood);
        sim.inject(
            Target::Slot {
                account_id: 1,
                group_id: 2,
            },
            Outcome::SlowMode(Duration::from_secs(10)),
        );
        assert_eq!(
            sim.send(post(1, 2)).await,
            Outcome::SlowMode(Duration::from_secs(10))
        );
        assert_eq!(sim.send(post(1, 2)).await, Outcome::PeerFlood);
        assert_eq!(sim.send(post(1, 2)).await, Outcome::Sent);
        assert_eq!(sim.send(post(2, 2)).await, Outcome::Sent);
        assert!(sim.sent().is_empty(), "recording was off");
    }

    #[tokio::test]
    async fn a_posted_random_id_is_not_posted_again() {
        let sim = SimTransport::new(Duration::ZERO, true);
        sim.inject(Target::Account(1), Outcome::Network("reset".into()));
        // A failed send posts nothing, so its retry with the same id posts.
        assert_eq!(sim.send(post(1, 2)).await, Outcome::Network("reset".into()));
        assert_eq!(sim.send(post(1, 2)).await, Outcome::Sent);
        assert!(sim.duplicates().is_empty());
        // The same id again from the same account: counted as sent, nothing posted.
        assert_eq!(sim.send(post(1, 2)).await, Outcome::Sent);
        assert_eq!(sim.duplicates().len(), 1);
        // Another account may use the same number.
        assert_eq!(sim.send(post(2, 2)).await, Outcome::Sent);
        assert_eq!(sim.sent().len(), 3);
        assert_eq!(sim.duplicates().len(), 1);
    }

    #[tokio::test]
    async fn a_media_send_needs_the_accounts_upload_and_a_stale_reference_drops_it() {
        use crate::schedule::content::{MediaItem, MediaKind, Sha256};
        let sim = SimTransport::new(Duration::ZERO, true);
        let bytes = b"photo";
        let file = |bytes: &[u8]| MediaFile {
            sha256: Sha256::of(bytes),
            bytes: bytes.to_vec(),
            name: Some("a.jpg".into()),
            mime: None,
        };
        let item = MediaItem {
            kind: MediaKind::Photo,
            sha256: Sha256::of(bytes),
            size: 5,
        };
        let items = [item, item];
        let mut p = post(1, 2);
        p.content = Content::Album {
            items: &items,
            caption: "c",
        };
        // Not uploaded by this account: answered as a stale reference.
        assert_eq!(sim.send(p.clone()).await, Outcome::StaleFile);
        assert_eq!(sim.not_uploaded(), 1);
        assert!(!sim.has_upload(1, item.sha256));
        let handle = sim.upload(1, item, &file(bytes)).await.unwrap();
        assert_eq!((handle.account_id, handle.sha256), (1, item.sha256));
        assert!(sim.has_upload(1, item.sha256));
        assert!(!sim.has_upload(2, item.sha256), "per account");
        sim.inject(Target::Account(1), Outcome::StaleFile);
        assert_eq!(sim.send(p.clone()).await, Outcome::StaleFile);
        assert!(
            !sim.has_upload(1, item.sha256),
            "the stale reference is dropped"
        );
        sim.upload(1, item, &file(bytes)).await.unwrap();
        assert_eq!(sim.send(p.clone()).await, Outcome::Sent);
        let last = sim.sent().pop().unwrap();
        assert_eq!(
            (last.kind, last.item_ids.len(), last.media, last.source),
            (ContentKind::Album, 2, vec![item.sha256; 2], None)
        );
        let uploads: Vec<_> = (sim.uploads().into_iter())
            .map(|u| (u.account_id, u.name))
            .collect();
        let named = Some("a.jpg".to_string());
        assert_eq!(uploads, [(1, named.clone()), (1, named)]);
        assert!(matches!(
            sim.upload(1, item, &file(b"other bytes")).await,
            Err(Outcome::Rejected(_))
        ));
    }
}
