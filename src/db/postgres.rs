//! PostgreSQL's own statements and options, in one place: how a connection is opened,
//! how cutover's lock and the tools' advisory locks are taken, how a running statement
//! is cancelled, how the bookkeeping schema and the open transaction are read.
//!
//! What comes next lives here too: schema introspection (`pg_catalog`), the schema
//! fingerprint and table checksums built on it, and backup/restore (`pg_dump`,
//! `pg_restore`) before and after a window.

use sqlx::postgres::PgConnectOptions;
use std::str::FromStr;

/// The connection options a `postgres://` URL gives (sqlx reads user, password, host,
/// port, database and `sslmode`; `search_path` is set by `names`).
pub(super) fn options(url: &str) -> Result<PgConnectOptions, sqlx::Error> {
    PgConnectOptions::from_str(url)
}

/// cutover's own lock: one session-level advisory key per database, taken without
/// waiting; 1 when taken.
pub(super) const TRY_LOCK: &str = "SELECT CASE WHEN pg_try_advisory_lock(hashtext('cutover:' || current_database())) THEN 1::bigint ELSE 0::bigint END";
pub(super) const UNLOCK: &str = "SELECT CASE WHEN pg_advisory_unlock(hashtext('cutover:' || current_database())) THEN 1::bigint ELSE 0::bigint END";

/// A tool's advisory key (bound as `?`), taken without waiting; 1 when taken.
pub(crate) const TRY_LOCK_KEY: &str = "SELECT CASE WHEN pg_try_advisory_lock(?) THEN 1 ELSE 0 END";
pub(crate) const UNLOCK_KEY: &str = "SELECT CASE WHEN pg_advisory_unlock(?) THEN 1 ELSE 0 END";

/// The backend pid of this connection, which `cancel_sql` names from another one.
pub(super) const BACKEND_ID: &str = "SELECT pg_backend_pid()::bigint";

/// Cancels what backend `id` runs (as psql's Ctrl-C does); 1 when a backend was found.
pub(super) fn cancel_sql(id: i64) -> (String, String) {
    (
        format!("SELECT CASE WHEN pg_cancel_backend({id}) THEN 1 ELSE 0 END::bigint"),
        format!("pg_cancel_backend({id})"),
    )
}

/// 1 when a transaction is open. In autocommit a simple-protocol query is its own
/// transaction, so the two clocks agree. (The extended protocol, with its separate
/// messages, can make them differ even then: hence a bare text query.)
pub(super) const IN_TRANSACTION: &str = "SELECT CASE WHEN statement_timestamp() <> transaction_timestamp() THEN 1::bigint ELSE 0::bigint END";

/// The schema the session creates tables in, '' when the search path names none.
pub(super) const CURRENT_SCHEMA: &str = "SELECT COALESCE(CAST(current_schema() AS TEXT), '')";

/// The database the connection is in.
pub(super) const DATABASE: &str = "SELECT CAST(current_database() AS TEXT)";

/// How many tables of a name (`?`) a schema (`?`) holds.
pub(super) const TABLE_EXISTS: &str =
    "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = ? AND table_schema = ?";
