//! The local state database `.cutover/state.db`: migration windows and their
//! checkpoints, keyed by the target as displayed (never its password).
//!
//! Two cutover processes on the same plan share it safely: WAL journal (readers never
//! block the writer), a busy timeout (a writer waits for the other's short transaction
//! instead of failing), and every change is one statement or one short transaction.
//! Backups are written before their row points at them, so a row never names a file
//! that is still being written.

use super::{Backup, Checkpoint, CheckpointError};
use crate::db::schema::{Schema, TableStat};
use crate::event::CheckpointState;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteRow, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, Row, SqliteConnection};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::Mutex;

/// The store's own schema version (`PRAGMA user_version`). Bump it with a migration step
/// in `migrate` when a table changes; a newer file than this build knows is refused.
const SCHEMA_VERSION: i64 = 2;

const SCHEMA_V1: &str = "
CREATE TABLE IF NOT EXISTS windows (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    target TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    opened_by TEXT NOT NULL DEFAULT '',
    closed_at TEXT,
    closed_by TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS windows_one_open ON windows (target) WHERE closed_at IS NULL;
CREATE TABLE IF NOT EXISTS checkpoints (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    window INTEGER NOT NULL REFERENCES windows (id),
    target TEXT NOT NULL,
    version TEXT,
    batch TEXT,
    created_at TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    schema_json TEXT NOT NULL,
    stats_json TEXT NOT NULL,
    backup_path TEXT,
    backup_size INTEGER,
    backup_sha256 TEXT,
    backup_tool TEXT,
    backup_scope TEXT,
    backup_pruned_at TEXT,
    status TEXT NOT NULL
        CHECK (status IN ('created', 'validated', 'active', 'superseded', 'failed')),
    detail TEXT
);
CREATE INDEX IF NOT EXISTS checkpoints_by_window ON checkpoints (window, id);
";

/// Version 2: benchmark baselines, batch validations and the operator's overrides of a
/// failed validation (`--force-progress`).
const SCHEMA_V2: &str = "
CREATE TABLE IF NOT EXISTS baselines (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    target TEXT NOT NULL,
    bench TEXT NOT NULL,
    query_sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    p50_ms REAL NOT NULL,
    p95_ms REAL NOT NULL,
    samples_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS baselines_by_bench ON baselines (target, bench, id);
CREATE TABLE IF NOT EXISTS validations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    target TEXT NOT NULL,
    window INTEGER,
    batch INTEGER NOT NULL,
    batch_name TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('passed', 'warnings', 'failed', 'forced')),
    passed INTEGER NOT NULL,
    total INTEGER NOT NULL,
    at TEXT NOT NULL,
    operator TEXT NOT NULL DEFAULT '',
    findings_json TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS validations_by_batch ON validations (target, batch, id);
CREATE TABLE IF NOT EXISTS overrides (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    target TEXT NOT NULL,
    window INTEGER,
    batch INTEGER NOT NULL,
    batch_name TEXT NOT NULL,
    operator TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL
);
";

/// How long a writer waits for another process's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(15);

/// The local state database.
pub struct Store {
    pub(super) conn: Mutex<SqliteConnection>,
    /// The folder `.cutover/` sits in (the plan's); backup paths are kept relative to it.
    base_dir: PathBuf,
}

/// A migration window.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Window {
    pub id: i64,
    pub target: String,
    pub opened_at: String,
    pub opened_by: String,
    pub closed_at: Option<String>,
}

/// What a checkpoint is recorded with: status `created` while it awaits its backup,
/// else `validated` at once (one write less per file).
#[derive(Debug, Clone)]
pub struct NewCheckpoint<'a> {
    pub window: i64,
    pub target: &'a str,
    pub version: Option<&'a str>,
    pub batch: Option<&'a str>,
    pub fingerprint: &'a str,
    pub schema: &'a Schema,
    pub stats: &'a [TableStat],
    pub awaits_backup: bool,
}

/// What closing a window did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Closed {
    pub window: i64,
    /// Checkpoints moved to `superseded`.
    pub superseded: Vec<i64>,
    /// Backup files deleted.
    pub pruned: Vec<PathBuf>,
    /// The backup kept: the closed window's start (the last state before its changes).
    pub kept: Option<PathBuf>,
}

pub(super) fn err(context: &str, e: impl std::fmt::Display) -> CheckpointError {
    CheckpointError::Store(format!("state database: {context}: {e}"))
}

pub(super) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn parse_state(s: &str) -> CheckpointState {
    match s {
        "validated" => CheckpointState::Validated,
        "active" => CheckpointState::Active,
        "superseded" => CheckpointState::Superseded,
        "failed" => CheckpointState::Failed,
        _ => CheckpointState::Created,
    }
}

const COLUMNS: &str = "id, window, target, version, batch, created_at, fingerprint, schema_json, \
    stats_json, backup_path, backup_size, backup_sha256, backup_tool, backup_scope, \
    backup_pruned_at, status, detail";

impl Store {
    /// Opens (creating when missing) `<base_dir>/.cutover/state.db`.
    pub async fn open(base_dir: &Path) -> Result<Store, CheckpointError> {
        let dir = base_dir.join(".cutover");
        std::fs::create_dir_all(&dir).map_err(|e| {
            CheckpointError::Store(format!(
                "cannot create {}: {e}\n  hint: cutover keeps its state beside the plan; make that folder writable",
                dir.display()
            ))
        })?;
        let path = dir.join("state.db");
        let opts = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let mut conn = opts.connect().await.map_err(|e| {
            CheckpointError::Store(format!(
                "cannot open {}: {e}\n  hint: check that it is a SQLite file and writable; move it aside to start a fresh state (checkpoints are lost)",
                path.display()
            ))
        })?;
        migrate(&mut conn, &path).await?;
        Ok(Store {
            conn: Mutex::new(conn),
            base_dir: base_dir.to_path_buf(),
        })
    }

    /// Where backups of a window go: `.cutover/backups/window-<id>/`.
    pub fn backup_dir(&self, window: i64) -> PathBuf {
        self.base_dir
            .join(".cutover")
            .join("backups")
            .join(format!("window-{window}"))
    }

    pub fn base_dir(&self) -> &Path {
        &self.base_dir
    }

    /// The target's open window, if any.
    pub async fn open_window(&self, target: &str) -> Result<Option<Window>, CheckpointError> {
        let mut c = self.conn.lock().await;
        let row = sqlx::query(
            "SELECT id, target, opened_at, opened_by, closed_at FROM windows \
             WHERE target = ? AND closed_at IS NULL",
        )
        .bind(target)
        .fetch_optional(&mut *c)
        .await
        .map_err(|e| err("reading the open window", e))?;
        Ok(row.map(|r| window_of(&r)))
    }

    /// Opens a window on the target, or returns the one already open; `true` when it was
    /// opened now (the caller then takes the window-start checkpoint).
    pub async fn begin_window(
        &self,
        target: &str,
        operator: &str,
    ) -> Result<(Window, bool), CheckpointError> {
        if let Some(w) = self.open_window(target).await? {
            return Ok((w, false));
        }
        let inserted = {
            let mut c = self.conn.lock().await;
            // The partial unique index makes a second process's insert fail rather than
            // open two windows: then the one it opened is the window.
            sqlx::query("INSERT INTO windows (target, opened_at, opened_by) VALUES (?, ?, ?)")
                .bind(target)
                .bind(now())
                .bind(operator)
                .execute(&mut *c)
                .await
        };
        let opened = match inserted {
            Ok(_) => true,
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => false,
            Err(e) => return Err(err("opening a window", e)),
        };
        match self.open_window(target).await? {
            Some(w) => Ok((w, opened)),
            None => Err(err("opening a window", "it vanished after being opened")),
        }
    }

    /// Records a checkpoint (status `created`). A newer checkpoint before the same file
    /// in the same window supersedes the older ones (the file is being applied again):
    /// their ids come back with it.
    pub async fn record(
        &self,
        new: &NewCheckpoint<'_>,
    ) -> Result<(Checkpoint, Vec<i64>), CheckpointError> {
        let schema = serde_json::to_string(new.schema).map_err(|e| err("schema", e))?;
        let stats = serde_json::to_string(new.stats).map_err(|e| err("stats", e))?;
        let (id, superseded) = {
            let mut c = self.conn.lock().await;
            let mut tx = c.begin().await.map_err(|e| err("recording", e))?;
            let mut superseded = Vec::new();
            if let Some(v) = new.version {
                superseded = sqlx::query_scalar(
                    "UPDATE checkpoints SET status = 'superseded' WHERE window = ? AND version = ? \
                     AND status IN ('created', 'validated', 'active') RETURNING id",
                )
                .bind(new.window)
                .bind(v)
                .fetch_all(&mut *tx)
                .await
                .map_err(|e| err("recording", e))?;
            }
            let id = sqlx::query(
                "INSERT INTO checkpoints (window, target, version, batch, created_at, fingerprint, \
                 schema_json, stats_json, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(new.window)
            .bind(new.target)
            .bind(new.version)
            .bind(new.batch)
            .bind(now())
            .bind(new.fingerprint)
            .bind(schema)
            .bind(stats)
            .bind(if new.awaits_backup {
                "created"
            } else {
                "validated"
            })
            .execute(&mut *tx)
            .await
            .map_err(|e| err("recording", e))?
            .last_insert_rowid();
            tx.commit().await.map_err(|e| err("recording", e))?;
            (id, superseded)
        };
        let c = self
            .get(id)
            .await?
            .ok_or_else(|| err("recording", "the row vanished"))?;
        Ok((c, superseded))
    }

    /// Points a checkpoint at its backup (written, synced, hashed): it is `validated`.
    pub async fn attach_backup(&self, id: i64, b: &Backup) -> Result<(), CheckpointError> {
        let rel = b.path.strip_prefix(&self.base_dir).unwrap_or(&b.path);
        let mut c = self.conn.lock().await;
        sqlx::query(
            "UPDATE checkpoints SET backup_path = ?, backup_size = ?, backup_sha256 = ?, \
             backup_tool = ?, backup_scope = ?, status = 'validated' WHERE id = ?",
        )
        .bind(rel.to_string_lossy().into_owned())
        .bind(b.size as i64)
        .bind(&b.sha256)
        .bind(&b.tool)
        .bind(&b.scope)
        .bind(id)
        .execute(&mut *c)
        .await
        .map_err(|e| err("recording a backup", e))?;
        Ok(())
    }

    pub async fn set_status(
        &self,
        id: i64,
        status: CheckpointState,
    ) -> Result<(), CheckpointError> {
        self.set_status_detail(id, status, None).await
    }

    /// Moves a checkpoint along its lifecycle, with a note (why it failed, ...).
    pub async fn set_status_detail(
        &self,
        id: i64,
        status: CheckpointState,
        detail: Option<&str>,
    ) -> Result<(), CheckpointError> {
        let mut c = self.conn.lock().await;
        sqlx::query("UPDATE checkpoints SET status = ?, detail = COALESCE(?, detail) WHERE id = ?")
            .bind(status.as_str())
            .bind(detail)
            .bind(id)
            .execute(&mut *c)
            .await
            .map_err(|e| err("updating a checkpoint", e))?;
        Ok(())
    }

    pub async fn get(&self, id: i64) -> Result<Option<Checkpoint>, CheckpointError> {
        let mut c = self.conn.lock().await;
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM checkpoints WHERE id = ?"))
            .bind(id)
            .fetch_optional(&mut *c)
            .await
            .map_err(|e| err("reading a checkpoint", e))?;
        row.map(|r| self.checkpoint_of(&r)).transpose()
    }

    /// Every checkpoint of a target, oldest first.
    pub async fn list(&self, target: &str) -> Result<Vec<Checkpoint>, CheckpointError> {
        self.query_many(
            &format!("SELECT {COLUMNS} FROM checkpoints WHERE target = ? ORDER BY id"),
            target,
        )
        .await
    }

    /// The open window's checkpoints, oldest first (none without an open window).
    pub async fn in_open_window(&self, target: &str) -> Result<Vec<Checkpoint>, CheckpointError> {
        self.query_many(
            &format!(
                "SELECT {COLUMNS} FROM checkpoints WHERE window = \
                 (SELECT id FROM windows WHERE target = ? AND closed_at IS NULL) ORDER BY id"
            ),
            target,
        )
        .await
    }

    /// The latest checkpoint of the open window taken before `version` ran (failed ones
    /// left out: they guard nothing).
    pub async fn before(
        &self,
        target: &str,
        version: &str,
    ) -> Result<Option<Checkpoint>, CheckpointError> {
        Ok(self
            .in_open_window(target)
            .await?
            .into_iter()
            .rev()
            .find(|c| c.version.as_deref() == Some(version) && c.status != CheckpointState::Failed))
    }

    /// The nearest checkpoint with a usable backup at or before the one taken before
    /// `version` (the window start's counts): what a restore that undoes `version`
    /// restores. None when no backup covers it.
    pub async fn backup_for(
        &self,
        target: &str,
        version: &str,
    ) -> Result<Option<Checkpoint>, CheckpointError> {
        let all = self.in_open_window(target).await?;
        let Some(at) = all.iter().rposition(|c| {
            c.version.as_deref() == Some(version) && c.status != CheckpointState::Failed
        }) else {
            return Ok(None);
        };
        Ok(all[..=at]
            .iter()
            .rev()
            .find(|c| c.backup.is_some() && c.status != CheckpointState::Failed)
            .cloned())
    }

    /// The open window's first checkpoint (taken when it opened), if a window is open.
    pub async fn window_start(&self, target: &str) -> Result<Option<Checkpoint>, CheckpointError> {
        Ok(self
            .in_open_window(target)
            .await?
            .into_iter()
            .find(|c| c.version.is_none() && c.status != CheckpointState::Failed))
    }

    /// Closes the target's open window: its checkpoints are superseded, and its backups
    /// pruned except the window start's, which is kept as the last state before the
    /// window's changes (the start backups of windows closed earlier are pruned now: one
    /// such backup per target stays on disk). None when no window is open.
    pub async fn close_window(
        &self,
        target: &str,
        operator: &str,
    ) -> Result<Option<Closed>, CheckpointError> {
        let Some(w) = self.open_window(target).await? else {
            return Ok(None);
        };
        let cps = self.in_open_window(target).await?;
        let kept = cps
            .iter()
            .find(|c| c.version.is_none() && c.status != CheckpointState::Failed)
            .and_then(|c| c.backup.as_ref().map(|b| (c.id, b.path.clone())));
        let older = self
            .list(target)
            .await?
            .into_iter()
            .filter(|c| c.window != w.id);
        let prune: Vec<Checkpoint> = cps
            .iter()
            .cloned()
            .chain(older)
            .filter(|c| c.backup.is_some())
            .filter(|c| kept.as_ref().is_none_or(|(id, _)| *id != c.id))
            .collect();
        // Checkpoints taken of the same state share one file: it goes only if the kept
        // one is not among them.
        let keep_path = kept.as_ref().map(|(_, p)| p.clone());
        let superseded: Vec<i64> = cps
            .iter()
            .filter(|c| {
                c.status != CheckpointState::Failed && c.status != CheckpointState::Superseded
            })
            .map(|c| c.id)
            .collect();
        {
            let mut c = self.conn.lock().await;
            let mut tx = c.begin().await.map_err(|e| err("closing the window", e))?;
            sqlx::query(
                "UPDATE checkpoints SET status = 'superseded' WHERE window = ? \
                 AND status NOT IN ('failed', 'superseded')",
            )
            .bind(w.id)
            .execute(&mut *tx)
            .await
            .map_err(|e| err("closing the window", e))?;
            for p in &prune {
                sqlx::query("UPDATE checkpoints SET backup_pruned_at = ? WHERE id = ?")
                    .bind(now())
                    .bind(p.id)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| err("closing the window", e))?;
            }
            sqlx::query("UPDATE windows SET closed_at = ?, closed_by = ? WHERE id = ?")
                .bind(now())
                .bind(operator)
                .bind(w.id)
                .execute(&mut *tx)
                .await
                .map_err(|e| err("closing the window", e))?;
            tx.commit()
                .await
                .map_err(|e| err("closing the window", e))?;
        }
        // Files go only after the rows say so: a crash in between leaves a file nobody
        // points at, never a row pointing at nothing.
        let mut pruned = Vec::new();
        for p in prune {
            if let Some(b) = p.backup {
                if Some(&b.path) != keep_path.as_ref() && std::fs::remove_file(&b.path).is_ok() {
                    pruned.push(b.path);
                }
            }
        }
        Ok(Some(Closed {
            window: w.id,
            superseded,
            pruned,
            kept: kept.map(|(_, p)| p),
        }))
    }

    async fn query_many(
        &self,
        sql: &str,
        target: &str,
    ) -> Result<Vec<Checkpoint>, CheckpointError> {
        let rows = {
            let mut c = self.conn.lock().await;
            sqlx::query(sql)
                .bind(target)
                .fetch_all(&mut *c)
                .await
                .map_err(|e| err("reading checkpoints", e))?
        };
        rows.iter().map(|r| self.checkpoint_of(r)).collect()
    }

    fn checkpoint_of(&self, r: &SqliteRow) -> Result<Checkpoint, CheckpointError> {
        let get = |e: sqlx::Error| err("reading a checkpoint", e);
        let schema_json: String = r.try_get("schema_json").map_err(get)?;
        let stats_json: String = r.try_get("stats_json").map_err(get)?;
        let pruned: Option<String> = r.try_get("backup_pruned_at").map_err(get)?;
        let path: Option<String> = r.try_get("backup_path").map_err(get)?;
        let backup = match (path, pruned.as_ref()) {
            (Some(p), None) => Some(Backup {
                path: self.base_dir.join(p),
                size: r
                    .try_get::<Option<i64>, _>("backup_size")
                    .map_err(get)?
                    .unwrap_or(0) as u64,
                sha256: r
                    .try_get::<Option<String>, _>("backup_sha256")
                    .map_err(get)?
                    .unwrap_or_default(),
                tool: r
                    .try_get::<Option<String>, _>("backup_tool")
                    .map_err(get)?
                    .unwrap_or_default(),
                scope: r.try_get("backup_scope").map_err(get)?,
            }),
            _ => None,
        };
        let mut detail: Option<String> = r.try_get("detail").map_err(get)?;
        if let Some(at) = pruned {
            detail = Some(match detail {
                Some(d) => format!("{d}; backup pruned {at}"),
                None => format!("backup pruned {at}"),
            });
        }
        Ok(Checkpoint {
            id: r.try_get("id").map_err(get)?,
            window: r.try_get("window").map_err(get)?,
            target: r.try_get("target").map_err(get)?,
            version: r.try_get("version").map_err(get)?,
            batch: r.try_get("batch").map_err(get)?,
            created_at: r.try_get("created_at").map_err(get)?,
            fingerprint: r.try_get("fingerprint").map_err(get)?,
            schema: serde_json::from_str(&schema_json)
                .map_err(|e| err("a checkpoint's schema", e))?,
            stats: serde_json::from_str::<Vec<TableStat>>(&stats_json)
                .map_err(|e| err("a checkpoint's stats", e))?,
            backup,
            status: parse_state(&r.try_get::<String, _>("status").map_err(get)?),
            detail,
        })
    }
}

fn window_of(r: &SqliteRow) -> Window {
    Window {
        id: r.try_get("id").unwrap_or_default(),
        target: r.try_get("target").unwrap_or_default(),
        opened_at: r.try_get("opened_at").unwrap_or_default(),
        opened_by: r.try_get("opened_by").unwrap_or_default(),
        closed_at: r.try_get("closed_at").unwrap_or_default(),
    }
}

/// Creates the tables of a new store; refuses a store written by a newer cutover.
async fn migrate(conn: &mut SqliteConnection, path: &Path) -> Result<(), CheckpointError> {
    let version: i64 = sqlx::query_scalar("PRAGMA user_version")
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| err("reading its version", e))?;
    if version > SCHEMA_VERSION {
        return Err(CheckpointError::Store(format!(
            "{} was written by a newer cutover (state version {version}, this one knows {SCHEMA_VERSION})\n  hint: use that cutover version for this plan",
            path.display()
        )));
    }
    if version == SCHEMA_VERSION {
        return Ok(());
    }
    // BEGIN IMMEDIATE: two cutovers opening a new store at once must take turns (the
    // second waits out the busy timeout), not both read version 0 and then deadlock
    // upgrading their read locks, which SQLite answers with "database is locked".
    let mut tx = conn
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(|e| err("creating its tables", e))?;
    let version: i64 = sqlx::query_scalar("PRAGMA user_version")
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| err("reading its version", e))?;
    if version >= SCHEMA_VERSION {
        return Ok(());
    }
    if version < 1 {
        sqlx::Executor::execute(&mut *tx, SCHEMA_V1)
            .await
            .map_err(|e| err("creating its tables", e))?;
    }
    sqlx::Executor::execute(&mut *tx, SCHEMA_V2)
        .await
        .map_err(|e| err("creating its tables", e))?;
    sqlx::Executor::execute(
        &mut *tx,
        &*format!("PRAGMA user_version = {SCHEMA_VERSION}"),
    )
    .await
    .map_err(|e| err("creating its tables", e))?;
    tx.commit()
        .await
        .map_err(|e| err("creating its tables", e))?;
    Ok(())
}
