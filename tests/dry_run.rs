//! `cutover apply --dry-run` shows what the pending files would change: found on a
//! temporary copy (SQLite), inside a transaction that is rolled back (PostgreSQL), or
//! listed without running (MariaDB). The real database is untouched on each backend.

mod common;
use common::*;
use cutover::db::schema;

/// The schema's fingerprint, every table's row count, and the ledger's applied rows.
fn snapshot(db: &TestDb) -> (String, Vec<(String, u64)>, Vec<String>) {
    block_on(async {
        let (mut c, _) = cutover::db::connect(&db.info()).await.expect("connect");
        let s = schema::introspect(&mut c, &[]).await.expect("introspect");
        let stats = schema::table_stats(&mut c, &s, 0).await.expect("stats");
        let ledger = c
            .column_strings(
                "SELECT version FROM cutover_history WHERE status = 'applied' ORDER BY version",
            )
            .await
            .expect("ledger");
        c.close().await;
        (
            s.fingerprint(),
            stats.into_iter().map(|t| (t.table, t.rows)).collect(),
            ledger,
        )
    })
}

/// A table with rows, applied for real; then a pending file that adds a column and a
/// table and inserts, and one that drops a column.
fn folder(db: &TestDb, second: &str) {
    write_files(
        &db.migrations_dir(),
        &[
            (
                "0001_a.sql",
                "CREATE TABLE a (id INTEGER NOT NULL PRIMARY KEY, old VARCHAR(10));\nINSERT INTO a (id, old) VALUES (1, 'x'), (2, 'y');\n",
            ),
            ("0002_b.sql", second),
            ("0003_c.sql", "ALTER TABLE a DROP COLUMN old;\n"),
        ],
    );
    db.write_plan("");
    let out = cutover(db.dir.path(), &["apply", "--to", "0001"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

const GOOD: &str = "ALTER TABLE a ADD COLUMN note VARCHAR(20);\nCREATE TABLE b (id INTEGER NOT NULL PRIMARY KEY);\nINSERT INTO b (id) VALUES (1);\nUPDATE a SET note = 'n';\n";

on_all_backends!(dry_run_shows_what_changes_and_changes_nothing, |b| {
    let Some(db) = TestDb::new(b, "dry_changes") else {
        return;
    };
    folder(&db, GOOD);
    let before = snapshot(&db);
    let out = cutover(db.dir.path(), &["apply", "--dry-run", "--json", "r.json"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(db.dir.path().join("r.json")).expect("report"),
    )
    .expect("json");
    let changes = &report["changes"];
    match b {
        Backend::Mysql => {
            assert_eq!(changes["method"], "listed", "{t}");
            assert!(
                t.contains("0002_b.sql:1: ALTER TABLE a ADD COLUMN note"),
                "{t}"
            );
            assert!(t.contains("commits implicitly"), "{t}");
            assert!(t.contains("cannot be tried inside a transaction"), "{t}");
            assert_eq!(changes["statements"].as_array().map(Vec::len), Some(5));
        }
        _ => {
            let lines: Vec<String> = changes["changes"]
                .as_array()
                .expect("changes")
                .iter()
                .filter_map(|l| l.as_str().map(str::to_string))
                .collect();
            let has = |words: &[&str]| lines.iter().any(|l| words.iter().all(|w| l.contains(w)));
            assert!(has(&["+", "b"]), "table b added: {lines:?}");
            assert!(has(&["+", "a.note"]), "column a.note added: {lines:?}");
            assert!(has(&["-", "a.old"]), "column a.old dropped: {lines:?}");
            for l in &lines {
                assert!(t.contains(l.as_str()), "printed too: {l}: {t}");
            }
            assert_ne!(
                changes["fingerprint_before"], changes["fingerprint_after"],
                "{t}"
            );
        }
    }
    assert_eq!(snapshot(&db), before, "the target is untouched: {t}");
});

on_all_backends!(a_broken_file_is_reported_where_it_fails, |b| {
    let Some(db) = TestDb::new(b, "dry_broken") else {
        return;
    };
    folder(
        &db,
        "ALTER TABLE a ADD COLUMN note VARCHAR(20);\n-- the next one is wrong\nUPDATE nope SET x = 1;\n",
    );
    let before = snapshot(&db);
    let out = cutover(db.dir.path(), &["apply", "--dry-run"]);
    let t = text(&out);
    match b {
        // Nothing runs on MySQL/MariaDB: a dry run cannot find a runtime error there.
        Backend::Mysql => {
            assert_eq!(out.status.code(), Some(0), "{t}");
            assert!(t.contains("0002_b.sql:3: UPDATE nope"), "{t}");
        }
        _ => {
            assert_eq!(out.status.code(), Some(1), "{t}");
            assert!(t.contains("error: dry run: 0002_b.sql:3:"), "{t}");
            assert!(t.contains("nope"), "the database's message: {t}");
            assert!(t.contains("the target is untouched"), "{t}");
        }
    }
    assert_eq!(snapshot(&db), before, "the target is untouched: {t}");
});

#[test]
fn postgres_lists_what_cannot_run_in_a_transaction() {
    let Some(db) = TestDb::new(Backend::Postgres, "dry_concurrently") else {
        return;
    };
    folder(
        &db,
        "CREATE INDEX CONCURRENTLY a_old ON a (old);\nCREATE TABLE b (id INTEGER NOT NULL PRIMARY KEY);\n",
    );
    let before = snapshot(&db);
    let out = cutover(db.dir.path(), &["apply", "--dry-run"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("listed, not run:"), "{t}");
    assert!(
        t.contains("0002_b.sql:1: CREATE INDEX CONCURRENTLY a_old ON a (old);")
            || t.contains("0002_b.sql:1: CREATE INDEX CONCURRENTLY a_old ON a (old)"),
        "{t}"
    );
    assert!(t.contains("rolled-back transaction"), "{t}");
    assert_eq!(snapshot(&db), before, "the target is untouched: {t}");
}

#[test]
fn sqlite_dry_run_of_a_database_not_created_yet() {
    let Some(db) = TestDb::new(Backend::Sqlite, "dry_fresh") else {
        return;
    };
    write_files(
        &db.migrations_dir(),
        &[(
            "0001_a.sql",
            "CREATE TABLE a (id INTEGER NOT NULL PRIMARY KEY);\n",
        )],
    );
    db.write_plan("");
    let out = cutover(db.dir.path(), &["apply", "--dry-run"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("temporary copy"), "{t}");
    assert!(
        t.lines().any(|l| l.contains('+') && l.contains(" a")),
        "{t}"
    );
    assert!(!db.dir.path().join("target.db").exists(), "{t}");
}
