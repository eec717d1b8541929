//! dbmate (`dbmate up`): `schema_migrations`, one row per applied version (the file
//! name's leading digits, as text). No checksum, no failure state, no lock.
//!
//! As dbmate's `pkg/driver/{postgres,mysql,sqlite}`: PostgreSQL
//! `create table if not exists <schema>.schema_migrations (version varchar primary key)`
//! (unbounded varchar, names through `quote_ident`), MySQL and SQLite `varchar(128)`;
//! `insert into <t> (version) values (?)` after the up section, `delete from <t> where
//! version = ?` after the down section, in the migration's transaction.

use super::versions::Versions;
use super::{native_version, table_exists};
use crate::db::{Conn, DbError};
use crate::sql::Dialect;

pub(super) const TABLE: &str = "schema_migrations";

pub(super) async fn ensure(conn: &mut Conn) -> Result<bool, DbError> {
    if table_exists(conn, TABLE).await? {
        return Ok(false);
    }
    let ctx = "creating dbmate's schema_migrations";
    match conn.dialect {
        Dialect::Postgres => {
            // dbmate: `<quote_ident(schema)>.<quote_ident(table)>`, the schema resolved
            // as `Conn::table` resolves it.
            let sql = format!(
                "create table if not exists {} (version varchar primary key)",
                conn.table(TABLE)
            );
            super::exec(conn, ctx, &sql).await?;
        }
        Dialect::Mysql | Dialect::Sqlite => {
            let sql = format!(
                "create table if not exists {} (version varchar(128) primary key)",
                conn.table(TABLE)
            );
            super::exec(conn, ctx, &sql).await?;
        }
    }
    Ok(true)
}

/// dbmate's history: the file's version, inserted after the up section, deleted after
/// the down section.
pub(super) const HISTORY: Versions = Versions {
    table: TABLE,
    version_of: native_version,
    reading:
        "reading dbmate's schema_migrations (a `version varchar` table; is it another tool's?)",
    recording: "recording in dbmate's schema_migrations",
    reverting: "recording the rollback in dbmate's schema_migrations",
};
