//! Prometheus metrics and the health check, on an optional HTTP port (`--metrics-addr`):
//! `GET /metrics` (posts by outcome, post lateness, running customers, customers held by this
//! engine, waits in force) and `GET /healthz` (200 while the database answers, else 503).
//! The counters are fed by the engine as an [`Observer`]; the gauges that need the database
//! are read at most once a second, however many scrapes come in (the health check shares that
//! read), so that whoever reaches the port cannot tie up the engine's database connections.
//! The server takes a bounded number of connections at once, one request each, and closes a
//! connection that has not sent its request head within a few seconds or is not done within
//! its deadline ([`Limits`]).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::engine::{Engine, Observer, PostEvent};
use crate::store::Store;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: String,
}

/// The engine's metrics.
pub struct Metrics {
    registry: Registry,
    posts: Family<OutcomeLabel, Counter>,
    lateness: Histogram,
    running: Gauge,
    held: Gauge,
    waits: Gauge,
    /// The last database read of the gauges, shared by the scrapes within [`REFRESH`].
    read: tokio::sync::Mutex<Option<GaugeRead>>,
    database_reads: AtomicU64,
}

/// How long one database read of the gauges serves every scrape and health check.
pub const REFRESH: Duration = Duration::from_secs(1);

/// One database read of the gauges.
#[derive(Clone, Copy, Debug)]
struct GaugeRead {
    /// When the read finished.
    at: Instant,
    /// The waits in force, or `None` when the database did not answer.
    waits: Option<i64>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("autoposter");
        let posts = Family::<OutcomeLabel, Counter>::default();
        registry.register(
            "posts",
            "Posts by outcome (sent, a Telegram refusal, skipped, …)",
            posts.clone(),
        );
        // 0.5 ms to ~16 s.
        let lateness = Histogram::new(exponential_buckets(0.0005, 2.0, 16));
        registry.register(
            "post_lateness_seconds",
            "How late each send started after its target",
            lateness.clone(),
        );
        let running = Gauge::default();
        registry.register(
            "running_customers",
            "Customers this engine posts for",
            running.clone(),
        );
        let held = Gauge::default();
        registry.register(
            "leases_held",
            "Customers (and so their accounts) this engine holds leases on; on SQLite, one engine \
             holds all of them",
            held.clone(),
        );
        let waits = Gauge::default();
        registry.register(
            "waits_in_force",
            "Telegram waits in force: flood waits of accounts and slow-mode waits of (account, group)",
            waits.clone(),
        );
        Metrics {
            registry,
            posts,
            lateness,
            running,
            held,
            waits,
            read: tokio::sync::Mutex::new(None),
            database_reads: AtomicU64::new(0),
        }
    }

    /// How many times the scrapes and health checks have read the database.
    pub fn database_reads(&self) -> u64 {
        self.database_reads.load(Ordering::Relaxed)
    }

    /// The gauges from the database, read again only when the last read is [`REFRESH`] old;
    /// callers that come in while a read is under way wait for it and share it.
    async fn database_gauges(&self, engine: &Engine, store: &Store) -> GaugeRead {
        let mut last = self.read.lock().await;
        if let Some(read) = *last {
            if read.at.elapsed() < REFRESH {
                return read;
            }
        }
        self.database_reads.fetch_add(1, Ordering::Relaxed);
        let now_ms = engine.clock().wall_ms(Instant::now());
        let waits = match store.waits_in_force(now_ms).await {
            Ok(n) => Some(n),
            Err(e) => {
                tracing::warn!(error = %e, "could not count the waits in force");
                None
            }
        };
        let read = GaugeRead {
            at: Instant::now(),
            waits,
        };
        *last = Some(read);
        read
    }

    /// Whether the database answered its latest read (at most [`REFRESH`] old).
    pub async fn healthy(&self, engine: &Engine, store: &Store) -> bool {
        self.database_gauges(engine, store).await.waits.is_some()
    }

    /// The text exposition, the database's gauges at most [`REFRESH`] old.
    pub async fn render(&self, engine: &Engine, store: &Store) -> String {
        let running = engine.running_count() as i64;
        self.running.set(running);
        self.held
            .set(engine.leases_held().map_or(running, |n| n as i64));
        if let Some(n) = self.database_gauges(engine, store).await.waits {
            self.waits.set(n);
        }
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String");
        out
    }
}

impl Observer for Metrics {
    fn post(&self, event: &PostEvent) {
        let outcome = match (&event.outcome, event.skipped) {
            (Some(outcome), _) => outcome.name().to_string(),
            (None, _) => "skipped".to_string(),
        };
        self.posts.get_or_create(&OutcomeLabel { outcome }).inc();
        if event.sent_at.is_some() {
            self.lateness.observe(event.lateness.as_secs_f64());
        }
    }
}

/// Every observer in turn.
pub struct Observers(pub Vec<Arc<dyn Observer>>);

impl Observer for Observers {
    fn post(&self, event: &PostEvent) {
        self.0.iter().for_each(|o| o.post(event));
    }
    fn cycle_finished(&self, customer_id: i64, report: &crate::engine::CycleReport) {
        self.0
            .iter()
            .for_each(|o| o.cycle_finished(customer_id, report));
    }
    fn customer_stopped(&self, customer_id: i64, reason: &crate::engine::EngineError) {
        self.0
            .iter()
            .for_each(|o| o.customer_stopped(customer_id, reason));
    }
    fn restricted(&self, event: &crate::engine::Restricted) {
        self.0.iter().for_each(|o| o.restricted(event));
    }
}

/// How many connections the metrics server takes at once, and how long it gives each.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Connections served at once; further clients wait to be accepted.
    pub max_connections: usize,
    /// A connection that has not sent its request head within this is closed.
    pub header_read_timeout: Duration,
    /// A connection is closed this long after it was accepted, done or not.
    pub connection_deadline: Duration,
}

impl Default for Limits {
    /// 32 connections, 3 s for the request head, 10 s in all (Prometheus' default scrape
    /// timeout).
    fn default() -> Limits {
        Limits {
            max_connections: 32,
            header_read_timeout: Duration::from_secs(3),
            connection_deadline: Duration::from_secs(10),
        }
    }
}

/// Serves `/metrics` and `/healthz` on `listener` until `stop`, within the default [`Limits`].
pub async fn serve(
    listener: TcpListener,
    metrics: Arc<Metrics>,
    engine: Engine,
    store: Store,
    stop: CancellationToken,
) {
    serve_within(listener, metrics, engine, store, stop, Limits::default()).await
}

/// [`serve`] within `limits`.
pub async fn serve_within(
    listener: TcpListener,
    metrics: Arc<Metrics>,
    engine: Engine,
    store: Store,
    stop: CancellationToken,
    limits: Limits,
) {
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    loop {
        let slot = tokio::select! {
            _ = stop.cancelled() => return,
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
        };
        let stream = tokio::select! {
            _ = stop.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "metrics: accept failed");
                    continue;
                }
            },
        };
        let (metrics, engine, store) = (metrics.clone(), engine.clone(), store.clone());
        tokio::spawn(async move {
            let _slot = slot;
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let (metrics, engine, store) = (metrics.clone(), engine.clone(), store.clone());
                async move { Ok::<_, Infallible>(answer(&req, &metrics, &engine, &store).await) }
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout)
                .keep_alive(false)
                .serve_connection(io, service);
            match tokio::time::timeout(limits.connection_deadline, connection).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::debug!(error = %e, "metrics connection ended"),
                Err(_) => tracing::debug!("metrics connection closed at its deadline"),
            }
        });
    }
}

/// Binds the metrics port: an error names the address.
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

async fn answer(
    req: &Request<Incoming>,
    metrics: &Metrics,
    engine: &Engine,
    store: &Store,
) -> Response<Full<Bytes>> {
    let (status, content_type, body) = match (req.method().as_str(), req.uri().path()) {
        ("GET", "/metrics") => (
            StatusCode::OK,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            metrics.render(engine, store).await,
        ),
        ("GET", "/healthz") if metrics.healthy(engine, store).await => {
            (StatusCode::OK, "text/plain", "ok\n".to_string())
        }
        ("GET", "/healthz") => (
            StatusCode::SERVICE_UNAVAILABLE,
            "text/plain",
            "database unreachable\n".to_string(),
        ),
        _ => (
            StatusCode::NOT_FOUND,
            "text/plain",
            "not found\n".to_string(),
        ),
    };
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(Bytes::from(body)))
        .expect("a valid response")
}
