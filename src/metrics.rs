//! Prometheus metrics and the health check, on an optional HTTP port (`--metrics-addr`):
//! `GET /metrics` (posts by outcome, post lateness, running customers, customers held by this
//! engine, waits in force) and `GET /healthz` (200 while the database answers, else 503).
//! The counters are fed by the engine as an [`Observer`]; the gauges are read at each scrape.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

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
        }
    }

    /// The text exposition, with the gauges read now.
    pub async fn render(&self, engine: &Engine, store: &Store) -> String {
        let running = engine.running_count() as i64;
        self.running.set(running);
        self.held
            .set(engine.leases_held().map_or(running, |n| n as i64));
        let now_ms = engine.clock().wall_ms(tokio::time::Instant::now());
        match store.waits_in_force(now_ms).await {
            Ok(n) => {
                self.waits.set(n);
            }
            Err(e) => tracing::warn!(error = %e, "could not count the waits in force"),
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

/// Serves `/metrics` and `/healthz` on `listener` until `stop`.
pub async fn serve(
    listener: TcpListener,
    metrics: Arc<Metrics>,
    engine: Engine,
    store: Store,
    stop: CancellationToken,
) {
    loop {
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
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let (metrics, engine, store) = (metrics.clone(), engine.clone(), store.clone());
                async move { Ok::<_, Infallible>(answer(&req, &metrics, &engine, &store).await) }
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, service)
                .await
            {
                tracing::debug!(error = %e, "metrics connection ended");
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
        ("GET", "/healthz") => match store.ping().await {
            Ok(()) => (StatusCode::OK, "text/plain", "ok\n".to_string()),
            Err(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "text/plain",
                "database unreachable\n".to_string(),
            ),
        },
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
