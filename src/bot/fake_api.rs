//! A local stand-in for Telegram's Bot API, for the broadcast benchmark and tests: it answers
//! `sendMessage`, `copyMessage` and `editMessageText` over HTTP/1.1 (hyper) like Telegram does, holds
//! every bot to 30 messages a second (beyond that: 429 with `retry_after`), and answers 403
//! for the users it was told blocked the bot. It records every message it accepted.

use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use tokio::net::{TcpListener, TcpStream};

/// Messages a second the fake accepts by default, as Telegram does for one bot.
pub const LIMIT_PER_SEC: usize = 30;

/// What the fake saw.
#[derive(Default)]
struct State {
    blocked: HashSet<i64>,
    limit: usize,
    /// When each recent message was accepted (the last second).
    window: VecDeque<Instant>,
    /// (chat, when) of every accepted message, in order.
    delivered: Vec<(i64, Instant)>,
    too_many: u64,
    forbidden: u64,
    next_message_id: i64,
}

/// A running fake Bot API; dropped, it keeps serving until the runtime ends.
#[derive(Clone)]
pub struct FakeBotApi {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl FakeBotApi {
    /// Starts on a free local port, accepting [`LIMIT_PER_SEC`]; `blocked` users answer 403.
    pub async fn start(blocked: impl IntoIterator<Item = i64>) -> std::io::Result<FakeBotApi> {
        FakeBotApi::start_with(blocked, LIMIT_PER_SEC).await
    }

    /// Starts accepting `limit` messages a second.
    pub async fn start_with(
        blocked: impl IntoIterator<Item = i64>,
        limit: usize,
    ) -> std::io::Result<FakeBotApi> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let state = Arc::new(Mutex::new(State {
            blocked: blocked.into_iter().collect(),
            limit,
            next_message_id: 1,
            ..State::default()
        }));
        let api = FakeBotApi {
            addr: listener.local_addr()?,
            state: state.clone(),
        };
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, state.clone()));
            }
        });
        Ok(api)
    }

    /// The URL to give teloxide (`Bot::set_api_url`).
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// (chat, when) of every message accepted, in order.
    pub fn delivered(&self) -> Vec<(i64, Instant)> {
        self.state.lock().expect("fake lock").delivered.clone()
    }

    /// How many requests got 429 and 403.
    pub fn refusals(&self) -> (u64, u64) {
        let s = self.state.lock().expect("fake lock");
        (s.too_many, s.forbidden)
    }
}

/// One connection, kept alive: each request answered by [`answer`].
async fn serve(stream: TcpStream, state: Arc<Mutex<State>>) {
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let state = state.clone();
        async move {
            // Telegram's method names are case-insensitive (teloxide writes `SendMessage`).
            let method = req
                .uri()
                .path()
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            let body = req.into_body().collect().await?.to_bytes();
            let request: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let (status, reply) = answer(&state, &method, &request);
            Ok::<_, hyper::Error>(
                Response::builder()
                    .status(status)
                    .header("content-type", "application/json")
                    .body(Full::new(Bytes::from(reply.to_string())))
                    .expect("a valid response"),
            )
        }
    });
    let io = hyper_util::rt::TokioIo::new(stream);
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(io, service)
        .await;
}

fn answer(
    state: &Mutex<State>,
    method: &str,
    request: &serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    use serde_json::json;
    let chat = request["chat_id"].as_i64().unwrap_or_default();
    let mut s = state.lock().expect("fake lock");
    let now = Instant::now();
    match method {
        "sendmessage" | "copymessage" => {
            while s
                .window
                .front()
                .is_some_and(|at| now.duration_since(*at) >= Duration::from_secs(1))
            {
                s.window.pop_front();
            }
            if s.window.len() >= s.limit {
                s.too_many += 1;
                return (
                    StatusCode::TOO_MANY_REQUESTS,
                    json!({"ok": false, "error_code": 429,
                           "description": "Too Many Requests: retry after 1",
                           "parameters": {"retry_after": 1}}),
                );
            }
            if s.blocked.contains(&chat) {
                s.forbidden += 1;
                return (
                    StatusCode::FORBIDDEN,
                    json!({"ok": false, "error_code": 403,
                           "description": "Forbidden: bot was blocked by the user"}),
                );
            }
            s.window.push_back(now);
            s.delivered.push((chat, now));
            let id = s.next_message_id;
            s.next_message_id += 1;
            if method == "copymessage" {
                (
                    StatusCode::OK,
                    json!({"ok": true, "result": {"message_id": id}}),
                )
            } else {
                (
                    StatusCode::OK,
                    json!({"ok": true, "result": message(id, chat, request)}),
                )
            }
        }
        "editmessagetext" => {
            let id = request["message_id"].as_i64().unwrap_or(1);
            (
                StatusCode::OK,
                json!({"ok": true, "result": message(id, chat, request)}),
            )
        }
        _ => (
            StatusCode::NOT_FOUND,
            json!({"ok": false, "error_code": 404, "description": "Not Found: method not found"}),
        ),
    }
}

/// A text message as the Bot API returns one.
fn message(id: i64, chat: i64, request: &serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "message_id": id,
        "date": 0,
        "chat": {"id": chat, "type": "private", "first_name": "Customer"},
        "text": request["text"].as_str().unwrap_or(""),
    })
}
