//! Running one migration file: choosing how it is wrapped, statement-level progress
//! events, and recording it in the ledger atomically with its effects where possible.

use super::stop::Interrupt;
use super::Emitter;
use crate::db::ledger::{self, Entry, Status};
use crate::db::{native, Conn, DbError};
use crate::event::{Event, FileStatus, Level};
use crate::source::{Format, Migration, TxMode};
use crate::sql::{self, implicit_commit, undone_by_rollback, Dialect, Statement, TxControl};
use std::time::Instant;

/// How a file's statements are sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wrapping {
    /// One transaction of ours around the whole file (and its ledger row).
    Transaction,
    /// The file holds its own BEGIN/COMMIT; the ledger row goes just before its last COMMIT.
    FileOwn,
    /// Statement by statement outside any transaction, for the reason given.
    None(String),
}

pub use super::failure::{FileFailure, RunError};

/// Decides the wrapping from the format's rules and the file's statements.
pub fn wrapping(m: &Migration, format: Format, stmts: &[Statement], dialect: Dialect) -> Wrapping {
    let own_tx = stmts
        .iter()
        .any(|s| sql::is_transaction_control(&s.sql, dialect).is_some());
    match &m.tx {
        TxMode::OptedOut(why) => return Wrapping::None(why.clone()),
        TxMode::FileManaged if own_tx => return Wrapping::FileOwn,
        // golang-migrate's sqlite3 driver wraps each file in a transaction (unless
        // x-no-tx-wrap); its postgres driver sends the whole file as one simple-protocol
        // query, which PostgreSQL runs as one implicit transaction. Either way the file is
        // atomic, as in one transaction of ours. Its mysql driver wraps nothing.
        TxMode::FileManaged if format == Format::GolangMigrate && dialect != Dialect::Mysql => {}
        TxMode::FileManaged => {
            return Wrapping::None("its tool runs files without a transaction".into())
        }
        TxMode::Wrapped => {}
    }
    if own_tx {
        return Wrapping::FileOwn;
    }
    if let Some(why) = stmts
        .iter()
        .find_map(|s| sql::cannot_run_in_transaction(&s.sql, dialect))
    {
        return Wrapping::None(why.to_string());
    }
    Wrapping::Transaction
}

/// What the operator is told before a file runs, when it is not one plain transaction
/// of ours: the screen marks the file with it, the log says it as the file starts.
pub fn note(wrap: &Wrapping, stmts: &[Statement], dialect: Dialect) -> Option<String> {
    match wrap {
        Wrapping::Transaction
            if dialect == Dialect::Mysql && stmts.iter().any(|s| implicit_commit(&s.sql)) =>
        {
            Some("not atomic on MySQL/MariaDB: DDL commits implicitly; a failure leaves earlier statements applied".to_string())
        }
        Wrapping::Transaction => None,
        Wrapping::FileOwn => Some("the file manages its own transaction (BEGIN/COMMIT)".to_string()),
        Wrapping::None(why) => Some(format!("runs outside a transaction: {why}")),
    }
}

/// The line of the failing statement, moved down to where the database points when it
/// reports a position inside the statement.
pub(super) fn failing_line(stmt: &Statement, position: Option<usize>) -> usize {
    match position {
        Some(p) => stmt.line + stmt.sql.chars().take(p).filter(|&c| c == '\n').count(),
        None => stmt.line,
    }
}

pub struct FileJob<'a> {
    pub migration: &'a Migration,
    pub format: Format,
    /// The whole folder (native tools' rows can depend on other files, e.g. Sqitch).
    pub all: &'a [Migration],
    pub batch: &'a str,
    pub operator: &'a str,
    /// The folder's own tool's history, kept current alongside ours.
    pub native: Option<&'a native::History>,
    /// How the operator can cancel the running statement (None: they cannot).
    pub interrupt: Option<Interrupt<'a>>,
}

/// Writes the success rows: ours, and the native tool's where it is adopted.
async fn record_success(
    conn: &mut Conn,
    job: &FileJob<'_>,
    entry: &mut Entry,
    started: Instant,
) -> Result<(), DbError> {
    entry.duration_ms = started.elapsed().as_millis() as i64;
    entry.applied_at = Some(now());
    // The tool's row first: if ours then fails, our `running` row stays and stops a
    // re-run; the other way round, a missing tool row would read as "reverted since".
    if let Some(n) = job.native {
        n.record_apply(
            conn,
            job.migration,
            job.all,
            started.elapsed(),
            job.operator,
        )
        .await?;
    }
    ledger::record(conn, entry).await
}

/// Runs one file and records it. On a statement failure the ledger gets a `failed` row
/// (outside the rolled-back transaction) and the failure is returned.
pub async fn run(conn: &mut Conn, job: &FileJob<'_>, em: &Emitter) -> Result<i64, RunError> {
    let dialect = conn.dialect;
    let stmts = job.migration.statements(job.format, dialect);
    let wrap = wrapping(job.migration, job.format, &stmts, dialect);
    announce(job, &wrap, &stmts, dialect, em).await;
    let mut attempt = start(conn, job, &wrap, &stmts).await?;
    let recorded = send(conn, job, &mut attempt, &stmts, &wrap, em).await?;
    finish(conn, job, &mut attempt, &stmts, recorded).await
}

/// A file being run: its ledger row and what a failure would leave.
struct Attempt {
    entry: Entry,
    /// What the ledger holds for the file should a failure go unrecorded.
    prior: Option<Status>,
    /// The file and its row commit together: nothing of it can stay half done.
    atomic: bool,
    /// One transaction of ours wraps the file.
    wrapped: bool,
    started: Instant,
}

/// Tells the operator how the file will run, when it is not one plain transaction.
async fn announce(
    job: &FileJob<'_>,
    wrap: &Wrapping,
    stmts: &[Statement],
    dialect: Dialect,
    em: &Emitter,
) {
    let m = job.migration;
    let detail = note(wrap, stmts, dialect);
    if let Some(d) = &detail {
        em.log(Level::Warn, format!("{}: {d}", m.path.display()))
            .await;
    }
    em.emit(Event::FileStatus {
        version: m.version.to_string(),
        status: FileStatus::Applying,
        detail,
    })
    .await;
}

/// Before the first statement: the `running` row of a file that is not atomic, and our
/// transaction around a wrapped one.
async fn start(
    conn: &mut Conn,
    job: &FileJob<'_>,
    wrap: &Wrapping,
    stmts: &[Statement],
) -> Result<Attempt, RunError> {
    let dialect = conn.dialect;
    let started = Instant::now();
    let operator = Some(job.operator.to_string());
    let batch = job.batch.to_string();
    let mut entry = super::entry::entry(job.migration, batch, Status::Applied, None, operator);
    let wrapped = *wrap == Wrapping::Transaction;
    // A file that is not one transaction of ours can be left partly applied by a crash or
    // by a failure to record it. A `running` row, written before its first statement,
    // marks it until it is recorded, and stops a later run from running it again.
    let atomic =
        wrapped && !(dialect == Dialect::Mysql && stmts.iter().any(|s| implicit_commit(&s.sql)));
    if !atomic {
        entry.status = Status::Running;
        entry.applied_at = Some(now());
        ledger::record(conn, &entry).await.map_err(RunError::Db)?;
        entry.status = Status::Applied;
    }
    let mut a = Attempt {
        entry,
        prior: (!atomic).then_some(Status::Running),
        atomic,
        wrapped,
        started,
    };
    if wrapped {
        if let Err(f) = conn.begin().await {
            return Err(fail(conn, &mut a.entry, a.prior, 1, f.message, true).await);
        }
    }
    Ok(a)
}

/// Sends the statements in order, each announced and timed. True when the ledger row
/// went in before the file's own last COMMIT.
async fn send(
    conn: &mut Conn,
    job: &FileJob<'_>,
    a: &mut Attempt,
    stmts: &[Statement],
    wrap: &Wrapping,
    em: &Emitter,
) -> Result<bool, RunError> {
    let dialect = conn.dialect;
    let version = job.migration.version.to_string();
    // With the file's own transaction, the ledger row is written just before its last
    // COMMIT when nothing follows it, so that row and effects commit together.
    let last_commit = if *wrap == Wrapping::FileOwn {
        stmts
            .iter()
            .rposition(|s| sql::is_transaction_control(&s.sql, dialect) == Some(TxControl::Commit))
            .filter(|&i| i + 1 == stmts.len())
    } else {
        None
    };
    let total = stmts.len();
    let mut recorded = false;
    for (i, stmt) in stmts.iter().enumerate() {
        if Some(i) == last_commit {
            if let Err(e) = record_success(conn, job, &mut a.entry, a.started).await {
                conn.rollback_quietly().await;
                return Err(unrecorded(job.migration, e));
            }
            recorded = true;
        }
        em.emit(Event::StatementStarted {
            version: version.clone(),
            index: i + 1,
            total,
            line: stmt.line,
        })
        .await;
        let cancelling = || job.interrupt.is_some_and(|x| x.stop.cancelling());
        if cancelling() {
            // Asked between two statements: this one never starts.
            conn.rollback_quietly().await;
            let undone = a.atomic || undone_by_rollback(stmts, i, dialect);
            let why = "before this statement started".to_string();
            return Err(cancelled(conn, &mut a.entry, a.prior, stmt.line, why, undone).await);
        }
        let t = Instant::now();
        let result = match &job.interrupt {
            Some(x) => x.execute(conn, &stmt.sql, em).await,
            None => conn.execute(&stmt.sql).await,
        };
        if let Err(f) = result {
            let line = failing_line(stmt, f.position);
            // Whatever transaction is open (ours or the file's) is rolled back.
            conn.rollback_quietly().await;
            let undone = a.atomic || undone_by_rollback(stmts, i, dialect);
            let (entry, prior) = (&mut a.entry, a.prior);
            if cancelling() {
                return Err(cancelled(conn, entry, prior, line, f.message, undone).await);
            }
            return Err(fail(conn, entry, prior, line, f.message, undone).await);
        }
        em.emit(Event::StatementFinished {
            version: version.clone(),
            index: i + 1,
            total,
            line: stmt.line,
            elapsed_ms: t.elapsed().as_secs_f64() * 1000.0,
        })
        .await;
    }
    Ok(recorded)
}

/// After the last statement: no transaction left open, the success recorded, our
/// transaction committed. Returns the whole file's duration.
async fn finish(
    conn: &mut Conn,
    job: &FileJob<'_>,
    a: &mut Attempt,
    stmts: &[Statement],
    recorded: bool,
) -> Result<i64, RunError> {
    let dialect = conn.dialect;
    let last_line = stmts.last().map_or(1, |s| s.line);
    if !a.wrapped {
        // A file may begin a transaction and never end it: its work would vanish with the
        // connection, after being reported as applied.
        let open = conn.in_transaction().await;
        if !matches!(open, Ok(false)) {
            conn.rollback_quietly().await;
            let why = match open {
                Err(ref f) => format!("cannot tell whether the file left a transaction open: {}", f.message),
                _ => "the file left a transaction open (BEGIN without COMMIT); cutover rolled it back".to_string(),
            };
            let undone = open.is_ok() && undone_by_rollback(stmts, stmts.len(), dialect);
            return Err(fail(conn, &mut a.entry, a.prior, last_line, why, undone).await);
        }
    }
    if !recorded {
        if let Err(e) = record_success(conn, job, &mut a.entry, a.started).await {
            if a.wrapped {
                conn.rollback_quietly().await;
                return Err(RunError::Db(e));
            }
            return Err(unrecorded(job.migration, e));
        }
    }
    if a.wrapped {
        if let Err(f) = conn.commit().await {
            conn.rollback_quietly().await;
            let message = format!("COMMIT failed: {}", f.message);
            let mut failure = fail(conn, &mut a.entry, a.prior, last_line, message, a.atomic).await;
            if let RunError::File(ff) = &mut failure {
                // The row commits with the file: only the target knows which it was.
                ff.commit_unknown = ff.connection_lost;
            }
            return Err(failure);
        }
    }
    // The whole file: its statements, its bookkeeping and its COMMIT.
    Ok(i64::try_from(a.started.elapsed().as_millis()).unwrap_or(i64::MAX))
}

/// A file that ran but could not be recorded: its `running` row stays, so it is not run
/// again until an operator says what happened.
fn unrecorded(m: &Migration, e: DbError) -> RunError {
    RunError::Unrecorded(format!(
        "{} ran, but could not be recorded: {e}\n  it stays marked `running` in cutover_history, so it will not run again by itself\n  hint: check the target, then `cutover apply --resolve {}=applied` (or `=pending` once undone)",
        m.path.display(),
        m.version
    ))
}

/// Records the failure in the ledger (its own statement, after the rollback) and builds
/// the failure to report. `prior` is what the ledger holds for the file if that record
/// cannot be written. A lost connection is not written to (it cannot be) and is said.
async fn fail(
    conn: &mut Conn,
    entry: &mut Entry,
    prior: Option<Status>,
    line: usize,
    message: String,
    rolled_back: bool,
) -> RunError {
    // A failure that no transaction undid leaves the file partly applied.
    entry.status = if rolled_back {
        Status::Failed
    } else {
        Status::Partial
    };
    entry.applied_at = Some(now());
    entry.error = Some(format!("line {line}: {message}"));
    let mut message = message;
    let connection_lost = !conn.is_alive().await;
    let ledger = if connection_lost {
        message.push_str(" (the connection to the target is lost)");
        prior
    } else {
        match ledger::record(conn, entry).await {
            Ok(()) => Some(entry.status),
            Err(e) => {
                message.push_str(&format!(" (and the failure could not be recorded: {e})"));
                prior
            }
        }
    };
    RunError::File(FileFailure {
        line,
        message,
        rolled_back,
        connection_lost,
        commit_unknown: false,
        ledger,
        cancelled: false,
    })
}

/// The operator cancelled the file's running statement. Rolled back, the file stays
/// pending: no row is written, and the `running` row written before it started (when
/// `running_row`) is removed. Otherwise it is recorded `partial`, as a failure would be.
async fn cancelled(
    conn: &mut Conn,
    entry: &mut Entry,
    prior: Option<Status>,
    line: usize,
    database_said: String,
    rolled_back: bool,
) -> RunError {
    let mut message = format!("cancelled by the operator ({database_said})");
    if !rolled_back {
        let mut e = fail(conn, entry, prior, line, message, false).await;
        if let RunError::File(f) = &mut e {
            f.cancelled = true;
        }
        return e;
    }
    let mut ledger = None;
    if prior.is_some() {
        if let Err(e) = ledger::delete(conn, &entry.version).await {
            message.push_str(&format!(
                " (and its `running` row could not be removed: {e})"
            ));
            ledger = prior;
        }
    }
    RunError::File(FileFailure {
        line,
        message,
        rolled_back: true,
        connection_lost: false,
        commit_unknown: false,
        ledger,
        cancelled: true,
    })
}

pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{Kind, Native, Version};

    fn mig(sql: &str, tx: TxMode) -> Migration {
        Migration {
            version: Version::parse("1"),
            name: "m".into(),
            kind: Kind::Versioned,
            path: "1_m.sql".into(),
            up_sql: sql.into(),
            down_sql: None,
            down_path: None,
            verify_sql: None,
            tx,
            checksum: crate::source::checksum(sql),
            native: Native::default(),
        }
    }

    fn wrap_of(sql: &str, tx: TxMode, format: Format, d: Dialect) -> Wrapping {
        let m = mig(sql, tx);
        wrapping(&m, format, &sql::split(sql, d), d)
    }

    #[test]
    fn plain_files_run_in_one_transaction() {
        let w = wrap_of(
            "CREATE TABLE a (id INT);\nINSERT INTO a VALUES (1);",
            TxMode::Wrapped,
            Format::Sqlx,
            Dialect::Postgres,
        );
        assert_eq!(w, Wrapping::Transaction);
    }

    #[test]
    fn opt_out_and_untransactable_statements_run_outside() {
        let w = wrap_of(
            "SELECT 1;",
            TxMode::OptedOut("-- no-transaction".into()),
            Format::Sqlx,
            Dialect::Sqlite,
        );
        assert_eq!(w, Wrapping::None("-- no-transaction".into()));
        let w = wrap_of(
            "CREATE INDEX CONCURRENTLY i ON a (id);",
            TxMode::Wrapped,
            Format::Sqlx,
            Dialect::Postgres,
        );
        assert!(matches!(w, Wrapping::None(why) if why.contains("CONCURRENTLY")));
    }

    #[test]
    fn files_with_their_own_begin_commit_are_not_wrapped_again() {
        let sql = "PRAGMA foreign_keys=off;\nBEGIN TRANSACTION;\nCREATE TABLE b (id INT);\nCOMMIT;\nPRAGMA foreign_keys=on;";
        assert_eq!(
            wrap_of(sql, TxMode::Wrapped, Format::Sqlx, Dialect::Sqlite),
            Wrapping::FileOwn
        );
        assert_eq!(
            wrap_of(
                "BEGIN;\nCREATE TABLE c (id INT);\nCOMMIT;",
                TxMode::FileManaged,
                Format::Sqitch,
                Dialect::Postgres
            ),
            Wrapping::FileOwn
        );
    }

    #[test]
    fn golang_migrate_is_atomic_where_its_drivers_make_it_so() {
        let sql = "CREATE TABLE d (id INT);";
        let gm = |d| wrap_of(sql, TxMode::FileManaged, Format::GolangMigrate, d);
        assert_eq!(gm(Dialect::Sqlite), Wrapping::Transaction);
        assert_eq!(gm(Dialect::Postgres), Wrapping::Transaction);
        assert!(matches!(gm(Dialect::Mysql), Wrapping::None(_)));
        let sqitch = wrap_of(sql, TxMode::FileManaged, Format::Sqitch, Dialect::Sqlite);
        assert!(matches!(sqitch, Wrapping::None(_)));
    }

    #[test]
    fn failing_line_follows_the_database_position() {
        let st = Statement {
            sql: "SELECT\n  a,\n  nope\nFROM t".into(),
            line: 10,
        };
        assert_eq!(failing_line(&st, None), 10);
        let at = st.sql.find("nope").expect("in text");
        assert_eq!(failing_line(&st, Some(at)), 12);
    }
}
