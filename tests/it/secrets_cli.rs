//! Secrets at the process's edges, as real processes: a database password is refused on the
//! command line (where `ps` shows it) and read from a file or the environment instead, and an
//! update teloxide cannot parse (a two-step password in it) never reaches the log.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::helpers::wait_for;

fn autoposter() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_autoposter"));
    command
        .env_remove("DATABASE_URL")
        .env_remove("AUTOPOSTER_MASTER_KEY");
    command
}

#[test]
fn a_database_password_on_the_command_line_is_refused_with_where_to_put_it() {
    for args in [
        &["engine", "--simulated-accounts"][..],
        &["run", "--simulated-accounts"][..],
        &["bench", "soak"][..],
    ] {
        let out = autoposter()
            .args(args)
            .args(["--database-url", "postgres://app:hunter2@127.0.0.1:1/x"])
            .env("TELOXIDE_TOKEN", "1:token")
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {said}");
        assert!(
            said.contains("carries a password")
                && said.contains("DATABASE_URL")
                && said.contains("--database-url-file"),
            "{args:?}: {said}"
        );
        assert!(!said.contains("hunter2"), "{args:?}: {said}");
    }
    // --help says where the URL may come from.
    let help = autoposter().args(["engine", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("DATABASE_URL") && help.contains("--database-url-file"),
        "{help}"
    );
}

#[test]
fn the_database_url_can_come_from_a_file() {
    let dir = std::env::temp_dir().join(format!("autoposter-url-file-{}", fastrand::u64(..)));
    std::fs::create_dir_all(&dir).unwrap();
    let url_file = dir.join("database-url");
    std::fs::write(
        &url_file,
        format!("sqlite:{}\n", dir.join("from-file.db").display()),
    )
    .unwrap();
    let mut engine = autoposter()
        .args(["engine", "--simulated-accounts", "--database-url-file"])
        .arg(&url_file)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(&mut engine, "engine running");
    assert!(dir.join("from-file.db").exists());
    unsafe { libc::kill(engine.id() as i32, libc::SIGTERM) };
    assert!(engine.wait().unwrap().success());
    // Not both at once.
    let out = autoposter()
        .args([
            "engine",
            "--database-url",
            "sqlite::memory:",
            "--database-url-file",
        ])
        .arg(&url_file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A Bot API on a free local port that answers getMe, sends `update` on the first getUpdates
/// and nothing after, and says yes to everything else; counts the getUpdates.
fn fake_bot_api(update: &'static str) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let polls = Arc::new(AtomicUsize::new(0));
    let counted = polls.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let polls = counted.clone();
            std::thread::spawn(move || answer_requests(stream, update, &polls));
        }
    });
    (port, polls)
}

/// Answers one connection's requests (keep-alive) until the client closes it.
fn answer_requests(stream: TcpStream, update: &str, polls: &AtomicUsize) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            if header == "\r\n" {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap();
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let path = request_line.split(' ').nth(1).unwrap_or_default();
        let method = path.rsplit('/').next().unwrap_or_default().to_lowercase();
        let result = match method.as_str() {
            "getme" => "{\"id\": 1, \"is_bot\": true, \"first_name\": \"Autoposter\", \
                        \"username\": \"autoposter_bot\", \"can_join_groups\": false, \
                        \"can_read_all_group_messages\": false, \
                        \"supports_inline_queries\": false, \"has_main_web_app\": false}"
                .to_string(),
            "getupdates" => match polls.fetch_add(1, Ordering::SeqCst) {
                0 => format!("[{update}]"),
                _ => {
                    std::thread::sleep(Duration::from_millis(100));
                    "[]".to_string()
                }
            },
            _ => "true".to_string(),
        };
        let body = format!("{{\"ok\": true, \"result\": {result}}}");
        let sent = write!(
            writer,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        if sent.is_err() {
            return;
        }
    }
}

#[test]
fn an_update_teloxide_cannot_parse_is_logged_by_id_without_its_content() {
    // A message with a two-step password in it, that teloxide cannot parse (no chat, no date).
    let (port, polls) = fake_bot_api(
        "{\"update_id\": 7, \"message\": {\"message_id\": 1, \"text\": \"my password: hunter2\"}}",
    );
    let mut bot = autoposter()
        .args(["run", "--simulated-accounts", "--bot-api-url"])
        .arg(format!("http://127.0.0.1:{port}/"))
        .env("TELOXIDE_TOKEN", "1:token")
        .env("DATABASE_URL", "sqlite::memory:")
        .env("RUST_LOG", "trace")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The second getUpdates asks past update 7: the dispatcher has had it.
    let start = Instant::now();
    while polls.load(Ordering::SeqCst) < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the bot never polled twice"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    unsafe { libc::kill(bot.id() as i32, libc::SIGTERM) };
    let mut log = String::new();
    bot.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    assert!(bot.wait().unwrap().success(), "{log}");
    assert!(!log.contains("hunter2"), "{log}");
    assert!(
        plain(&log)
            .lines()
            .any(|l| l.contains("cannot parse") && l.contains("update_id=7")),
        "{log}"
    );
}

/// `text` without its colour codes (ESC [ … m).
fn plain(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            chars.by_ref().find(|&c| c == 'm');
        } else {
            out.push(c);
        }
    }
    out
}
