//! Checkpoints: the state store and its lifecycle, backups and restores on each
//! backend, verification of backups, the missing-tool refusal, and that no password
//! reaches argv, logs or the state database.

mod common;

use common::*;
use cutover::checkpoint::{self, Backup, CheckpointError, NewCheckpoint, Store, ToolEvent};
use cutover::db::schema::{Schema, TableStat};
use cutover::event::CheckpointState;

fn new_cp<'a>(
    window: i64,
    version: Option<&'a str>,
    schema: &'a Schema,
    stats: &'a [TableStat],
) -> NewCheckpoint<'a> {
    NewCheckpoint {
        window,
        target: "sqlite://shop.db",
        version,
        batch: version.map(|_| "one"),
        fingerprint: "ab".repeat(32).leak(),
        schema,
        stats,
        awaits_backup: true,
    }
}

fn fake_backup(dir: &std::path::Path, name: &str, content: &[u8]) -> Backup {
    let path = dir.join(".cutover").join("backups").join(name);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(&path, content).expect("write");
    Backup {
        sha256: checkpoint::sha256_file(&path).expect("hash"),
        size: content.len() as u64,
        path,
        tool: "sqlite-copy".into(),
        scope: Some("main".into()),
    }
}

#[test]
fn store_lifecycle_window_and_lookups() {
    let dir = tempfile::tempdir().expect("tempdir");
    block_on(async {
        let store = Store::open(dir.path()).await.expect("open");
        let t = "sqlite://shop.db";
        assert!(store.open_window(t).await.expect("w").is_none());
        assert!(store.window_start(t).await.expect("ws").is_none());
        let (w, opened) = store.begin_window(t, "alice").await.expect("begin");
        assert!(opened);
        let (again, opened_again) = store.begin_window(t, "bob").await.expect("begin");
        assert_eq!((again.id, opened_again), (w.id, false));

        let schema = Schema::default();
        let stats = vec![TableStat {
            table: "orders".into(),
            rows: 3,
            checksum: Some("c".into()),
        }];
        let start = store
            .record(&new_cp(w.id, None, &schema, &stats))
            .await
            .expect("record start")
            .0;
        assert_eq!(start.status, CheckpointState::Created);
        let b = fake_backup(dir.path(), "start.db", b"backup bytes");
        store.attach_backup(start.id, &b).await.expect("attach");
        let c1 = store
            .record(&new_cp(w.id, Some("0001"), &schema, &stats))
            .await
            .expect("record 1")
            .0;
        store
            .set_status(c1.id, CheckpointState::Active)
            .await
            .expect("status");
        let c2 = store
            .record(&new_cp(w.id, Some("0002"), &schema, &stats))
            .await
            .expect("record 2")
            .0;

        let ws = store.window_start(t).await.expect("ws").expect("some");
        assert_eq!(ws.id, start.id);
        assert_eq!(ws.status, CheckpointState::Validated);
        assert_eq!(ws.backup.as_ref(), Some(&b));
        assert_eq!(ws.stats, stats);
        let before2 = store
            .before(t, "0002")
            .await
            .expect("before")
            .expect("some");
        assert_eq!(before2.id, c2.id);
        assert_eq!(before2.batch.as_deref(), Some("one"));
        // The nearest backup at or before 0002 is the window start's.
        let nearest = store
            .backup_for(t, "0002")
            .await
            .expect("nearest")
            .expect("some");
        assert_eq!(nearest.id, start.id);
        assert!(store.before(t, "0003").await.expect("before").is_none());

        // 0001 rolled back and applied again: its new checkpoint supersedes the old.
        let (c1b, superseded) = store
            .record(&new_cp(w.id, Some("0001"), &schema, &stats))
            .await
            .expect("record 1 again");
        assert_eq!(superseded, [c1.id]);
        let old = store.get(c1.id).await.expect("get").expect("some");
        assert_eq!(old.status, CheckpointState::Superseded);
        assert_eq!(
            store.before(t, "0001").await.expect("b").map(|c| c.id),
            Some(c1b.id)
        );

        // A second process sees the same state.
        let other = Store::open(dir.path()).await.expect("open twice");
        assert_eq!(other.list(t).await.expect("list").len(), 4);

        let closed = store
            .close_window(t, "alice")
            .await
            .expect("close")
            .expect("was open");
        assert_eq!(closed.window, w.id);
        assert!(closed.superseded.contains(&start.id) && closed.superseded.contains(&c2.id));
        // The window start's backup is kept: the last state before the window.
        assert_eq!(closed.kept.as_deref(), Some(b.path.as_path()));
        assert!(b.path.exists());
        for c in store.list(t).await.expect("list") {
            assert_eq!(c.status, CheckpointState::Superseded, "{c:?}");
        }
        assert!(store.open_window(t).await.expect("w").is_none());
        assert!(store
            .close_window(t, "alice")
            .await
            .expect("close")
            .is_none());

        // The next window prunes the kept backup of the one before when it closes.
        let (w2, opened) = store.begin_window(t, "alice").await.expect("begin 2");
        assert!(opened && w2.id != w.id);
        let s2 = store
            .record(&new_cp(w2.id, None, &schema, &stats))
            .await
            .expect("record")
            .0;
        let b2 = fake_backup(dir.path(), "start2.db", b"second");
        store.attach_backup(s2.id, &b2).await.expect("attach");
        let closed = store
            .close_window(t, "alice")
            .await
            .expect("close")
            .expect("open");
        assert_eq!(closed.pruned, vec![b.path.clone()]);
        assert!(!b.path.exists() && b2.path.exists());
        let first = store.get(start.id).await.expect("get").expect("some");
        assert!(first.backup.is_none());
        assert!(first.detail.unwrap_or_default().contains("pruned"));
    });
}

#[test]
fn verify_detects_a_corrupted_and_a_missing_backup() {
    let dir = tempfile::tempdir().expect("tempdir");
    let b = fake_backup(dir.path(), "x.db", b"0123456789");
    checkpoint::verify_backup(&b).expect("intact");
    std::fs::write(&b.path, b"0123456780").expect("corrupt it");
    let e = checkpoint::verify_backup(&b).expect_err("corrupt");
    assert!(matches!(e, CheckpointError::Corrupt(_)));
    assert!(e.to_string().contains("corrupt"), "{e}");
    std::fs::remove_file(&b.path).expect("rm");
    let e = checkpoint::verify_backup(&b).expect_err("missing");
    assert!(e.to_string().contains("missing"), "{e}");
}

fn concat_sql(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "SELECT id || ':' || name FROM a ORDER BY id",
        _ => "SELECT CONCAT(id, ':', name) FROM a ORDER BY id",
    }
}

on_all_backends!(backup_then_restore_brings_back_data_and_schema, |b| {
    let Some(db) = TestDb::new(b, "backup_restore") else {
        return;
    };
    db.exec("CREATE TABLE a (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(20) NOT NULL)");
    db.exec("INSERT INTO a (id, name) VALUES (1, 'one'), (2, 'two')");
    db.exec("CREATE VIEW va AS SELECT id FROM a");
    let before: Vec<String> = db.strings(concat_sql(b));
    assert_eq!(before, ["1:one", "2:two"]);

    let dest = db.dir.path().join(".cutover/backups/window-1/1-start");
    let mut lines = Vec::new();
    let backup = block_on(async {
        let (mut c, _) = cutover::db::connect(&db.info()).await.expect("connect");
        let r = checkpoint::take_backup(&mut c, &db.url, &dest, 1, &mut |e| {
            if let ToolEvent::Line(l) = e {
                lines.push(l)
            }
        })
        .await;
        c.close().await;
        r.expect("backup")
    });
    assert!(backup.path.exists());
    assert_eq!(
        backup.size,
        std::fs::metadata(&backup.path).expect("meta").len()
    );
    assert_eq!(
        backup.sha256,
        checkpoint::sha256_file(&backup.path).expect("hash")
    );
    let names: Vec<String> = std::fs::read_dir(dest.parent().expect("dir"))
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names.len(),
        1,
        "only the backup, no partial file: {names:?}"
    );
    checkpoint::verify_backup(&backup).expect("verifies");
    {
        // The backup holds the data: its owner's alone, whatever the umask.
        use std::os::unix::fs::PermissionsExt;
        let mode =
            |p: &std::path::Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&backup.path), 0o600);
        assert_eq!(mode(dest.parent().expect("dir")), 0o700);
    }
    if b == Backend::Sqlite {
        // A standalone rollback-journal file: opening it never needs a -wal beside it.
        let head = std::fs::read(&backup.path).expect("read");
        assert_eq!(&head[18..20], &[1, 1]);
        assert_eq!(
            TestDb::sqlite_at(&backup.path).strings("PRAGMA integrity_check"),
            ["ok"]
        );
    }

    // After the backup: a new table, changed rows, a dropped view, a new column.
    db.exec("CREATE TABLE later (id INTEGER NOT NULL PRIMARY KEY)");
    db.exec("INSERT INTO a (id, name) VALUES (3, 'three')");
    db.exec("UPDATE a SET name = 'uno' WHERE id = 1");
    db.exec("DROP VIEW va");
    db.exec("ALTER TABLE a ADD COLUMN extra INTEGER");
    assert!(db.has_table("later"));

    block_on(checkpoint::restore(&db.url, &backup, &mut |_| {})).expect("restore");
    assert!(
        !db.has_table("later"),
        "a table created after the backup is dropped"
    );
    assert_eq!(db.strings(concat_sql(b)), before);
    assert_eq!(db.scalar("SELECT COUNT(*) FROM va"), 2, "the view is back");
    // The column added after the backup is gone.
    let cols = match b {
        Backend::Sqlite => db.scalar("SELECT COUNT(*) FROM pragma_table_info('a')"),
        Backend::Postgres => db.scalar(
            "SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'a' AND table_schema = current_schema()",
        ),
        Backend::Mysql => db.scalar(
            "SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'a' AND table_schema = DATABASE()",
        ),
    };
    assert_eq!(cols, 2);

    // A corrupted backup is refused, and the target stays as it is.
    db.exec("INSERT INTO a (id, name) VALUES (9, 'nine')");
    let mut bytes = std::fs::read(&backup.path).expect("read");
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&backup.path, bytes).expect("corrupt");
    let e = block_on(checkpoint::restore(&db.url, &backup, &mut |_| {})).expect_err("refused");
    assert!(matches!(e, CheckpointError::Corrupt(_)), "{e}");
    assert_eq!(db.scalar("SELECT COUNT(*) FROM a"), 3);
});

/// Three files in two batches; `policy` under [checkpoints].
fn folder(db: &TestDb, policy: &str) {
    write_files(
        &db.migrations_dir(),
        &[
            ("0001_a.sql", "CREATE TABLE a (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(20));\nINSERT INTO a (id, name) VALUES (1, 'x');\n"),
            ("0002_b.sql", "CREATE TABLE b (id INTEGER NOT NULL PRIMARY KEY);\n"),
            ("0003_c.sql", "ALTER TABLE a ADD COLUMN c INTEGER;\n"),
        ],
    );
    db.write_plan(&format!(
        "format = \"sqlx\"\n\n[checkpoints]\nbackup = \"{policy}\"\n\n[[batch]]\nname = \"one\"\nfiles = [\"0001..=0002\"]\n\n[[batch]]\nname = \"two\"\nfiles = [\"0003\"]\n"
    ));
}

fn store_list(db: &TestDb) -> Vec<checkpoint::Checkpoint> {
    block_on(async {
        let store = Store::open(db.dir.path()).await.expect("store");
        store
            .list(&cutover::plan::redacted_url(&db.url))
            .await
            .expect("list")
    })
}

/// Which checkpoints (by version, "start" for the window start) carry a backup.
fn with_backup(cps: &[checkpoint::Checkpoint]) -> Vec<String> {
    cps.iter()
        .filter(|c| c.backup.is_some())
        .map(|c| c.version.clone().unwrap_or_else(|| "start".into()))
        .collect()
}

fn apply_ok(db: &TestDb) -> String {
    let out = cutover(db.dir.path(), &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    text(&out)
}

on_all_backends!(apply_takes_a_checkpoint_before_each_file, |b| {
    let Some(db) = TestDb::new(b, "cp_per_file") else {
        return;
    };
    folder(&db, "session");
    apply_ok(&db);
    let cps = store_list(&db);
    let versions: Vec<Option<&str>> = cps.iter().map(|c| c.version.as_deref()).collect();
    assert_eq!(versions, [None, Some("0001"), Some("0002"), Some("0003")]);
    // session: one backup, when the window opened.
    assert_eq!(with_backup(&cps), ["start"]);
    let start = &cps[0];
    let backup = start.backup.as_ref().expect("window start backup");
    assert!(backup
        .path
        .starts_with(db.dir.path().join(".cutover/backups")));
    assert_eq!(
        backup.sha256,
        checkpoint::sha256_file(&backup.path).expect("hash")
    );
    assert_eq!(
        backup.size,
        std::fs::metadata(&backup.path).expect("meta").len()
    );
    for c in &cps {
        assert_eq!(c.status, CheckpointState::Active, "{c:?}");
        assert_eq!(c.fingerprint.len(), 64);
    }
    // Each checkpoint is the schema before its file: 0003's sees a and b, 0001's nothing.
    assert!(cps[1].stats.is_empty(), "{:?}", cps[1].stats);
    let tables: Vec<&str> = cps[3].stats.iter().map(|s| s.table.as_str()).collect();
    assert_eq!(tables, ["a", "b"]);
    assert_eq!(cps[3].stats[0].rows, 1);
    assert_ne!(cps[2].fingerprint, cps[3].fingerprint);

    // status --json names each file's checkpoint.
    let out = cutover(db.dir.path(), &["status", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let ids: Vec<i64> = v["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["checkpoint"].as_i64().expect("checkpoint id"))
        .collect();
    assert_eq!(ids, [cps[1].id, cps[2].id, cps[3].id]);

    // Nothing pending: no new checkpoint, the window stays the same.
    apply_ok(&db);
    assert_eq!(store_list(&db).len(), 4);

    // The backup restores the target to the window start: no table of the files.
    block_on(checkpoint::restore(&db.url, backup, &mut |_| {})).expect("restore");
    assert!(!db.has_table("a") && !db.has_table("b"));

    let list = cutover(db.dir.path(), &["checkpoints", "list"]);
    assert_eq!(list.status.code(), Some(0), "{}", text(&list));
    assert!(text(&list).contains("window start"), "{}", text(&list));
});

#[test]
fn per_file_per_batch_and_none_policies() {
    for (policy, expect) in [
        ("per-file", vec!["start", "0001", "0002", "0003"]),
        ("per-batch", vec!["start", "0001", "0003"]),
        ("none", vec![]),
    ] {
        let db = TestDb::new(Backend::Sqlite, "cp_policies").expect("sqlite");
        folder(&db, policy);
        apply_ok(&db);
        let cps = store_list(&db);
        assert_eq!(cps.len(), 4, "{policy}");
        assert_eq!(with_backup(&cps), expect, "{policy}");
        // A file right after a backup shares it; every other one is a file of its own.
        let files: std::collections::BTreeSet<_> = cps
            .iter()
            .filter_map(|c| c.backup.as_ref().map(|b| b.path.clone()))
            .collect();
        assert_eq!(files.len(), expect.len().saturating_sub(1), "{policy}");
        for f in &files {
            let c = cps
                .iter()
                .find(|c| c.backup.as_ref().is_some_and(|b| &b.path == f))
                .expect("c");
            checkpoint::verify_backup(c.backup.as_ref().expect("b")).expect("verifies");
        }
    }
}

/// Rolled back and applied again, a per-batch policy backs up before each batch's first
/// file again, not before its second (the checkpoints of the first run are not the
/// rollback points of the second).
#[test]
fn per_batch_backs_up_before_the_first_file_again_after_a_rollback() {
    let db = TestDb::new(Backend::Sqlite, "cp_per_batch_again").expect("sqlite");
    folder(&db, "per-batch");
    apply_ok(&db);
    let first = store_list(&db).iter().map(|c| c.id).max().expect("ids");
    let out = cutover(db.dir.path(), &["rollback", "--emergency", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    apply_ok(&db);
    let again: Vec<_> = store_list(&db)
        .into_iter()
        .filter(|c| c.id > first)
        .collect();
    assert_eq!(with_backup(&again), ["0001", "0003"], "{again:#?}");
}

/// A checkpoint is active while its file is applied: a rollback puts the undone files'
/// checkpoints (and, once nothing applied remains, the window start's) back to validated.
#[test]
fn rolled_back_files_checkpoints_are_no_longer_active() {
    let db = TestDb::new(Backend::Sqlite, "cp_release").expect("sqlite");
    folder(&db, "per-file");
    apply_ok(&db);
    let state = |db: &TestDb| -> Vec<(String, &'static str)> {
        store_list(db)
            .iter()
            .map(|c| {
                let v = c.version.clone().unwrap_or_else(|| "start".into());
                (v, c.status.as_str())
            })
            .collect()
    };
    let out = cutover(db.dir.path(), &["rollback", "--file", "0002", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let s = |v: &str, st: &'static str| (v.to_string(), st);
    assert_eq!(
        state(&db),
        [
            s("start", "active"),
            s("0001", "active"),
            s("0002", "validated"),
            s("0003", "validated")
        ]
    );
    let out = cutover(db.dir.path(), &["rollback", "--emergency", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        state(&db).iter().all(|(_, st)| *st == "validated"),
        "{:?}",
        state(&db)
    );
}

#[test]
fn verify_reports_corrupt_and_missing_backups_with_exit_2() {
    let db = TestDb::new(Backend::Sqlite, "cp_verify").expect("sqlite");
    folder(&db, "per-file");
    apply_ok(&db);
    let ok = cutover(db.dir.path(), &["checkpoints", "verify"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    let cps = store_list(&db);
    let paths: Vec<_> = cps
        .iter()
        .filter_map(|c| c.backup.as_ref().map(|b| b.path.clone()))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(paths.len() >= 2);
    let mut bytes = std::fs::read(&paths[0]).expect("read");
    bytes[100] ^= 1;
    std::fs::write(&paths[0], bytes).expect("corrupt");
    std::fs::remove_file(&paths[1]).expect("remove");
    let out = cutover(db.dir.path(), &["checkpoints", "verify"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("corrupt") && t.contains("missing"), "{t}");
    assert!(t.contains("2 backup(s) missing or corrupt"), "{t}");
}

/// A PATH with only an empty folder: no pg_dump, no mariadb-dump.
fn cutover_without_tools(cwd: &std::path::Path, args: &[&str]) -> std::process::Output {
    let empty = tempfile::tempdir().expect("tempdir");
    std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(args)
        .current_dir(cwd)
        .env_remove("CUTOVER_PLAN")
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .env("PATH", empty.path())
        .output()
        .expect("run cutover")
}

#[test]
fn a_missing_backup_tool_is_refused_before_the_window() {
    for (b, tool, package) in [
        (Backend::Postgres, "pg_dump", "postgresql-client"),
        (Backend::Mysql, "mariadb-dump", "mariadb-client"),
    ] {
        let Some(db) = TestDb::new(b, "cp_missing_tool") else {
            continue;
        };
        folder(&db, "session");
        let out = cutover_without_tools(db.dir.path(), &["apply"]);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(2), "{t}");
        assert!(
            t.contains(tool) && t.contains(package) && t.contains("backup = \"none\""),
            "{t}"
        );
        assert!(!db.has_table("a"), "nothing ran");
        assert!(
            !db.dir.path().join(".cutover/state.db").exists(),
            "no window opened"
        );
        // `none` needs no tool.
        folder(&db, "none");
        let out = cutover_without_tools(db.dir.path(), &["apply"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(db.has_table("a"));
    }
    // SQLite needs no tool whatever the policy.
    let db = TestDb::new(Backend::Sqlite, "cp_missing_tool").expect("sqlite");
    folder(&db, "per-file");
    let out = cutover_without_tools(db.dir.path(), &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_password_reaches_neither_output_logs_nor_state() {
    let Some(db) = TestDb::new(Backend::Postgres, "cp_password") else {
        return;
    };
    // Trust authentication accepts any password: the run succeeds and pg_dump runs.
    let mut u = url::Url::parse(&db.url).expect("url");
    u.set_password(Some("Zq7pw0rdQX")).expect("password");
    let secret_url = u.to_string();
    folder(&db, "per-file");
    let plan = std::fs::read_to_string(db.dir.path().join("cutover.toml")).expect("plan");
    std::fs::write(
        db.dir.path().join("cutover.toml"),
        plan.replace(&db.url, &secret_url),
    )
    .expect("plan");
    let out = cutover(db.dir.path(), &["apply"]);
    let mut all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    all.push_str(&text(&cutover(db.dir.path(), &["checkpoints", "list"])));
    for entry in walk(&db.dir.path().join(".cutover")) {
        all.push_str(&String::from_utf8_lossy(
            &std::fs::read(&entry).unwrap_or_default(),
        ));
    }
    assert!(
        all.contains("pg_dump") || all.contains("backup"),
        "backups ran"
    );
    assert!(!all.contains("Zq7pw0rdQX"), "the password leaked");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_failing_backup_stops_the_file_and_leaves_no_partial_backup() {
    let Some(db) = TestDb::new(Backend::Postgres, "cp_failing_tool") else {
        return;
    };
    folder(&db, "session");
    // A pg_dump that writes half a file and dies, and the other tools the policy needs.
    let bin = tempfile::tempdir().expect("tempdir");
    for (name, body) in [
        ("pg_dump", "#!/bin/sh\nfor a in \"$@\"; do case \"$a\" in --file=*) echo half > \"${a#--file=}\";; esac; done\necho 'pg_dump: error: connection lost' >&2\nexit 1\n"),
        ("pg_restore", "#!/bin/sh\nexit 1\n"),
        ("psql", "#!/bin/sh\nexit 1\n"),
    ] {
        let p = bin.path().join(name);
        std::fs::write(&p, body).expect("write");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
        .arg("apply")
        .current_dir(db.dir.path())
        .env_remove("CUTOVER_PLAN")
        .env("NO_COLOR", "1")
        .env("PATH", format!("{}:/usr/bin:/bin", bin.path().display()))
        .output()
        .expect("run");
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("connection lost") && t.contains("nothing was applied"),
        "{t}"
    );
    assert!(t.contains("backup = \"none\""), "{t}");
    assert!(!db.has_table("a"), "the file did not run");
    let cps = store_list(&db);
    assert_eq!(cps.len(), 1, "{cps:?}");
    assert_eq!(cps[0].status, CheckpointState::Failed);
    assert!(cps[0].backup.is_none());
    let left: Vec<_> = walk(&db.dir.path().join(".cutover/backups"));
    assert!(left.is_empty(), "no half file: {left:?}");

    // With the real tools, the next apply takes the window start again and runs.
    apply_ok(&db);
    let cps = store_list(&db);
    assert_eq!(cps.len(), 5);
    assert!(cps[1].version.is_none() && cps[1].backup.is_some());
    assert!(db.has_table("a"));
}

#[test]
fn concurrent_stores_open_one_window() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ids: Vec<(i64, bool)> = block_on(async {
        let mut tasks = Vec::new();
        for i in 0..8 {
            let base = dir.path().to_path_buf();
            tasks.push(tokio::spawn(async move {
                let store = Store::open(&base).await.expect("open");
                store
                    .begin_window("postgres://db/shop", &format!("op{i}"))
                    .await
                    .map(|(w, opened)| (w.id, opened))
                    .expect("begin")
            }));
        }
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.expect("task"));
        }
        out
    });
    assert_eq!(
        ids.iter().filter(|(_, opened)| *opened).count(),
        1,
        "{ids:?}"
    );
    assert!(ids.iter().all(|(id, _)| *id == ids[0].0), "{ids:?}");
}

#[test]
fn sqlite_backup_takes_frames_left_in_the_wal() {
    use sqlx::{ConnectOptions, Connection, Executor};
    let db = TestDb::new(Backend::Sqlite, "cp_wal").expect("sqlite");
    let file = db.dir.path().join("target.db");
    let dest = db.dir.path().join("backups/wal-copy");
    let b = block_on(async {
        let opts = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&file)
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
        let mut writer = opts.clone().connect().await.expect("writer");
        writer
            .execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t (v) VALUES ('a'), ('b')")
            .await
            .expect("create");
        // A reader on an old snapshot keeps the checkpoint from emptying the WAL.
        let mut reader = opts.clone().connect().await.expect("reader");
        reader
            .execute("BEGIN; SELECT COUNT(*) FROM t")
            .await
            .expect("read");
        writer
            .execute("INSERT INTO t (v) VALUES ('c'), ('d')")
            .await
            .expect("insert");
        let wal = db.dir.path().join("target.db-wal");
        assert!(
            std::fs::metadata(&wal).expect("wal").len() > 0,
            "frames in the WAL"
        );
        let (mut conn, _) = cutover::db::connect(&db.info()).await.expect("connect");
        let b = checkpoint::take_backup(&mut conn, &db.url, &dest, 1, &mut |_| {})
            .await
            .expect("backup");
        conn.close().await;
        reader.execute("COMMIT").await.expect("end read");
        let _ = reader.close().await;
        let _ = writer.close().await;
        b
    });
    {
        assert_eq!(b.sha256, checkpoint::sha256_file(&b.path).expect("hash"));
        let beside: Vec<_> = std::fs::read_dir(b.path.parent().expect("dir"))
            .expect("ls")
            .map(|e| e.expect("e").file_name())
            .collect();
        assert_eq!(beside.len(), 1, "one file, no -wal or -shm: {beside:?}");
        let copy = TestDb::sqlite_at(&b.path);
        assert_eq!(
            copy.scalar("SELECT COUNT(*) FROM t"),
            4,
            "the WAL's rows are in the copy"
        );
        assert_eq!(copy.strings("PRAGMA integrity_check"), ["ok"]);
    }
}

#[test]
fn postgres_restore_keeps_extensions_and_drops_every_later_object() {
    let Some(db) = TestDb::new(Backend::Postgres, "cp_pg_objects") else {
        return;
    };
    db.exec("CREATE EXTENSION IF NOT EXISTS pgcrypto");
    db.exec("CREATE TYPE mood AS ENUM ('ok', 'sad')");
    db.exec("CREATE TABLE a (id serial PRIMARY KEY, m mood NOT NULL DEFAULT 'ok', h text DEFAULT encode(digest('x', 'sha1'), 'hex'))");
    db.exec("INSERT INTO a DEFAULT VALUES");
    let dest = db.dir.path().join("backups/pg");
    let backup = block_on(async {
        let (mut c, _) = cutover::db::connect(&db.info()).await.expect("connect");
        let b = checkpoint::take_backup(&mut c, &db.url, &dest, 1, &mut |_| {}).await;
        c.close().await;
        b.expect("backup")
    });
    db.exec("ALTER TYPE mood ADD VALUE 'glad'");
    db.exec("CREATE TYPE later_enum AS ENUM ('x')");
    db.exec("CREATE SEQUENCE later_seq");
    db.exec("CREATE FUNCTION later_fn() RETURNS int LANGUAGE sql AS 'SELECT 1'");
    db.exec("CREATE TABLE later (id int REFERENCES a (id))");
    db.exec("CREATE VIEW later_v AS SELECT * FROM later");
    db.exec("INSERT INTO a DEFAULT VALUES");
    block_on(checkpoint::restore(&db.url, &backup, &mut |_| {})).expect("restore");
    assert_eq!(db.scalar("SELECT COUNT(*) FROM a"), 1);
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relname LIKE 'later%'"),
        0
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM pg_type WHERE typname = 'later_enum'"),
        0
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM pg_proc WHERE proname = 'later_fn'"),
        0
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typname = 'mood'"),
        2,
        "the enum as it was"
    );
    // pgcrypto lives in public and survives: its function still answers.
    assert_eq!(
        db.scalar("SELECT length(encode(digest('y', 'sha1'), 'hex'))::bigint"),
        40
    );
    // The sequence goes on from where the backup left it.
    db.exec("INSERT INTO a DEFAULT VALUES");
    assert_eq!(db.scalar("SELECT MAX(id)::bigint FROM a"), 2);
}

#[test]
fn mysql_restore_drops_later_routines_and_brings_back_triggers() {
    let Some(db) = TestDb::new(Backend::Mysql, "cp_my_objects") else {
        return;
    };
    db.exec("CREATE TABLE a (id INT AUTO_INCREMENT PRIMARY KEY, n INT NOT NULL DEFAULT 0)");
    db.exec("CREATE TABLE log (id INT)");
    db.exec("CREATE TRIGGER a_ins AFTER INSERT ON a FOR EACH ROW INSERT INTO log VALUES (NEW.id)");
    db.exec("INSERT INTO a (n) VALUES (1)");
    let dest = db.dir.path().join("backups/my");
    let backup = block_on(async {
        let (mut c, _) = cutover::db::connect(&db.info()).await.expect("connect");
        let b = checkpoint::take_backup(&mut c, &db.url, &dest, 2, &mut |_| {}).await;
        c.close().await;
        b.expect("backup")
    });
    assert!(backup.tool == "mariadb-dump" || backup.tool == "mysqldump");
    db.exec("DROP TRIGGER a_ins");
    db.exec("CREATE PROCEDURE later_p() SELECT 1");
    db.exec("CREATE TABLE later (id INT, FOREIGN KEY (id) REFERENCES a (id))");
    db.exec("CREATE VIEW later_v AS SELECT * FROM later");
    block_on(checkpoint::restore(&db.url, &backup, &mut |_| {})).expect("restore");
    assert_eq!(db.scalar("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE 'later%'"), 0);
    assert_eq!(
        db.scalar(
            "SELECT COUNT(*) FROM information_schema.routines WHERE routine_schema = DATABASE()"
        ),
        0
    );
    db.exec("INSERT INTO a (n) VALUES (2)");
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM log"),
        2,
        "the trigger is back"
    );
}

on_all_backends!(a_backup_restores_into_another_empty_database, |b| {
    let Some(db) = TestDb::new(b, "cp_other_db") else {
        return;
    };
    let Some(other) = TestDb::new(b, "cp_other_db_target") else {
        return;
    };
    db.exec("CREATE TABLE a (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(20) NOT NULL)");
    db.exec("INSERT INTO a (id, name) VALUES (1, 'one'), (2, 'two')");
    let dest = db.dir.path().join("backups/other");
    let backup = block_on(async {
        let (mut c, _) = cutover::db::connect(&db.info()).await.expect("connect");
        let r = checkpoint::take_backup(&mut c, &db.url, &dest, 1, &mut |_| {}).await;
        c.close().await;
        r.expect("backup")
    });
    other.exec("CREATE TABLE stray (id INTEGER)");
    block_on(checkpoint::restore(&other.url, &backup, &mut |_| {})).expect("restore");
    assert_eq!(other.strings(concat_sql(b)), ["1:one", "2:two"]);
    assert!(!other.has_table("stray"));
    // The source is untouched.
    assert_eq!(db.scalar("SELECT COUNT(*) FROM a"), 2);
});
