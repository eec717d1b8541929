//! The checks after a file and at a batch's end, on the demo's data in SQLite. Timing is
//! printed (`cargo test --release --lib validate -- --nocapture --ignored`), never asserted.

use super::*;
use crate::emit::Emitter;
use std::path::Path;

/// The demo plan and folder, with the target in `dir`.
fn workspace(dir: &Path) -> (Workspace, ConnectInfo) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let plan_path = root.join("sample-configs/demo.toml");
    let text = std::fs::read_to_string(&plan_path).expect("demo plan");
    let url = format!("sqlite://{}", dir.join("demo.db").display());
    let u = url.clone();
    let env = move |n: &str| (n == "CUTOVER_DEMO_URL").then(|| u.clone());
    let plan = crate::plan::parse(&text, &plan_path, &env).expect("demo plan parses");
    let opts = crate::source::ReadOptions {
        format: plan.migrations.format,
        pattern: None,
    };
    let folder = crate::source::read_folder(&plan.migrations.dir, &opts).expect("folder");
    let batches = crate::plan::resolve_batches(&plan, &folder.migrations).expect("batches");
    let info = ConnectInfo {
        url,
        display: "demo.db".into(),
        init_sql: Vec::new(),
        create_missing: true,
    };
    (
        Workspace {
            plan,
            folder,
            batches,
        },
        info,
    )
}

fn emitter() -> (Emitter, tokio::sync::mpsc::Receiver<crate::event::Stamped>) {
    let (tx, rx) = tokio::sync::mpsc::channel(10_000);
    (Emitter::new(tx), rx)
}

async fn demo_applied(dir: &Path) -> (Workspace, Conn) {
    let (ws, info) = workspace(dir);
    let (mut conn, _) = db::connect(&info).await.expect("connects");
    for m in &ws.folder.migrations {
        conn.execute(&m.up_sql).await.expect("demo file applies");
    }
    (ws, conn)
}

#[tokio::test]
async fn after_each_demo_file_every_default_check_passes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ws, mut conn) = demo_applied(dir.path()).await;
    let (em, mut rx) = emitter();
    let results = after_file(&mut conn, &ws, ws.folder.migrations.len() - 1, &em).await;
    // 0010 names orders: the two keys from and to it, and the integrity check.
    assert_eq!(results.len(), 3, "{results:#?}");
    assert!(results.iter().all(|r| r.passed), "{results:#?}");
    assert!(results.iter().all(|r| r.file.as_deref() == Some("0010")));
    let mut emitted = 0;
    while let Ok(s) = rx.try_recv() {
        if matches!(s.event, Event::CheckFinished(_)) {
            emitted += 1;
        }
    }
    assert_eq!(emitted, 3);

    // An orphaned item and a broken verify script are findings, not errors.
    conn.execute("PRAGMA foreign_keys = OFF; DELETE FROM orders WHERE id = 7")
        .await
        .expect("orphans an item");
    let mut ws = ws;
    ws.folder.migrations[9].verify_sql = Some("SELECT no_such_column FROM orders".into());
    let results = after_file(&mut conn, &ws, 9, &em).await;
    let failed: Vec<&CheckResult> = results.iter().filter(|r| !r.passed).collect();
    assert_eq!(failed.len(), 2, "{results:#?}");
    assert_eq!(failed[0].kind, "verify");
    assert!(
        failed[0].detail.contains("no_such_column"),
        "{}",
        failed[0].detail
    );
    assert_eq!(failed[1].kind, "orphans");
    assert!(
        failed[1]
            .detail
            .contains("2 orphan row(s) in order_items.order_id -> orders.id"),
        "{}",
        failed[1].detail
    );
    assert!(failed[1].detail.contains("id=13"), "{}", failed[1].detail);
}

#[tokio::test]
async fn a_batch_validation_is_emitted_and_recorded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut ws, mut conn) = demo_applied(dir.path()).await;
    ws.plan.base_dir = dir.path().to_path_buf();
    let (em, _rx) = emitter();
    let (verdict, results) = batch(&mut conn, &ws, "demo.db", 0, "tester", &em).await;
    assert_eq!(verdict, BatchVerdict::Passed, "{results:#?}");
    let store = Store::open(dir.path()).await.expect("state");
    let v = store
        .last_validation("demo.db", 1)
        .await
        .expect("reads")
        .expect("recorded");
    assert_eq!(v.verdict, BatchVerdict::Passed);
    assert_eq!((v.passed, v.total), (results.len(), results.len()));
    assert_eq!(v.operator, "tester");
}

/// Prints how long the checks after each demo file take (the target: under 100 ms).
#[tokio::test]
#[ignore]
async fn time_after_file_on_the_demo() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ws, info) = workspace(dir.path());
    let (mut conn, _) = db::connect(&info).await.expect("connects");
    let (em, mut rx) = emitter();
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    for (i, m) in ws.folder.migrations.iter().enumerate() {
        conn.execute(&m.up_sql).await.expect("demo file applies");
        let (t, cpu) = (std::time::Instant::now(), cpu_ms());
        let r = after_file(&mut conn, &ws, i, &em).await;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        let cpu = cpu_ms() - cpu;
        assert!(r.iter().all(|r| r.passed), "{r:#?}");
        let each: Vec<String> = r
            .iter()
            .map(|x| format!("{} {:.1}", x.check, x.elapsed_ms))
            .collect();
        println!(
            "after {}: {ms:.1} ms wall, {cpu:.0} ms cpu ({})",
            m.version,
            each.join(", ")
        );
    }
    drop(em);
    drain.abort();
}

/// This process's CPU time (user + system) in ms, from /proc: on a shared machine the
/// wall time says more about the neighbours than about the checks.
fn cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, s)| s).unwrap_or("");
    let f: Vec<f64> = after
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    // Fields 14 and 15 (utime, stime) in clock ticks (100 per second on Linux).
    (f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0)) * 10.0
}
