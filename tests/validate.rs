//! `cutover validate` through the real binary on real databases: the demo applied
//! passes and its reports parse; data corrupted by hand is found with the right
//! severity; checks on what does not exist are findings, not crashes; a malformed check
//! in the plan is refused with its line and column.

mod common;

use common::{cutover, text, Backend, TestDb};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The demo plan aimed at `db`, written beside it.
fn demo_plan(db: &TestDb) -> PathBuf {
    let text = std::fs::read_to_string(repo().join("sample-configs/demo.toml")).expect("demo");
    let migs = repo().join("assets/demo/migrations");
    let mut text = text
        .replace(
            "url = \"${CUTOVER_DEMO_URL:-sqlite://demo-shop.db}\"",
            &format!("url = \"{}\"", db.url),
        )
        .replace(
            "dir = \"../assets/demo/migrations\"",
            &format!("dir = \"{}\"", migs.display()),
        );
    if db.backend != Backend::Sqlite {
        // Checkpoints keep their counts and checksums without a dump (quicker here).
        text = text.replace("backup = \"per-batch\"", "backup = \"none\"");
    }
    assert!(text.contains(&db.url), "the demo plan's url line changed");
    let plan = db.dir.path().join("demo.toml");
    std::fs::write(&plan, text).expect("write plan");
    plan
}

fn validate(dir: &Path, plan: &Path, extra: &[&str]) -> (i32, String) {
    let p = plan.display().to_string();
    let mut args = vec!["validate", "-p", p.as_str()];
    args.extend_from_slice(extra);
    let out = cutover(dir, &args);
    (out.status.code().unwrap_or(-1), text(&out))
}

fn finding<'a>(report: &'a serde_json::Value, check: &str) -> &'a serde_json::Value {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["check"] == check && f["passed"] == false)
        .unwrap_or_else(|| panic!("no failed {check:?} in {report:#}"))
}

/// The SQL that corrupts the demo by hand, past the database's own foreign keys.
fn corruption(backend: Backend) -> String {
    let (off, on) = match backend {
        Backend::Sqlite => ("", ""),
        Backend::Postgres => (
            "SET session_replication_role = replica;",
            "SET session_replication_role = origin;",
        ),
        Backend::Mysql => ("SET foreign_key_checks = 0;", "SET foreign_key_checks = 1;"),
    };
    format!(
        "{off} DELETE FROM orders WHERE id = 60000; DELETE FROM customers WHERE id = 20000; \
         UPDATE customers SET first_name = NULL WHERE id = 77; \
         UPDATE order_items SET quantity = 99 WHERE id = 4242; {on}"
    )
}

fn demo_then_corrupted(backend: Backend) {
    let Some(db) = TestDb::new(backend, "validate_demo") else {
        return;
    };
    let dir = db.dir.path();
    let plan = demo_plan(&db);
    let p = plan.display().to_string();
    let out = cutover(dir, &["apply", "-p", &p]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let (code, said) = validate(dir, &plan, &["--json", "r.json", "--junit", "r.xml"]);
    assert_eq!(code, 0, "{said}");
    assert!(said.contains("recommendation: go on"), "{said}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("r.json")).expect("json"))
            .expect("the JSON report parses");
    assert_eq!(report["passed"], true, "{report:#}");
    assert!(report["timestamp"].is_string());
    assert_eq!(report["counts"]["critical"], 0);
    let total = report["checks_total"].as_u64().expect("total");
    assert!(total >= 18, "{report:#}");
    assert_eq!(report["batches"].as_array().map(Vec::len), Some(3));
    let xml = std::fs::read_to_string(dir.join("r.xml")).expect("junit");
    assert!(xml.starts_with("<?xml"), "{xml}");
    // One test case per check and per benchmark.
    let benches = report["benchmarks"].as_array().map_or(0, Vec::len) as u64;
    assert_eq!(
        xml.matches("<testcase").count() as u64,
        total + benches,
        "{xml}"
    );

    db.exec(&corruption(backend));
    let (code, said) = validate(dir, &plan, &["--json", "bad.json"]);
    assert_eq!(code, 1, "{said}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("bad.json")).expect("json"))
            .expect("parses");
    assert_eq!(report["passed"], false);
    // Rows deleted: the batch's bound, and the count at the checkpoint.
    let f = finding(&report, "row_count orders");
    assert_eq!(f["severity"], "critical");
    assert!(
        f["detail"].as_str().is_some_and(|d| d.contains("59999")),
        "{f}"
    );
    let f = finding(&report, "row_count orders vs checkpoint");
    assert_eq!(f["severity"], "critical");
    // Orphaned orders (their customer deleted).
    let f = finding(&report, "orphans orders.customer_id -> customers");
    assert_eq!(f["severity"], "error");
    assert!(
        f["detail"]
            .as_str()
            .is_some_and(|d| d.contains("customer_id=20000")),
        "{f}"
    );
    // A NULL in a column that must have none.
    let f = finding(&report, "not_null customers.first_name,last_name");
    assert_eq!(f["severity"], "error");
    assert!(
        f["detail"].as_str().is_some_and(|d| d.contains("id=77")),
        "{f}"
    );
    // One value changed in the big table: found by its checksum.
    let f = finding(&report, "checksum order_items vs checkpoint");
    assert_eq!(f["severity"], "critical");
    assert_eq!(f["table"], "order_items");
    if backend == Backend::Sqlite {
        // Located with the checkpoint's backup: the key and the column that changed.
        let rows = f["rows"].as_array().expect("differing rows");
        assert!(
            rows.iter().any(|r| r["key"] == "id=4242"
                && r["columns"]
                    .as_array()
                    .is_some_and(|c| c.iter().any(|c| c["column"] == "quantity"))),
            "{f:#}"
        );
    }
}

#[test]
fn the_demo_validates_then_corruption_is_found_on_sqlite() {
    demo_then_corrupted(Backend::Sqlite);
}

#[test]
fn the_demo_validates_then_corruption_is_found_on_postgres() {
    demo_then_corrupted(Backend::Postgres);
}

#[test]
fn the_demo_validates_then_corruption_is_found_on_mariadb() {
    demo_then_corrupted(Backend::Mysql);
}

/// Checks on a table or column that does not exist, and a query that errors: each is a
/// finding with the database's word, and the checks after them still run.
#[test]
fn bad_input_is_a_finding_and_the_other_checks_still_run() {
    let Some(db) = TestDb::new(Backend::Sqlite, "validate_bad_input") else {
        return;
    };
    common::write_files(
        &db.migrations_dir(),
        &[(
            "0001_t.sql",
            "CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY, name TEXT);\nINSERT INTO t (id, name) VALUES (1, 'a'), (2, NULL);\n",
        )],
    );
    let plan = db.write_plan(
        r#"
[[batch]]
name = "only"
files = ["0001"]

  [[batch.check]]
  kind = "row_count"
  table = "orders_x"
  compare = { min = 1 }

  [[batch.check]]
  kind = "not_null"
  table = "t"
  column = "nickname"
  severity = "warning"

  [[batch.check]]
  kind = "sql"
  query = "SELECT * FROM nowhere"

  [[batch.check]]
  kind = "not_null"
  table = "t"
  column = "name"
  severity = "info"

  [[batch.check]]
  kind = "row_count"
  table = "t"
  compare = { min = 2, max = 2 }
"#,
    );
    let dir = db.dir.path();
    // The apply applies the file, then its batch's validation fails (exit 1): the
    // same findings `validate` reports next.
    let out = cutover(dir, &["apply", "-p", "cutover.toml"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("applied 0001_t.sql"), "{}", text(&out));
    let (code, said) = validate(dir, &plan, &["--json", "r.json"]);
    assert_eq!(code, 1, "{said}");
    assert!(!said.contains("panicked"), "{said}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("r.json")).expect("json"))
            .expect("parses");
    let f = finding(&report, "row_count orders_x");
    assert_eq!(f["detail"], "table orders_x does not exist");
    assert_eq!(f["severity"], "error");
    let f = finding(&report, "not_null t.nickname");
    assert_eq!(f["detail"], "column t.nickname does not exist");
    assert_eq!(f["severity"], "warning");
    let f = finding(&report, "sql");
    assert!(
        f["detail"]
            .as_str()
            .is_some_and(|d| d.contains("no such table: nowhere")),
        "{f}"
    );
    let f = finding(&report, "not_null t.name");
    assert_eq!(f["severity"], "info");
    assert!(
        f["detail"].as_str().is_some_and(|d| d.contains("id=2")),
        "{f}"
    );
    let last = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["check"] == "row_count t")
        .expect("the last check ran");
    assert_eq!(last["passed"], true, "{last}");
    assert_eq!(report["batches"][0]["verdict"], "failed");
}

#[test]
fn a_malformed_check_is_refused_with_its_line_and_column() {
    let Some(db) = TestDb::new(Backend::Sqlite, "validate_plan_error") else {
        return;
    };
    common::write_files(
        &db.migrations_dir(),
        &[("0001_t.sql", "CREATE TABLE t (id INTEGER);\n")],
    );
    let plan = db.write_plan(
        "\n[[batch]]\nname = \"only\"\nfiles = [\"0001\"]\n\n  [[batch.check]]\n  kind = \"row_count\"\n  table = \"t\"\n  compare = \"source\"\n",
    );
    let (code, said) = validate(db.dir.path(), &plan, &[]);
    assert_eq!(code, 2, "{said}");
    assert!(
        said.contains("cutover.toml:17:13: compare = \"source\" in batch 'only', but the plan has no [source]"),
        "{said}"
    );
}
