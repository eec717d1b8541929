//! diesel (`diesel migration run`, `diesel_migrations`): `__diesel_schema_migrations`,
//! one row per applied version (the folder name before the first `_`, `-` removed),
//! `run_on` left to its default. No checksum, no failure state, no lock.
//!
//! As diesel's `setup_migration_table.sql` and `MigrationHarness`: insert the version
//! after the up SQL, delete it after the down SQL, in the migration's transaction.

use super::versions::Versions;
use super::{native_version, table_exists};
use crate::db::{Conn, DbError};
use crate::source::Migration;

pub(super) const TABLE: &str = "__diesel_schema_migrations";

/// diesel's DDL, the same text on every backend.
const DDL: &str = "CREATE TABLE IF NOT EXISTS {t} (
       version VARCHAR(50) PRIMARY KEY NOT NULL,
       run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);";

pub(super) async fn ensure(conn: &mut Conn) -> Result<bool, DbError> {
    if table_exists(conn, TABLE).await? {
        return Ok(false);
    }
    super::exec(
        conn,
        "creating __diesel_schema_migrations",
        &DDL.replace("{t}", &conn.table(TABLE)),
    )
    .await?;
    Ok(true)
}

/// diesel's version text: `version_from_string` (up to the first `_`, `-` removed).
pub(super) fn version_of(m: &Migration) -> String {
    if m.native.version.is_empty() {
        version_from_string(m.version.as_str())
    } else {
        native_version(m)
    }
}

fn version_from_string(s: &str) -> String {
    s.split('_').next().unwrap_or(s).replace('-', "")
}

/// diesel's history: its version text, inserted after the up SQL, deleted after the down.
pub(super) const HISTORY: Versions = Versions {
    table: TABLE,
    version_of,
    reading: "reading __diesel_schema_migrations",
    recording: "recording in __diesel_schema_migrations",
    reverting: "recording the revert in __diesel_schema_migrations",
};

#[cfg(test)]
mod tests {
    #[test]
    fn version_text_as_diesel() {
        assert_eq!(
            super::version_from_string("2020-01-25-033332_create_users"),
            "20200125033332"
        );
        assert_eq!(
            super::version_from_string("2020-01-25-033332"),
            "20200125033332"
        );
        assert_eq!(
            super::version_from_string("00000000000000_diesel_initial_setup"),
            "00000000000000"
        );
    }
}
