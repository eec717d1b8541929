//! Cancelling the statement a connection is running, from outside it: an operator's
//! second Ctrl-C on a statement stuck behind a lock.
//!
//! A server is asked from a second connection (PostgreSQL `pg_cancel_backend`, MySQL and
//! MariaDB `KILL QUERY`), as `psql`'s and `mysql`'s own Ctrl-C do. SQLite runs in this
//! process: a progress handler on the connection looks at a flag every few thousand
//! virtual-machine steps and interrupts the statement when it is set (sqlx exposes the
//! handler safely; `sqlite3_interrupt` itself would need unsafe code). A SQLite statement
//! waiting for another process's lock is not stepping, so the flag takes effect only
//! when the busy timeout ends it anyway.

use super::{mysql, postgres, sqlite, Conn, ConnectInfo, DbError, Inner};
use crate::sql::Dialect;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// How to cancel what one connection runs.
#[derive(Clone)]
pub enum Canceller {
    /// A server backend, cancelled from a second connection.
    Server {
        info: ConnectInfo,
        dialect: Dialect,
        /// PostgreSQL's backend pid, MySQL's connection id.
        id: i64,
    },
    /// SQLite: the flag the connection's progress handler reads.
    Sqlite(Arc<AtomicBool>),
}

impl std::fmt::Debug for Canceller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Canceller::Server { dialect, id, .. } => write!(f, "Canceller({dialect:?} {id})"),
            Canceller::Sqlite(_) => write!(f, "Canceller(SQLite)"),
        }
    }
}

impl Conn {
    /// Prepares this connection to be cancelled from outside: learns the server's id for
    /// it, or installs SQLite's progress handler.
    pub async fn canceller(&mut self, info: &ConnectInfo) -> Result<Canceller, DbError> {
        let target = self.display.clone();
        let id_sql = match &mut self.inner {
            Inner::Sqlite(c) => {
                return match sqlite::interrupt_flag(c).await {
                    Ok(flag) => Ok(Canceller::Sqlite(flag)),
                    Err(e) => Err(DbError::Query {
                        target,
                        context: "preparing cancellation".into(),
                        message: super::failure(&e).message,
                    }),
                };
            }
            Inner::Postgres(_) => postgres::BACKEND_ID,
            Inner::Mysql(_) => mysql::CONNECTION_ID,
        };
        let id = self.scalar_i64(id_sql).await.map_err(|f| DbError::Query {
            target,
            context: "reading the connection's id (to cancel its statements on request)".into(),
            message: f.message,
        })?;
        Ok(Canceller::Server {
            info: info.clone(),
            dialect: self.dialect,
            id,
        })
    }
}

impl Canceller {
    /// Cancels what the connection runs now; says what was done, for the log.
    pub async fn cancel(&self) -> Result<String, String> {
        let (info, dialect, id) = match self {
            Canceller::Sqlite(flag) => {
                flag.store(true, Ordering::Relaxed);
                return Ok("interrupting the running SQLite statement".into());
            }
            Canceller::Server { info, dialect, id } => (info, *dialect, *id),
        };
        // The plan's init_sql is for migrations; the cancelling connection needs none.
        let info = ConnectInfo {
            init_sql: Vec::new(),
            ..info.clone()
        };
        let (mut c, _) = super::connect(&info).await.map_err(|e| e.to_string())?;
        let (sql, what) = match dialect {
            Dialect::Postgres => postgres::cancel_sql(id),
            _ => mysql::cancel_sql(id),
        };
        let done = if dialect == Dialect::Postgres {
            c.scalar_i64(&sql).await.map(|n| n == 1)
        } else {
            c.execute(&sql).await.map(|_| true)
        };
        c.close().await;
        match done {
            Ok(true) => Ok(format!("sent {what} from a second connection")),
            Ok(false) => Err(format!("{what}: the server found no such backend")),
            Err(f) => Err(format!("{what}: {}", f.message)),
        }
    }

    /// Lowers SQLite's flag once the statement returned, so that the rollback and the
    /// ledger write that follow are not interrupted too.
    pub fn clear(&self) {
        if let Canceller::Sqlite(flag) = self {
            flag.store(false, Ordering::Relaxed);
        }
    }
}
