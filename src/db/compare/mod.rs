//! Source versus target: the same table compared across two databases, also across
//! backends. Values are hashed in one canonical encoding, so equal data gives equal
//! checksums on SQLite, PostgreSQL and MySQL/MariaDB; rows are summed identically on
//! every backend. On a mismatch, key ranges are bisected (segments cut at sampled key
//! quantiles) down to the differing rows, which are listed with the columns that differ.
//! Both sides read from a consistent snapshot, at the same time.

use crate::db::{Conn, DbError};
use crate::emit::Emitter;
use crate::event::RowDiff;

#[derive(Debug, Clone)]
pub struct CompareOptions {
    /// At most this many differing rows are listed (the count of all is still given).
    pub max_differences: usize,
    /// False: row counts only (a `row_count` check).
    pub checksum: bool,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            max_differences: 20,
            checksum: true,
        }
    }
}

/// What a comparison of one table found.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub table: String,
    pub source_rows: u64,
    pub target_rows: u64,
    /// Canonical checksums (hex), when asked for.
    pub source_checksum: Option<String>,
    pub target_checksum: Option<String>,
    pub equal: bool,
    /// The differing rows, up to `max_differences`.
    pub differences: Vec<RowDiff>,
    /// More rows differ than are listed.
    pub truncated: bool,
    /// What limited the comparison (no primary key: differing rows cannot be located).
    pub note: Option<String>,
}

/// Compares `table` on both sides. Progress streams as `Event::CompareProgress`.
pub async fn compare_table(
    source: &mut Conn,
    target: &mut Conn,
    table: &str,
    opts: &CompareOptions,
    em: &Emitter,
) -> Result<Comparison, DbError> {
    let _ = (source, target, table, opts, em);
    todo!("issue 9: compare_table")
}
