//! golang-migrate (`migrate up`): `schema_migrations` with ONE row, the current version
//! and a `dirty` flag. Every folder version up to the current one counts as applied.
//!
//! As golang-migrate's `database/{postgres,mysql,sqlite3}` drivers and `migrate.go`:
//! - `SetVersion(v, dirty)` empties the table and inserts `(v, dirty)` (PostgreSQL
//!   `TRUNCATE`, MySQL `DELETE ... LIMIT 1`/`TRUNCATE`, SQLite `DELETE`); cutover uses
//!   `DELETE` everywhere, which has the same effect and, unlike MySQL's `TRUNCATE`,
//!   does not commit the file's transaction.
//! - an up step ends with `SetVersion(file's version, false)`; a down step with
//!   `SetVersion(previous version in the folder, false)`, or an empty table below the
//!   first.
//! - `dirty = true` means a step did not finish: golang-migrate refuses to run until
//!   `migrate force V`, and so do we.
//! - lock: PostgreSQL `pg_advisory_lock(uint32(crc32(schema\0table\0db) * 1486364155))`,
//!   MySQL `GET_LOCK(decimal of uint32(crc32("db:table") * 1486364155), 10)`; SQLite an
//!   in-process flag only (nothing to take).
//!
//! The PostgreSQL database name in the lock key is the URL path when the CLI opened the
//! database (with its leading `/`) and `current_database()` for library users: cutover
//! takes both keys, so either kind of deployment is excluded.

use super::{get_int, native_version, run, table_exists, Lock, Recorded, Val};
use crate::db::query::rows;
use crate::db::{Conn, DbError};
use crate::source::{Kind, Migration};
use crate::sql::Dialect;

pub(super) const TABLE: &str = "schema_migrations";

const SALT: u32 = 1486364155;

/// `database.GenerateAdvisoryLockId(db, additional...)` (current form: the database name
/// last, the parts joined by NUL).
pub(super) fn advisory_lock_id(database: &str, additional: &[&str]) -> u32 {
    let s = if additional.is_empty() {
        database.to_string()
    } else {
        let mut parts: Vec<&str> = additional.to_vec();
        parts.push(database);
        parts.join("\0")
    };
    crc32fast::hash(s.as_bytes()).wrapping_mul(SALT)
}

pub(super) async fn lock(conn: &mut Conn) -> Result<Option<Lock>, DbError> {
    Ok(match conn.dialect {
        Dialect::Sqlite => None,
        Dialect::Postgres => {
            let db = super::database_name(conn).await?;
            let schema = super::current_schema(conn).await?;
            let mut keys = vec![i64::from(advisory_lock_id(&db, &[&schema, TABLE]))];
            let cli = i64::from(advisory_lock_id(&format!("/{db}"), &[&schema, TABLE]));
            if !keys.contains(&cli) {
                keys.push(cli);
            }
            Some(Lock::Pg(keys))
        }
        Dialect::Mysql => {
            let db = super::database_name(conn).await?;
            let id = advisory_lock_id(&format!("{db}:{TABLE}"), &[]);
            Some(Lock::Mysql(vec![id.to_string()]))
        }
    })
}

pub(super) async fn ensure(conn: &mut Conn) -> Result<bool, DbError> {
    if table_exists(conn, TABLE).await? {
        return Ok(false);
    }
    let ctx = "creating golang-migrate's schema_migrations";
    match conn.dialect {
        Dialect::Postgres => {
            let sql = format!(
                "CREATE TABLE IF NOT EXISTS {} (version bigint not null primary key, dirty boolean not null)",
                conn.table(TABLE)
            );
            super::exec(conn, ctx, &sql).await?;
        }
        Dialect::Mysql => {
            let sql1 = format!(
                "CREATE TABLE {} (version bigint not null primary key, dirty boolean not null)",
                conn.table(TABLE)
            );
            super::exec(conn, ctx, &sql1).await?;
        }
        Dialect::Sqlite => {
            let sql2 = format!(
                "CREATE TABLE IF NOT EXISTS {} (version uint64,dirty bool);",
                conn.table(TABLE)
            );
            super::exec(conn, ctx, &sql2).await?;
            super::exec(
                conn,
                ctx,
                // SQLite qualifies the index, not its table (which is in the index's schema).
                "CREATE UNIQUE INDEX IF NOT EXISTS \"main\".version_unique ON schema_migrations (version);",
            )
            .await?;
        }
    }
    Ok(true)
}

/// The version golang-migrate records for `m` (an unsigned integer).
fn version_of(m: &Migration) -> Option<i64> {
    native_version(m).parse().ok()
}

pub(super) async fn recorded(
    conn: &mut Conn,
    migrations: &[Migration],
) -> Result<Recorded, DbError> {
    let sql = format!("SELECT version, dirty FROM {} LIMIT 1", conn.table(TABLE));
    let ctx = "reading golang-migrate's schema_migrations (a `version bigint, dirty boolean` table; is it another tool's?)";
    let row = rows!(conn, ctx, &sql, &[], |r| {
        Ok((
            get_int!(r, 0)?.unwrap_or(-1),
            get_int!(r, 1)?.unwrap_or_default() != 0,
        ))
    })?
    .into_iter()
    .next();
    let mut rec = Recorded::default();
    let Some((current, dirty)) = row else {
        return Ok(rec);
    };
    if dirty {
        rec.dirty = Some(current.to_string());
        return Ok(rec);
    }
    if current < 0 {
        return Ok(rec);
    }
    for (i, m) in migrations.iter().enumerate() {
        if m.kind == Kind::Versioned && version_of(m).is_some_and(|v| v <= current) {
            rec.applied.push(i);
        }
    }
    if !migrations.iter().any(|m| version_of(m) == Some(current)) {
        rec.unknown.push(current.to_string());
    }
    Ok(rec)
}

/// `SetVersion(version, false)`: the table holds that one row, or none for `None`.
async fn set_version(conn: &mut Conn, version: Option<i64>) -> Result<(), DbError> {
    let ctx = "recording in golang-migrate's schema_migrations";
    let sql = format!("DELETE FROM {}", conn.table(TABLE));
    run(conn, ctx, &sql, &[]).await?;
    if let Some(v) = version {
        let sql1 = format!(
            "INSERT INTO {} (version, dirty) VALUES (?, ?)",
            conn.table(TABLE)
        );
        run(conn, ctx, &sql1, &[Val::I64(v), Val::Bool(false)]).await?;
    }
    Ok(())
}

pub(super) async fn record_apply(conn: &mut Conn, m: &Migration) -> Result<(), DbError> {
    let Some(v) = version_of(m) else {
        return Err(DbError::Query {
            target: conn.display.clone(),
            context: "recording in golang-migrate's schema_migrations".into(),
            message: format!(
                "version {} is not an integer, which golang-migrate requires",
                m.version
            ),
        });
    };
    set_version(conn, Some(v)).await
}

/// The version golang-migrate moves to when it reverts `m`: the previous one in the
/// folder, or none.
pub(super) fn previous(m: &Migration, migrations: &[Migration]) -> Option<i64> {
    let at = version_of(m)?;
    migrations
        .iter()
        .filter(|o| o.kind == Kind::Versioned)
        .filter_map(version_of)
        .filter(|&v| v < at)
        .max()
}

pub(super) async fn record_revert(
    conn: &mut Conn,
    m: &Migration,
    migrations: &[Migration],
) -> Result<(), DbError> {
    set_version(conn, previous(m, migrations)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_ids_match_the_worked_examples() {
        // notes: "public\0schema_migrations\0mydb" -> 2103762914; with the CLI's "/mydb"
        // -> 616192132; MySQL "mydb:schema_migrations" -> 1906445756.
        assert_eq!(
            advisory_lock_id("mydb", &["public", "schema_migrations"]),
            2103762914
        );
        assert_eq!(
            advisory_lock_id("/mydb", &["public", "schema_migrations"]),
            616192132
        );
        assert_eq!(advisory_lock_id("mydb:schema_migrations", &[]), 1906445756);
    }
}
