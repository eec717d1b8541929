//! The shipped samples work as README says: `cutover demo`, and the demo plan on each
//! backend through sample-configs/.

mod common;
use common::*;

fn repo() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

on_all_backends!(demo_plan_applies_in_three_batches, |b| {
    let Some(db) = TestDb::new(b, "demo_plan") else {
        return;
    };
    let (plan, var) = match b {
        Backend::Sqlite => ("sample-configs/demo.toml", "CUTOVER_DEMO_URL"),
        Backend::Postgres => ("sample-configs/postgres.toml", "CUTOVER_PG_URL"),
        Backend::Mysql => ("sample-configs/mysql.toml", "CUTOVER_MYSQL_URL"),
    };
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
            .args(["apply", "-p", plan])
            .current_dir(repo())
            .env(var, &db.url)
            .output()
            .expect("run")
    };
    let out = run();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    for batch in [
        "batch 1 simple-replacements",
        "batch 2 service-layer",
        "batch 3 complex",
    ] {
        assert!(t.contains(batch), "{batch}: {t}");
    }
    assert_eq!(db.scalar("SELECT COUNT(*) FROM customers"), 20_000);
    assert_eq!(db.scalar("SELECT COUNT(*) FROM products"), 1_000);
    assert_eq!(db.scalar("SELECT COUNT(*) FROM orders"), 60_000);
    assert_eq!(db.scalar("SELECT COUNT(*) FROM order_items"), 120_000);
    assert_eq!(db.scalar("SELECT COUNT(*) FROM order_statuses"), 3);
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM orders WHERE total_cents IS NULL"),
        0
    );
    assert!(db.scalar("SELECT COUNT(*) FROM daily_revenue") > 0);
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM cutover_history WHERE status = 'applied'"),
        10
    );
    // The seed is deterministic: the same totals on every backend.
    // The backfill in 0006 agrees with the items it was computed from.
    let int = |expr: &str| match b {
        Backend::Mysql => format!("CAST({expr} AS SIGNED)"),
        _ => format!("CAST({expr} AS BIGINT)"),
    };
    let orders_total = db.scalar(&format!("SELECT {} FROM orders", int("SUM(total_cents)")));
    let items_total = db.scalar(&format!(
        "SELECT {} FROM order_items",
        int("SUM(quantity * price_cents)")
    ));
    assert!(orders_total > 0);
    assert_eq!(orders_total, items_total);
    let again = run();
    assert!(
        text(&again).contains("nothing to apply"),
        "{}",
        text(&again)
    );
});

#[test]
fn demo_command_makes_a_throwaway_copy_and_migrates_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = dir.path().join("demo");
    let out = cutover(dir.path(), &["demo", "--dir", demo.to_str().expect("utf8")]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("applied 10 file(s)"), "{t}");
    let db = demo.join("shop.db");
    assert!(db.exists());
    // A second demo into the same folder refuses instead of touching it.
    let out = cutover(dir.path(), &["demo", "--dir", demo.to_str().expect("utf8")]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("already holds a demo"),
        "{}",
        text(&out)
    );
}
