use autoposter::store::{PostRow, Store};
fn cpu() -> f64 {
    autoposter::engine::fleet::process_usage().0
}
#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let path = std::env::args().nth(1).unwrap();
    let _ = std::fs::remove_file(&path);
    let store = Store::connect(&format!("sqlite:{path}")).await.unwrap();
    let batch = 670;
    let c0 = cpu();
    for b in 0..100i64 {
        let rows: Vec<PostRow> = (0..batch)
            .map(|i| PostRow {
                cycle_id: b / 10 * 1000 + i / 20,
                customer_id: i / 20,
                account_id: b % 10 * 100 + i,
                group_id: i % 20,
                random_id: fastrand::i64(..),
                target_at: 1_700_000_000_000 + b * 200,
                sent_at: Some(1_700_000_000_001 + b * 200),
                lateness_us: Some(1100),
                outcome: "sent".into(),
                error: None,
            })
            .collect();
        store.insert_posts(&rows).await.unwrap();
    }
    println!("{} rows: cpu {:.3}s", 100 * batch, cpu() - c0);
}
