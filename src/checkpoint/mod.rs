//! Checkpoints: what cutover records before each file so it can be undone, kept in the
//! local state database `.cutover/state.db` beside the plan; backups per the plan's
//! policy (SQLite a consistent copy, PostgreSQL `pg_dump -Fc`, MariaDB `mariadb-dump`);
//! and the migration window those checkpoints belong to.
//!
//! CONTRACT (being filled in): the signatures below are what the engine's apply,
//! rollback and rehearsal jobs build on.

pub mod scratch;

use crate::db::schema::{Schema, TableStat};
use crate::event::CheckpointState;
use std::path::{Path, PathBuf};

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
    /// What made it: `sqlite-copy`, `pg_dump`, `mariadb-dump`.
    pub tool: String,
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
    /// RFC 3339, UTC.
    pub created_at: String,
    pub fingerprint: String,
    pub schema: Schema,
    pub stats: Vec<TableStat>,
    pub backup: Option<Backup>,
    pub status: CheckpointState,
}

/// The local state database.
pub struct Store {}

impl Store {
    /// Opens (creating when missing) `<base_dir>/.cutover/state.db`.
    pub async fn open(_base_dir: &Path) -> Result<Store, CheckpointError> {
        todo!("contract: Store::open")
    }

    /// Every checkpoint of a target, oldest first.
    pub async fn list(&self, _target: &str) -> Result<Vec<Checkpoint>, CheckpointError> {
        todo!("contract: Store::list")
    }

    /// The latest checkpoint of the open window taken before `version` ran.
    pub async fn before(
        &self,
        _target: &str,
        _version: &str,
    ) -> Result<Option<Checkpoint>, CheckpointError> {
        todo!("contract: Store::before")
    }

    /// The open window's first checkpoint (taken when it opened), if a window is open.
    pub async fn window_start(&self, _target: &str) -> Result<Option<Checkpoint>, CheckpointError> {
        todo!("contract: Store::window_start")
    }

    pub async fn set_status(
        &self,
        _id: i64,
        _status: CheckpointState,
    ) -> Result<(), CheckpointError> {
        todo!("contract: Store::set_status")
    }
}

/// Re-reads a backup and compares its sha256 with the recorded one.
pub fn verify_backup(_b: &Backup) -> Result<(), CheckpointError> {
    todo!("contract: verify_backup")
}

/// Restores a backup onto the target `url` (which holds the password: never print it).
/// Its sha256 is checked first. `progress` receives the tool's output lines.
pub async fn restore(
    _url: &str,
    _b: &Backup,
    _progress: &mut (dyn FnMut(String) + Send),
) -> Result<(), CheckpointError> {
    todo!("contract: restore")
}
