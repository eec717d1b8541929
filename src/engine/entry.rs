//! The ledger row of a migration, built in one place for every writer (a run, an
//! adoption of the folder's tool, a dry run's view of that tool's history).

use crate::db::ledger::{Entry, Status};
use crate::source::Migration;

/// `m`'s row in cutover_history: its text and checksum as on disk, not yet timed.
pub(super) fn entry(
    m: &Migration,
    batch: String,
    status: Status,
    applied_at: Option<String>,
    applied_by: Option<String>,
) -> Entry {
    Entry {
        version: m.version.to_string(),
        name: m.name.clone(),
        checksum: m.checksum.clone(),
        batch,
        status,
        applied_at,
        applied_by,
        duration_ms: 0,
        rolled_back_at: None,
        sql_text: m.up_sql.clone(),
        error: None,
    }
}
