//! MySQL's and MariaDB's own statements and options, in one place: how a connection is
//! opened, how cutover's lock and the tools' named locks are taken, how a running
//! statement is cancelled, how the current database and the open transaction are read.
//!
//! What comes next lives here too: schema introspection (`information_schema`), the
//! schema fingerprint and table checksums (`CHECKSUM TABLE`) built on it, and
//! backup/restore (`mysqldump`/`mariadb-dump`) before and after a window.

use sqlx::mysql::MySqlConnectOptions;
use std::str::FromStr;

/// The connection options a `mysql://` or `mariadb://` URL gives (sqlx knows only the
/// first scheme; both speak the same protocol).
pub(super) fn options(url: &str) -> Result<MySqlConnectOptions, sqlx::Error> {
    MySqlConnectOptions::from_str(&url.replacen("mariadb:", "mysql:", 1))
}

/// 1 when the connection is in no database: the lock name would then be NULL, which
/// reads as "held".
pub(super) const NO_DATABASE: &str = "SELECT CASE WHEN DATABASE() IS NULL THEN 1 ELSE 0 END";

/// cutover's own lock: one named lock per database, taken without waiting; 1 when taken.
pub(super) const TRY_LOCK: &str =
    "SELECT COALESCE(GET_LOCK(CONCAT('cutover_', SHA1(DATABASE())), 0), 0)";
pub(super) const UNLOCK: &str =
    "SELECT COALESCE(RELEASE_LOCK(CONCAT('cutover_', SHA1(DATABASE()))), 0)";

/// A tool's named lock (bound as `?`), taken without waiting; 1 when taken.
pub(crate) const TRY_LOCK_NAME: &str = "SELECT COALESCE(GET_LOCK(?, 0), 0)";
pub(crate) const UNLOCK_NAME: &str = "SELECT COALESCE(RELEASE_LOCK(?), 0)";

/// The connection id, which `cancel_sql` names from another connection.
pub(super) const CONNECTION_ID: &str = "SELECT CAST(CONNECTION_ID() AS SIGNED)";

/// Cancels the statement connection `id` runs, keeping the connection (as the `mysql`
/// client's Ctrl-C does).
pub(super) fn cancel_sql(id: i64) -> (String, String) {
    (format!("KILL QUERY {id}"), format!("KILL QUERY {id}"))
}

/// 1 when a transaction is open.
pub(super) const IN_TRANSACTION: &str = "SELECT CAST(@@in_transaction AS SIGNED)";

/// The database the connection is in, '' when none.
pub(super) const DATABASE: &str = "SELECT COALESCE(DATABASE(), '')";

/// How many tables of a name (`?`) a database (`?`, '' for the current one) holds.
pub(super) const TABLE_EXISTS: &str = "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = ? AND table_schema = COALESCE(NULLIF(?, ''), DATABASE())";
