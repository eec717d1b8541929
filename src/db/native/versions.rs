//! The history of tools that keep one row per applied version and nothing else
//! (diesel's `__diesel_schema_migrations`, dbmate's `schema_migrations`): no checksum,
//! no failure state, no lock. One recorder for both; each tool's file says its table,
//! its DDL and how it writes a version.

use super::{run, strings, Recorded, Val};
use crate::db::{Conn, DbError};
use crate::source::Migration;

/// One tool's version table, as its own source names and writes it.
pub(super) struct Versions {
    pub table: &'static str,
    /// How the tool writes a migration's version.
    pub version_of: fn(&Migration) -> String,
    /// What each statement does, for error messages.
    pub reading: &'static str,
    pub recording: &'static str,
    pub reverting: &'static str,
}

impl Versions {
    /// The versions recorded, mapped onto the folder in recorded order.
    pub async fn recorded(
        &self,
        conn: &mut Conn,
        migrations: &[Migration],
    ) -> Result<Recorded, DbError> {
        let sql = format!(
            "SELECT version FROM {} ORDER BY version DESC",
            conn.table(self.table)
        );
        let versions = strings(conn, self.reading, &sql, &[]).await?;
        Ok(super::map_versions(
            versions.into_iter().rev().collect(),
            migrations,
            self.version_of,
        ))
    }

    /// The row the tool inserts after the up SQL, in the migration's transaction.
    pub async fn record_apply(&self, conn: &mut Conn, m: &Migration) -> Result<(), DbError> {
        let v = (self.version_of)(m);
        let sql = format!(
            "INSERT INTO {} (version) VALUES (?)",
            conn.table(self.table)
        );
        run(conn, self.recording, &sql, &[Val::Str(&v)]).await?;
        Ok(())
    }

    /// The row the tool deletes after the down SQL.
    pub async fn record_revert(&self, conn: &mut Conn, m: &Migration) -> Result<(), DbError> {
        let v = (self.version_of)(m);
        let sql = format!("DELETE FROM {} WHERE version = ?", conn.table(self.table));
        run(conn, self.reverting, &sql, &[Val::Str(&v)]).await?;
        Ok(())
    }
}
