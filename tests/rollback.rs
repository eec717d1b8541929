//! Rollback as an operator runs it headless, on SQLite, PostgreSQL and MariaDB: the
//! demo plan rolled back by batch and by emergency and applied again; a real project's
//! failing down script; kill -9 mid-rollback and resume; the preview changing nothing;
//! automatic rollback under `on_failure`.

mod common;
use common::*;
use cutover::checkpoint::Store;
use cutover::db::schema::{self, TableStat};
use cutover::source::Format;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The demo's plan (its three batches, per-batch backups) on this test's database.
fn demo_plan(db: &TestDb) -> PathBuf {
    let migs = repo().join("assets/demo/migrations");
    let plan = db.dir.path().join("cutover.toml");
    std::fs::write(
        &plan,
        format!(
            r#"[plan]
name = "demo"

[target]
url = "{}"

[migrations]
dir = "{}"
format = "sqlx"

[checkpoints]
backup = "per-batch"

[[batch]]
name = "simple-replacements"
files = ["0001..=0004"]

[[batch]]
name = "service-layer"
files = ["0005..=0007"]

[[batch]]
name = "complex"
files = ["0008..=0010"]
"#,
            db.url,
            migs.display()
        ),
    )
    .expect("write plan");
    plan
}

fn run(db: &TestDb, args: &[&str]) -> (i32, String) {
    let out = cutover(db.dir.path(), args);
    (out.status.code().unwrap_or(-1), text(&out))
}

/// The target's schema now, as checkpoints fingerprint it.
fn fingerprint(db: &TestDb, format: Format) -> String {
    block_on(async {
        let mut c = cutover::db::connect(&db.info()).await.expect("connect").0;
        let s = schema::introspect(&mut c, &schema::bookkeeping_tables(format))
            .await
            .expect("introspect");
        c.close().await;
        s.fingerprint()
    })
}

fn stats(db: &TestDb, tables: &[&str]) -> Vec<TableStat> {
    block_on(async {
        let mut c = cutover::db::connect(&db.info()).await.expect("connect").0;
        let s = schema::introspect(&mut c, &schema::bookkeeping_tables(Format::Sqlx))
            .await
            .expect("introspect");
        let all = schema::table_stats(&mut c, &s, u64::MAX)
            .await
            .expect("stats");
        c.close().await;
        all.into_iter()
            .filter(|t| tables.contains(&t.table.as_str()))
            .collect()
    })
}

/// The fingerprint of the open window's checkpoint taken before `version` (None: the
/// window start's).
fn checkpoint_fp(db: &TestDb, version: Option<&str>) -> String {
    let target = cutover::plan::redacted_url(&db.url);
    block_on(async {
        let store = Store::open(db.dir.path()).await.expect("store");
        let cp = match version {
            Some(v) => store.before(&target, v).await.expect("before"),
            None => store.window_start(&target).await.expect("window start"),
        };
        cp.unwrap_or_else(|| panic!("no checkpoint before {version:?}"))
            .fingerprint
    })
}

/// `version status` per ledger row, in version order.
fn ledger(db: &TestDb) -> Vec<String> {
    let row = match db.backend {
        Backend::Mysql => "CONCAT(version, ' ', status)",
        _ => "version || ' ' || status",
    };
    db.strings(&format!(
        "SELECT {row} FROM cutover_history ORDER BY version"
    ))
}

on_all_backends!(demo_batch_then_emergency_then_apply_again, |b| {
    let Some(db) = TestDb::new(b, "rollback_demo") else {
        return;
    };
    demo_plan(&db);
    let (code, out) = run(&db, &["apply"]);
    assert_eq!(code, 0, "{out}");
    let untouched = ["products", "order_items", "order_statuses", "demo_digits"];
    let kept = stats(&db, &untouched);
    assert_eq!(kept.len(), untouched.len(), "{kept:?}");
    let applied = fingerprint(&db, Format::Sqlx);
    let revenue_rows = db.scalar("SELECT COUNT(*) FROM daily_revenue");
    assert!(revenue_rows > 0);

    // Without --yes: the preview, newest first, with the rows lost; nothing changes.
    let (code, out) = run(&db, &["rollback", "--batch", "3"]);
    assert_eq!(code, 0, "{out}");
    let at = |s: &str| out.find(s).unwrap_or_else(|| panic!("{s} in:\n{out}"));
    assert!(at("0010") < at("0009") && at("0009") < at("0008"), "{out}");
    assert!(
        out.contains(&format!("daily_revenue: {revenue_rows} row(s)")),
        "{out}"
    );
    assert!(out.contains("type: complex"), "{out}");
    assert_eq!(fingerprint(&db, Format::Sqlx), applied);
    assert!(ledger(&db).iter().all(|l| l.ends_with(" applied")));

    let (code, out) = run(&db, &["rollback", "--batch", "3", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        fingerprint(&db, Format::Sqlx),
        checkpoint_fp(&db, Some("0008")),
        "{out}"
    );
    assert_eq!(stats(&db, &untouched), kept, "tables batch 3 never touched");
    assert!(!db.has_table("daily_revenue"));
    let l = ledger(&db);
    assert_eq!(
        l.iter().filter(|s| s.ends_with(" rolled_back")).count(),
        3,
        "{l:?}"
    );

    // Twice: a no-op that says so.
    let (code, out) = run(&db, &["rollback", "--batch", "complex", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("already rolled back"), "{out}");

    let (code, out) = run(&db, &["rollback", "--emergency", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        fingerprint(&db, Format::Sqlx),
        checkpoint_fp(&db, None),
        "{out}"
    );
    assert!(!db.has_table("customers"), "{out}");
    let l = ledger(&db);
    assert!(
        l.iter().all(|s| s.ends_with(" rolled_back")),
        "{l:?}\n{out}"
    );

    let (code, out) = run(&db, &["apply"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(fingerprint(&db, Format::Sqlx), applied);
    assert_eq!(db.scalar("SELECT COUNT(*) FROM orders"), 60_000);
    let l = ledger(&db);
    assert!(l.iter().all(|s| s.ends_with(" applied")), "{l:?}");
});

/// gophish's rbac migration: its Down section lacks semicolons, so it fails as one
/// statement (a real project's down script, as published).
fn gophish(db: &TestDb, dir: &str) {
    let src = repo().join("tests/fixtures/real").join(dir);
    let dst = db.migrations_dir();
    for entry in std::fs::read_dir(&src).expect("fixture") {
        let p = entry.expect("entry").path();
        if p.extension().is_some_and(|e| e == "sql") {
            std::fs::copy(&p, dst.join(p.file_name().expect("name"))).expect("copy");
        }
    }
    db.write_plan("format = \"goose\"\n\n[checkpoints]\nbackup = \"per-file\"\n");
}

fn failing_real_down(b: Backend, dir: &str, line: usize) {
    let Some(db) = TestDb::new(b, "rollback_real_down") else {
        return;
    };
    gophish(&db, dir);
    let (code, out) = run(&db, &["apply", "--to", "20190105192341"]);
    assert_eq!(code, 0, "{out}");
    let before = fingerprint(&db, Format::Goose);
    let ledger_before = ledger(&db);

    let (code, out) = run(&db, &["rollback", "--file", "20190105192341", "--yes"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("rolling back 20190105192341"), "{out}");
    // The file's own line, though the down is a section of it.
    assert!(
        out.contains(&format!("20190105192341_0.8.0_rbac.sql:{line}:")),
        "{out}"
    );
    assert!(out.contains("20190105192341"), "{out}");
    assert!(
        out.contains("--restore --yes"),
        "the restore is offered:\n{out}"
    );
    assert_eq!(
        fingerprint(&db, Format::Goose),
        before,
        "the failed rollback changed nothing:\n{out}"
    );
    assert!(db.has_table("roles"));
    if b != Backend::Mysql {
        assert!(out.contains("as it was before it began"), "{out}");
        assert_eq!(ledger(&db), ledger_before);
    }

    let (code, out) = run(
        &db,
        &["rollback", "--file", "20190105192341", "--restore", "--yes"],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        fingerprint(&db, Format::Goose),
        checkpoint_fp(&db, Some("20190105192341")),
        "{out}"
    );
    assert!(!db.has_table("roles") && db.has_table("email_requests"));
    let undone: Vec<String> = ledger(&db)
        .into_iter()
        .filter(|s| s.ends_with(" rolled_back"))
        .collect();
    assert_eq!(undone, ["20190105192341 rolled_back"]);
    // goose's own history agrees: rbac is no longer applied there.
    let sql =
        "SELECT COUNT(*) FROM goose_db_version WHERE version_id >= 20190105192341 AND is_applied";
    let goose_says = db.scalar(match b {
        Backend::Sqlite => "SELECT COUNT(*) FROM goose_db_version WHERE version_id >= 20190105192341 AND is_applied = 1",
        _ => sql,
    });
    assert_eq!(goose_says, 0);
    let (code, out) = run(&db, &["apply", "--to", "20190105192341"]);
    assert_eq!(code, 0, "applies again after the restore:\n{out}");
}

#[test]
fn real_failing_down_changes_nothing_then_restore_sqlite() {
    failing_real_down(Backend::Sqlite, "goose-gophish-sqlite", 75);
}

#[test]
fn real_failing_down_changes_nothing_then_restore_mysql() {
    failing_real_down(Backend::Mysql, "goose-gophish-mysql", 83);
}

/// PostgreSQL: a real golang-migrate folder whose oldest down fails midway (one
/// statement of it changed to fail): the newer file's down, already run, is undone too.
#[test]
fn failing_down_midway_changes_nothing_postgres() {
    let Some(db) = TestDb::new(Backend::Postgres, "rollback_midway") else {
        return;
    };
    let src = repo().join("tests/fixtures/real/golang-migrate-todo-api-pg");
    let dst = db.migrations_dir();
    for entry in std::fs::read_dir(&src).expect("fixture") {
        let p = entry.expect("entry").path();
        if p.extension().is_some_and(|e| e == "sql") {
            std::fs::copy(&p, dst.join(p.file_name().expect("name"))).expect("copy");
        }
    }
    let down = dst.join("20210218010009_create_tables.down.sql");
    let text0 = std::fs::read_to_string(&down).expect("down");
    std::fs::write(
        &down,
        text0.replace("DROP TYPE priority;", "DROP TYPE priorities;"),
    )
    .expect("edit");
    db.write_plan("format = \"golang-migrate\"\n\n[checkpoints]\nbackup = \"session\"\n");
    let (code, out) = run(&db, &["apply"]);
    assert_eq!(code, 0, "{out}");
    let before = fingerprint(&db, Format::GolangMigrate);
    let (code, out) = run(&db, &["rollback", "--file", "20210218010009", "--yes"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("priorities"), "{out}");
    assert_eq!(fingerprint(&db, Format::GolangMigrate), before, "{out}");
    assert!(ledger(&db).iter().all(|s| s.ends_with(" applied")));
    let (code, out) = run(
        &db,
        &["rollback", "--file", "20210218010009", "--restore", "--yes"],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        fingerprint(&db, Format::GolangMigrate),
        checkpoint_fp(&db, Some("20210218010009"))
    );
    assert!(!db.has_table("tasks"));
}

/// A slow down script: `0001` creates `a`; its down runs a slow statement, then drops it.
fn slow_down(db: &TestDb) {
    let slow = match db.backend {
        Backend::Sqlite => "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 30000000) SELECT COUNT(*) FROM c;",
        Backend::Postgres => "SELECT pg_sleep(4);",
        Backend::Mysql => "SELECT SLEEP(4);",
    };
    write_files(
        &db.migrations_dir(),
        &[
            (
                "0001_a.up.sql",
                "CREATE TABLE a (id INTEGER NOT NULL PRIMARY KEY);\n",
            ),
            ("0001_a.down.sql", &format!("{slow}\nDROP TABLE a;\n")),
        ],
    );
    db.write_plan("format = \"sqlx\"\n\n[checkpoints]\nbackup = \"none\"\n");
}

/// Runs the binary until it prints `line` on stdout, then kills it with SIGKILL.
fn kill_when(db: &TestDb, args: &[&str], line: &str) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(args)
        .current_dir(db.dir.path())
        .env_remove("CUTOVER_PLAN")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let out = child.stdout.take().expect("stdout");
    let mut seen = false;
    for l in BufReader::new(out).lines() {
        let l = l.expect("line");
        if l.contains(line) {
            seen = true;
            break;
        }
    }
    assert!(seen, "never printed {line:?}");
    std::thread::sleep(Duration::from_millis(700));
    child.kill().expect("kill -9");
    let _ = child.wait();
}

/// Runs until the target's lock (held by the killed process's server session until its
/// statement ends) is free.
fn run_when_unlocked(db: &TestDb, args: &[&str]) -> (i32, String) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (code, out) = run(db, args);
        if !(code == 2 && out.contains("locked")) || Instant::now() > deadline {
            return (code, out);
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}

on_all_backends!(kill_9_mid_rollback_then_resume, |b| {
    let Some(db) = TestDb::new(b, "rollback_kill") else {
        return;
    };
    slow_down(&db);
    let (code, out) = run(&db, &["apply"]);
    assert_eq!(code, 0, "{out}");
    kill_when(
        &db,
        &["rollback", "--file", "0001", "--yes"],
        "rolling back 0001",
    );
    assert!(db.has_table("a"), "the down's DROP never ran");
    let l = ledger(&db);
    let expect = if b == Backend::Mysql {
        "0001 rolling_back"
    } else {
        "0001 applied"
    };
    assert_eq!(l, [expect]);
    if b == Backend::Mysql {
        let (code, out) = run_when_unlocked(&db, &["apply"]);
        assert_eq!(code, 2, "apply refuses on an interrupted rollback:\n{out}");
        assert!(out.contains("interrupted"), "{out}");
    }
    let (code, out) = run_when_unlocked(&db, &["rollback", "--file", "0001", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert!(!db.has_table("a"), "{out}");
    assert_eq!(ledger(&db), ["0001 rolled_back"]);
    let (code, out) = run(&db, &["rollback", "--file", "0001", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("already rolled back"), "{out}");
});

fn three_files(db: &TestDb, policy: &str) {
    write_files(
        &db.migrations_dir(),
        &[
            (
                "0001_a.up.sql",
                "CREATE TABLE a (id INTEGER NOT NULL PRIMARY KEY);\n",
            ),
            ("0001_a.down.sql", "DROP TABLE a;\n"),
            (
                "0002_b.up.sql",
                "CREATE TABLE b (id INTEGER NOT NULL PRIMARY KEY);\n",
            ),
            ("0002_b.down.sql", "DROP TABLE b;\n"),
            (
                "0003_c.up.sql",
                "CREATE TABLE c (id INTEGER NOT NULL PRIMARY KEY);\nINSERT INTO nope VALUES (1);\n",
            ),
            ("0003_c.down.sql", "DROP TABLE c;\n"),
        ],
    );
    db.write_plan(&format!(
        "format = \"sqlx\"\n\n[checkpoints]\nbackup = \"per-file\"\n\n[[batch]]\nname = \"all\"\nfiles = [\"0001..=0003\"]\non_failure = \"{policy}\"\n"
    ));
}

on_all_backends!(automatic_rollback_batch_on_a_failing_file, |b| {
    let Some(db) = TestDb::new(b, "rollback_auto_batch") else {
        return;
    };
    three_files(&db, "rollback-batch");
    let (code, out) = run(&db, &["apply"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("automatic rollback: 0003"), "{out}");
    assert!(out.contains("on_failure = rollback-batch"), "{out}");
    assert!(out.contains("automatic rollback: undid"), "{out}");
    assert!(!db.has_table("a") && !db.has_table("b"), "{out}");
    assert!(!db.has_table("c"), "{out}");
    let l = ledger(&db);
    assert!(l.contains(&"0001 rolled_back".to_string()), "{l:?}");
    assert!(l.contains(&"0002 rolled_back".to_string()), "{l:?}");
});

on_all_backends!(automatic_rollback_file_on_a_failing_file, |b| {
    let Some(db) = TestDb::new(b, "rollback_auto_file") else {
        return;
    };
    three_files(&db, "rollback-file");
    let (code, out) = run(&db, &["apply"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("on_failure = rollback-file"), "{out}");
    // The failed file is gone; the files before it stay applied.
    assert!(!db.has_table("c"), "{out}");
    assert!(db.has_table("a") && db.has_table("b"), "{out}");
    if b == Backend::Mysql {
        // Its CREATE TABLE committed: the backup before it was restored.
        assert!(
            out.contains("automatic rollback: undid 1 file(s): 0003"),
            "{out}"
        );
    } else {
        assert!(out.contains("already undid it"), "{out}");
    }
});

#[test]
fn a_batch_under_an_applied_later_batch_is_refused() {
    let db = TestDb::new(Backend::Sqlite, "rollback_order").expect("sqlite");
    demo_plan(&db);
    let (code, out) = run(&db, &["apply"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = run(&db, &["rollback", "--batch", "1", "--yes"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("later batches are applied"), "{out}");
    assert!(out.contains("--file 0001"), "{out}");
    let (code, out) = run(&db, &["rollback", "--file", "9999"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("no migration has that version"), "{out}");

    // Closing the window: its checkpoints are superseded; no emergency rollback after.
    let (code, out) = run(&db, &["close"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("closed migration window"), "{out}");
    let (code, out) = run(&db, &["rollback", "--emergency", "--yes"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("no migration window is open"), "{out}");
    let (code, out) = run(&db, &["close"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("nothing to close"), "{out}");
    // Down scripts still undo the files (without checkpoints to verify against).
    let (code, out) = run(&db, &["rollback", "--file", "0010", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("cannot be verified"), "{out}");
}

/// The cockpit's path: one held session; a preview answers with the plan of the
/// rollback and changes nothing; the confirmed rollback streams each file's status and
/// ends with RollbackFinished; a preview of what is already rolled back is empty.
#[test]
fn held_session_previews_then_rolls_back() {
    use cutover::command::{ApplyRequest, Command, RollbackScope};
    use cutover::engine::{self, Sessions, Setup};
    use cutover::event::{Event, FileStatus, Outcome, Undo};
    let db = TestDb::new(Backend::Sqlite, "rollback_held").expect("sqlite");
    write_files(
        &db.migrations_dir(),
        &[
            ("0001_a.up.sql", "CREATE TABLE a (id INTEGER NOT NULL PRIMARY KEY);\nINSERT INTO a VALUES (1), (2);\n"),
            ("0001_a.down.sql", "DROP TABLE a;\n"),
            ("0002_b.up.sql", "CREATE TABLE b (id INTEGER NOT NULL PRIMARY KEY);\n"),
            ("0002_b.down.sql", "-- nothing to undo by SQL\n"),
        ],
    );
    let plan = cutover::plan::load(
        &db.write_plan("format = \"sqlx\"\n\n[checkpoints]\nbackup = \"per-file\"\n"),
    )
    .expect("plan");
    let folder =
        cutover::source::read_folder(&plan.migrations.dir, &Default::default()).expect("folder");
    let batches = cutover::plan::resolve_batches(&plan, &folder.migrations).expect("batches");
    let setup = Setup {
        ws: std::sync::Arc::new(engine::Workspace {
            plan,
            folder,
            batches,
        }),
        target: info(&db.url),
        operator: "tester".into(),
        warnings: Vec::new(),
    };
    let scope = RollbackScope::File {
        version: "0001".into(),
    };
    let events = block_on(async {
        let h = engine::start(setup, Sessions::Held).await.expect("start");
        let cmds = [
            Command::Apply(ApplyRequest::default()),
            Command::PreviewRollback(scope.clone()),
            Command::Rollback {
                scope: scope.clone(),
                restore: false,
            },
            Command::PreviewRollback(scope.clone()),
            Command::Quit,
        ];
        for c in cmds {
            h.commands.send(c);
        }
        let mut events = h.events;
        let mut seen = Vec::new();
        while let Some(e) = events.recv().await {
            seen.push(e.event);
        }
        let _ = h.worker.wait().await;
        seen
    });
    let previews: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::RollbackPreview(p) => Some(p.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(previews.len(), 2, "{events:?}");
    let p = &previews[0];
    assert_eq!(p.confirm, "0001");
    let order: Vec<&str> = p.files.iter().map(|f| f.version.as_str()).collect();
    assert_eq!(order, ["0002", "0001"]);
    // 0002's down is only a comment: its backup is restored; that restore undoes only it.
    assert!(matches!(p.files[0].undo, Undo::Restore { .. }), "{p:?}");
    assert_eq!(p.files[1].undo, Undo::DownSql);
    assert_eq!(p.losses.len(), 1, "{p:?}");
    assert_eq!((p.losses[0].table.as_str(), p.losses[0].rows), ("a", 2));
    assert!(
        p.notes.iter().any(|n| n.contains("writes made since")),
        "{p:?}"
    );
    assert!(previews[1].files.is_empty(), "{:?}", previews[1]);
    assert!(
        previews[1]
            .notes
            .iter()
            .any(|n| n.contains("already rolled back")),
        "{:?}",
        previews[1]
    );
    let rolled: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            Event::FileStatus {
                version,
                status: FileStatus::RolledBack,
                ..
            } => Some(version.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(rolled, ["0002", "0001"]);
    assert!(events.iter().any(|e| matches!(
        e,
        Event::RollbackFinished {
            outcome: Outcome::Succeeded,
            ..
        }
    )));
    assert!(!db.has_table("a") && !db.has_table("b"));
}
