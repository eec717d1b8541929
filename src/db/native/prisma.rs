//! Prisma Migrate (`prisma migrate deploy`): `_prisma_migrations`, one row per attempt
//! at a migration, named by its folder.
//!
//! As prisma-engines (schema-engine `apply_migrations`, sql-schema-connector's
//! `create_migrations_table` per flavour and `sql_migration_persistence.rs`):
//! - the table: id VARCHAR(36) PK (a uuid v4), checksum VARCHAR(64) (sha256 hex of
//!   migration.sql), finished_at, migration_name, logs, rolled_back_at, started_at,
//!   applied_steps_count; timestamps TIMESTAMPTZ on PostgreSQL, DATETIME(3) (UTC) on
//!   MySQL, DATETIME on SQLite where quaint stores them as integer milliseconds.
//! - apply: Prisma inserts (id, checksum, started_at, migration_name) before the script,
//!   then adds 1 to applied_steps_count and sets finished_at after it; logs stay NULL.
//!   cutover writes that final row at once, inside the file's transaction.
//! - applied: rows with rolled_back_at NULL; a row with finished_at and rolled_back_at
//!   both NULL is a failed migration, which Prisma refuses to go past (P3009): dirty here.
//!   Rows with rolled_back_at set are ignored: the migration is pending again.
//! - checksums compare as Prisma's `script_matches_checksum` does: the file as is, with
//!   CRLF turned into LF, or LF into CRLF, and the old unpadded hex format.
//! - lock: PostgreSQL `pg_advisory_lock(72707369)`, MySQL `GET_LOCK('prisma_migrate', 10)`;
//!   on SQLite Prisma holds the file in exclusive locking mode while it runs.

use super::{get_int, run, Lock, Recorded, Val};
use crate::db::query::rows;
use crate::db::{Conn, DbError};
use crate::source::Migration;
use crate::sql::Dialect;
use std::time::Duration;

/// Prisma's advisory lock key on PostgreSQL.
pub(super) const PG_LOCK_KEY: i64 = 72707369;
/// Prisma's named lock on MySQL.
pub(super) const MYSQL_LOCK: &str = "prisma_migrate";

pub(super) const TABLE: &str = "_prisma_migrations";

/// The history table as statements name it, qualified with the bookkeeping schema (a
/// file that moves `search_path` cannot move it): every statement here goes through this.
fn table(conn: &Conn) -> String {
    conn.table(TABLE)
}

pub(super) fn lock(d: Dialect) -> Option<Lock> {
    match d {
        Dialect::Postgres => Some(Lock::Pg(vec![PG_LOCK_KEY])),
        Dialect::Mysql => Some(Lock::Mysql(vec![MYSQL_LOCK.to_string()])),
        Dialect::Sqlite => None,
    }
}

fn ddl(conn: &Conn) -> String {
    let t = table(conn);
    match conn.dialect {
        Dialect::Postgres => format!(
            "CREATE TABLE {t} (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
);"
        ),
        Dialect::Mysql => format!(
            "CREATE TABLE {t} (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             DATETIME(3),
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          DATETIME(3),
    started_at              DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    applied_steps_count     INTEGER UNSIGNED NOT NULL DEFAULT 0
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
        ),
        Dialect::Sqlite => format!(
            "CREATE TABLE {t} (
    \"id\"                    TEXT PRIMARY KEY NOT NULL,
    \"checksum\"              TEXT NOT NULL,
    \"finished_at\"           DATETIME,
    \"migration_name\"        TEXT NOT NULL,
    \"logs\"                  TEXT,
    \"rolled_back_at\"        DATETIME,
    \"started_at\"            DATETIME NOT NULL DEFAULT current_timestamp,
    \"applied_steps_count\"   INTEGER UNSIGNED NOT NULL DEFAULT 0
);"
        ),
    }
}

pub(super) async fn exists(conn: &mut Conn) -> Result<bool, DbError> {
    super::table_exists(conn, TABLE).await
}

/// Creates the table as Prisma does, when missing; true when it did.
pub(super) async fn ensure(conn: &mut Conn) -> Result<bool, DbError> {
    if exists(conn).await? {
        return Ok(false);
    }
    let sql = ddl(conn);
    super::exec(conn, "creating Prisma's _prisma_migrations", &sql).await?;
    Ok(true)
}

/// One row: (migration_name, checksum, finished, rolled back).
type Row = (String, String, bool, bool);

async fn rows(conn: &mut Conn) -> Result<Vec<Row>, DbError> {
    let sql = format!(
        "SELECT migration_name, checksum, \
         CASE WHEN finished_at IS NULL THEN 0 ELSE 1 END, \
         CASE WHEN rolled_back_at IS NULL THEN 0 ELSE 1 END \
         FROM {} ORDER BY started_at ASC",
        table(conn)
    );
    rows!(
        conn,
        "reading Prisma's _prisma_migrations",
        &sql,
        &[],
        |r| {
            let name: String = r.try_get(0)?;
            let checksum: String = r.try_get(1)?;
            let finished = get_int!(r, 2)?.unwrap_or_default() != 0;
            let rolled_back = get_int!(r, 3)?.unwrap_or_default() != 0;
            Ok((name, checksum, finished, rolled_back))
        }
    )
}

/// Prisma's `script_matches_checksum`: line endings as they are, CRLF as LF, or LF as
/// CRLF; an old row's unpadded hex (prisma-engines#1887) compares unpadded.
pub(crate) fn checksum_matches(script: &str, recorded: &str) -> bool {
    use sha2::{Digest, Sha256};
    let variants = [
        script.to_string(),
        script.replace("\r\n", "\n"),
        script.replace('\n', "\r\n"),
    ];
    variants.iter().any(|s| {
        let digest = Sha256::digest(s.as_bytes());
        let text = if !recorded.is_empty() && recorded.len() != 64 {
            digest.iter().map(|b| format!("{b:x}")).collect()
        } else {
            hex::encode(digest)
        };
        text == recorded
    })
}

pub(super) async fn recorded(
    conn: &mut Conn,
    migrations: &[Migration],
) -> Result<Recorded, DbError> {
    let mut rec = Recorded::default();
    for (name, checksum, finished, rolled_back) in rows(conn).await? {
        if rolled_back {
            continue;
        }
        if !finished {
            rec.dirty.get_or_insert(name);
            continue;
        }
        match migrations.iter().position(|m| m.native.version == name) {
            Some(i) if rec.applied.contains(&i) => {}
            Some(i) => {
                rec.applied.push(i);
                if !checksum_matches(&migrations[i].up_sql, &checksum) {
                    rec.mismatched
                        .push((i, checksum, migrations[i].checksum.clone()));
                }
            }
            None => rec.unknown.push(name),
        }
    }
    Ok(rec)
}

/// A point in time bound the way Prisma's driver stores it on each backend, as the SQL
/// expression holding the placeholder.
fn at(d: Dialect, t: chrono::DateTime<chrono::Utc>) -> (&'static str, TimeVal) {
    match d {
        Dialect::Postgres => (
            "CAST(? AS TIMESTAMPTZ)",
            TimeVal::Text(t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
        ),
        Dialect::Mysql => (
            "?",
            TimeVal::Text(t.format("%Y-%m-%d %H:%M:%S%.3f").to_string()),
        ),
        Dialect::Sqlite => ("?", TimeVal::Millis(t.timestamp_millis())),
    }
}

enum TimeVal {
    Text(String),
    Millis(i64),
}

impl TimeVal {
    fn val(&self) -> Val<'_> {
        match self {
            TimeVal::Text(s) => Val::Str(s),
            TimeVal::Millis(v) => Val::I64(*v),
        }
    }
}

pub(super) async fn record_apply(
    conn: &mut Conn,
    m: &Migration,
    took: Duration,
) -> Result<(), DbError> {
    let d = conn.dialect;
    let finished = chrono::Utc::now();
    let started = finished - chrono::Duration::from_std(took).unwrap_or_default();
    let (s_sql, s_val) = at(d, started);
    let (f_sql, f_val) = at(d, finished);
    let id = uuid::Uuid::new_v4().to_string();
    let sql = format!(
        "INSERT INTO {} (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count) \
         VALUES (?, ?, {f_sql}, ?, NULL, NULL, {s_sql}, 1)",
        table(conn)
    );
    run(
        conn,
        "recording in Prisma's _prisma_migrations",
        &sql,
        &[
            Val::Str(&id),
            Val::Str(&m.checksum),
            f_val.val(),
            Val::Str(&m.native.version),
            s_val.val(),
        ],
    )
    .await?;
    Ok(())
}

/// The accepted file's checksum replaces the recorded one (what `migrate dev` would
/// otherwise report as "modified after it was applied").
pub(super) async fn record_accept(conn: &mut Conn, m: &Migration) -> Result<(), DbError> {
    let sql = format!(
        "UPDATE {} SET checksum = ? WHERE migration_name = ? AND rolled_back_at IS NULL",
        table(conn)
    );
    run(
        conn,
        "recording the accepted checksum in Prisma's _prisma_migrations",
        &sql,
        &[Val::Str(&m.checksum), Val::Str(&m.native.version)],
    )
    .await?;
    Ok(())
}

/// Marks the migration's rows rolled back, as `prisma migrate resolve --rolled-back`
/// does: Prisma then treats it as pending.
pub(super) async fn record_revert(conn: &mut Conn, m: &Migration) -> Result<(), DbError> {
    let d = conn.dialect;
    let (t_sql, t_val) = at(d, chrono::Utc::now());
    let sql = format!(
        "UPDATE {} SET rolled_back_at = {t_sql} WHERE migration_name = ? AND rolled_back_at IS NULL",
        table(conn)
    );
    run(
        conn,
        "recording the rollback in Prisma's _prisma_migrations",
        &sql,
        &[t_val.val(), Val::Str(&m.native.version)],
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_compare_as_prisma_does() {
        // sha256("hello"), the value in prisma-engines' own checksum test.
        let hello = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
        assert!(checksum_matches("hello", hello));
        assert!(!checksum_matches("hello\n", hello));
        let crlf = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"a\r\nb\r\n"));
        assert!(checksum_matches("a\nb\n", &crlf));
        let lf = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"a\nb\n"));
        assert!(checksum_matches("a\r\nb\r\n", &lf));
        // The unpadded format of old rows: each byte without its leading zero.
        let digest = <sha2::Sha256 as sha2::Digest>::digest(b"x");
        let old: String = digest.iter().map(|b| format!("{b:x}")).collect();
        if old.len() != 64 {
            assert!(checksum_matches("x", &old));
        }
    }
}
