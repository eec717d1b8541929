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
            .expect("record start");
        assert_eq!(start.status, CheckpointState::Created);
        let b = fake_backup(dir.path(), "start.db", b"backup bytes");
        store.attach_backup(start.id, &b).await.expect("attach");
        let c1 = store
            .record(&new_cp(w.id, Some("0001"), &schema, &stats))
            .await
            .expect("record 1");
        store
            .set_status(c1.id, CheckpointState::Active)
            .await
            .expect("status");
        let c2 = store
            .record(&new_cp(w.id, Some("0002"), &schema, &stats))
            .await
            .expect("record 2");

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
        let c1b = store
            .record(&new_cp(w.id, Some("0001"), &schema, &stats))
            .await
            .expect("record 1 again");
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
            .expect("record");
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
