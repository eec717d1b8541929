//! Apply, re-apply, failure, drift and lock scenarios, run through the real binary on
//! SQLite, PostgreSQL and MariaDB.

mod common;
use common::*;

const GOOD: &[(&str, &str)] = &[
    ("0001_accounts.sql", "CREATE TABLE accounts (id INTEGER NOT NULL PRIMARY KEY, email VARCHAR(100) NOT NULL);\n"),
    ("0002_seed_accounts.sql", "INSERT INTO accounts (id, email) VALUES (1, 'a@example.com');\nINSERT INTO accounts (id, email) VALUES (2, 'it''s; fine@example.com');\n-- a comment; with a semicolon\nINSERT INTO accounts (id, email) VALUES (3, 'c@example.com');\n"),
    ("0003_posts.sql", "CREATE TABLE posts (\n    id INTEGER NOT NULL PRIMARY KEY,\n    account_id INTEGER NOT NULL,\n    body VARCHAR(200)\n);\n"),
    ("0004_posts_index.sql", "CREATE INDEX idx_posts_account ON posts (account_id);\n"),
];

const BROKEN: (&str, &str) = (
    "0005_broken.sql",
    "CREATE TABLE broken (id INTEGER NOT NULL PRIMARY KEY);\nINSERT INTO broken (id) VALUES (1);\nINSERT INTO no_such_table (id) VALUES (1);\n",
);

const LATER: &[(&str, &str)] = &[
    (
        "0006_tags.sql",
        "CREATE TABLE tags (id INTEGER NOT NULL PRIMARY KEY);\n",
    ),
    ("0007_more.sql", "INSERT INTO tags (id) VALUES (1);\n"),
    ("0008_empty.sql", ""),
];

fn applied_versions(db: &TestDb) -> Vec<String> {
    db.strings("SELECT version FROM cutover_history WHERE status = 'applied' ORDER BY version")
}

on_all_backends!(apply_then_reapply, |b| {
    let Some(db) = TestDb::new(b, "apply_then_reapply") else {
        return;
    };
    write_files(&db.migrations_dir(), GOOD);
    write_files(&db.migrations_dir(), LATER);
    db.write_plan("");
    let out = cutover(db.dir.path(), &["apply", "--operator", "alice"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(db.scalar("SELECT COUNT(*) FROM accounts"), 3);
    assert_eq!(db.scalar("SELECT COUNT(*) FROM tags"), 1);
    assert_eq!(
        applied_versions(&db),
        ["0001", "0002", "0003", "0004", "0006", "0007", "0008"]
    );
    assert_eq!(
        db.strings("SELECT DISTINCT applied_by FROM cutover_history"),
        ["alice"]
    );
    assert!(text(&out).contains("applied 7 file(s)"), "{}", text(&out));

    let again = cutover(db.dir.path(), &["apply"]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(
        text(&again).contains("nothing to apply"),
        "{}",
        text(&again)
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM accounts"),
        3,
        "re-apply ran nothing twice"
    );

    let status = cutover(db.dir.path(), &["status", "--json"]);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status));
    let v: serde_json::Value =
        serde_json::from_slice(&status.stdout).expect("status --json is JSON");
    let files = v["files"].as_array().expect("files");
    assert_eq!(files.len(), 7);
    assert!(files
        .iter()
        .all(|f| f["applied"] == true && f["checksum_ok"] == true && f["applied_by"] == "alice"));
    assert!(!v["target"].as_str().unwrap_or("").is_empty());
});

on_all_backends!(failure_in_file_5_of_8, |b| {
    let Some(db) = TestDb::new(b, "failure_in_file_5_of_8") else {
        return;
    };
    let dir = db.migrations_dir();
    write_files(&dir, GOOD);
    write_files(&dir, &[BROKEN]);
    write_files(&dir, LATER);
    db.write_plan("");
    let json = db.dir.path().join("report.json");
    let out = cutover(
        db.dir.path(),
        &["apply", "--json", json.to_str().expect("utf8")],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("0005_broken.sql:3"), "names file and line: {t}");
    assert!(
        t.to_lowercase().contains("no_such_table"),
        "the database's own message: {t}"
    );
    assert_eq!(applied_versions(&db), ["0001", "0002", "0003", "0004"]);
    // On MySQL the file's CREATE TABLE committed before the failure: partly applied.
    let expected = if b == Backend::Mysql {
        "partial"
    } else {
        "failed"
    };
    assert_eq!(
        db.strings("SELECT status FROM cutover_history WHERE version = '0005'"),
        [expected]
    );
    assert!(
        !db.has_table("tags"),
        "files after the failure are not applied"
    );
    if b != Backend::Mysql {
        assert!(!db.has_table("broken"), "file 5 leaves no trace");
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("report written"))
            .expect("json");
    assert_eq!(report["outcome"], "failed");
    assert_eq!(report["exit_code"], 1);

    // Fixing the file lets the run continue where it stopped. (On MySQL the failed
    // file's CREATE TABLE committed implicitly, so the fix must tolerate it.)
    write_files(
        &dir,
        &[(
            "0005_broken.sql",
            "CREATE TABLE IF NOT EXISTS broken (id INTEGER NOT NULL PRIMARY KEY);\n",
        )],
    );
    // On MySQL the operator first says the partial file was cleaned up: a decision of
    // its own, which applies nothing.
    if b == Backend::Mysql {
        let out = cutover(db.dir.path(), &["apply", "--resolve", "0005=pending"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert_eq!(
            applied_versions(&db).len(),
            4,
            "the decision applied nothing"
        );
    }
    let out = cutover(db.dir.path(), &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(applied_versions(&db).len(), 8);
});

on_all_backends!(drift_stops_before_anything, |b| {
    let Some(db) = TestDb::new(b, "drift_stops_before_anything") else {
        return;
    };
    let dir = db.migrations_dir();
    write_files(&dir, GOOD);
    db.write_plan("");
    let out = cutover(db.dir.path(), &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    write_files(&dir, &[("0003_posts.sql", "CREATE TABLE posts (\n    id INTEGER NOT NULL PRIMARY KEY,\n    account_id BIGINT NOT NULL,\n    body VARCHAR(200)\n);\n")]);
    write_files(&dir, LATER);
    let out = cutover(db.dir.path(), &["apply"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("0003_posts.sql"), "names the file: {t}");
    assert!(
        t.contains("-    account_id INTEGER NOT NULL,")
            && t.contains("+    account_id BIGINT NOT NULL,"),
        "shows the diff: {t}"
    );
    assert!(t.contains("--accept-drift"), "says what to do: {t}");
    assert!(!db.has_table("tags"), "nothing applied after drift");

    let out = cutover(
        db.dir.path(),
        &["apply", "--accept-drift", "0003", "--operator", "bob"],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    // The decision is recorded and the run stops there, saying what is pending.
    assert!(
        !db.has_table("tags"),
        "accepting drift applies nothing: {t}"
    );
    assert!(
        t.contains("recorded 1 decision(s); applied nothing; 3 file(s) pending: 0006")
            && t.contains("`cutover apply`"),
        "{t}"
    );
    let out = cutover(db.dir.path(), &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(db.has_table("tags"));
    assert_eq!(
        db.strings("SELECT operator FROM cutover_decisions WHERE kind = 'accept_drift' AND version = '0003'"),
        ["bob"]
    );
});

on_all_backends!(second_cutover_is_refused_naming_the_holder, |b| {
    let Some(db) = TestDb::new(b, "second_cutover_is_refused") else {
        return;
    };
    write_files(&db.migrations_dir(), GOOD);
    db.write_plan("");
    // The test holds the lock as a first cutover would, from its own runtime.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let holder = cutover::db::lock::Holder {
        operator: "carol".into(),
        host: "ops-7".into(),
        pid: 4242,
        since: "2026-11-22T02:00:00Z".into(),
    };
    let (mut conn, guard) = rt.block_on(async {
        let (mut conn, _) = cutover::db::connect(&db.info()).await.expect("connect");
        let guard = cutover::db::lock::acquire(&mut conn, &holder)
            .await
            .expect("first lock");
        (conn, guard)
    });
    let out = cutover(db.dir.path(), &["apply"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("carol")
            && t.contains("ops-7")
            && t.contains("4242")
            && t.contains("2026-11-22T02:00:00Z"),
        "{t}"
    );
    assert!(
        !db.has_table("accounts"),
        "the second cutover applied nothing"
    );
    rt.block_on(async {
        cutover::db::lock::release(&mut conn, guard)
            .await
            .expect("release");
        conn.close().await;
    });
    let out = cutover(db.dir.path(), &["apply"]);
    assert_eq!(out.status.code(), Some(0), "after release: {}", text(&out));
});

// Two real processes at once: exactly one applies each file.
on_all_backends!(two_applies_at_once, |b| {
    let Some(db) = TestDb::new(b, "two_applies_at_once") else {
        return;
    };
    let slow = match b {
        Backend::Sqlite => "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000) SELECT COUNT(*) FROM c;\n",
        Backend::Postgres => "SELECT pg_sleep(1.5);\n",
        Backend::Mysql => "DO SLEEP(1.5);\n",
    };
    write_files(&db.migrations_dir(), &[("0001_slow.sql", slow), ("0002_t.sql", "CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY);\nINSERT INTO t (id) VALUES (1);\n")]);
    db.write_plan("");
    let spawn = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
            .arg("apply")
            .current_dir(db.dir.path())
            .env_remove("CUTOVER_PLAN")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn")
    };
    let (a, b2) = (spawn(), spawn());
    let (a, b2) = (
        a.wait_with_output().expect("a"),
        b2.wait_with_output().expect("b"),
    );
    let codes = [a.status.code(), b2.status.code()];
    let applied = [&a, &b2]
        .iter()
        .filter(|o| text(o).contains("applied 2 file(s)"))
        .count();
    assert_eq!(
        applied,
        1,
        "exactly one applies: {codes:?}\n{}\n---\n{}",
        text(&a),
        text(&b2)
    );
    assert!(codes.contains(&Some(0)));
    assert_eq!(db.scalar("SELECT COUNT(*) FROM t"), 1);
});

on_all_backends!(file_with_its_own_transaction_fails_cleanly, |b| {
    let Some(db) = TestDb::new(b, "own_transaction") else {
        return;
    };
    let begin = if b == Backend::Mysql {
        "START TRANSACTION"
    } else {
        "BEGIN"
    };
    write_files(
        &db.migrations_dir(),
        &[
            ("0001_a.sql", "CREATE TABLE a (id INTEGER NOT NULL PRIMARY KEY);\n"),
            ("0002_own.sql", &format!("{begin};\nINSERT INTO a (id) VALUES (1);\nINSERT INTO a (id) VALUES (1);\nCOMMIT;\n")),
        ],
    );
    db.write_plan("");
    let out = cutover(db.dir.path(), &["apply"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("manages its own transaction"),
        "says so before running: {t}"
    );
    assert!(t.contains("0002_own.sql:3"), "{t}");
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM a"),
        0,
        "the file's own transaction was rolled back"
    );
    assert_eq!(
        db.strings("SELECT status FROM cutover_history WHERE version = '0002'"),
        ["failed"]
    );

    // Fixed, its ledger row commits with the file's own COMMIT.
    write_files(&db.migrations_dir(), &[("0002_own.sql", &format!("{begin};\nINSERT INTO a (id) VALUES (1);\nINSERT INTO a (id) VALUES (2);\nCOMMIT;\n"))]);
    let out = cutover(db.dir.path(), &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(db.scalar("SELECT COUNT(*) FROM a"), 2);
    assert_eq!(
        db.strings("SELECT status FROM cutover_history WHERE version = '0002'"),
        ["applied"]
    );
});

#[test]
fn postgres_statements_that_cannot_run_in_a_transaction() {
    let Some(db) = TestDb::new(Backend::Postgres, "no_transaction") else {
        return;
    };
    write_files(
        &db.migrations_dir(),
        &[
            ("0001_a.sql", "CREATE TABLE a (id INTEGER NOT NULL PRIMARY KEY, n INTEGER);\n"),
            ("0002_idx.sql", "CREATE INDEX CONCURRENTLY idx_a_n ON a (n);\n"),
            ("0003_opt_out.sql", "-- no-transaction\nCREATE TYPE mood AS ENUM ('ok');\nALTER TYPE mood ADD VALUE 'sad';\n"),
        ],
    );
    db.write_plan("");
    let out = cutover(db.dir.path(), &["apply"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(
        t.contains("0002_idx.sql: runs outside a transaction"),
        "{t}"
    );
    assert!(
        t.contains("0003_opt_out.sql: runs outside a transaction"),
        "{t}"
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'idx_a_n'"),
        1
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM pg_enum WHERE enumlabel = 'sad'"),
        1
    );
}

#[test]
fn sqlite_full_disk_fails_the_file_and_keeps_earlier_ones() {
    let Some(db) = TestDb::new(Backend::Sqlite, "disk_full") else {
        return;
    };
    // max_page_count makes SQLite report a full disk after a few pages, as a full
    // volume would: the file fails, its transaction rolls back, earlier files stay.
    write_files(
    &db.migrations_dir(),
    &[
        ("0001_a.sql", "CREATE TABLE a (id INTEGER NOT NULL PRIMARY KEY, pad TEXT);\n"),
        ("0002_fill.sql", "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000)\nINSERT INTO a (id, pad) SELECT x, hex(randomblob(200)) FROM c;\n"),
    ],
);
    let plan = db.dir.path().join("cutover.toml");
    std::fs::write(
    &plan,
    format!("[target]\nurl = \"{}\"\ninit_sql = [\"PRAGMA max_page_count = 64\"]\n[migrations]\ndir = \"migrations\"\n", db.url),
)
.expect("plan");
    let out = cutover(db.dir.path(), &["apply"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("0002_fill.sql:1") && t.contains("full"), "{t}");
    assert_eq!(db.scalar("SELECT COUNT(*) FROM a"), 0);
    assert_eq!(
        db.strings("SELECT version FROM cutover_history WHERE status = 'applied'"),
        ["0001"]
    );
}

#[test]
fn interrupt_stops_between_files_with_exit_130() {
    let Some(db) = TestDb::new(Backend::Sqlite, "interrupt") else {
        return;
    };
    let slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 6000000) SELECT COUNT(*) FROM c;\n";
    db.write_slow_then_t(slow);
    for signal in ["-INT", "-TERM"] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
            .arg("apply")
            .current_dir(db.dir.path())
            .env_remove("CUTOVER_PLAN")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        // Signal once the output says the slow file is running.
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            use std::io::BufRead;
            let mut all = String::new();
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                let _ = tx.send(line.clone());
                all.push_str(&line);
                all.push('\n');
            }
            all
        });
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) if line.contains("applying 0001_slow.sql") => break,
                Ok(_) => {}
                Err(e) => panic!("never saw the slow file start: {e}"),
            }
        }
        let killed = std::process::Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(killed.success());
        let out = child.wait_with_output().expect("wait");
        let t = format!(
            "{}{}",
            reader.join().expect("reader"),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(130), "{signal}: {t}");
        assert!(t.contains("stopping after the current file"), "{t}");
        assert_eq!(
            db.strings("SELECT status FROM cutover_history WHERE version = '0001'"),
            ["applied"],
            "the running file finished and was recorded"
        );
        assert!(!db.has_table("t"), "no file started after the interrupt");
        // Start over for the second signal.
        // Start over: cutover's ledger and the sqlx history it keeps for this folder.
        db.exec("DELETE FROM cutover_history");
        db.exec("DELETE FROM _sqlx_migrations");
    }
}

#[test]
fn mariadb_procedure_and_trigger_without_delimiter() {
    let Some(db) = TestDb::new(Backend::Mysql, "procedure_without_delimiter") else {
        return;
    };
    // As golang-migrate folders write them: no DELIMITER, bodies with ; inside.
    let proc_sql = "CREATE TABLE counters (name VARCHAR(32) PRIMARY KEY, n INT NOT NULL);\n\
CREATE PROCEDURE bump(IN who VARCHAR(32))\n\
BEGIN\n\
  DECLARE found INT DEFAULT 0;\n\
  SELECT COUNT(*) INTO found FROM counters WHERE name = who;\n\
  IF found = 0 THEN\n\
    INSERT INTO counters (name, n) VALUES (who, 1);\n\
  ELSE\n\
    UPDATE counters SET n = n + 1 WHERE name = who;\n\
  END IF;\n\
END;\n\
CREATE TRIGGER counters_cap BEFORE UPDATE ON counters FOR EACH ROW\n\
BEGIN\n\
  IF NEW.n > 3 THEN\n\
    SET NEW.n = 3;\n\
  END IF;\n\
END;\n";
    write_files(
        &db.migrations_dir(),
        &[
            ("000001_counters.up.sql", proc_sql),
            ("000001_counters.down.sql", "DROP TABLE counters;\n"),
            ("000002_use.up.sql", "CALL bump('a');\nCALL bump('a');\nCALL bump('a');\nCALL bump('a');\nCALL bump('a');\n"),
            ("000002_use.down.sql", "DELETE FROM counters;\n"),
        ],
    );
    db.write_plan("format = \"golang-migrate\"\n");
    let out = cutover(db.dir.path(), &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        db.scalar("SELECT n FROM counters WHERE name = 'a'"),
        3,
        "procedure and trigger both ran"
    );
}

on_all_backends!(a_file_that_leaves_its_transaction_open_fails, |b| {
    let Some(db) = TestDb::new(b, "open_transaction") else {
        return;
    };
    let begin = if b == Backend::Mysql {
        "START TRANSACTION"
    } else {
        "BEGIN"
    };
    write_files(
        &db.migrations_dir(),
        &[
            (
                "0001_b.sql",
                "CREATE TABLE b (id INTEGER NOT NULL PRIMARY KEY);\n",
            ),
            (
                "0002_open.sql",
                &format!("{begin};\nINSERT INTO b (id) VALUES (1);\n"),
            ),
        ],
    );
    db.write_plan("");
    let out = cutover(db.dir.path(), &["apply"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("left a transaction open"), "{t}");
    assert!(!t.contains("✔ applied 0002"), "{t}");
    // Nothing but its own transaction ran, so nothing of it remains: it may run again.
    assert_eq!(
        db.strings("SELECT status FROM cutover_history WHERE version = '0002'"),
        ["failed"]
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM b"),
        0,
        "its work was rolled back, not reported as applied"
    );
});

#[test]
fn a_partly_applied_file_never_runs_again_until_resolved() {
    let Some(db) = TestDb::new(Backend::Sqlite, "partial") else {
        return;
    };
    write_files(
        &db.migrations_dir(),
        &[
            ("0001_a.sql", "CREATE TABLE a (id INTEGER NOT NULL);\nINSERT INTO a (id) VALUES (1);\n"),
            ("0002_scale.sql", "-- no-transaction\nUPDATE a SET id = id * 10;\nINSERT INTO nope (id) VALUES (1);\n"),
        ],
    );
    db.write_plan("");
    let out = cutover(db.dir.path(), &["apply"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("may remain applied"), "{}", text(&out));
    assert_eq!(
        db.strings("SELECT status FROM cutover_history WHERE version = '0002'"),
        ["partial"]
    );
    assert_eq!(db.scalar("SELECT id FROM a"), 10);

    // Running again would multiply by ten again: it refuses instead.
    let out = cutover(db.dir.path(), &["apply"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("part of a file may be applied") && t.contains("--resolve"),
        "{t}"
    );
    assert_eq!(db.scalar("SELECT id FROM a"), 10, "nothing ran");

    // The operator undoes it by hand, fixes the file and says so.
    db.exec("UPDATE a SET id = 1");
    write_files(
        &db.migrations_dir(),
        &[(
            "0002_scale.sql",
            "-- no-transaction\nUPDATE a SET id = id * 10;\n",
        )],
    );
    // A dry run of the decision says what it would record, and records nothing.
    let out = cutover(
        db.dir.path(),
        &["apply", "--resolve", "0002=pending", "--dry-run"],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(
        t.contains(
            "dry run: would record 1 decision(s); would apply nothing; 1 file(s) pending: 0002"
        ),
        "{t}"
    );
    assert_eq!(
        db.strings("SELECT status FROM cutover_history WHERE version = '0002'"),
        ["partial"]
    );
    let out = cutover(
        db.dir.path(),
        &["apply", "--resolve", "0002=pending", "--operator", "dana"],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    // Recording the decision runs nothing: applying is a separate step.
    assert_eq!(db.scalar("SELECT id FROM a"), 1, "nothing ran: {t}");
    assert!(
        t.contains("applied nothing; 1 file(s) pending: 0002 (0002_scale.sql)"),
        "{t}"
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM cutover_history WHERE version = '0002'"),
        0
    );
    let out = cutover(db.dir.path(), &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(db.scalar("SELECT id FROM a"), 10);
    assert_eq!(
        db.strings("SELECT status FROM cutover_history WHERE version = '0002'"),
        ["applied"]
    );
    assert_eq!(
        db.strings("SELECT operator FROM cutover_decisions WHERE kind = 'resolve'"),
        ["dana"]
    );
}

#[test]
fn a_file_that_ran_but_could_not_be_recorded_is_not_run_twice() {
    let Some(db) = TestDb::new(Backend::Sqlite, "unrecorded") else {
        return;
    };
    write_files(
        &db.migrations_dir(),
        &[("0001_a.sql", "CREATE TABLE a (id INTEGER NOT NULL);\n")],
    );
    db.write_plan("");
    assert_eq!(cutover(db.dir.path(), &["apply"]).status.code(), Some(0));
    // The ledger refuses to mark anything applied from now on, as a full disk would.
    db.exec("CREATE TRIGGER no_record BEFORE UPDATE ON cutover_history WHEN NEW.status = 'applied' BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END");
    write_files(
        &db.migrations_dir(),
        &[(
            "0002_seven.sql",
            "-- no-transaction\nINSERT INTO a (id) VALUES (7);\n",
        )],
    );
    let out = cutover(db.dir.path(), &["apply"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("0002_seven.sql ran, but could not be recorded"),
        "{t}"
    );
    let out = cutover(db.dir.path(), &["apply"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM a WHERE id = 7"),
        1,
        "never run twice"
    );
    db.exec("DROP TRIGGER no_record");
    let out = cutover(db.dir.path(), &["apply", "--resolve", "0002=applied"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        db.strings("SELECT status FROM cutover_history WHERE version = '0002'"),
        ["applied"]
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE version = 2"),
        1,
        "the tool's row too, once"
    );
    assert_eq!(db.scalar("SELECT COUNT(*) FROM a WHERE id = 7"), 1);
}

#[test]
fn dry_run_writes_nothing_to_the_target() {
    let Some(db) = TestDb::new(Backend::Sqlite, "dry_run") else {
        return;
    };
    write_files(&db.migrations_dir(), GOOD);
    db.write_plan("");
    let out = cutover(db.dir.path(), &["apply", "--dry-run"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(
        t.contains("would apply 0004") && t.contains("does not exist yet"),
        "{t}"
    );
    assert!(
        !db.dir.path().join("target.db").exists(),
        "no database file was created"
    );

    assert_eq!(
        cutover(db.dir.path(), &["apply", "--to", "0002"])
            .status
            .code(),
        Some(0)
    );
    // sqlx itself applied 0003 since: the dry run must see that, and change nothing.
    db.exec("CREATE TABLE posts (id INTEGER NOT NULL PRIMARY KEY, account_id INTEGER NOT NULL, body VARCHAR(200))");
    db.exec("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (3, 'posts', 1, x'00', 1)");
    let schema = |db: &TestDb| db.strings("SELECT name FROM sqlite_master ORDER BY name");
    let rows =
        |db: &TestDb| db.strings("SELECT version || status FROM cutover_history ORDER BY version");
    let (before_schema, before_rows) = (schema(&db), rows(&db));
    let out = cutover(db.dir.path(), &["apply", "--dry-run"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(
        t.contains("would apply 0004") && !t.contains("would apply 0003"),
        "{t}"
    );
    assert_eq!(schema(&db), before_schema);
    assert_eq!(rows(&db), before_rows, "no adoption written by a dry run");
}
