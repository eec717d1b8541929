//! Validation inside `cutover apply`, run as an operator would, headless: a batch whose
//! check fails stops the run before the next batch (and keeps stopping it until the data
//! is fixed or someone forces it, recorded); a critical finding under `on_failure =
//! rollback-batch` rolls the batch back; the checks after each file (a Sqitch verify
//! script, the default orphan check) report after that file.

mod common;
use common::*;
use std::path::Path;

fn run(db: &TestDb, args: &[&str]) -> (i32, String) {
    let out = cutover(db.dir.path(), args);
    (out.status.code().unwrap_or(-1), text(&out))
}

/// Batch 1 makes `customers` (3 rows) and `orders`; batch 2 makes `items`. Batch 1's
/// check wants at least `min` customers.
fn two_batches(db: &TestDb, min: i64, on_failure: &str) {
    write_files(
        &db.migrations_dir(),
        &[
            (
                "0001_customers.up.sql",
                "CREATE TABLE customers (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(40) NOT NULL);\n\
                 INSERT INTO customers (id, name) VALUES (1, 'ann'), (2, 'bo'), (3, 'cy');\n",
            ),
            ("0001_customers.down.sql", "DROP TABLE customers;\n"),
            (
                "0002_orders.up.sql",
                "CREATE TABLE orders (id INTEGER NOT NULL PRIMARY KEY, customer_id INTEGER NOT NULL);\n\
                 INSERT INTO orders (id, customer_id) VALUES (1, 1), (2, 2);\n",
            ),
            ("0002_orders.down.sql", "DROP TABLE orders;\n"),
            (
                "0003_items.up.sql",
                "CREATE TABLE items (id INTEGER NOT NULL PRIMARY KEY);\n",
            ),
            ("0003_items.down.sql", "DROP TABLE items;\n"),
        ],
    );
    db.write_plan(&format!(
        r#"format = "sqlx"

[checkpoints]
backup = "per-batch"

[[batch]]
name = "people"
files = ["0001..=0002"]
on_failure = "{on_failure}"

  [[batch.check]]
  kind = "row_count"
  table = "customers"
  compare = {{ min = {min} }}
  severity = "critical"

[[batch]]
name = "stock"
files = ["0003"]
"#
    ));
}

/// `(operator, reason, batch)` of every override in the plan's state database.
fn overrides(dir: &Path) -> Vec<(String, String, i64)> {
    let state = TestDb::sqlite_at(&dir.join(".cutover/state.db"));
    let rows = state
        .strings("SELECT operator || '|' || reason || '|' || batch FROM overrides ORDER BY id");
    rows.iter()
        .map(|r| {
            let p: Vec<&str> = r.split('|').collect();
            (
                p[0].to_string(),
                p[1].to_string(),
                p[2].parse().unwrap_or(-1),
            )
        })
        .collect()
}

/// The latest recorded verdict of batch `n`.
fn last_verdict(dir: &Path, n: i64) -> String {
    let state = TestDb::sqlite_at(&dir.join(".cutover/state.db"));
    state
        .strings(&format!(
            "SELECT verdict FROM validations WHERE batch = {n} ORDER BY id DESC LIMIT 1"
        ))
        .pop()
        .unwrap_or_default()
}

on_all_backends!(a_failed_batch_stops_the_run_until_forced, |b| {
    let Some(db) = TestDb::new(b, "gate_forced") else {
        return;
    };
    two_batches(&db, 10, "stop");
    let json = db.dir.path().join("r.json");
    let json_arg = json.display().to_string();
    let (code, out) = run(&db, &["apply", "--json", &json_arg]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("batch 1 people failed its validation"),
        "{out}"
    );
    assert!(out.contains("--force-progress"), "{out}");
    assert!(db.has_table("orders"), "batch 1 stays applied: {out}");
    assert!(!db.has_table("items"), "batch 2 must not run: {out}");
    assert_eq!(last_verdict(db.dir.path(), 1), "failed");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json")).expect("parses");
    assert_eq!(report["exit_code"], 1, "{report}");
    assert_eq!(report["batches"][0]["verdict"], "failed", "{report}");
    let findings = report["findings"].as_array().expect("findings");
    assert!(
        findings.iter().any(|f| f["kind"] == "row_count"
            && f["passed"] == false
            && f["severity"] == "critical"),
        "{report}"
    );

    // Remembered: a new run validates batch 1 again, and it still fails.
    let (code, out) = run(&db, &["apply"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("failed its validation"), "{out}");
    assert!(!db.has_table("items"), "{out}");

    // An empty reason is refused before anything runs.
    let (code, out) = run(&db, &["apply", "--force-progress", " "]);
    assert_eq!(code, 2, "{out}");
    assert!(!db.has_table("items"), "{out}");

    let (code, out) = run(
        &db,
        &[
            "apply",
            "--operator",
            "ana",
            "--force-progress",
            "seed data arrives tomorrow",
        ],
    );
    // Forced past, the finding still failed: the exit code says so.
    assert_eq!(code, 1, "{out}");
    assert!(db.has_table("items"), "forced: batch 2 runs: {out}");
    assert!(
        out.contains("going on as forced by ana: seed data arrives tomorrow"),
        "{out}"
    );
    assert_eq!(
        overrides(db.dir.path()),
        vec![(
            "ana".to_string(),
            "seed data arrives tomorrow".to_string(),
            1
        )]
    );
    // The journal carries the override as an event.
    let sessions = db.dir.path().join(".cutover/sessions");
    let journal: String = std::fs::read_dir(&sessions)
        .map(|d| {
            d.flatten()
                .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
                .collect()
        })
        .unwrap_or_default();
    if !journal.is_empty() {
        assert!(journal.contains("progress_forced") || journal.contains("ProgressForced"));
    }
});

on_all_backends!(fixing_the_data_lets_the_next_batch_start, |b| {
    let Some(db) = TestDb::new(b, "gate_fixed") else {
        return;
    };
    two_batches(&db, 5, "stop");
    let (code, out) = run(&db, &["apply"]);
    assert_eq!(code, 1, "{out}");
    assert!(!db.has_table("items"), "{out}");
    db.exec("INSERT INTO customers (id, name) VALUES (4, 'di'), (5, 'ed')");
    let (code, out) = run(&db, &["apply"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("validating it before batch 2 starts"), "{out}");
    assert!(db.has_table("items"), "{out}");
    assert_eq!(last_verdict(db.dir.path(), 1), "passed");
    assert!(overrides(db.dir.path()).is_empty());
});

on_all_backends!(a_critical_finding_rolls_the_batch_back, |b| {
    let Some(db) = TestDb::new(b, "gate_rollback") else {
        return;
    };
    two_batches(&db, 10, "rollback-batch");
    let (code, out) = run(&db, &["apply"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("critical check"), "{out}");
    assert!(out.contains("on_failure = rollback-batch"), "{out}");
    assert!(out.contains("automatic rollback: undid 2 file(s)"), "{out}");
    assert!(
        !db.has_table("customers") && !db.has_table("orders"),
        "{out}"
    );
    assert!(!db.has_table("items"), "{out}");
    let ledger =
        db.strings("SELECT version || ' ' || status FROM cutover_history ORDER BY version");
    assert!(
        ledger.contains(&"0001 rolled_back".to_string()),
        "{ledger:?}"
    );
    assert!(
        ledger.contains(&"0002 rolled_back".to_string()),
        "{ledger:?}"
    );
});

/// A file that leaves an orphan: the default orphan check reports it after that file,
/// and its (blocking) finding keeps the next batch from starting.
#[test]
fn an_orphan_left_by_a_file_is_reported_after_it() {
    let Some(db) = TestDb::new(Backend::Sqlite, "gate_orphan") else {
        return;
    };
    write_files(
        &db.migrations_dir(),
        &[
            (
                "0001_customers.sql",
                "CREATE TABLE customers (id INTEGER NOT NULL PRIMARY KEY);\nINSERT INTO customers VALUES (1);\n",
            ),
            (
                "0002_orders.sql",
                "CREATE TABLE orders (id INTEGER NOT NULL PRIMARY KEY, customer_id INTEGER REFERENCES customers(id));\n\
                 PRAGMA foreign_keys = OFF;\nINSERT INTO orders VALUES (1, 1), (2, 99);\n",
            ),
            ("0003_items.sql", "CREATE TABLE items (id INTEGER NOT NULL PRIMARY KEY);\n"),
        ],
    );
    db.write_plan(
        "format = \"sqlx\"\n\n[[batch]]\nname = \"one\"\nfiles = [\"0001..=0002\"]\n\n[[batch]]\nname = \"two\"\nfiles = [\"0003\"]\n",
    );
    let (code, out) = run(&db, &["apply"]);
    assert_eq!(code, 1, "{out}");
    let after = out
        .lines()
        .find(|l| l.contains("after 0002") && l.contains("orphans"))
        .unwrap_or_else(|| panic!("no orphan finding after 0002: {out}"));
    assert!(after.contains("orders"), "{after}");
    assert!(
        !out.lines()
            .any(|l| l.contains("after 0001") && l.contains("failed")),
        "{out}"
    );
    assert!(!db.has_table("items"), "{out}");
}

/// Orphans are found whether or not the parent's ids are dense (1..=N, where keys
/// inside the range are not looked up): a key past the range, a text key that looks
/// like a number, and a key in a gap of a parent that is not dense; a real that equals
/// an id and a NULL are no orphans.
#[test]
fn orphans_are_found_around_a_dense_parent_and_in_a_gap() {
    let Some(db) = TestDb::new(Backend::Sqlite, "gate_dense") else {
        return;
    };
    write_files(
        &db.migrations_dir(),
        &[(
            "0001_all.sql",
            "CREATE TABLE customers (id INTEGER NOT NULL PRIMARY KEY);\n\
             INSERT INTO customers VALUES (1), (2), (3), (4), (5);\n\
             CREATE TABLE shops (id INTEGER NOT NULL PRIMARY KEY);\n\
             INSERT INTO shops VALUES (1), (2), (4);\n\
             CREATE TABLE orders (id INTEGER NOT NULL PRIMARY KEY, \
               customer_id INTEGER REFERENCES customers(id), shop_id INTEGER REFERENCES shops(id));\n\
             INSERT INTO orders VALUES (1, 3, 1), (2, 9, 2), (3, '2x', 4), (4, 2.0, 3), (5, NULL, NULL), (6, 5, 1);\n",
        )],
    );
    db.write_plan("format = \"sqlx\"\n\n[[batch]]\nname = \"one\"\nfiles = [\"0001\"]\n");
    let (code, out) = run(&db, &["apply"]);
    assert_eq!(code, 1, "{out}");
    let finding = |what: &str| {
        out.lines()
            .find(|l| l.contains("after 0001") && l.contains(what))
            .unwrap_or_else(|| panic!("no finding on {what}: {out}"))
    };
    let customers = finding("orphans orders.customer_id");
    assert!(
        customers.contains("2 orphan row(s) in orders.customer_id -> customers.id")
            && customers.contains("id=2, customer_id=9; id=3, customer_id=2x)"),
        "{customers}"
    );
    let shops = finding("orphans orders.shop_id");
    assert!(
        shops.contains("1 orphan row(s) in orders.shop_id -> shops.id (e.g. id=4, shop_id=3)"),
        "{shops}"
    );
}

/// A Sqitch project's verify script runs after its change; one that errors is a finding
/// on that change.
#[test]
fn a_failing_sqitch_verify_is_reported_after_its_change() {
    let Some(db) = TestDb::new(Backend::Sqlite, "gate_sqitch") else {
        return;
    };
    let wrap = |s: &str| format!("BEGIN;\n{s}COMMIT;\n");
    write_files(
        &db.migrations_dir(),
        &[
            (
                "sqitch.plan",
                "%syntax-version=1.0.0\n%project=gate\n\n\
                 users 2024-01-01T00:00:00Z Ann Example <ann@example.com> # Users.\n\
                 posts [users] 2024-01-02T00:00:00Z Ann Example <ann@example.com> # Posts.\n",
            ),
            (
                "deploy/users.sql",
                &wrap("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n"),
            ),
            ("revert/users.sql", &wrap("DROP TABLE users;\n")),
            ("verify/users.sql", "SELECT id, name FROM users WHERE 0;\n"),
            (
                "deploy/posts.sql",
                &wrap("CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT);\n"),
            ),
            ("revert/posts.sql", &wrap("DROP TABLE posts;\n")),
            // Wrong on purpose: the column is `title`.
            ("verify/posts.sql", "SELECT id, body FROM posts WHERE 0;\n"),
        ],
    );
    db.write_plan("format = \"sqitch\"\n");
    let (code, out) = run(&db, &["apply"]);
    assert_eq!(code, 1, "{out}");
    let finding = out
        .lines()
        .find(|l| l.contains("after") && l.contains("verify") && l.contains("failed"))
        .unwrap_or_else(|| panic!("no verify finding: {out}"));
    assert!(finding.contains("posts"), "{finding}");
    assert!(
        !out.lines()
            .any(|l| l.contains("after") && l.contains("users") && l.contains("failed")),
        "{out}"
    );
}
