//! `autoposter engine` as real processes on a real database file: it resumes the customers
//! marked running, a second engine on the same database refuses to start, SIGTERM stops it
//! gracefully (sends under way finished and logged, customers left marked running for the
//! next start), and a second signal exits at once.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use autoposter::schedule::Plan;
use autoposter::store::Store;

use crate::helpers::{customer, settings, wait_for};

struct Db {
    dir: std::path::PathBuf,
    url: String,
}

/// Customer 1 (1 account × 3 groups, 3 s apart) in the database at `url`, marked running.
async fn seed(url: &str) {
    let store = Store::connect(url).await.unwrap();
    store
        .create_customers(&[customer(
            1,
            Plan::Enterprise,
            1,
            3,
            settings(3.0, 5.0, None),
        )])
        .await
        .unwrap();
    store.mark_running(1, 42).await.unwrap();
    store.close().await;
}

/// A database file seeded with customer 1.
async fn db() -> Db {
    let dir = std::env::temp_dir().join(format!("autoposter-engine-cli-{}", fastrand::u64(..)));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite:{}", dir.join("e.db").display());
    seed(&url).await;
    Db { dir, url }
}

fn engine(db: &Db, latency_ms: u64) -> Child {
    Command::new(env!("CARGO_BIN_EXE_autoposter"))
        .args(["engine", "--simulated-accounts", "--sim-latency-ms"])
        .arg(latency_ms.to_string())
        .arg("--database-url")
        .arg(&db.url)
        .env_remove("DATABASE_URL")
        .env_remove("AUTOPOSTER_MASTER_KEY")
        .env("RUST_LOG", "warn")
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs")
}

fn signal(child: &Child, sig: i32) {
    let rc = unsafe { libc::kill(child.id() as i32, sig) };
    assert_eq!(rc, 0);
}

/// Waits up to `limit` for the child to exit; its exit code.
fn exit_within(child: &mut Child, limit: Duration) -> i32 {
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        assert!(start.elapsed() < limit, "still running after {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

async fn posts(db: &Db) -> Vec<(i64, String)> {
    let store = Store::connect(&db.url).await.unwrap();
    let rows = store.posts(1).await.unwrap();
    store.close().await;
    rows.into_iter().map(|r| (r.group_id, r.outcome)).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_engine_resumes_refuses_a_second_engine_and_stops_gracefully_on_sigterm() {
    let db = db().await;
    let mut first = engine(&db, 10);
    wait_for(&mut first, "engine running: 1 customers resumed");
    // A second engine on the same database file refuses, and says why.
    let second = Command::new(env!("CARGO_BIN_EXE_autoposter"))
        .args(["engine", "--simulated-accounts", "--database-url", &db.url])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(1));
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(
        said.contains("another engine is running on this SQLite database"),
        "{said}"
    );
    // Let it post twice (0 s and 3 s), then stop it.
    std::thread::sleep(Duration::from_millis(3_500));
    signal(&first, libc::SIGTERM);
    assert_eq!(exit_within(&mut first, Duration::from_secs(5)), 0);
    let logged = posts(&db).await;
    assert_eq!(
        logged,
        vec![(1, "sent".to_string()), (2, "sent".to_string())],
        "both posts logged before the exit"
    );
    // Still marked running: the next engine resumes it.
    let store = Store::connect(&db.url).await.unwrap();
    assert_eq!(store.running_customers().await.unwrap(), vec![1]);
    store.close().await;
    let mut again = engine(&db, 10);
    wait_for(&mut again, "engine running: 1 customers resumed");
    signal(&again, libc::SIGINT);
    assert_eq!(exit_within(&mut again, Duration::from_secs(5)), 0);
    let _ = std::fs::remove_dir_all(&db.dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_waits_for_a_send_under_way_and_a_second_signal_exits_at_once() {
    let db = db().await;
    // Each send takes 4 s.
    let mut first = engine(&db, 4_000);
    wait_for(&mut first, "engine running");
    std::thread::sleep(Duration::from_millis(500));
    signal(&first, libc::SIGTERM);
    // Graceful: the send under way (until 4 s) is waited for…
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        first.try_wait().unwrap().is_none(),
        "exited before its send ended"
    );
    assert_eq!(exit_within(&mut first, Duration::from_secs(6)), 0);
    // …and logged.
    assert_eq!(posts(&db).await, vec![(1, "sent".to_string())]);
    // A second signal does not wait.
    let mut second = engine(&db, 4_000);
    wait_for(&mut second, "engine running");
    std::thread::sleep(Duration::from_millis(500));
    signal(&second, libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(200));
    signal(&second, libc::SIGTERM);
    assert_eq!(exit_within(&mut second, Duration::from_millis(1_500)), 130);
    let _ = std::fs::remove_dir_all(&db.dir);
}

/// `GET path` over plain HTTP/1.1: (status line, body).
fn http_get(port: u16, path: &str) -> (String, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_string(), body.to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_engine_serves_health_and_prometheus_metrics() {
    let db = db().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_autoposter"))
        .args(["engine", "--simulated-accounts", "--sim-latency-ms", "5"])
        .arg("--database-url")
        .arg(&db.url)
        .arg("--metrics-addr")
        .arg(format!("127.0.0.1:{port}"))
        .env_remove("DATABASE_URL")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(&mut child, "engine running");
    std::thread::sleep(Duration::from_millis(3_500));
    let (status, body) = http_get(port, "/healthz");
    assert_eq!(
        (status.as_str(), body.as_str()),
        ("HTTP/1.1 200 OK", "ok\n")
    );
    let (status, metrics) = http_get(port, "/metrics");
    assert_eq!(status, "HTTP/1.1 200 OK");
    for line in [
        "autoposter_posts_total{outcome=\"sent\"} 2",
        "autoposter_running_customers 1",
        "autoposter_leases_held 1",
        "autoposter_waits_in_force 0",
        "autoposter_post_lateness_seconds_count 2",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "{line} not in:\n{metrics}"
        );
    }
    assert_eq!(http_get(port, "/nope").0, "HTTP/1.1 404 Not Found");
    signal(&child, libc::SIGTERM);
    assert_eq!(exit_within(&mut child, Duration::from_secs(5)), 0);
    // A port already taken is refused at start, saying which.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_autoposter"))
        .args(["engine", "--simulated-accounts", "--database-url", &db.url])
        .arg("--metrics-addr")
        .arg(taken.local_addr().unwrap().to_string())
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the metrics address"));
    let _ = std::fs::remove_dir_all(&db.dir);
}
