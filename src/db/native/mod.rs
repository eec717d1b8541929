//! Adopting the folder's own tool: reading what it recorded as applied, taking its
//! lock, and writing the rows it would write, so the team can switch back and forth
//! between that tool and cutover and nothing is applied twice.
//!
//! The tables and statements follow each tool's own source (see MIGRATION_FORMATS.md
//! and the research notes on native tables); one file per tool:
//!
//! | tool | SQLite | PostgreSQL | MySQL/MariaDB | lock taken by cutover |
//! |---|---|---|---|---|
//! | sqlx | yes | yes | yes | PG/MySQL: sqlx's key from the database name |
//! | diesel | yes | yes | yes | none (diesel has none) |
//! | golang-migrate | yes | yes | yes | PG/MySQL: its advisory key / GET_LOCK name |
//! | dbmate | yes | yes | yes | none (dbmate has none) |
//! | Flyway | yes | yes | yes | PG/MySQL: its advisory key / named lock |
//! | goose | yes | yes | yes | none (goose takes none by default) |
//! | Sqitch | yes (registry file beside the target, attached) | yes (schema `sqitch`) | yes (database `sqitch`) | PG 75474063, MySQL `sqitch working on <db>` |
//! | Drizzle | yes | yes (schema `drizzle`) | yes | none (drizzle has none) |
//! | Prisma | yes | yes | yes | PG 72707369, MySQL `prisma_migrate` |
//!
//! Locks are taken without waiting (`pg_try_advisory_lock`, `GET_LOCK(name, 0)`); when the
//! tool holds it, `open` fails with `NativeError::Locked`.

mod dbmate;
mod diesel;
mod drizzle;
mod flyway;
mod golang_migrate;
mod goose;
mod prisma;
mod sqitch;
mod sqlx;
mod versions;

// The query layer, imported here for this file and, through `super::`, for each tool's.
use super::names::{bq, dq};
use super::query::{
    current_schema, database_name, exec, get_int, int, run, strings, table_exists, Val,
};
use super::{Conn, DbError};
use crate::source::{Format, Migration};
use crate::sql::Dialect;
use std::time::Duration;

/// The name a folder format's tool goes by in messages, as its own documentation writes
/// it. The format is the tool: `Format::Custom` has none (and no history).
pub fn tool_name(f: Format) -> &'static str {
    match f {
        Format::Flyway => "Flyway",
        Format::Sqitch => "Sqitch",
        Format::Drizzle => "Drizzle",
        Format::Prisma => "Prisma",
        other => other.as_str(),
    }
}

/// The native tool's history on one target, opened for this run.
#[derive(Debug, Clone)]
pub struct History {
    /// The folder's format, whose tool keeps this history (never `Custom`).
    pub tool: Format,
    /// Where the history lives, for messages (`_sqlx_migrations`, `sqitch.changes`, ...).
    pub table: String,
    /// True when cutover created the table in this run (the tool had not been used here).
    pub created: bool,
    /// The tool's lock, held by this connection until `close`.
    lock: Option<Lock>,
    /// SQLite + Sqitch: the registry file is attached as `sqitch` until `close`.
    attached: bool,
}

/// What the native history says, mapped onto the folder's migrations.
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    /// Indices into the folder's migrations that the tool recorded as applied.
    pub applied: Vec<usize>,
    /// Versions the tool recorded that no file in the folder has.
    pub unknown: Vec<String>,
    /// A version the tool marked as failed/dirty: a person must look before anything runs.
    pub dirty: Option<String>,
    /// Applied files whose checksum as the tool recorded it differs from the file on disk
    /// (index, what the tool recorded, what the file gives).
    pub mismatched: Vec<(usize, String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum NativeError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{tool}'s lock on this target is held (is `{tool}` running against it now?)\n  hint: wait for it to finish, then run cutover again")]
    Locked { tool: &'static str },
}

/// A tool's own lock, as cutover holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Lock {
    /// Session-level advisory locks (`pg_try_advisory_lock`), one per key.
    Pg(Vec<i64>),
    /// Named locks (`GET_LOCK(name, 0)`), one per name.
    Mysql(Vec<String>),
}

/// Opens the native tool's history for a folder format on this target, creating the
/// tool's table where it is missing (so that the tool, run later, does not apply the
/// files again), and takes the tool's own lock. None for formats without a tool, and
/// for Sqitch when its registry is absent (see `sqitch.rs`).
pub async fn open(
    conn: &mut Conn,
    format: Format,
    migrations: &[Migration],
) -> Result<Option<History>, NativeError> {
    if format == Format::Custom {
        return Ok(None);
    }
    let tool = format;
    // The lock first, as the tools do: creating the table races a running tool otherwise.
    let lock = match tool {
        Format::Sqlx => sqlx::lock(conn).await?,
        Format::GolangMigrate => golang_migrate::lock(conn).await?,
        Format::Flyway => flyway::lock(conn).await?,
        Format::Sqitch => sqitch::lock(conn).await?,
        Format::Prisma => prisma::lock(conn.dialect),
        Format::Diesel | Format::Dbmate | Format::Drizzle | Format::Goose | Format::Custom => None,
    };
    if let Some(l) = &lock {
        take(conn, tool, l).await?;
    }
    let ensured = match tool {
        Format::Sqlx => sqlx::ensure(conn).await.map(Some),
        Format::Diesel => diesel::ensure(conn).await.map(Some),
        Format::GolangMigrate => golang_migrate::ensure(conn).await.map(Some),
        Format::Dbmate => dbmate::ensure(conn).await.map(Some),
        Format::Flyway => flyway::ensure(conn).await.map(Some),
        Format::Sqitch => sqitch::ensure(conn, migrations).await,
        Format::Drizzle => drizzle::ensure(conn).await.map(Some),
        Format::Prisma => prisma::ensure(conn).await.map(Some),
        Format::Goose => goose::ensure(conn).await.map(Some),
        Format::Custom => Ok(None),
    };
    let (created, attached) = match ensured {
        Ok(Some(created)) => (
            created,
            tool == Format::Sqitch && conn.dialect == Dialect::Sqlite,
        ),
        Ok(None) | Err(_) => {
            if let Some(l) = &lock {
                release(conn, l).await;
            }
            if tool == Format::Sqitch {
                sqitch::detach(conn).await;
            }
            return ensured.map(|_| None).map_err(NativeError::from);
        }
    };
    let table = match tool {
        Format::Sqlx => sqlx::TABLE,
        Format::Diesel => diesel::TABLE,
        Format::GolangMigrate => golang_migrate::TABLE,
        Format::Dbmate => dbmate::TABLE,
        Format::Flyway => flyway::TABLE,
        Format::Sqitch => sqitch::TABLE,
        Format::Drizzle => drizzle::label(conn.dialect),
        Format::Prisma => prisma::TABLE,
        Format::Goose => goose::TABLE,
        Format::Custom => "",
    };
    Ok(Some(History {
        tool,
        table: table.to_string(),
        created,
        lock,
        attached,
    }))
}

/// The history tables a tool keeps in the target's own schema (what a schema
/// fingerprint leaves out). Sqitch keeps its registry elsewhere on every backend (schema
/// or database `sqitch`, an attached file), and Drizzle on PostgreSQL in its schema
/// `drizzle`: their names are not listed, as a user's own `changes` or `events` table
/// must still count.
pub fn history_tables(format: Format) -> &'static [&'static str] {
    match format {
        Format::Sqlx => &[sqlx::TABLE],
        Format::Diesel => &[diesel::TABLE],
        Format::GolangMigrate => &[golang_migrate::TABLE],
        Format::Dbmate => &[dbmate::TABLE],
        Format::Flyway => &[flyway::TABLE],
        Format::Drizzle => &["__drizzle_migrations"],
        Format::Prisma => &[prisma::TABLE],
        Format::Goose => &[goose::TABLE],
        Format::Sqitch | Format::Custom => &[],
    }
}

/// Maps the versions a tool recorded (one row per applied version, as diesel and dbmate
/// keep them) onto the folder: applied indices in recorded order, unknown versions kept.
fn map_versions(
    versions: Vec<String>,
    migrations: &[Migration],
    key: impl Fn(&Migration) -> String,
) -> Recorded {
    let keys: Vec<String> = migrations.iter().map(key).collect();
    let mut rec = Recorded::default();
    for v in versions {
        match keys.iter().position(|k| *k == v) {
            Some(i) => rec.applied.push(i),
            None => rec.unknown.push(v),
        }
    }
    rec
}

/// What the folder's tool recorded, read without creating or locking anything (for dry
/// runs). None when its table does not exist, and for Sqitch, whose registry is only read
/// through `open`.
pub async fn peek(
    conn: &mut Conn,
    format: Format,
    migrations: &[Migration],
) -> Result<Option<Recorded>, DbError> {
    if format == Format::Custom {
        return Ok(None);
    }
    let tool = format;
    let table = match tool {
        Format::Sqlx => "_sqlx_migrations",
        Format::Diesel => "__diesel_schema_migrations",
        Format::GolangMigrate | Format::Dbmate => "schema_migrations",
        Format::Flyway => "flyway_schema_history",
        Format::Goose => goose::TABLE,
        Format::Sqitch | Format::Custom => return Ok(None),
        Format::Drizzle => drizzle::label(conn.dialect),
        Format::Prisma => prisma::TABLE,
    };
    let exists = match tool {
        Format::Drizzle => drizzle::exists(conn).await?,
        Format::Prisma => prisma::exists(conn).await?,
        _ => table_exists(conn, table).await?,
    };
    if !exists {
        return Ok(None);
    }
    let history = History {
        tool,
        table: table.to_string(),
        created: false,
        lock: None,
        attached: false,
    };
    history.recorded(conn, migrations).await.map(Some)
}

impl History {
    /// What the tool recorded, mapped onto the folder.
    ///
    /// A checksum mismatch is reported only for versions cutover's own ledger does not
    /// hold as applied: for those it does, cutover's drift check (which has the applied
    /// text, shows the difference and takes `--accept-drift`) decides.
    pub async fn recorded(
        &self,
        conn: &mut Conn,
        migrations: &[Migration],
    ) -> Result<Recorded, DbError> {
        let mut rec = match self.tool {
            Format::Sqlx => sqlx::recorded(conn, migrations).await,
            Format::Diesel => diesel::HISTORY.recorded(conn, migrations).await,
            Format::GolangMigrate => golang_migrate::recorded(conn, migrations).await,
            Format::Dbmate => dbmate::HISTORY.recorded(conn, migrations).await,
            Format::Flyway => flyway::recorded(conn, migrations).await,
            Format::Sqitch => sqitch::recorded(conn, migrations).await,
            Format::Drizzle => drizzle::recorded(conn, migrations).await,
            Format::Prisma => prisma::recorded(conn, migrations).await,
            Format::Goose => goose::recorded(conn, migrations).await,
            Format::Custom => Ok(Recorded::default()),
        }?;
        if !rec.mismatched.is_empty() {
            let ours: Vec<String> = super::ledger::read(conn)
                .await?
                .into_iter()
                .filter(|e| e.status == super::ledger::Status::Applied)
                .map(|e| e.version)
                .collect();
            rec.mismatched
                .retain(|(i, _, _)| !ours.iter().any(|v| v == migrations[*i].version.as_str()));
        }
        Ok(rec)
    }

    /// Writes what the tool's own repair writes when the operator accepts the file on
    /// disk as applied (cutover's `--accept-drift`): the tool's checksum becomes the
    /// file's (sqlx `checksum`, Flyway `repair`, Sqitch `script_hash`); a no-op for
    /// tools without checksums.
    pub async fn record_accept(&self, conn: &mut Conn, m: &Migration) -> Result<(), DbError> {
        match self.tool {
            Format::Sqlx => sqlx::record_accept(conn, m).await,
            Format::Flyway => flyway::record_accept(conn, m).await,
            Format::Sqitch => sqitch::record_accept(conn, m).await,
            Format::Drizzle => drizzle::record_accept(conn, m).await,
            Format::Prisma => prisma::record_accept(conn, m).await,
            Format::Diesel
            | Format::GolangMigrate
            | Format::Dbmate
            | Format::Goose
            | Format::Custom => Ok(()),
        }
    }

    /// Writes the rows the tool writes when it applies `m` (inside the file's transaction
    /// where there is one).
    pub async fn record_apply(
        &self,
        conn: &mut Conn,
        m: &Migration,
        migrations: &[Migration],
        took: Duration,
        operator: &str,
    ) -> Result<(), DbError> {
        match self.tool {
            Format::Sqlx => sqlx::record_apply(conn, m, took).await,
            Format::Diesel => diesel::HISTORY.record_apply(conn, m).await,
            Format::GolangMigrate => golang_migrate::record_apply(conn, m).await,
            Format::Dbmate => dbmate::HISTORY.record_apply(conn, m).await,
            Format::Flyway => flyway::record_apply(conn, m, took, operator).await,
            Format::Sqitch => sqitch::record_apply(conn, m, migrations, operator).await,
            Format::Drizzle => drizzle::record_apply(conn, m).await,
            Format::Prisma => prisma::record_apply(conn, m, took).await,
            Format::Goose => goose::record_apply(conn, m).await,
            Format::Custom => Ok(()),
        }
    }

    /// Writes what the tool writes when it reverts `m`.
    pub async fn record_revert(
        &self,
        conn: &mut Conn,
        m: &Migration,
        migrations: &[Migration],
        operator: &str,
    ) -> Result<(), DbError> {
        match self.tool {
            Format::Sqlx => sqlx::record_revert(conn, m).await,
            Format::Diesel => diesel::HISTORY.record_revert(conn, m).await,
            Format::GolangMigrate => golang_migrate::record_revert(conn, m, migrations).await,
            Format::Dbmate => dbmate::HISTORY.record_revert(conn, m).await,
            Format::Flyway => flyway::record_revert(conn, m, operator).await,
            Format::Sqitch => sqitch::record_revert(conn, m, operator).await,
            Format::Drizzle => drizzle::record_revert(conn, m).await,
            Format::Prisma => prisma::record_revert(conn, m).await,
            Format::Goose => goose::record_revert(conn, m).await,
            Format::Custom => Ok(()),
        }
    }

    /// Releases the tool's lock (and detaches Sqitch's SQLite registry).
    pub async fn close(&self, conn: &mut Conn) {
        if let Some(l) = &self.lock {
            release(conn, l).await;
        }
        if self.attached {
            sqitch::detach(conn).await;
        }
    }
}

// ---------------------------------------------------------------------------------
// Shared by the tools: version text, locks, Flyway's hash.

/// The version text a tool records for `m`: what the folder reader filled in, or the
/// version as written in the file name.
pub(crate) fn native_version(m: &Migration) -> String {
    if m.native.version.is_empty() {
        m.version.as_str().to_string()
    } else {
        m.native.version.clone()
    }
}

/// Takes every key of the tool's lock without waiting; on the first one held elsewhere,
/// gives back the ones taken and reports the tool's lock as held.
async fn take(conn: &mut Conn, tool: Format, lock: &Lock) -> Result<(), NativeError> {
    let ctx = format!("taking {}'s lock", tool_name(tool));
    match lock {
        Lock::Pg(keys) => {
            for (n, &k) in keys.iter().enumerate() {
                let got = int(
                    conn,
                    &ctx,
                    crate::db::postgres::TRY_LOCK_KEY,
                    &[Val::I64(k)],
                )
                .await?;
                if got != Some(1) {
                    release(conn, &Lock::Pg(keys[..n].to_vec())).await;
                    return Err(NativeError::Locked {
                        tool: tool_name(tool),
                    });
                }
            }
        }
        Lock::Mysql(names) => {
            for (n, name) in names.iter().enumerate() {
                let got = int(
                    conn,
                    &ctx,
                    crate::db::mysql::TRY_LOCK_NAME,
                    &[Val::Str(name)],
                )
                .await?;
                if got != Some(1) {
                    release(conn, &Lock::Mysql(names[..n].to_vec())).await;
                    return Err(NativeError::Locked {
                        tool: tool_name(tool),
                    });
                }
            }
        }
    }
    Ok(())
}

/// Gives the lock back. Errors are ignored: the lock dies with the connection anyway.
async fn release(conn: &mut Conn, lock: &Lock) {
    match lock {
        Lock::Pg(keys) => {
            for &k in keys {
                let _ = int(
                    conn,
                    "releasing a lock",
                    crate::db::postgres::UNLOCK_KEY,
                    &[Val::I64(k)],
                )
                .await;
            }
        }
        Lock::Mysql(names) => {
            for name in names {
                let _ = int(
                    conn,
                    "releasing a lock",
                    crate::db::mysql::UNLOCK_NAME,
                    &[Val::Str(name)],
                )
                .await;
            }
        }
    }
}

/// Java's `String.hashCode()` (Flyway's lock keys): `s[0]*31^(n-1) + ... + s[n-1]`
/// over UTF-16 code units, wrapping in 32 bits.
pub(crate) fn java_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_hash_matches_java() {
        // Values from Java's documentation and common knowledge of String.hashCode.
        assert_eq!(java_hash(""), 0);
        assert_eq!(java_hash("a"), 97);
        assert_eq!(java_hash("hello"), 99162322);
        assert_eq!(java_hash("polygenelubricants"), i32::MIN);
    }
}
