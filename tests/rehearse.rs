//! `cutover rehearse`: up, down, up of each pending file on a scratch copy of the target,
//! on SQLite, PostgreSQL and MariaDB. The real target is never written, and the scratch
//! copy is gone afterwards.

mod common;
use common::*;
use cutover::checkpoint::scratch::Scratch;
use cutover::db::schema;

/// The demo (migrations and plan) in the test's folder, pointed at the test database.
fn demo(db: &TestDb) -> std::path::PathBuf {
    let plan = cutover::cli::prepare_demo(db.dir.path()).expect("demo written");
    let text = std::fs::read_to_string(&plan).expect("plan");
    // The demo's backups are the checkpoints' business, not a rehearsal's.
    let text = text
        .replace("sqlite://shop.db", &db.url)
        .replace("backup = \"per-batch\"", "backup = \"none\"");
    std::fs::write(&plan, text).expect("plan");
    plan
}

/// What the rehearsal must leave exactly as it was: the schema's fingerprint, every
/// table's row count, and the ledger.
fn snapshot(db: &TestDb) -> (String, Vec<(String, u64)>, Vec<String>) {
    block_on(async {
        let (mut c, _) = cutover::db::connect(&db.info()).await.expect("connect");
        let s = schema::introspect(&mut c, &[]).await.expect("introspect");
        let stats = schema::table_stats(&mut c, &s, 0).await.expect("stats");
        let ledger = if cutover::db::ledger::table_exists(&mut c, "cutover_history")
            .await
            .expect("exists")
        {
            c.column_strings(
                "SELECT version FROM cutover_history WHERE status = 'applied' ORDER BY version",
            )
            .await
            .expect("ledger")
        } else {
            Vec::new()
        };
        c.close().await;
        (
            s.fingerprint(),
            stats.into_iter().map(|t| (t.table, t.rows)).collect(),
            ledger,
        )
    })
}

/// The scratch copy the output names (a server database, or a SQLite file).
fn scratch_named(out: &str) -> String {
    let line = out
        .lines()
        .find(|l| l.contains("dropped the scratch copy "))
        .unwrap_or_else(|| panic!("no scratch copy named: {out}"));
    line.split("dropped the scratch copy ")
        .nth(1)
        .expect("name")
        .trim()
        .to_string()
}

/// Whether a scratch copy still exists: the database on the server, or the file.
fn scratch_exists(db: &TestDb, shown: &str) -> bool {
    match db.backend {
        Backend::Sqlite => std::path::Path::new(shown).exists(),
        Backend::Postgres => {
            let name = shown.rsplit('/').next().expect("db name");
            db.scalar(&format!(
                "SELECT COUNT(*) FROM pg_database WHERE datname = '{name}'"
            )) > 0
        }
        Backend::Mysql => {
            let name = shown.rsplit('/').next().expect("db name");
            db.scalar(&format!(
                "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{name}'"
            )) > 0
        }
    }
}

on_all_backends!(scratch_copy_holds_the_data_and_is_dropped, |b| {
    let Some(db) = TestDb::new(b, "scratch_copy") else {
        return;
    };
    db.exec("CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY, v VARCHAR(10))");
    db.exec("INSERT INTO t (id, v) VALUES (1, 'a'), (2, 'b'), (3, NULL)");
    let (a, b2) = block_on(async {
        let mut said = Vec::new();
        let a = Scratch::create(&db.info(), &mut |l| said.push(l))
            .await
            .expect("scratch");
        let b2 = Scratch::create(&db.info(), &mut |l| said.push(l))
            .await
            .expect("second scratch");
        (a, b2)
    });
    assert_ne!(a.display(), b2.display(), "two runs never share a copy");
    let rows = block_on(async {
        let (mut c, _) = cutover::db::connect(&a.info).await.expect("connect copy");
        let n = c.scalar_i64("SELECT COUNT(*) FROM t").await.expect("count");
        c.close().await;
        n
    });
    assert_eq!(rows, 3);
    let (sa, sb) = (a.display().to_string(), b2.display().to_string());
    assert!(scratch_exists(&db, &sa));
    block_on(async {
        a.drop_now().await.expect("drop");
        b2.drop_now().await.expect("drop");
    });
    assert!(!scratch_exists(&db, &sa), "{sa} dropped");
    assert!(!scratch_exists(&db, &sb), "{sb} dropped");
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM t"),
        3,
        "the target keeps its rows"
    );
});

on_all_backends!(demo_rehearses_reversible_and_target_untouched, |b| {
    let Some(db) = TestDb::new(b, "rehearse_demo") else {
        return;
    };
    demo(&db);
    // Batch 1 applied for real: the rehearsal covers the other two, on a copy of it.
    let out = cutover(db.dir.path(), &["apply", "--batch", "1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let before = snapshot(&db);
    let out = cutover(db.dir.path(), &["rehearse"]);
    let t = text(&out);
    let reversible = t.matches("✔ reversible").count();
    // The demo's bare `DROP INDEX name` downs run in MySQL's form there, as a rollback
    // sends them.
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert_eq!(reversible, 6, "{t}");
    assert!(t.contains("every one is reversible"), "{t}");
    assert_eq!(snapshot(&db), before, "the target is not written: {t}");
    assert!(!scratch_exists(&db, &scratch_named(&t)), "{t}");
    assert!(!t.contains("password"), "{t}");
});

on_all_backends!(demo_rehearses_from_scratch, |b| {
    let Some(db) = TestDb::new(b, "rehearse_all") else {
        return;
    };
    demo(&db);
    let out = cutover(db.dir.path(), &["rehearse", "--json", "r.json"]);
    let t = text(&out);
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(db.dir.path().join("r.json")).expect("report"),
    )
    .expect("json");
    let verdicts: Vec<(String, String)> = report["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| {
            (
                f["version"].as_str().unwrap_or("").to_string(),
                f["verdict"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(verdicts.len(), 10, "{t}");
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(verdicts.iter().all(|(_, v)| v == "reversible"), "{t}");
    if b == Backend::Mysql {
        // MySQL drops the foreign key's implicit index when 0003 (0006) indexes the same
        // column, and the down gives it back by name; applied again, the up keeps it:
        // reversible, with a note saying how the second schema differs.
        for (file, index) in [
            (
                "0003_index_orders_customer.up.sql",
                "+ index orders.customer_id",
            ),
            (
                "0006_backfill_order_totals.up.sql",
                "+ index order_items.order_id",
            ),
        ] {
            let note = t
                .lines()
                .skip_while(|l| !l.contains(&format!("✔ reversible: {file}")))
                .nth(1)
                .unwrap_or_default();
            assert!(
                note.contains("applied again it builds another one") && note.contains(index),
                "{file}: {t}"
            );
        }
    }
    // Nothing at all on the target: not even cutover's ledger.
    assert!(!db.has_table("cutover_history"), "{t}");
    assert!(!db.has_table("customers"), "{t}");
    assert!(!scratch_exists(&db, &scratch_named(&t)), "{t}");
});

/// A small folder: a table, then a file adding two columns whose down is `down`.
fn two_columns(db: &TestDb, down: &str) {
    write_files(
        &db.migrations_dir(),
        &[
            (
                "0001_a.up.sql",
                "CREATE TABLE a (id INTEGER NOT NULL PRIMARY KEY);\n",
            ),
            ("0001_a.down.sql", "DROP TABLE a;\n"),
            (
                "0002_bc.up.sql",
                "ALTER TABLE a ADD COLUMN b INTEGER;\nALTER TABLE a ADD COLUMN c INTEGER;\n",
            ),
            ("0002_bc.down.sql", down),
            (
                "0003_d.up.sql",
                "CREATE TABLE d (id INTEGER NOT NULL PRIMARY KEY);\n",
            ),
        ],
    );
    db.write_plan("");
}

on_all_backends!(down_missing_a_column_is_reported_with_the_difference, |b| {
    let Some(db) = TestDb::new(b, "rehearse_differs") else {
        return;
    };
    two_columns(&db, "ALTER TABLE a DROP COLUMN b;\n");
    let out = cutover(db.dir.path(), &["rehearse"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("✔ reversible: 0001_a.up.sql"), "{t}");
    assert!(
        t.contains("✖ down leaves a different schema: 0002_bc.up.sql"),
        "{t}"
    );
    let detail = t
        .lines()
        .skip_while(|l| !l.contains("✖ down leaves a different schema"))
        .nth(1)
        .unwrap_or_default();
    assert!(
        detail.contains("schema differs from before its up: + column a.c;"),
        "the difference names the column: {t}"
    );
    assert!(!detail.contains("a.b"), "b is undone: {t}");
    // Column c is still there, so the up cannot run again: the copy is no longer what
    // the files after it expect.
    assert!(
        detail.contains("its up fails again: 0002_bc.up.sql:2:"),
        "{t}"
    );
    assert!(t.contains("not rehearsed: 0003"), "{t}");
    assert!(!db.has_table("a"), "the target is not written: {t}");
    assert!(!scratch_exists(&db, &scratch_named(&t)), "{t}");
});

on_all_backends!(down_that_errors_is_reported_with_its_error, |b| {
    let Some(db) = TestDb::new(b, "rehearse_fails") else {
        return;
    };
    two_columns(
        &db,
        "-- undo\nALTER TABLE a DROP COLUMN b;\nDROP TABLE nope;\n",
    );
    let out = cutover(db.dir.path(), &["rehearse", "--batch", "1"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("✖ down fails: 0002_bc.up.sql"), "{t}");
    assert!(
        t.contains("0002_bc.down.sql:3:"),
        "file:line of the failing statement: {t}"
    );
    assert!(
        t.to_lowercase().contains("nope"),
        "the database's message: {t}"
    );
    match b {
        // DDL commits implicitly: the copy is left part-way and the rest is not rehearsed.
        Backend::Mysql => assert!(t.contains("not rehearsed: 0003"), "{t}"),
        // One transaction rolled back: the next file is rehearsed as usual; it has no
        // down, so only a restore undoes it.
        _ => assert!(
            t.contains("✖ no down (only a restore undoes it): 0003_d.up.sql"),
            "{t}"
        ),
    }
    assert!(!db.has_table("a"), "the target is not written: {t}");
    assert!(!scratch_exists(&db, &scratch_named(&t)), "{t}");
});

#[test]
fn unknown_batch_cannot_run() {
    let Some(db) = TestDb::new(Backend::Sqlite, "rehearse_batch") else {
        return;
    };
    two_columns(
        &db,
        "ALTER TABLE a DROP COLUMN c;\nALTER TABLE a DROP COLUMN b;\n",
    );
    let out = cutover(db.dir.path(), &["rehearse", "--batch", "9"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("no batch \"9\""), "{t}");
}

/// The cockpit's way: `Command::Rehearse` to a held session's worker; the verdicts come
/// back as `Event::Rehearsed`, framed by the job's start and end, and the session's
/// target stays as it was.
#[test]
fn held_worker_rehearses_on_command() {
    use cutover::command::Command;
    use cutover::engine::{self, Handle, Sessions, Setup};
    use cutover::event::{Event, Outcome, RehearsalVerdict};
    let Some(db) = TestDb::new(Backend::Sqlite, "rehearse_held") else {
        return;
    };
    two_columns(&db, "ALTER TABLE a DROP COLUMN b;\n");
    let plan = cutover::plan::load(&db.dir.path().join("cutover.toml")).expect("plan");
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
    let events = block_on(async {
        let Handle {
            commands,
            mut events,
            worker,
        } = engine::start(setup, Sessions::Held).await.expect("start");
        commands.send(Command::Rehearse {
            batch: Some("1".into()),
        });
        commands.send(Command::Quit);
        let mut seen = Vec::new();
        let read = async {
            while let Some(e) = events.recv().await {
                seen.push(e.event);
            }
        };
        let _ = tokio::join!(read, worker.wait());
        seen
    });
    let verdicts: Vec<(String, RehearsalVerdict)> = events
        .iter()
        .filter_map(|e| match e {
            Event::Rehearsed {
                version, verdict, ..
            } => Some((version.clone(), *verdict)),
            _ => None,
        })
        .collect();
    assert_eq!(
        verdicts,
        vec![
            ("0001".to_string(), RehearsalVerdict::Reversible),
            ("0002".to_string(), RehearsalVerdict::DownDiffers),
        ],
        "{events:?}"
    );
    assert!(events.contains(&Event::JobFinished {
        job: "rehearse".into(),
        outcome: Outcome::Failed
    }));
    assert!(!db.has_table("a"), "the target is not written");
}

/// Ctrl-C during a rehearsal: it stops after the file it is on, drops the scratch copy,
/// and exits 130.
fn interrupted(b: Backend) {
    use std::io::BufRead;
    let Some(db) = TestDb::new(b, "rehearse_interrupt") else {
        return;
    };
    let slow = match b {
        Backend::Postgres => "CREATE TABLE s (id INTEGER);\nSELECT pg_sleep(1.5);\n",
        _ => "CREATE TABLE s (id INTEGER);\nWITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) SELECT COUNT(*) FROM c;\n",
    };
    write_files(
        &db.migrations_dir(),
        &[
            ("0001_slow.up.sql", slow),
            ("0001_slow.down.sql", "DROP TABLE s;\n"),
            ("0002_t.up.sql", "CREATE TABLE t (id INTEGER);\n"),
            ("0002_t.down.sql", "DROP TABLE t;\n"),
        ],
    );
    db.write_plan("");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
        .arg("rehearse")
        .current_dir(db.dir.path())
        .env_remove("CUTOVER_PLAN")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let out = child.stdout.take().expect("stdout");
    let (tx, lines) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line.clone());
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match lines.recv_timeout(left) {
            Ok(l) if l.contains("rehearsing 0001_slow.up.sql") => break,
            Ok(_) => {}
            Err(e) => panic!("never saw the slow file start: {e}"),
        }
    }
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    let status = child.wait().expect("wait");
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut err);
    }
    let t = format!("{}{err}", reader.join().expect("reader"));
    assert_eq!(status.code(), Some(130), "{t}");
    assert!(
        t.contains("✔ reversible: 0001_slow.up.sql"),
        "the file it was on ends: {t}"
    );
    assert!(!t.contains("0002_t.up.sql"), "nothing after it: {t}");
    assert!(t.contains("stopped"), "{t}");
    assert!(!scratch_exists(&db, &scratch_named(&t)), "{t}");
    assert!(!db.has_table("s"), "the target is not written: {t}");
}

#[test]
fn interrupt_drops_the_scratch_copy_sqlite() {
    interrupted(Backend::Sqlite);
}

#[test]
fn interrupt_drops_the_scratch_copy_postgres() {
    interrupted(Backend::Postgres);
}

/// A password in the target's URL is never shown: not in the output (the scratch
/// database's URL included), the JSON report or the log. The test server trusts local
/// connections, so any password connects.
#[test]
fn the_password_never_shows() {
    let Some(db) = TestDb::new(Backend::Postgres, "rehearse_secret") else {
        return;
    };
    let mut u = url::Url::parse(&db.url).expect("url");
    u.set_password(Some("s3cr3t-pw")).expect("password");
    write_files(
        &db.migrations_dir(),
        &[
            ("0001_a.up.sql", "CREATE TABLE a (id INTEGER);\n"),
            ("0001_a.down.sql", "DROP TABLE a;\n"),
        ],
    );
    std::fs::write(
        db.dir.path().join("cutover.toml"),
        format!("[plan]\nname = \"t\"\n\n[target]\nurl = \"{u}\"\n\n[migrations]\ndir = \"migrations\"\n"),
    )
    .expect("plan");
    let out = cutover(db.dir.path(), &["rehearse", "--json", "r.json"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("scratch database cutover_scratch_"), "{t}");
    assert!(t.contains(":***@"), "the URLs are shown redacted: {t}");
    let mut seen = vec![t];
    seen.push(std::fs::read_to_string(db.dir.path().join("r.json")).expect("report"));
    for entry in std::fs::read_dir(db.dir.path().join(".cutover/logs")).expect("logs") {
        let p = entry.expect("entry").path();
        seen.push(std::fs::read_to_string(p).unwrap_or_default());
    }
    for s in &seen {
        assert!(!s.contains("s3cr3t-pw"), "{s}");
    }
}

/// `--batch 2` before anything is applied: batch 1's files go onto the copy first (not
/// judged), then batch 2's are rehearsed.
#[test]
fn a_later_batch_is_rehearsed_on_top_of_the_earlier_ones() {
    let Some(db) = TestDb::new(Backend::Sqlite, "rehearse_batch2") else {
        return;
    };
    demo(&db);
    let out = cutover(db.dir.path(), &["rehearse", "--batch", "service-layer"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(
        t.contains("applying 0001_baseline.up.sql to the copy first"),
        "{t}"
    );
    assert_eq!(t.matches("✔ reversible").count(), 3, "{t}");
    for f in ["0005", "0006", "0007"] {
        assert!(t.contains(&format!("✔ reversible: {f}_")), "{f}: {t}");
    }
    assert!(
        !t.contains("reversible: 0001_"),
        "batch 1 is not judged: {t}"
    );
    assert!(!t.contains("0008_"), "batch 3 is not touched: {t}");
    assert!(
        !db.dir.path().join("target.db").exists(),
        "the target is not even created: {t}"
    );
}
