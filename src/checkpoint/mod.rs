//! Checkpoints: what cutover records before each file so it can be undone, kept in the
//! local state database `.cutover/state.db` beside the plan; backups per the plan's
//! policy (SQLite a consistent copy, PostgreSQL `pg_dump -Fc`, MariaDB `mariadb-dump`);
//! and the migration window those checkpoints belong to.
//!
//! Where things live: `store` is the state database (windows, checkpoints, their
//! lifecycle); `backup` takes and restores backups per backend; `tools` finds the
//! external tools a policy needs and builds their arguments (never a password: that goes
//! by environment); `hash` is the sha256 of a file.
//!
//! ## Lifecycle of a checkpoint
//!
//! - `created`: recorded (fingerprint, schema, stats), its backup not yet written.
//! - `validated`: its backup, if the policy takes one, is written, synced to disk and
//!   its sha256 recorded; a checkpoint without a backup is validated once recorded.
//! - `active`: the file it was taken before is applied in the open window (it is that
//!   file's rollback point); the window-start checkpoint turns active with the first
//!   file applied.
//! - `superseded`: the window closed, or a newer checkpoint was taken before the same
//!   file (the file was rolled back and is being applied again).
//! - `failed`: its backup could not be taken (the file did not run).
//!
//! ## What a restore leaves
//!
//! A restore brings the target back to the moment of the backup, bookkeeping included:
//! `cutover_history` and the adopted tool's history are the backup's, so they say
//! exactly which files were applied then. What the ledger recorded after the backup
//! (files applied, failed or rolled back since) is gone from the target; a caller that
//! wants that trail reads the ledger before restoring and records the undone files as
//! rolled back afterwards.

mod backup;
mod hash;
mod records;
mod store;
pub mod tools;

pub use backup::{restore, take_backup, ToolEvent};
pub use hash::sha256_file;
pub use records::{StoredBaseline, StoredOverride, StoredValidation};
pub use store::{Closed, NewCheckpoint, Store, Window};

pub mod scratch;

use crate::db::schema::{Schema, TableStat};
use crate::event::CheckpointState;
use std::path::PathBuf;

/// Why a checkpoint could not be taken, stored, verified or restored. Each message says
/// what to do.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("{0}")]
    Store(String),
    #[error("{0}")]
    Backup(String),
    /// The policy needs a tool this machine lacks (said before the window starts).
    #[error("{0}")]
    MissingTool(String),
    /// A backup file is missing or its sha256 differs from the recorded one.
    #[error("{0}")]
    Corrupt(String),
}

/// A backup artifact.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Backup {
    /// Absolute path of the artifact (under `.cutover/backups/`).
    pub path: PathBuf,
    pub size: u64,
    pub sha256: String,
    /// What made it: `sqlite-copy`, `pg_dump`, `mariadb-dump` (or `mysqldump`).
    pub tool: String,
    /// What it covers: the PostgreSQL schema or the MySQL database it was taken of
    /// (a restore replaces exactly that); `main` for SQLite.
    #[serde(default)]
    pub scope: Option<String>,
}

/// One checkpoint as the state store keeps it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Checkpoint {
    pub id: i64,
    /// The migration window it belongs to.
    pub window: i64,
    /// The target as displayed (no password): the store's key for a database.
    pub target: String,
    /// The file it was taken before; None for the one taken when the window opened.
    pub version: Option<String>,
    /// The batch of that file (its name), None for the window start.
    #[serde(default)]
    pub batch: Option<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub fingerprint: String,
    pub schema: Schema,
    pub stats: Vec<TableStat>,
    pub backup: Option<Backup>,
    pub status: CheckpointState,
    /// Why it failed, or what happened to it (its backup pruned, ...).
    #[serde(default)]
    pub detail: Option<String>,
}

impl Checkpoint {
    /// `#12 (before 0003)` or `#1 (window start)`, for people.
    pub fn label(&self) -> String {
        match &self.version {
            Some(v) => format!("#{} (before {v})", self.id),
            None => format!("#{} (window start)", self.id),
        }
    }

    /// What events carry of it; the backup's path relative to `base_dir`.
    pub fn info(&self, base_dir: &std::path::Path) -> crate::event::CheckpointInfo {
        crate::event::CheckpointInfo {
            id: self.id,
            version: self.version.clone(),
            fingerprint: self.fingerprint.clone(),
            status: self.status,
            backup: self.backup.as_ref().map(|b| crate::event::BackupInfo {
                path: b
                    .path
                    .strip_prefix(base_dir)
                    .unwrap_or(&b.path)
                    .display()
                    .to_string(),
                size: b.size,
                sha256: b.sha256.clone(),
            }),
        }
    }
}

/// Re-reads a backup and compares its sha256 with the recorded one.
pub fn verify_backup(b: &Backup) -> Result<(), CheckpointError> {
    let meta = std::fs::metadata(&b.path).map_err(|e| {
        CheckpointError::Corrupt(format!(
            "backup {} is missing ({e})\n  hint: it cannot be restored; restore from another checkpoint, or take a new one",
            b.path.display()
        ))
    })?;
    if meta.len() != b.size {
        return Err(CheckpointError::Corrupt(format!(
            "backup {} is corrupt: {} bytes, {} recorded\n  hint: it cannot be restored; restore from another checkpoint",
            b.path.display(),
            meta.len(),
            b.size
        )));
    }
    let sha = sha256_file(&b.path).map_err(|e| {
        CheckpointError::Corrupt(format!("cannot read backup {}: {e}", b.path.display()))
    })?;
    if sha != b.sha256 {
        return Err(CheckpointError::Corrupt(format!(
            "backup {} is corrupt: sha256 {} but {} recorded\n  hint: it cannot be restored; restore from another checkpoint",
            b.path.display(),
            short(&sha),
            short(&b.sha256)
        )));
    }
    Ok(())
}

/// The first 12 hex digits of a hash, as people read it.
pub fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// The engine runs these on spawned tasks: their futures must be Send (a `raw_sql`
/// future is not, and the error then shows far away, where the task is spawned).
#[cfg(test)]
#[allow(dead_code)]
fn _send_probe(s: &'static Store, c: &'static mut crate::db::Conn, b: &'static Backup) {
    fn is_send<T: Send>(_: T) {}
    is_send(Store::open(std::path::Path::new("x")));
    is_send(s.begin_window("t", "o"));
    is_send(s.list("t"));
    is_send(s.in_open_window("t"));
    is_send(s.close_window("t", "o"));
    is_send(s.set_status(1, CheckpointState::Active));
    is_send(s.attach_backup(1, b));
    is_send(restore("u", b, Box::leak(Box::new(|_s: String| {}))));
    is_send(take_backup(
        c,
        "u",
        std::path::Path::new("x"),
        0,
        Box::leak(Box::new(|_e: ToolEvent| {})),
    ));
}
