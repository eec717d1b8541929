//! sqlx (`sqlx migrate run`, `sqlx::migrate!`): `_sqlx_migrations`, one row per applied
//! version with the SHA-384 of the file, a success flag and the time taken in ns.
//!
//! As sqlx-core/sqlx-{postgres,mysql,sqlite} `migrate.rs`:
//! - apply: `INSERT (version, description, success, checksum, execution_time)`; sqlx
//!   writes `-1` then updates the time after commit (MySQL also inserts `success =
//!   FALSE` first and flips it after the file); cutover writes the final row at once,
//!   inside the file's transaction.
//! - revert: `DELETE ... WHERE version = ?`.
//! - a `success = FALSE` row is sqlx's "dirty" state: it refuses to run until a person
//!   fixes it, and so do we.
//! - lock: PostgreSQL `pg_advisory_lock(0x3d32ad9e * crc32(current_database()))`, MySQL
//!   `GET_LOCK(<same number in lowercase hex>, -1)`; none on SQLite.

use super::{get_int, native_version, run, table_exists, Lock, Recorded, Val};
use crate::db::query::rows;
use crate::db::{Conn, DbError};
use crate::source::Migration;
use crate::sql::Dialect;
use std::time::Duration;

pub(super) const TABLE: &str = "_sqlx_migrations";

fn ddl(conn: &Conn) -> String {
    let sql = match conn.dialect {
        Dialect::Postgres => {
            "CREATE TABLE IF NOT EXISTS {t} (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMPTZ NOT NULL DEFAULT now(),
    success BOOLEAN NOT NULL,
    checksum BYTEA NOT NULL,
    execution_time BIGINT NOT NULL
);"
        }
        Dialect::Mysql | Dialect::Sqlite => {
            "CREATE TABLE IF NOT EXISTS {t} (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    success BOOLEAN NOT NULL,
    checksum BLOB NOT NULL,
    execution_time BIGINT NOT NULL
);"
        }
    };
    sql.replace("{t}", &conn.table(TABLE))
}

/// sqlx's advisory key: `0x3d32ad9e * crc32_ieee(database name)`, in i64 (never overflows).
pub(super) fn lock_key(database: &str) -> i64 {
    0x3d32ad9e_i64 * i64::from(crc32fast::hash(database.as_bytes()))
}

/// sqlx's MySQL lock name: the same number in lowercase hex, no `0x`.
pub(super) fn mysql_lock_name(database: &str) -> String {
    format!("{:x}", lock_key(database))
}

pub(super) async fn lock(conn: &mut Conn) -> Result<Option<Lock>, DbError> {
    Ok(match conn.dialect {
        Dialect::Sqlite => None,
        Dialect::Postgres => {
            let db = super::database_name(conn).await?;
            Some(Lock::Pg(vec![lock_key(&db)]))
        }
        Dialect::Mysql => {
            let db = super::database_name(conn).await?;
            Some(Lock::Mysql(vec![mysql_lock_name(&db)]))
        }
    })
}

/// Creates the table when missing; true when it did.
pub(super) async fn ensure(conn: &mut Conn) -> Result<bool, DbError> {
    if table_exists(conn, TABLE).await? {
        return Ok(false);
    }
    super::exec(conn, "creating _sqlx_migrations", &ddl(conn)).await?;
    Ok(true)
}

/// The version number sqlx records for `m`.
fn version_of(m: &Migration) -> Option<i64> {
    native_version(m).parse().ok()
}

/// SHA-384 of the up file, as sqlx stores it (the reader's, or computed from the text).
pub(super) fn checksum_of(m: &Migration) -> Vec<u8> {
    match &m.native.sqlx_checksum {
        Some(c) => c.clone(),
        None => {
            use sha2::{Digest, Sha384};
            Sha384::digest(m.up_sql.as_bytes()).to_vec()
        }
    }
}

/// The description sqlx stores: the file name's DESC with `_` read as a space.
fn description_of(m: &Migration) -> String {
    if m.native.description.is_empty() {
        m.name.replace('_', " ")
    } else {
        m.native.description.clone()
    }
}

pub(super) async fn recorded(
    conn: &mut Conn,
    migrations: &[Migration],
) -> Result<Recorded, DbError> {
    let sql = format!(
        "SELECT version, checksum, success FROM {} ORDER BY version",
        conn.table(TABLE)
    );
    let rows = rows!(conn, "reading _sqlx_migrations", &sql, &[], |r| {
        let version = get_int!(r, 0)?.unwrap_or_default();
        let checksum: Vec<u8> = r.try_get(1)?;
        let success = get_int!(r, 2)?.unwrap_or_default() != 0;
        Ok((version, checksum, success))
    })?;
    let mut rec = Recorded::default();
    for (version, checksum, success) in rows {
        if !success {
            // sqlx stops at the first failed row (ORDER BY version).
            rec.dirty.get_or_insert_with(|| version.to_string());
            continue;
        }
        match migrations
            .iter()
            .position(|m| version_of(m) == Some(version))
        {
            Some(i) => {
                rec.applied.push(i);
                let disk = checksum_of(&migrations[i]);
                if disk != checksum {
                    rec.mismatched
                        .push((i, hex::encode(&checksum), hex::encode(&disk)));
                }
            }
            None => rec.unknown.push(version.to_string()),
        }
    }
    Ok(rec)
}

pub(super) async fn record_apply(
    conn: &mut Conn,
    m: &Migration,
    took: Duration,
) -> Result<(), DbError> {
    let Some(version) = version_of(m) else {
        return Err(DbError::Query {
            target: conn.display.clone(),
            context: "recording in _sqlx_migrations".into(),
            message: format!(
                "version {} is not an integer, which sqlx requires",
                m.version
            ),
        });
    };
    let description = description_of(m);
    let checksum = checksum_of(m);
    let nanos = i64::try_from(took.as_nanos()).unwrap_or(i64::MAX);
    let sql = format!(
            "INSERT INTO {} ( version, description, success, checksum, execution_time ) VALUES ( ?, ?, TRUE, ?, ? )",
            conn.table(TABLE)
        );
    run(
        conn,
        "recording in _sqlx_migrations",
        &sql,
        &[
            Val::I64(version),
            Val::Str(&description),
            Val::Bytes(&checksum),
            Val::I64(nanos),
        ],
    )
    .await?;
    Ok(())
}

/// The new checksum for an applied version (what `sqlx` users do by hand after
/// editing an applied file; sqlx itself has no repair command).
pub(super) async fn record_accept(conn: &mut Conn, m: &Migration) -> Result<(), DbError> {
    let Some(version) = version_of(m) else {
        return Ok(());
    };
    let checksum = checksum_of(m);
    let sql = format!(
        "UPDATE {} SET checksum = ? WHERE version = ?",
        conn.table(TABLE)
    );
    run(
        conn,
        "recording the accepted checksum in _sqlx_migrations",
        &sql,
        &[Val::Bytes(&checksum), Val::I64(version)],
    )
    .await?;
    Ok(())
}

pub(super) async fn record_revert(conn: &mut Conn, m: &Migration) -> Result<(), DbError> {
    let Some(version) = version_of(m) else {
        return Ok(());
    };
    let sql = format!("DELETE FROM {} WHERE version = ?", conn.table(TABLE));
    run(
        conn,
        "recording the revert in _sqlx_migrations",
        &sql,
        &[Val::I64(version)],
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_key_matches_the_worked_example() {
        // notes: db `mydb` -> crc 285543882 -> key 293176876009260204, hex 41192d0bee404ac
        assert_eq!(crc32fast::hash(b"mydb"), 285543882);
        assert_eq!(lock_key("mydb"), 293176876009260204);
        assert_eq!(mysql_lock_name("mydb"), "41192d0bee404ac");
    }

    #[test]
    fn lock_key_never_overflows() {
        // The largest crc gives the largest key; it fits in i64.
        let max = 0x3d32ad9e_i64.checked_mul(i64::from(u32::MAX));
        assert!(max.is_some());
    }

    #[test]
    fn checksum_is_sha384_of_the_text() {
        let m = crate::source::Migration {
            version: crate::source::Version::parse("1"),
            name: "users".into(),
            kind: crate::source::Kind::Versioned,
            path: "1_users.sql".into(),
            up_sql: "abc".into(),
            down_sql: None,
            down_path: None,
            verify_sql: None,
            tx: crate::source::TxMode::Wrapped,
            checksum: String::new(),
            native: Default::default(),
        };
        // SHA-384("abc") from FIPS 180-2.
        assert_eq!(
            hex::encode(checksum_of(&m)),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"
        );
        assert_eq!(description_of(&m), "users");
        assert_eq!(version_of(&m), Some(1));
    }
}
