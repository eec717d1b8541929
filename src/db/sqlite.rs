//! SQLite's own options and mechanisms, in one place: how a file is opened, the lock
//! file beside it, interrupting a running statement from inside this process, and how
//! an open transaction is noticed.
//!
//! What comes next lives here too: schema introspection (`sqlite_schema`, `PRAGMA
//! table_info`), the schema fingerprint and table checksums built on it, and
//! backup/restore (`VACUUM INTO`, a file copy) before and after a window.

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How many SQLite virtual-machine steps run between two looks at the cancel flag:
/// frequent enough to stop within milliseconds, rare enough to cost nothing measurable.
const CHECK_EVERY: i32 = 10_000;

/// The connection options a `sqlite:` URL gives.
pub(super) fn options(url: &str) -> Result<SqliteConnectOptions, sqlx::Error> {
    Ok(SqliteConnectOptions::from_str(url)?
        // SQLite's own default, and what most folders' tools run with: with
        // enforcement on, a table rebuild's DROP TABLE cascades deletes.
        .foreign_keys(false)
        .busy_timeout(Duration::from_secs(5)))
}

/// Whether the options name no file (`sqlite::memory:`, `sqlite::memory:?cache=...`).
pub(super) fn in_memory(file: &Path) -> bool {
    file.as_os_str().is_empty() || file.to_string_lossy().contains(":memory:")
}

/// The lock file of a SQLite database: `<db file>-cutover.lock`.
pub fn lock_path(db_file: &Path) -> PathBuf {
    let mut name = db_file.as_os_str().to_owned();
    name.push("-cutover.lock");
    PathBuf::from(name)
}

/// Installs the progress handler that interrupts the running statement once the
/// returned flag is raised (sqlx exposes the handler safely; `sqlite3_interrupt` itself
/// would need unsafe code).
pub(super) async fn interrupt_flag(
    c: &mut SqliteConnection,
) -> Result<Arc<AtomicBool>, sqlx::Error> {
    let flag = Arc::new(AtomicBool::new(false));
    let seen = flag.clone();
    let mut h = c.lock_handle().await?;
    h.set_progress_handler(CHECK_EVERY, move || !seen.load(Ordering::Relaxed));
    Ok(flag)
}

/// SQLite has no query for an open transaction: a BEGIN that fails with this message
/// says one is open (one that succeeds is rolled back at once).
pub(super) const IN_TRANSACTION_ERROR: &str = "within a transaction";

/// How many tables of a name (`?`) the main schema holds (the schema, `?`, is always
/// `main` here; compared so every backend binds the same).
pub(super) const TABLE_EXISTS: &str =
    "SELECT COUNT(*) FROM main.sqlite_master WHERE type = 'table' AND name = ? AND ? = 'main'";
