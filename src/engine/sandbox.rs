//! Running a file's SQL where nothing is recorded: on a scratch copy of the target (a
//! rehearsal, a SQLite dry run) or inside a transaction that is rolled back (a PostgreSQL
//! dry run). The statements are wrapped exactly as an apply wraps them (`run_file`'s
//! rules), but no ledger row and no tool history is written: a rehearsal judges the
//! schema, and the schema leaves the bookkeeping tables out.

use super::run_file::{self, Wrapping};
use crate::db::Conn;
use crate::source::{Format, Migration};
use crate::sql::{self, Dialect, Statement};

/// A statement that failed: its line in the file and the database's message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Failed {
    pub line: usize,
    pub message: String,
}

/// The up file's statements as an apply sends them, and how it would wrap them.
pub fn up(m: &Migration, format: Format, dialect: Dialect) -> (Vec<Statement>, Wrapping) {
    let stmts = m.statements(format, dialect);
    let wrap = run_file::wrapping(m, format, &stmts, dialect);
    (stmts, wrap)
}

/// Whether the file has no down SQL, or only comments and whitespace: only a backup
/// restore undoes it.
pub fn no_down(m: &Migration, dialect: Dialect) -> bool {
    m.down_sql
        .as_deref()
        .is_none_or(|text| sql::split(text, dialect).is_empty())
}

/// The down file's statements as a rollback sends them on this connection (on MySQL a
/// bare `DROP INDEX name` becomes MySQL's form), and their wrapping; None when the file
/// has no down (`no_down`).
pub async fn down(
    conn: &mut Conn,
    m: &Migration,
    format: Format,
) -> Option<(Vec<Statement>, Wrapping)> {
    if no_down(m, conn.dialect) {
        return None;
    }
    let stmts = crate::engine::rollback::down_statements(conn, m).await;
    // The down runs under the same rules as its up (as a rollback runs it): the file's
    // opt-outs (sqlx `-- no-transaction`, dbmate `transaction:false`) hold both ways.
    let wrap = run_file::wrapping(m, format, &stmts, conn.dialect);
    Some((stmts, wrap))
}

/// Runs the statements, wrapped as given; on a failure whatever transaction is open is
/// rolled back and the failing statement's line is returned with the message.
pub async fn run(conn: &mut Conn, stmts: &[Statement], wrap: &Wrapping) -> Result<(), Failed> {
    let wrapped = *wrap == Wrapping::Transaction;
    if wrapped {
        conn.begin().await.map_err(|f| Failed {
            line: stmts.first().map_or(1, |s| s.line),
            message: f.message,
        })?;
    }
    for stmt in stmts {
        if let Err(f) = conn.execute(&stmt.sql).await {
            conn.rollback_quietly().await;
            return Err(Failed {
                line: run_file::failing_line(stmt, f.position),
                message: f.message,
            });
        }
    }
    let last = stmts.last().map_or(1, |s| s.line);
    if wrapped {
        return conn.commit().await.map_err(|f| Failed {
            line: last,
            message: format!("COMMIT failed: {}", f.message),
        });
    }
    // A file that begins a transaction and never ends it would lose its work with the
    // connection: as an apply, that is a failure.
    if matches!(conn.in_transaction().await, Ok(true)) {
        conn.rollback_quietly().await;
        return Err(Failed {
            line: last,
            message: "the file left a transaction open (BEGIN without COMMIT)".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{Kind, Native, TxMode, Version};

    fn mig(down: Option<&str>) -> Migration {
        Migration {
            version: Version::parse("1"),
            name: "m".into(),
            kind: Kind::Versioned,
            path: "1_m.up.sql".into(),
            up_sql: "CREATE TABLE a (id INT);".into(),
            down_sql: down.map(str::to_string),
            down_path: Some("1_m.down.sql".into()),
            verify_sql: None,
            tx: TxMode::Wrapped,
            checksum: String::new(),
            native: Native::default(),
        }
    }

    #[test]
    fn a_down_of_only_comments_is_no_down() {
        let d = Dialect::Postgres;
        assert!(no_down(&mig(None), d));
        assert!(no_down(&mig(Some("-- nothing to undo\n\n")), d));
        assert!(!no_down(&mig(Some("DROP TABLE a;")), d));
    }
}
