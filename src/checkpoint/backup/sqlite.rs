//! SQLite: a consistent online copy at file speed, and a restore in one transaction.
//!
//! Backup: empty the WAL into the main file (`wal_checkpoint(TRUNCATE)`), then hold the
//! write lock (`BEGIN IMMEDIATE`) so no writer changes the file while the kernel copies
//! it (`std::fs::copy`: `copy_file_range`, no user-space copy), and hash it in parallel
//! on the other core. Readers go on meanwhile. Should a writer have slipped into the WAL
//! between the checkpoint and the lock, its frames are copied too and folded into the
//! copy. The copy is marked as a rollback-journal database (header bytes 18-19, as
//! `PRAGMA journal_mode = DELETE` would after a checkpoint), so opening it never creates
//! `-wal`/`-shm` files beside a backup; the recorded sha256 is of that exact file.
//!
//! Restore: the backup is attached and, in one `BEGIN IMMEDIATE` transaction, every
//! table and view of the target is dropped and the backup's are recreated and filled
//! (plus `sqlite_sequence` and `user_version`). It works while other connections (the
//! session's own) stay open, and a failure changes nothing.

use super::super::{Backup, CheckpointError};
use super::Partial;
use crate::db::{Conn, ConnectInfo, Inner};
use sha2::{Digest, Sha256};
use sqlx::{Row, SqliteConnection};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Offsets of the file format's write and read version bytes: 1 = rollback journal,
/// 2 = WAL.
const VERSION_BYTES: std::ops::Range<usize> = 18..20;

fn bad(what: &str, e: impl std::fmt::Display) -> CheckpointError {
    CheckpointError::Backup(format!("SQLite backup: {what}: {e}"))
}

pub(super) async fn backup(conn: &mut Conn, dest: &Path) -> Result<Backup, CheckpointError> {
    let Some(src) = conn.sqlite_file.clone() else {
        return Err(CheckpointError::Backup(
            "an in-memory SQLite database has no file to back up\n  hint: set `backup = \"none\"` under [checkpoints]".into(),
        ));
    };
    // A checkpoint that readers keep from finishing leaves frames in the WAL: they are
    // copied below, so its result is not an error.
    let _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").await;
    conn.execute("BEGIN IMMEDIATE").await.map_err(|f| {
        CheckpointError::Backup(format!(
            "SQLite backup: cannot take the write lock on {}: {}\n  hint: another process is writing to it; retry when it is done",
            src.display(),
            f.message
        ))
    })?;
    let copy_dest = dest.to_path_buf();
    let copied = tokio::task::spawn_blocking(move || copy_locked(&src, &copy_dest)).await;
    // Released whatever happened: the copy is taken, or failed.
    conn.rollback_quietly().await;
    let (partial, sha) = copied.map_err(|e| bad("copying", e))??;
    let sha256 = match sha {
        Some(sha) => sha,
        None => {
            fold_wal(&partial.tmp).await?;
            let tmp = partial.tmp.clone();
            tokio::task::spawn_blocking(move || super::super::sha256_file(&tmp))
                .await
                .map_err(|e| bad("hashing", e))?
                .map_err(|e| bad("hashing", e))?
        }
    };
    let path = partial.dest.clone();
    let size = tokio::task::spawn_blocking(move || partial.finish())
        .await
        .map_err(|e| bad("syncing", e))??;
    Ok(Backup {
        path,
        size,
        sha256,
        tool: "sqlite-copy".into(),
        scope: Some("main".into()),
    })
}

fn sibling(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Under the write lock: copies the file and hashes it in parallel (the hash as the
/// copy will read once marked rollback-journal). When the WAL holds frames it is copied
/// too and no hash is taken yet (the copy changes when they are folded in).
fn copy_locked(src: &Path, dest: &Path) -> Result<(Partial, Option<String>), CheckpointError> {
    let partial = Partial::new(dest);
    let wal = sibling(src, "-wal");
    let frames = std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0);
    if frames {
        std::fs::copy(src, &partial.tmp).map_err(|e| bad("copying", e))?;
        std::fs::copy(&wal, sibling(&partial.tmp, "-wal"))
            .map_err(|e| bad("copying the WAL", e))?;
        return Ok((partial, None));
    }
    // The copy is marked and synced while the hash may still run: the disk's write-back
    // and the hashing overlap.
    let (copied, hashed) = std::thread::scope(|s| {
        let h = s.spawn(|| hash_as_rollback_journal(src));
        let copied = std::fs::copy(src, &partial.tmp).and_then(|n| {
            mark_rollback_journal(&partial.tmp)?;
            std::fs::File::open(&partial.tmp)?.sync_all()?;
            Ok(n)
        });
        (copied, h.join())
    });
    let copied = copied.map_err(|e| bad("copying", e))?;
    let (sha, hashed_len) = hashed
        .map_err(|_| bad("hashing", "the hashing thread panicked"))?
        .map_err(|e| bad("hashing", e))?;
    if copied != hashed_len {
        return Err(bad(
            "copying",
            format!(
                "{copied} bytes copied but {hashed_len} hashed: the file changed under the lock"
            ),
        ));
    }
    Ok((partial, Some(sha)))
}

/// sha256 and length of a database file as it reads once its version bytes say
/// rollback journal.
fn hash_as_rollback_journal(src: &Path) -> std::io::Result<(String, u64)> {
    let mut f = std::fs::File::open(src)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; super::super::hash::CHUNK];
    let mut total = 0u64;
    let mut first = true;
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if first && n >= VERSION_BYTES.end && buf[VERSION_BYTES] == [2, 2] {
            buf[VERSION_BYTES].copy_from_slice(&[1, 1]);
        }
        first = false;
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), total))
}

/// Marks a WAL-mode copy (its WAL empty) as a rollback-journal database.
fn mark_rollback_journal(p: &Path) -> std::io::Result<()> {
    use std::io::{Seek, SeekFrom, Write};
    let mut f = std::fs::OpenOptions::new().read(true).write(true).open(p)?;
    let mut b = [0u8; 2];
    f.seek(SeekFrom::Start(VERSION_BYTES.start as u64))?;
    if f.read_exact(&mut b).is_ok() && b == [2, 2] {
        f.seek(SeekFrom::Start(VERSION_BYTES.start as u64))?;
        f.write_all(&[1, 1])?;
    }
    Ok(())
}

/// Folds a copied WAL into the copied file and turns it into a rollback-journal
/// database (one file, nothing beside it).
async fn fold_wal(tmp: &Path) -> Result<(), CheckpointError> {
    use sqlx::{ConnectOptions, Connection};
    let mut c = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(tmp)
        .connect()
        .await
        .map_err(|e| bad("opening the copy", e))?;
    for sql in [
        "PRAGMA wal_checkpoint(TRUNCATE)",
        "PRAGMA journal_mode = DELETE",
    ] {
        sqlx::Executor::execute(&mut c, sql)
            .await
            .map_err(|e| bad("folding the WAL into the copy", e))?;
    }
    c.close().await.map_err(|e| bad("closing the copy", e))?;
    for s in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(sibling(tmp, s));
    }
    Ok(())
}

/// The backup's alias while it is attached.
const ALIAS: &str = "cutover_backup";

fn sq(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn dq(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn failed(e: impl std::fmt::Display) -> CheckpointError {
    CheckpointError::Backup(format!(
        "SQLite restore failed, nothing was changed: {e}\n  hint: check that the target file is writable and not locked by another writer"
    ))
}

pub(super) async fn restore(url: &str, b: &Backup) -> Result<(), CheckpointError> {
    let info = ConnectInfo {
        url: url.to_string(),
        display: crate::plan::redacted_url(url),
        init_sql: Vec::new(),
        create_missing: true,
    };
    let (mut conn, _) = crate::db::connect(&info)
        .await
        .map_err(|e| CheckpointError::Backup(format!("cannot restore: {e}")))?;
    let result = match &mut conn.inner {
        Inner::Sqlite(c) => restore_on(c, &b.path).await,
        _ => Err(failed("the target is not SQLite")),
    };
    conn.close().await;
    result
}

async fn restore_on(c: &mut SqliteConnection, backup: &Path) -> Result<(), CheckpointError> {
    let attach = format!(
        "ATTACH DATABASE {} AS {ALIAS}",
        sq(&backup.to_string_lossy())
    );
    sqlx::Executor::execute(&mut *c, attach.as_str())
        .await
        .map_err(failed)?;
    let result = async {
        sqlx::Executor::execute(&mut *c, "BEGIN IMMEDIATE").await?;
        let r = replace_all(c).await;
        match r {
            Ok(()) => sqlx::Executor::execute(&mut *c, "COMMIT").await.map(|_| ()),
            Err(e) => {
                let _ = sqlx::Executor::execute(&mut *c, "ROLLBACK").await;
                Err(e)
            }
        }
    }
    .await;
    let _ = sqlx::Executor::execute(&mut *c, &*format!("DETACH DATABASE {ALIAS}")).await;
    result.map_err(failed)
}

/// Inside the restore's transaction: the target's tables and views out, the backup's in.
async fn replace_all(c: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    let current = sqlx::query(
        "SELECT type, name FROM main.sqlite_master WHERE type IN ('view', 'table') \
         AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type = 'table'",
    )
    .fetch_all(&mut *c)
    .await?;
    for r in current {
        let (kind, name): (String, String) = (r.try_get(0)?, r.try_get(1)?);
        let what = if kind == "view" { "VIEW" } else { "TABLE" };
        sqlx::Executor::execute(
            &mut *c,
            &*format!("DROP {what} IF EXISTS main.{}", dq(&name)),
        )
        .await?;
    }
    let objects = sqlx::query(&format!(
        "SELECT type, name, sql FROM {ALIAS}.sqlite_master WHERE sql IS NOT NULL \
         AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
         ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN 'view' THEN 2 ELSE 3 END, rowid"
    ))
    .fetch_all(&mut *c)
    .await?;
    for r in objects {
        let (kind, name, sql): (String, String, String) =
            (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        sqlx::Executor::execute(&mut *c, sql.as_str()).await?;
        if kind == "table" {
            copy_rows(c, &name).await?;
        }
    }
    let has_seq: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM {ALIAS}.sqlite_master WHERE name = 'sqlite_sequence'"
    ))
    .fetch_one(&mut *c)
    .await?;
    if has_seq > 0 {
        sqlx::Executor::execute(&mut *c, &*format!(
            "DELETE FROM main.sqlite_sequence; \
             INSERT INTO main.sqlite_sequence (name, seq) SELECT name, seq FROM {ALIAS}.sqlite_sequence"
        ))
        .await?;
    }
    // Some tools keep their version here (and `user_version` is part of the state).
    let uv: i64 = sqlx::query_scalar(&format!("PRAGMA {ALIAS}.user_version"))
        .fetch_one(&mut *c)
        .await?;
    sqlx::Executor::execute(&mut *c, &*format!("PRAGMA main.user_version = {uv}")).await?;
    Ok(())
}

/// Copies a table's rows from the backup, its stored columns only (generated columns
/// are computed again).
async fn copy_rows(c: &mut SqliteConnection, table: &str) -> Result<(), sqlx::Error> {
    let cols = sqlx::query(&format!("PRAGMA {ALIAS}.table_xinfo({})", sq(table)))
        .fetch_all(&mut *c)
        .await?;
    let mut names = Vec::new();
    for r in cols {
        let hidden: i64 = r.try_get("hidden")?;
        if hidden == 0 {
            names.push(dq(&r.try_get::<String, _>("name")?));
        }
    }
    if names.is_empty() {
        return Ok(());
    }
    let list = names.join(", ");
    sqlx::Executor::execute(
        &mut *c,
        &*format!(
            "INSERT INTO main.{t} ({list}) SELECT {list} FROM {ALIAS}.{t}",
            t = dq(table)
        ),
    )
    .await?;
    Ok(())
}
