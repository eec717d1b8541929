//! Both sides read from a consistent snapshot, so rows written meanwhile on a live source
//! give no phantom differences: PostgreSQL `REPEATABLE READ` (one snapshot for every
//! statement of the transaction), MySQL/MariaDB `START TRANSACTION WITH CONSISTENT
//! SNAPSHOT` (taken at once, not at the first read), SQLite a read transaction (the
//! snapshot is fixed by its first read, made here at once).
//!
//! The sessions are also set to render values the same way: PostgreSQL and MySQL in UTC
//! (so with-time-zone values and key literals mean UTC), PostgreSQL with shortest float
//! output. MySQL's session time zone is put back afterwards.

use crate::db::{Conn, DbError};
use crate::sql::Dialect;

/// What to restore when the snapshot ends.
pub(crate) struct Snapshot {
    mysql_time_zone: Option<String>,
}

pub(crate) async fn begin(conn: &mut Conn) -> Result<Snapshot, DbError> {
    let ctx = "starting a consistent snapshot for the comparison";
    let mut snap = Snapshot {
        mysql_time_zone: None,
    };
    let statements: &[&str] = match conn.dialect {
        Dialect::Postgres => &[
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
            "SET LOCAL TIME ZONE 'UTC'",
            "SET LOCAL extra_float_digits = 1",
        ],
        Dialect::Mysql => {
            let tz = conn
                .column_strings("SELECT CAST(@@session.time_zone AS CHAR)")
                .await
                .map_err(|f| conn.failed(ctx, f))?;
            snap.mysql_time_zone = tz.into_iter().next();
            &[
                "SET time_zone = '+00:00'",
                "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
                "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY",
            ]
        }
        Dialect::Sqlite => &["BEGIN", "SELECT COUNT(*) FROM sqlite_master"],
    };
    for sql in statements {
        if let Err(f) = conn.execute(sql).await {
            end(conn, &snap).await;
            return Err(conn.failed(ctx, f));
        }
    }
    Ok(snap)
}

/// Ends the read transaction (nothing was written: a rollback is the cheapest end) and
/// restores the session.
pub(crate) async fn end(conn: &mut Conn, snap: &Snapshot) {
    conn.rollback_quietly().await;
    if let Some(tz) = &snap.mysql_time_zone {
        let _ = conn
            .execute(&format!("SET time_zone = '{}'", tz.replace('\'', "''")))
            .await;
    }
}
