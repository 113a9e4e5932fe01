//! The metrics server on tokio's paused clock: idle and slow clients are closed and cannot keep
//! a health check out, and a burst of scrapes reads the database once.

use std::sync::Arc;
use std::time::Duration;

use autoposter::metrics::{Limits, Metrics};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::helpers::Rig;

/// A metrics server on a free port within `limits`, over an engine with no customers.
async fn server(limits: Limits) -> (std::net::SocketAddr, Arc<Metrics>, CancellationToken, Rig) {
    let rig = Rig::new(&[], Duration::ZERO).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let metrics = Arc::new(Metrics::new());
    let stop = CancellationToken::new();
    tokio::spawn(autoposter::metrics::serve_within(
        listener,
        metrics.clone(),
        rig.engine.clone(),
        rig.store.clone(),
        stop.clone(),
        limits,
    ));
    (addr, metrics, stop, rig)
}

/// `GET path`: the status line and the body.
async fn get(addr: std::net::SocketAddr, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_string(), body.to_string())
}

/// When the server closed `stream` (reading until the end, whatever it sent).
async fn closed_at(mut stream: TcpStream) -> Instant {
    let mut sink = Vec::new();
    let _ = stream.read_to_end(&mut sink).await;
    Instant::now()
}

#[tokio::test(start_paused = true)]
async fn idle_and_slow_clients_are_closed_and_do_not_keep_a_health_check_out() {
    let limits = Limits {
        max_connections: 4,
        header_read_timeout: Duration::from_secs(2),
        connection_deadline: Duration::from_secs(10),
    };
    let (addr, _metrics, stop, _rig) = server(limits).await;
    let start = Instant::now();
    let mut clients = Vec::new();
    // Two say nothing; two send a request head a byte every half second, never finishing it.
    for _ in 0..2 {
        let stream = TcpStream::connect(addr).await.unwrap();
        clients.push(tokio::spawn(closed_at(stream)));
    }
    for _ in 0..2 {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut read, mut write) = stream.into_split();
        tokio::spawn(async move {
            for byte in b"GET /healthz HTTP/1.1\r\nX-Slow: ".iter().cycle() {
                if write.write_all(&[*byte]).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        });
        clients.push(tokio::spawn(async move {
            let mut sink = Vec::new();
            let _ = read.read_to_end(&mut sink).await;
            Instant::now()
        }));
    }
    // A new client waits for a free connection, and gets its answer once the four are closed
    // at the header timeout.
    let (status, body) = tokio::time::timeout(Duration::from_secs(60), get(addr, "/healthz"))
        .await
        .expect("answered");
    assert_eq!(
        (status.as_str(), body.as_str()),
        ("HTTP/1.1 200 OK", "ok\n")
    );
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    for client in clients {
        let closed = tokio::time::timeout(Duration::from_secs(60), client)
            .await
            .expect("closed by the server")
            .unwrap();
        assert_eq!(closed - start, Duration::from_secs(2));
    }
    stop.cancel();
}

#[tokio::test(start_paused = true)]
async fn a_burst_of_scrapes_reads_the_database_once_a_second() {
    let (addr, metrics, stop, _rig) = server(Limits::default()).await;
    let burst: Vec<_> = (0..20)
        .map(|i| {
            let path = if i % 2 == 0 { "/metrics" } else { "/healthz" };
            tokio::spawn(get(addr, path))
        })
        .collect();
    for answer in burst {
        let (status, body) = answer.await.unwrap();
        assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
        assert!(
            body == "ok\n" || body.contains("autoposter_waits_in_force 0"),
            "{body}"
        );
    }
    assert_eq!(metrics.database_reads(), 1);
    // Within the second: still the same read.
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(get(addr, "/metrics").await.0, "HTTP/1.1 200 OK");
    assert_eq!(metrics.database_reads(), 1);
    // A second on: read again.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(get(addr, "/healthz").await.1, "ok\n");
    assert_eq!(metrics.database_reads(), 2);
    stop.cancel();
}
