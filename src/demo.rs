//! `autoposter demo`: one customer on simulated accounts and groups, an in-memory database,
//! no credentials. Prints every post as it happens (human lines or JSON lines) and a summary
//! per cycle and at the end. The engine does the timing; this module only configures it and
//! prints what its observer hears.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::json;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::engine::{Clock, CycleReport, Engine, EngineError, Observer, PostEvent};
use crate::schedule::content::{ContentRefusal, MediaItem, MediaKind, PostContent, Sha256};
use crate::schedule::{self, InputError, Mode, Plan, Settings};
use crate::store::{NewCustomer, NewMedia, PlanGrant, Store, StoreError};
use crate::telegram::sim::SimTransport;

/// The demo's knobs, as the command line gives them.
#[derive(Clone, Debug)]
pub struct DemoArgs {
    pub mode: Mode,
    /// The customer's plan; by default the one whose mode was asked for.
    pub plan: Option<Plan>,
    pub accounts: usize,
    pub groups: usize,
    pub delay_between_posts: f64,
    pub delay_between_cycles: f64,
    pub cycle_minutes: f64,
    pub cycles: u32,
    pub json: bool,
    /// Simulated send time.
    pub latency_ms: u64,
    /// Files to post (one: a media post; 2–10: an album); none: a text post.
    pub media: Vec<std::path::PathBuf>,
    /// The caption of the media, or the text.
    pub caption: Option<String>,
    /// The forum topic every group's posts go into.
    pub topic: Option<i32>,
}

/// Why the demo could not run.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("{0}")]
    Input(#[from] InputError),
    #[error("--cycles must be at least 1")]
    NoCycles,
    #[error("{0}")]
    Refused(#[from] EngineError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("the engine stopped the demo customer: {0}")]
    StoppedByEngine(String),
    #[error("--media {path}: {cause}")]
    Media { path: String, cause: std::io::Error },
    #[error("--media: {0}")]
    Content(#[from] ContentRefusal),
}

impl DemoError {
    /// 2 for a bad flag, 1 for a configuration the engine refuses.
    pub fn exit_code(&self) -> i32 {
        match self {
            DemoError::Input(_)
            | DemoError::NoCycles
            | DemoError::Media { .. }
            | DemoError::Content(_) => 2,
            _ => 1,
        }
    }
}

const CUSTOMER: i64 = 1;

/// Runs the demo to the end, printing to stdout (posts, summaries) and stderr (warnings).
pub async fn run(args: &DemoArgs) -> Result<(), DemoError> {
    let settings = Settings::parse(
        args.mode,
        args.delay_between_posts,
        args.delay_between_cycles,
        args.cycle_minutes,
    )?;
    if args.cycles == 0 {
        return Err(DemoError::NoCycles);
    }
    let plan = args.plan.unwrap_or(Plan::for_mode(args.mode));
    // Refuse a mode the plan does not allow, or an infeasible layout, before any set-up.
    let mode = schedule::mode_for(plan, Some(args.mode)).map_err(schedule::ScheduleError::from);
    mode.and_then(|mode| schedule::plan_cycle(mode, &settings, args.accounts, args.groups))
        .map_err(|e| EngineError::NotReady(e.into()))?;
    // The files are read (and their form checked) before any set-up.
    let mut files = Vec::new();
    for path in &args.media {
        let bytes = std::fs::read(path).map_err(|cause| DemoError::Media {
            path: path.display().to_string(),
            cause,
        })?;
        let kind = MediaKind::from_file_name(&path.to_string_lossy());
        let name = (path.file_name()).map(|n| n.to_string_lossy().into_owned());
        files.push((kind, bytes, name));
    }
    let caption = args.caption.clone();
    if !files.is_empty() {
        let items = (files.iter())
            .map(|(kind, bytes, _)| MediaItem {
                kind: *kind,
                sha256: Sha256::of(bytes),
                size: bytes.len() as u64,
            })
            .collect();
        PostContent::media(items, caption.clone().unwrap_or_default())?;
    }
    let store = Store::memory().await?;
    store
        .create_customers(&[NewCustomer {
            id: CUSTOMER,
            plan: PlanGrant {
                plan,
                expires_at: None,
            },
            settings,
            message_html: "<b>autoposter demo</b>: hello from a simulated account".into(),
            accounts: (1..=args.accounts)
                .map(|i| format!("simulated account {i}"))
                .collect(),
            groups: (1..=args.groups)
                .map(|i| format!("@demo_group_{i}"))
                .collect(),
        }])
        .await?;
    if !files.is_empty() {
        let new: Vec<NewMedia> = (files.iter())
            .map(|(kind, bytes, name)| NewMedia {
                kind: *kind,
                bytes,
                name: name.as_deref(),
                mime: None,
            })
            .collect();
        let caption = caption.as_deref().unwrap_or_default();
        store.set_media_content(CUSTOMER, &new, caption).await?;
    } else if let Some(text) = &caption {
        store.set_message(CUSTOMER, text).await?;
    }
    for group in store.groups(CUSTOMER).await? {
        store
            .set_group_topic(CUSTOMER, group.id, args.topic)
            .await?;
    }
    let content = store.content(CUSTOMER).await?;
    let items = content.as_ref().map_or(&[][..], |c| c.items());
    let html = content.as_ref().map_or("", |c| c.html());
    let carried = Carried {
        kind: crate::telegram::Content::of(html, items).kind().as_str(),
        items: items.len().max(1),
        media_sha256: items.first().map(|i| i.sha256.hex()),
        topic: args.topic,
    };
    let (done_tx, mut done_rx) = mpsc::unbounded_channel();
    let printer = Arc::new(Printer {
        json: args.json,
        wanted_cycles: args.cycles as i64,
        origin: OnceLock::new(),
        clock: OnceLock::new(),
        lateness: Mutex::new(Vec::new()),
        reports: Mutex::new(Vec::new()),
        done: done_tx,
        carried,
    });
    let transport = Arc::new(SimTransport::new(
        Duration::from_millis(args.latency_ms),
        false,
    ));
    let (engine, tasks) = Engine::new(store.clone(), transport, Some(printer.clone()));
    engine.set_catalog(crate::schedule::PlanCatalog::unbounded());
    let _ = printer.clock.set(*engine.clock());
    if !args.json {
        println!("{}", banner(args, plan, &settings));
    }
    let started = engine.start(CUSTOMER, Some(args.mode)).await?;
    if let Some(warning) = started.delay.warning() {
        eprintln!("warning: {warning}");
    }
    let stopped_by_engine = done_rx.recv().await.flatten();
    if stopped_by_engine.is_none() {
        engine.stop(CUSTOMER).await?;
    }
    engine.flush().await;
    drop(engine);
    tasks.finish().await;
    let logged = store.posts(CUSTOMER).await?.len();
    store.close().await;
    printer.summary(args.mode, logged);
    match stopped_by_engine {
        Some(reason) => Err(DemoError::StoppedByEngine(reason)),
        None => Ok(()),
    }
}

fn banner(args: &DemoArgs, plan: Plan, settings: &Settings) -> String {
    let cycle = match args.mode {
        Mode::Starter => format!(", cycle {} min", args.cycle_minutes),
        Mode::Enterprise => String::new(),
    };
    format!(
        "autoposter demo: {} plan, {} mode, {} accounts × {} groups, {}s between posts{}, {}s between cycles, cycles: {} (simulated Telegram, in-memory database)",
        plan.as_str(),
        args.mode.as_str(),
        args.accounts,
        args.groups,
        schedule::secs_text(settings.delay_between_posts.floored().applied),
        cycle,
        schedule::secs_text(settings.delay_between_cycles.get()),
        args.cycles
    )
}

/// The demo's observer: prints each post and each cycle, and signals the end.
struct Printer {
    json: bool,
    wanted_cycles: i64,
    /// The first cycle's start: "+0.000s".
    origin: OnceLock<Instant>,
    clock: OnceLock<Clock>,
    lateness: Mutex<Vec<Duration>>,
    reports: Mutex<Vec<CycleReport>>,
    /// `None` after the last wanted cycle; `Some(reason)` if the engine stopped the customer.
    done: mpsc::UnboundedSender<Option<String>>,
    /// What every post of the demo carries.
    carried: Carried,
}

/// What the demo's posts carry, as each JSON post line names it.
struct Carried {
    /// `text`, `photo`, `video`, `animation`, `document` or `album`.
    kind: &'static str,
    items: usize,
    /// The first item's hash (`None` for a text).
    media_sha256: Option<String>,
    topic: Option<i32>,
}

fn ms(d: Duration) -> f64 {
    (d.as_nanos() as f64 / 1e6 * 1000.0).round() / 1000.0
}

impl Printer {
    fn since_origin(&self, at: Instant) -> Duration {
        at.saturating_duration_since(*self.origin.get_or_init(|| at))
    }

    fn summary(&self, mode: Mode, logged: usize) {
        let reports = self.reports.lock().expect("printer lock");
        let mut lateness = self.lateness.lock().expect("printer lock").clone();
        lateness.sort();
        let pct = |p: f64| -> Duration {
            if lateness.is_empty() {
                return Duration::ZERO;
            }
            let i = ((lateness.len() as f64 * p).ceil() as usize).clamp(1, lateness.len()) - 1;
            lateness[i]
        };
        let (sent, failed, skipped) = reports.iter().fold((0, 0, 0), |(a, b, c), r| {
            (a + r.tally.sent, b + r.tally.failed, c + r.tally.skipped)
        });
        if self.json {
            let cycles: Vec<_> = reports
                .iter()
                .map(|r| {
                    json!({
                        "cycle": r.seq,
                        "start_ms": ms(self.since_origin(r.start)),
                        "end_ms": ms(self.since_origin(r.ended)),
                        "sent": r.tally.sent,
                        "failed": r.tally.failed,
                        "skipped": r.tally.skipped,
                    })
                })
                .collect();
            println!(
                "{}",
                json!({"summary": {
                    "mode": mode.as_str(),
                    "cycles": reports.len(),
                    "posts": sent + failed,
                    "sent": sent,
                    "failed": failed,
                    "skipped": skipped,
                    "logged": logged,
                    "p50_lateness_ms": ms(pct(0.5)),
                    "p99_lateness_ms": ms(pct(0.99)),
                    "max_lateness_ms": ms(pct(1.0)),
                    "cycle_reports": cycles,
                }})
            );
        } else {
            println!(
                "summary: {} cycles, {} posts ({sent} sent, {failed} failed, {skipped} skipped), {logged} rows in the post log; lateness p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
                reports.len(),
                sent + failed,
                ms(pct(0.5)),
                ms(pct(0.99)),
                ms(pct(1.0)),
            );
        }
    }
}

impl Observer for Printer {
    fn post(&self, e: &PostEvent) {
        self.origin.get_or_init(|| e.cycle_start);
        let target = self.since_origin(e.target);
        let outcome = match (&e.outcome, e.skipped) {
            (Some(o), _) => o.name(),
            (None, _) => "skipped",
        };
        if e.sent_at.is_some() {
            self.lateness.lock().expect("printer lock").push(e.lateness);
        }
        let mut out = std::io::stdout().lock();
        let _ = if self.json {
            writeln!(
                out,
                "{}",
                json!({
                    "cycle": e.cycle_seq,
                    "account": e.account_id,
                    "group": e.group_id,
                    "target_ms": ms(target),
                    "sent_ms": e.sent_at.map(|at| ms(self.since_origin(at))),
                    "lateness_ms": ms(e.lateness),
                    "outcome": outcome,
                    "kind": self.carried.kind,
                    "items": self.carried.items,
                    "media_sha256": self.carried.media_sha256,
                    "topic": self.carried.topic,
                })
            )
        } else {
            let at = e.sent_at.unwrap_or(e.target);
            let wall = self
                .clock
                .get()
                .and_then(|c| chrono::DateTime::from_timestamp_millis(c.wall_ms(at)))
                .map(|t| {
                    t.with_timezone(&chrono::Local)
                        .format("%H:%M:%S%.3f")
                        .to_string()
                })
                .unwrap_or_default();
            writeln!(
                out,
                "{wall}  cycle {}  account {}  group {}  target +{:.3}s  lateness {:.3} ms  {outcome}",
                e.cycle_seq,
                e.account_id,
                e.group_id,
                target.as_secs_f64(),
                ms(e.lateness),
            )
        };
    }

    fn cycle_finished(&self, _customer_id: i64, r: &CycleReport) {
        if !self.json {
            let spans: Vec<String> = r
                .sessions
                .iter()
                .map(|s| {
                    format!(
                        "account {} +{:.3}s→+{:.3}s",
                        s.account_id,
                        self.since_origin(s.start).as_secs_f64(),
                        self.since_origin(s.end).as_secs_f64()
                    )
                })
                .collect();
            println!(
                "cycle {} {}: {} sent, {} failed, {} skipped; sessions {}; max lateness {:.3} ms",
                r.seq,
                if r.completed { "done" } else { "stopped" },
                r.tally.sent,
                r.tally.failed,
                r.tally.skipped,
                spans.join(", "),
                ms(r.max_lateness),
            );
        }
        let mut reports = self.reports.lock().expect("printer lock");
        reports.push(r.clone());
        if reports.len() as i64 >= self.wanted_cycles {
            let _ = self.done.send(None);
        }
    }

    fn customer_stopped(&self, _customer_id: i64, reason: &EngineError) {
        let _ = self.done.send(Some(reason.to_string()));
    }
}
