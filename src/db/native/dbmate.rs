//! dbmate (`dbmate up`): `schema_migrations`, one row per applied version (the file
//! name's leading digits, as text). No checksum, no failure state, no lock.
//!
//! As dbmate's `pkg/driver/{postgres,mysql,sqlite}`: PostgreSQL
//! `create table if not exists <schema>.schema_migrations (version varchar primary key)`
//! (unbounded varchar, names through `quote_ident`), MySQL and SQLite `varchar(128)`;
//! `insert into <t> (version) values (?)` after the up section, `delete from <t> where
//! version = ?` after the down section, in the migration's transaction.

use super::{native_version, run, strings, table_exists, Recorded, Val};
use crate::db::{Conn, DbError};
use crate::source::Migration;
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
        Dialect::Mysql => {
            let sql1 = format!(
                "create table if not exists {} (version varchar(128) primary key)",
                conn.table(TABLE)
            );
            super::exec(conn, ctx, &sql1).await?;
        }
        Dialect::Sqlite => {
            let sql2 = format!(
                "create table if not exists {} (version varchar(128) primary key)",
                conn.table(TABLE)
            );
            super::exec(conn, ctx, &sql2).await?;
        }
    }
    Ok(true)
}

pub(super) async fn recorded(
    conn: &mut Conn,
    migrations: &[Migration],
) -> Result<Recorded, DbError> {
    let sql = format!(
        "select version from {} order by version desc",
        conn.table(TABLE)
    );
    let versions = strings(
        conn,
        "reading dbmate's schema_migrations (a `version varchar` table; is it another tool's?)",
        &sql,
        &[],
    )
    .await?;
    Ok(super::map_versions(
        versions.into_iter().rev().collect(),
        migrations,
        native_version,
    ))
}

pub(super) async fn record_apply(conn: &mut Conn, m: &Migration) -> Result<(), DbError> {
    let v = native_version(m);
    let sql = format!("insert into {} (version) values (?)", conn.table(TABLE));
    run(
        conn,
        "recording in dbmate's schema_migrations",
        &sql,
        &[Val::Str(&v)],
    )
    .await?;
    Ok(())
}

pub(super) async fn record_revert(conn: &mut Conn, m: &Migration) -> Result<(), DbError> {
    let v = native_version(m);
    let sql = format!("delete from {} where version = ?", conn.table(TABLE));
    run(
        conn,
        "recording the rollback in dbmate's schema_migrations",
        &sql,
        &[Val::Str(&v)],
    )
    .await?;
    Ok(())
}
