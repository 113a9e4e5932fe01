//! The `autoposter demo` command as a user runs it: JSON lines parsed and checked, refusals
//! on stderr with the seed's texts and a non-zero exit.

use std::process::Command;

use serde_json::Value;

fn demo(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_autoposter"))
        .arg("demo")
        .args(args)
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn the_default_demo_as_json_follows_the_seeds_timing_exactly() {
    let (code, stdout, stderr) = demo(&["--json", "--virtual-clock"]);
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (summary, posts) = lines.split_last().unwrap();
    // Defaults: starter, 2 accounts × 3 groups, 3 s, 1 minute (offsets 0 and 30 s), 5 s
    // between cycles, 2 cycles. Cycle 1 ends at 39 s, so cycle 2 starts at 44 s.
    let mut got: Vec<(i64, i64, i64, f64)> = posts
        .iter()
        .map(|p| {
            assert_eq!(p["outcome"], "sent");
            assert_eq!(p["sent_ms"], p["target_ms"]);
            assert_eq!(p["lateness_ms"].as_f64(), Some(0.0));
            (
                p["cycle"].as_i64().unwrap(),
                p["account"].as_i64().unwrap(),
                p["group"].as_i64().unwrap(),
                p["target_ms"].as_f64().unwrap(),
            )
        })
        .collect();
    got.sort_by(|a, b| a.3.total_cmp(&b.3).then(a.1.cmp(&b.1)));
    let mut want = Vec::new();
    for (cycle, start) in [(1, 0.0), (2, 44_000.0)] {
        for (account, offset) in [(1, 0.0), (2, 30_000.0)] {
            for group in 1..=3 {
                want.push((
                    cycle,
                    account,
                    group,
                    start + offset + 3_000.0 * (group - 1) as f64,
                ));
            }
        }
    }
    assert_eq!(got, want);
    let s = &summary["summary"];
    assert_eq!(s["mode"], "starter");
    assert_eq!(
        (
            s["cycles"].as_i64(),
            s["posts"].as_i64(),
            s["sent"].as_i64()
        ),
        (Some(2), Some(12), Some(12))
    );
    assert_eq!(
        s["logged"].as_i64(),
        Some(12),
        "every post reached the post log"
    );
    assert_eq!(s["cycle_reports"][1]["start_ms"].as_f64(), Some(44_000.0));
    assert_eq!(s["cycle_reports"][0]["end_ms"].as_f64(), Some(39_000.0));
}

#[test]
fn an_infeasible_demo_exits_non_zero_with_the_seeds_message() {
    let (code, stdout, stderr) = demo(&[
        "--groups",
        "10",
        "--delay-between-posts",
        "5",
        "--virtual-clock",
    ]);
    assert_eq!(code, 1);
    assert_eq!(
        stderr.trim(),
        "Starter mode infeasible: session runtime (50s) must be less than per-session offset (30.0s). Increase total_cycle_minutes or reduce groups/delay."
    );
    assert!(stdout.is_empty(), "nothing ran: {stdout}");
}

#[test]
fn a_delay_under_the_floor_warns_and_runs_at_three_seconds() {
    let (code, stdout, stderr) = demo(&[
        "--json",
        "--virtual-clock",
        "--mode",
        "enterprise",
        "--delay-between-posts",
        "1",
        "--cycles",
        "1",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("warning: delay_between_posts (1s) below minimum (3s), enforcing minimum"),
        "{stderr}"
    );
    let targets: Vec<f64> = stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["account"] == 1)
        .map(|v| v["target_ms"].as_f64().unwrap())
        .collect();
    assert_eq!(targets, vec![0.0, 3_000.0, 6_000.0]);
}

#[test]
fn the_other_mode_than_the_plans_is_refused_with_the_seeds_texts() {
    let (code, _, stderr) = demo(&[
        "--mode",
        "enterprise",
        "--plan",
        "starter",
        "--virtual-clock",
    ]);
    assert_eq!(code, 1);
    assert_eq!(stderr.trim(), "STARTER plan requires starter execution mode. Cannot use enterprise mode with STARTER plan.");
    let (code, _, stderr) = demo(&[
        "--mode",
        "starter",
        "--plan",
        "enterprise",
        "--virtual-clock",
    ]);
    assert_eq!(code, 1);
    assert_eq!(stderr.trim(), "ENTERPRISE plan requires enterprise execution mode. Cannot use starter mode with ENTERPRISE plan.");
}

#[test]
fn bad_numbers_are_refused_before_anything_runs() {
    for (args, message) in [
        (
            vec!["--delay-between-posts", "nan"],
            "delay_between_posts is not a number",
        ),
        (
            vec!["--delay-between-posts", "-3"],
            "delay_between_posts must be greater than zero",
        ),
        (
            vec!["--delay-between-cycles", "-1"],
            "delay_between_cycles must not be negative",
        ),
        (
            vec!["--cycle-minutes", "0"],
            "total_cycle_minutes must be greater than zero",
        ),
        (
            vec!["--cycle-minutes", "1e12"],
            "total_cycle_minutes is too large (at most 10080 min)",
        ),
        (
            vec!["--accounts", "0"],
            "there are no accounts to post from",
        ),
        (vec!["--groups", "0"], "there are no groups to post to"),
        (vec!["--cycles", "0"], "--cycles must be at least 1"),
    ] {
        let mut all = args.clone();
        all.push("--virtual-clock");
        let (code, stdout, stderr) = demo(&all);
        assert_ne!(code, 0, "{args:?}");
        assert_eq!(stderr.trim(), message, "{args:?}");
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
    }
}

#[test]
fn run_never_prints_the_bot_token_and_refuses_real_accounts_for_now() {
    let token = "123456:SECRET-token-value";
    // No Bot API server listens on port 9: registering the commands fails.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_autoposter"))
        .args([
            "run",
            "--simulated-accounts",
            "--bot-api-url",
            "http://127.0.0.1:9/",
        ])
        .env("TELOXIDE_TOKEN", token)
        .env("DATABASE_URL", "sqlite::memory:")
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Telegram refused the bot"), "{stderr}");
    assert!(
        !stderr.contains("SECRET") && !stdout.contains("SECRET"),
        "{stderr}"
    );

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_autoposter"))
        .args(["run"])
        .env("TELOXIDE_TOKEN", token)
        .env("DATABASE_URL", "sqlite::memory:")
        .env_remove("AUTOPOSTER_SIMULATED_ACCOUNTS")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("--simulated-accounts"), "{stderr}");
    assert!(!stderr.contains("SECRET"));

    // --help shows where the token comes from, never its value.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_autoposter"))
        .args(["run", "--help"])
        .env("TELOXIDE_TOKEN", token)
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("TELOXIDE_TOKEN") && !help.contains("SECRET"),
        "{help}"
    );
}

fn posts(stdout: &str) -> Vec<Value> {
    let mut lines: Vec<Value> = (stdout.lines())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    lines.pop(); // the summary
    lines
}

#[test]
fn media_posts_name_their_kind_items_first_hash_and_topic() {
    use autoposter::schedule::content::Sha256;
    let dir = std::env::temp_dir().join(format!("autoposter-demo-media-{}", fastrand::u64(..)));
    std::fs::create_dir_all(&dir).unwrap();
    let file = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path.display().to_string()
    };
    let (photo, video, gif, pdf) = (
        file("a.JPG", b"photo"),
        file("b.mp4", b"video"),
        file("c.gif", b"gif"),
        file("d.pdf", b"pdf"),
    );
    let base = ["--json", "--virtual-clock", "--cycles", "1"];
    let run = |extra: &[&str]| {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        let (code, stdout, stderr) = demo(&args);
        assert_eq!(code, 0, "{stderr}");
        posts(&stdout)
    };
    // A text post, as before: kind text, one item, no hash, no topic.
    for p in run(&[]) {
        assert_eq!(
            (&p["kind"], &p["items"], &p["media_sha256"], &p["topic"]),
            (
                &Value::from("text"),
                &Value::from(1),
                &Value::Null,
                &Value::Null
            )
        );
    }
    let singles = [
        (&photo, "photo", b"photo".as_slice()),
        (&video, "video", b"video"),
        (&gif, "animation", b"gif"),
        (&pdf, "document", b"pdf"),
    ];
    for (path, kind, bytes) in singles {
        let got = run(&["--media", path, "--caption", "<b>hi</b>", "--topic", "5"]);
        assert_eq!(got.len(), 6, "2 accounts × 3 groups");
        for p in got {
            assert_eq!(p["outcome"], "sent", "{p}");
            assert_eq!(p["kind"], kind);
            assert_eq!(p["items"], 1);
            assert_eq!(p["media_sha256"], Sha256::of(bytes).hex());
            assert_eq!(p["topic"], 5);
        }
    }
    let album = run(&["--media", &video, "--media", &photo]);
    for p in &album {
        assert_eq!(
            (&p["kind"], &p["items"], &p["outcome"]),
            (&Value::from("album"), &Value::from(2), &Value::from("sent"))
        );
        assert_eq!(
            p["media_sha256"],
            Sha256::of(b"video").hex(),
            "the first item"
        );
        assert_eq!(p["topic"], Value::Null);
    }
    // Refused before anything runs: a document among photos, more than ten, a missing file.
    let (code, _, stderr) = demo(&["--media", &photo, "--media", &pdf]);
    assert_eq!(code, 2);
    assert!(stderr.contains("documents can't be mixed"), "{stderr}");
    let eleven: Vec<&str> = (0..11).flat_map(|_| ["--media", photo.as_str()]).collect();
    let (code, _, stderr) = demo(&eleven);
    assert_eq!(code, 2);
    assert!(stderr.contains("at most 10"), "{stderr}");
    let (code, _, stderr) = demo(&["--media", "/nonexistent/x.png"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("/nonexistent/x.png"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
