//! Drizzle (drizzle-orm's `migrate()`, also run by `drizzle-kit migrate`):
//! `__drizzle_migrations`, one row per applied file: `hash` (sha256 hex of the file) and
//! `created_at` (the journal's `when`, in ms). No checksum check, no lock, no down.
//!
//! As drizzle-orm's `{pg,mysql,sqlite}-core/dialect.ts` `migrate()`:
//! - PostgreSQL: `CREATE SCHEMA IF NOT EXISTS "drizzle"`, then
//!   `"drizzle"."__drizzle_migrations" (id SERIAL PRIMARY KEY, hash text NOT NULL,
//!   created_at bigint)`; MySQL `id serial primary key, hash text not null, created_at
//!   bigint`; SQLite `id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric`
//!   (SERIAL is no rowid alias in SQLite: drizzle's own rows there have a NULL id, and so
//!   do ours).
//! - pending: drizzle reads the one row `order by created_at desc limit 1` and runs the
//!   journal entries whose `when` is greater than its `created_at`; so an entry counts as
//!   applied when its `when` is not greater (a NULL reads as 0, as `Number(null)` does).
//! - apply: `insert into ... ("hash", "created_at") values (?, ?)` after the file's
//!   statements, in the transaction.
//!
//! A row for an entry whose hash is not the file's is reported as drift, as cutover does
//! for the tools that keep checksums (drizzle itself never compares them).

use super::{get_int, run, Recorded, Val};
use crate::db::query::rows;
use crate::db::{Conn, DbError};
use crate::source::Migration;
use crate::sql::Dialect;

/// The history table as statements name it: every statement here goes through this.
/// PostgreSQL: drizzle's own schema; elsewhere the bookkeeping schema, so a file that
/// `USE`s another database cannot move it.
fn table(conn: &Conn) -> String {
    match conn.dialect {
        Dialect::Postgres => "\"drizzle\".\"__drizzle_migrations\"".to_string(),
        _ => conn.table("__drizzle_migrations"),
    }
}

/// The table's name for messages.
pub(super) fn label(d: Dialect) -> &'static str {
    match d {
        Dialect::Postgres => "drizzle.__drizzle_migrations",
        _ => "__drizzle_migrations",
    }
}

/// Whether drizzle's table exists (on PostgreSQL in the schema `drizzle`).
pub(super) async fn exists(conn: &mut Conn) -> Result<bool, DbError> {
    match conn.dialect {
        Dialect::Postgres => {
            let n = super::int(
                conn,
                "looking for drizzle.__drizzle_migrations",
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'drizzle' AND table_name = '__drizzle_migrations'",
                &[],
            )
            .await?;
            Ok(n.unwrap_or(0) > 0)
        }
        _ => super::table_exists(conn, "__drizzle_migrations").await,
    }
}

/// Creates the schema and table as drizzle's migrator does, when missing; true when it did.
pub(super) async fn ensure(conn: &mut Conn) -> Result<bool, DbError> {
    if exists(conn).await? {
        return Ok(false);
    }
    let ctx = "creating drizzle's __drizzle_migrations";
    let d = conn.dialect;
    let ddl = match d {
        Dialect::Postgres => {
            super::exec(conn, ctx, "CREATE SCHEMA IF NOT EXISTS \"drizzle\"").await?;
            format!(
                "CREATE TABLE IF NOT EXISTS {} (\n\tid SERIAL PRIMARY KEY,\n\thash text NOT NULL,\n\tcreated_at bigint\n)",
                table(conn)
            )
        }
        Dialect::Mysql => format!(
            "create table if not exists {} (\n\tid serial primary key,\n\thash text not null,\n\tcreated_at bigint\n)",
            table(conn)
        ),
        Dialect::Sqlite => format!(
            "CREATE TABLE IF NOT EXISTS {} (\n\tid SERIAL PRIMARY KEY,\n\thash text NOT NULL,\n\tcreated_at numeric\n)",
            table(conn)
        ),
    };
    super::exec(conn, ctx, &ddl).await?;
    Ok(true)
}

/// Every row's (hash, created_at), and the created_at of the row drizzle reads as the last.
async fn rows(conn: &mut Conn) -> Result<(Vec<(String, Option<i64>)>, Option<i64>), DbError> {
    let t = table(conn);
    let sql = format!("SELECT hash, created_at FROM {t}");
    let all = rows!(
        conn,
        "reading drizzle's __drizzle_migrations",
        &sql,
        &[],
        |r| {
            let hash: String = r.try_get(0)?;
            Ok((hash, get_int!(r, 1)?))
        }
    )?;
    // drizzle's own query, so that NULLs sort where the database puts them.
    let last = super::int(
        conn,
        "reading drizzle's last migration",
        &format!("SELECT created_at FROM {t} ORDER BY created_at DESC LIMIT 1"),
        &[],
    )
    .await?;
    Ok((all, last))
}

pub(super) async fn recorded(
    conn: &mut Conn,
    migrations: &[Migration],
) -> Result<Recorded, DbError> {
    let (all, last) = rows(conn).await?;
    let mut rec = Recorded::default();
    if all.is_empty() {
        return Ok(rec);
    }
    let last = last.unwrap_or(0);
    for (i, m) in migrations.iter().enumerate() {
        let Some(when) = m.native.drizzle_when else {
            continue;
        };
        if when > last {
            continue;
        }
        rec.applied.push(i);
        if let Some((hash, _)) = all.iter().find(|(_, at)| *at == Some(when)) {
            if *hash != m.checksum {
                rec.mismatched.push((i, hash.clone(), m.checksum.clone()));
            }
        }
    }
    for (_, at) in &all {
        let known = migrations.iter().any(|m| m.native.drizzle_when == *at);
        if !known {
            let at = at.map_or("NULL".to_string(), |v| v.to_string());
            rec.unknown.push(format!("created_at {at}"));
        }
    }
    Ok(rec)
}

fn when_of(conn: &Conn, m: &Migration) -> Result<i64, DbError> {
    m.native.drizzle_when.ok_or_else(|| DbError::Query {
        target: conn.display.clone(),
        context: "recording in drizzle's __drizzle_migrations".into(),
        message: format!("{} has no journal `when`", m.path.display()),
    })
}

pub(super) async fn record_apply(conn: &mut Conn, m: &Migration) -> Result<(), DbError> {
    let when = when_of(conn, m)?;
    let sql = match conn.dialect {
        Dialect::Mysql => format!(
            "insert into {} (`hash`, `created_at`) values(?, ?)",
            table(conn)
        ),
        _ => format!(
            "insert into {} (\"hash\", \"created_at\") values(?, ?)",
            table(conn)
        ),
    };
    run(
        conn,
        "recording in drizzle's __drizzle_migrations",
        &sql,
        &[Val::Str(&m.checksum), Val::I64(when)],
    )
    .await?;
    Ok(())
}

/// The accepted file's hash replaces the recorded one (drizzle has no repair command).
pub(super) async fn record_accept(conn: &mut Conn, m: &Migration) -> Result<(), DbError> {
    let when = when_of(conn, m)?;
    let sql = format!("UPDATE {} SET hash = ? WHERE created_at = ?", table(conn));
    run(
        conn,
        "recording the accepted hash in drizzle's __drizzle_migrations",
        &sql,
        &[Val::Str(&m.checksum), Val::I64(when)],
    )
    .await?;
    Ok(())
}

/// Drizzle has no down; a file resolved as not applied loses its row.
pub(super) async fn record_revert(conn: &mut Conn, m: &Migration) -> Result<(), DbError> {
    let when = when_of(conn, m)?;
    let sql = format!("DELETE FROM {} WHERE created_at = ?", table(conn));
    run(
        conn,
        "removing the row from drizzle's __drizzle_migrations",
        &sql,
        &[Val::I64(when)],
    )
    .await?;
    Ok(())
}
