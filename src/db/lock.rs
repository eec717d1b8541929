//! One cutover at a time per target.
//!
//! PostgreSQL `pg_try_advisory_lock`, MySQL `GET_LOCK` (both held by the session's
//! connection, so they vanish with a crashed process), SQLite an exclusive file lock
//! beside the database file. Who holds it is written to `cutover_lock` so the second
//! comer can be told (operator, host, pid, since).

use super::query::{exec, int, rows, run, table_exists, Val};
use super::{mysql, postgres, sqlite, Conn, DbError};
use crate::sql::Dialect;
use std::fs::File;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Holder {
    pub operator: String,
    pub host: String,
    pub pid: i64,
    pub since: String,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} on {} (pid {}) since {}",
            self.operator, self.host, self.pid, self.since
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("{target} is locked by another cutover: {}\n  hint: wait for it to finish; if that process is gone, its lock is released with its connection{}",
        holder.as_ref().map(|h| h.to_string()).unwrap_or_else(|| "holder not yet recorded".into()),
        lock_file.as_ref().map(|p| format!(" (SQLite: with its process; the lock file is {})", p.display())).unwrap_or_default())]
    Held {
        target: String,
        holder: Option<Holder>,
        lock_file: Option<PathBuf>,
    },
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("cannot create lock file {path}: {source}\n  hint: cutover needs write access beside the SQLite database")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Held while the lock is ours. For servers the lock lives in the connection; for
/// SQLite in this file handle (released when dropped, or when the process dies).
#[derive(Debug)]
pub struct Guard {
    _file: Option<File>,
}

pub const TABLE: &str = "cutover_lock";

fn ddl(conn: &Conn) -> String {
    let t = conn.table(TABLE);
    match conn.dialect {
        Dialect::Mysql => format!(
            "CREATE TABLE IF NOT EXISTS {t} (id INT PRIMARY KEY, operator TEXT NOT NULL, \
             host TEXT NOT NULL, pid BIGINT NOT NULL, since VARCHAR(40) NOT NULL) CHARACTER SET utf8mb4"
        ),
        _ => format!(
            "CREATE TABLE IF NOT EXISTS {t} (id INT PRIMARY KEY, operator TEXT NOT NULL, \
             host TEXT NOT NULL, pid BIGINT NOT NULL, since TEXT NOT NULL)"
        ),
    }
}

pub use sqlite::lock_path as sqlite_lock_path;

const TAKING: &str = "taking the target lock";

/// Takes the target's lock without waiting, or says who holds it.
pub async fn acquire(conn: &mut Conn, me: &Holder) -> Result<Guard, LockError> {
    let mut file = None;
    let got = match conn.dialect {
        Dialect::Sqlite => match conn.sqlite_file.clone() {
            None => true,
            Some(db) => {
                let path = sqlite_lock_path(&db);
                let f = std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&path)
                    .map_err(|source| LockError::File {
                        path: path.clone(),
                        source,
                    })?;
                match f.try_lock() {
                    Ok(()) => {
                        file = Some(f);
                        true
                    }
                    Err(std::fs::TryLockError::WouldBlock) => false,
                    Err(std::fs::TryLockError::Error(source)) => {
                        return Err(LockError::File { path, source })
                    }
                }
            }
        },
        Dialect::Postgres => scalar_i64(conn, TAKING, postgres::TRY_LOCK).await? == 1,
        Dialect::Mysql => {
            // Without a database the lock name would be NULL, which reads as "held".
            if scalar_i64(conn, TAKING, mysql::NO_DATABASE).await? == 1 {
                return Err(LockError::Db(DbError::Query {
                    target: conn.display.clone(),
                    context: "taking the target lock".into(),
                    message: "the URL names no database\n  hint: add the database to the URL, e.g. mysql://user@host:3306/shop".into(),
                }));
            }
            scalar_i64(conn, TAKING, mysql::TRY_LOCK).await? == 1
        }
    };
    if !got {
        let holder = holder(conn).await.ok().flatten();
        return Err(LockError::Held {
            target: conn.display.clone(),
            holder,
            lock_file: conn.sqlite_file.as_deref().map(sqlite_lock_path),
        });
    }
    write_holder(conn, me).await?;
    Ok(Guard { _file: file })
}

/// Releases the lock and clears the holder row.
pub async fn release(conn: &mut Conn, guard: Guard) -> Result<(), DbError> {
    let _ = conn
        .execute(&format!("DELETE FROM {} WHERE id = 1", conn.table(TABLE)))
        .await;
    let ctx = "releasing the target lock";
    match conn.dialect {
        Dialect::Postgres => {
            scalar_i64(conn, ctx, postgres::UNLOCK).await?;
        }
        Dialect::Mysql => {
            scalar_i64(conn, ctx, mysql::UNLOCK).await?;
        }
        Dialect::Sqlite => {}
    }
    drop(guard);
    Ok(())
}

/// The integer a lock function answers (0 when it answers nothing).
async fn scalar_i64(conn: &mut Conn, context: &str, sql: &str) -> Result<i64, DbError> {
    Ok(int(conn, context, sql, &[]).await?.unwrap_or(0))
}

async fn write_holder(conn: &mut Conn, me: &Holder) -> Result<(), DbError> {
    let ctx = "recording the lock holder";
    exec(conn, ctx, &ddl(conn)).await?;
    let t = conn.table(TABLE);
    exec(conn, ctx, &format!("DELETE FROM {t} WHERE id = 1")).await?;
    let ins = format!("INSERT INTO {t} (id, operator, host, pid, since) VALUES (1, ?, ?, ?, ?)");
    let vals = [
        Val::Str(&me.operator),
        Val::Str(&me.host),
        Val::I64(me.pid),
        Val::Str(&me.since),
    ];
    run(conn, ctx, &ins, &vals).await.map(|_| ())
}

/// Who holds the lock, as they recorded it (None when nothing is recorded).
pub async fn holder(conn: &mut Conn) -> Result<Option<Holder>, DbError> {
    if !table_exists(conn, TABLE).await? {
        return Ok(None);
    }
    let sql = format!(
        "SELECT operator, host, pid, since FROM {} WHERE id = 1",
        conn.table(TABLE)
    );
    let found = rows!(conn, "reading the lock holder", &sql, &[], |row| {
        Ok(Holder {
            operator: row.try_get("operator")?,
            host: row.try_get("host")?,
            pid: row.try_get("pid")?,
            since: row.try_get("since")?,
        })
    })?;
    Ok(found.into_iter().next())
}
