//! One connection type over the three backends (SQLite, PostgreSQL, MySQL/MariaDB),
//! through sqlx. The rest of the program sees `Conn` and never a backend's own type.
//!
//! Statements from migration files run through `raw_sql` (the simple/text protocol):
//! DDL, `CREATE INDEX CONCURRENTLY`, stored procedures and `DELIMITER`-free bodies are
//! not all preparable, and the folder's own tool sends them as text too.
//!
//! Where things live: `query` is the one set of helpers every bookkeeping statement
//! goes through (binds, rows, typed errors); `ledger`, `lock` and `native` (the adopted
//! tools' histories) build on it; `sqlite`, `postgres` and `mysql` hold what is each
//! backend's own (options, lock and cancel statements, and next: introspection,
//! fingerprints, checksums, backup and restore); `names` says where tables live.

mod cancel;
pub mod compare;
mod connect;
pub mod ledger;
pub mod lock;
pub(crate) mod mysql;
pub mod names;
pub mod native;
pub(crate) mod postgres;
pub mod query;
pub mod schema;
pub(crate) mod sqlite;

pub use cancel::Canceller;
pub use connect::{connect, ConnectInfo};
pub(crate) use connect::{dialect_of, scrub};

use crate::sql::Dialect;
use sqlx::{MySqlConnection, PgConnection, SqliteConnection};
use std::path::PathBuf;

/// A live connection to a target.
pub struct Conn {
    pub(crate) inner: Inner,
    pub dialect: Dialect,
    /// The target as shown to people: never holds a password.
    pub display: String,
    /// The SQLite database file (None for `:memory:` and for servers).
    pub sqlite_file: Option<PathBuf>,
    /// Where the bookkeeping tables live, resolved once when connecting (`names.rs`).
    pub(crate) schema: Option<String>,
}

pub(crate) enum Inner {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
    Mysql(MySqlConnection),
}

/// Runs the same body against whichever backend connection `Conn` holds. Each arm is
/// type-checked on its own, so `sqlx::query(..)` infers its database from `$c`.
macro_rules! with_conn {
    ($conn:expr, $c:ident => $body:expr) => {
        match &mut $conn.inner {
            $crate::db::Inner::Sqlite($c) => $body,
            $crate::db::Inner::Postgres($c) => $body,
            $crate::db::Inner::Mysql($c) => $body,
        }
    };
}
pub(crate) use with_conn;

/// What the database said when a statement failed: its own message, and where in the
/// statement it points when the backend reports a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlFailure {
    pub message: String,
    /// 0-based character offset into the statement (PostgreSQL reports one).
    pub position: Option<usize>,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot connect to {target}: {message}\n  hint: {hint}")]
    Connect {
        target: String,
        message: String,
        hint: String,
    },
    /// A SQLite file that does not exist (only when asked not to create it).
    #[error("{target} does not exist yet")]
    Missing { target: String },
    #[error("{target}: {context}: {message}")]
    Query {
        target: String,
        context: String,
        message: String,
    },
}

impl Conn {
    /// Runs one statement (or a `;`-separated script) as text.
    pub async fn execute(&mut self, sql: &str) -> Result<u64, SqlFailure> {
        // `Executor::execute` with a bare &str sends it unprepared (PostgreSQL's simple
        // protocol, MySQL's text protocol), like `raw_sql`, whose future is not Send.
        let res = with_conn!(self, c => sqlx::Executor::execute(&mut *c, sql).await.map(|r| r.rows_affected()));
        res.map_err(|e| failure(&e))
    }

    /// The first column of the first row as an integer (counts, flags).
    pub async fn scalar_i64(&mut self, sql: &str) -> Result<i64, SqlFailure> {
        let res: Result<i64, sqlx::Error> =
            with_conn!(self, c => sqlx::query_scalar(sql).fetch_one(&mut *c).await);
        res.map_err(|e| failure(&e))
    }

    /// The first column of every row, as text.
    pub async fn column_strings(&mut self, sql: &str) -> Result<Vec<String>, SqlFailure> {
        let res: Result<Vec<String>, sqlx::Error> =
            with_conn!(self, c => sqlx::query_scalar(sql).fetch_all(&mut *c).await);
        res.map_err(|e| failure(&e))
    }

    /// Whether a transaction is open on this connection (one a file began and did not
    /// end). SQLite has no query for it: a BEGIN that fails says so, one that succeeds is
    /// rolled back at once.
    pub async fn in_transaction(&mut self) -> Result<bool, SqlFailure> {
        match self.dialect {
            Dialect::Sqlite => match self.execute("BEGIN").await {
                Ok(_) => self.execute("ROLLBACK").await.map(|_| false),
                Err(f) if f.message.contains(sqlite::IN_TRANSACTION_ERROR) => Ok(true),
                Err(f) => Err(f),
            },
            // A bare text query (see `postgres::IN_TRANSACTION`).
            Dialect::Postgres => {
                let sql = postgres::IN_TRANSACTION;
                let res: Result<i64, sqlx::Error> = with_conn!(self, c => sqlx::Executor::fetch_one(&mut *c, sql)
                    .await
                    .and_then(|row| sqlx::Row::try_get::<i64, _>(&row, 0)));
                res.map(|n| n == 1).map_err(|e| failure(&e))
            }
            Dialect::Mysql => self.scalar_i64(mysql::IN_TRANSACTION).await.map(|n| n == 1),
        }
    }

    pub async fn begin(&mut self) -> Result<(), SqlFailure> {
        let sql = match self.dialect {
            Dialect::Mysql => "START TRANSACTION",
            _ => "BEGIN",
        };
        self.execute(sql).await.map(|_| ())
    }

    pub async fn commit(&mut self) -> Result<(), SqlFailure> {
        self.execute("COMMIT").await.map(|_| ())
    }

    /// Whether the connection still answers (asked after a failure, to tell a lost
    /// connection from a failing statement).
    pub async fn is_alive(&mut self) -> bool {
        self.execute("SELECT 1").await.is_ok()
    }

    /// Rolls back whatever transaction is open; a no-op error when none is (ignored).
    pub async fn rollback_quietly(&mut self) {
        let _ = self.execute("ROLLBACK").await;
    }

    pub async fn close(self) {
        use sqlx::Connection;
        let _ = match self.inner {
            Inner::Sqlite(c) => c.close().await,
            Inner::Postgres(c) => c.close().await,
            Inner::Mysql(c) => c.close().await,
        };
    }
}

/// The database's own message for a failed statement.
pub(crate) fn failure(e: &sqlx::Error) -> SqlFailure {
    match e {
        sqlx::Error::Database(db) => {
            let position = db
                .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                .and_then(|pg| match pg.position() {
                    Some(sqlx::postgres::PgErrorPosition::Original(p)) => Some(p.saturating_sub(1)),
                    _ => None,
                });
            let mut message = db.message().to_string();
            if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                if let Some(detail) = pg.detail() {
                    message.push_str(&format!(" ({detail})"));
                }
            }
            if let Some(code) = db.code() {
                message = format!("{message} [{code}]");
            }
            SqlFailure { message, position }
        }
        other => SqlFailure {
            message: other.to_string(),
            position: None,
        },
    }
}
