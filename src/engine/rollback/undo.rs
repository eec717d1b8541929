//! Running down scripts, newest first.
//!
//! On SQLite and PostgreSQL, when every down can run in a transaction, the whole
//! rollback is one transaction: each file's down, its ledger row (`rolled_back`) and
//! the adopted tool's history, and each file's verification against its checkpoint.
//! A failure anywhere (a statement, a verification) rolls all of it back, so a failed
//! rollback changes nothing at all. Otherwise (MySQL/MariaDB, whose DDL commits
//! implicitly, or a down that cannot run in a transaction) each file is marked
//! `rolling_back` first and its progress is recorded statement by statement, so an
//! interrupted rollback resumes from the statement after the last one done.

use super::mysql;
use super::verify::{differs, short};
use super::Rb;
use crate::db::ledger::{self, Status};
use crate::db::{Conn, DbError};
use crate::engine::run_file::{self, Wrapping};
use crate::event::{Event, FileStatus, Level};
use crate::source::Migration;
use crate::sql::{implicit_commit, Dialect, Statement};
use std::time::Instant;

/// Why a rollback stopped.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub version: String,
    /// `file:line: message`, or the verification's difference.
    pub message: String,
    /// True when nothing of this rollback's down scripts remains (one transaction).
    pub nothing_changed: bool,
}

/// A down script's statements as they are sent on this connection.
pub async fn down_statements(conn: &mut Conn, m: &Migration) -> Vec<Statement> {
    let down = m.down_sql.as_deref().unwrap_or_default();
    let stmts = crate::sql::split(down, conn.dialect);
    if conn.dialect == Dialect::Mysql {
        return mysql::adapt(conn, stmts).await;
    }
    stmts
}

/// How a down is wrapped: as its up file would be, by the same rules.
fn wrapping_of(m: &Migration, rb: &Rb<'_>, stmts: &[Statement], dialect: Dialect) -> Wrapping {
    run_file::wrapping(m, rb.ws.folder.format, stmts, dialect)
}

/// Undoes `files` (indices, newest first) with their down scripts.
pub(crate) async fn run_downs(
    conn: &mut Conn,
    rb: &Rb<'_>,
    files: &[usize],
) -> Result<(), Failure> {
    let dialect = conn.dialect;
    let migs = &rb.ws.folder.migrations;
    let mut prepared = Vec::with_capacity(files.len());
    for &i in files {
        let stmts = down_statements(conn, &migs[i]).await;
        prepared.push((i, stmts));
    }
    let one_tx = dialect != Dialect::Mysql
        && prepared
            .iter()
            .all(|(i, s)| wrapping_of(&migs[*i], rb, s, dialect) == Wrapping::Transaction);
    if one_tx {
        return in_one_transaction(conn, rb, &prepared).await;
    }
    for (i, stmts) in &prepared {
        file_by_file(conn, rb, *i, stmts).await?;
    }
    Ok(())
}

async fn in_one_transaction(
    conn: &mut Conn,
    rb: &Rb<'_>,
    prepared: &[(usize, Vec<Statement>)],
) -> Result<(), Failure> {
    let migs = &rb.ws.folder.migrations;
    let fail = |v: &str, message: String| Failure {
        version: v.to_string(),
        message,
        nothing_changed: true,
    };
    let first = prepared
        .first()
        .map_or("", |(i, _)| migs[*i].version.as_str());
    if let Err(f) = conn.begin().await {
        return Err(fail(first, format!("BEGIN failed: {}", f.message)));
    }
    let result = async {
        for (i, stmts) in prepared {
            let m = &migs[*i];
            let v = m.version.as_str();
            status(rb, v, FileStatus::RollingBack, None).await;
            send(conn, rb, m, stmts, 0, false)
                .await
                .map_err(|msg| fail(v, msg))?;
            record(conn, rb, m)
                .await
                .map_err(|e| fail(v, format!("recording the rollback: {e}")))?;
            check(conn, rb, v).await.map_err(|msg| fail(v, msg))?;
        }
        conn.commit()
            .await
            .map_err(|f| fail(first, format!("COMMIT failed: {}", f.message)))
    }
    .await;
    match result {
        Ok(()) => {
            for (i, _) in prepared {
                status(rb, migs[*i].version.as_str(), FileStatus::RolledBack, None).await;
            }
            Ok(())
        }
        Err(f) => {
            conn.rollback_quietly().await;
            for (i, _) in prepared {
                status(rb, migs[*i].version.as_str(), FileStatus::Applied, None).await;
            }
            Err(f)
        }
    }
}

/// One file outside a rollback-wide transaction: marked `rolling_back` first, its
/// progress recorded after each statement, resumed from there when it was interrupted.
async fn file_by_file(
    conn: &mut Conn,
    rb: &Rb<'_>,
    i: usize,
    stmts: &[Statement],
) -> Result<(), Failure> {
    let dialect = conn.dialect;
    let m = &rb.ws.folder.migrations[i];
    let v = m.version.as_str();
    let fail = |message: String, nothing_changed| Failure {
        version: v.to_string(),
        message,
        nothing_changed,
    };
    let entry = rb.entries.get(v);
    let resuming = entry.is_some_and(|e| e.status == Status::RollingBack);
    if resuming {
        // Interrupted before: already undone (its last statement finished) => record it.
        if let Some(cp) = rb.window.before(v) {
            if let Ok(None) = differs(conn, rb.skip, cp).await {
                rb.em
                    .log(
                        Level::Info,
                        format!("{v}: its interrupted rollback had finished; recording it"),
                    )
                    .await;
                return finish(conn, rb, m).await.map_err(|e| fail(e, false));
            }
        }
    }
    let from = if resuming {
        entry
            .and_then(|e| done_count(e.error.as_deref()))
            .unwrap_or(0)
    } else {
        0
    };
    if resuming {
        rb.em
            .log(
                Level::Info,
                format!(
                    "{v}: finishing its interrupted rollback, from down statement {} of {}",
                    from + 1,
                    stmts.len()
                ),
            )
            .await;
    }
    let wrap = wrapping_of(m, rb, stmts, dialect);
    let atomic = wrap == Wrapping::Transaction && !stmts.iter().any(|s| implicit_commit(&s.sql));
    let rows_at = progress_text(from, stmts.len());
    ledger::set_status(conn, v, Status::RollingBack, None, Some(&rows_at))
        .await
        .map_err(|e| fail(format!("recording the rollback: {e}"), true))?;
    status(
        rb,
        v,
        FileStatus::RollingBack,
        run_file::note(&wrap, stmts, dialect),
    )
    .await;
    if atomic {
        if let Err(f) = conn.begin().await {
            return Err(fail(format!("BEGIN failed: {}", f.message), true));
        }
    }
    if let Err(msg) = send(conn, rb, m, stmts, from, !atomic).await {
        if atomic {
            conn.rollback_quietly().await;
            // Nothing of it happened: it is applied, as before.
            let _ = ledger::set_status(conn, v, Status::Applied, None, Some(&msg)).await;
            status(rb, v, FileStatus::Applied, Some(msg.clone())).await;
            return Err(fail(msg, true));
        }
        status(rb, v, FileStatus::RollingBack, Some(msg.clone())).await;
        return Err(fail(msg, false));
    }
    if atomic {
        if let Err(e) = record(conn, rb, m).await {
            conn.rollback_quietly().await;
            return Err(fail(format!("recording the rollback: {e}"), true));
        }
        if let Err(f) = conn.commit().await {
            conn.rollback_quietly().await;
            return Err(fail(format!("COMMIT failed: {}", f.message), true));
        }
        check(conn, rb, v).await.map_err(|msg| fail(msg, false))?;
        status(rb, v, FileStatus::RolledBack, None).await;
        return Ok(());
    }
    // Verified before it is recorded: a down that left another schema stays
    // `rolling_back`, so nothing reads it as cleanly undone.
    check(conn, rb, v).await.map_err(|msg| fail(msg, false))?;
    finish(conn, rb, m).await.map_err(|e| fail(e, false))
}

/// Records a file as rolled back outside a transaction, and says so.
async fn finish(conn: &mut Conn, rb: &Rb<'_>, m: &Migration) -> Result<(), String> {
    record(conn, rb, m)
        .await
        .map_err(|e| format!("the down ran, but recording it failed: {e}"))?;
    status(rb, m.version.as_str(), FileStatus::RolledBack, None).await;
    Ok(())
}

/// The text kept in the ledger's `error` column while a down runs outside a
/// transaction: how many statements are done.
fn progress_text(done: usize, total: usize) -> String {
    format!("rolling back: {done} of {total} down statement(s) done")
}

fn done_count(text: Option<&str>) -> Option<usize> {
    text?
        .strip_prefix("rolling back: ")?
        .split(' ')
        .next()?
        .parse()
        .ok()
}

/// Sends the statements from `from` on, each announced and timed. `track`: record the
/// progress in the ledger after each one (outside a transaction).
async fn send(
    conn: &mut Conn,
    rb: &Rb<'_>,
    m: &Migration,
    stmts: &[Statement],
    from: usize,
    track: bool,
) -> Result<(), String> {
    let v = m.version.to_string();
    let file = m
        .down_path
        .as_ref()
        .unwrap_or(&m.path)
        .display()
        .to_string();
    let total = stmts.len();
    let offset = section_offset(rb, m);
    for (k, stmt) in stmts.iter().enumerate().skip(from) {
        rb.em
            .emit(Event::StatementStarted {
                version: v.clone(),
                index: k + 1,
                total,
                line: stmt.line,
            })
            .await;
        let t = Instant::now();
        if let Err(f) = conn.execute(&stmt.sql).await {
            let line = offset
                + stmt.line
                + f.position.map_or(0, |p| {
                    stmt.sql.chars().take(p).filter(|&c| c == '\n').count()
                });
            return Err(format!("{file}:{line}: {}", f.message));
        }
        rb.em
            .emit(Event::StatementFinished {
                version: v.clone(),
                index: k + 1,
                total,
                line: stmt.line,
                elapsed_ms: t.elapsed().as_secs_f64() * 1000.0,
            })
            .await;
        if track {
            let text = progress_text(k + 1, total);
            if let Err(e) =
                ledger::set_status(conn, &v, Status::RollingBack, None, Some(&text)).await
            {
                return Err(format!(
                    "{file}: statement {} ran, but its progress could not be recorded: {e}",
                    k + 1
                ));
            }
        }
    }
    Ok(())
}

/// Lines before the down SQL in its file, when it is a section of the up file (goose's
/// and dbmate's `Down` sections), so an error names the file's own line.
fn section_offset(rb: &Rb<'_>, m: &Migration) -> usize {
    let (Some(down), Some(path)) = (m.down_sql.as_deref(), m.down_path.as_ref()) else {
        return 0;
    };
    if *path != m.path || down.trim().is_empty() {
        return 0;
    }
    std::fs::read_to_string(rb.ws.folder.dir.join(path))
        .ok()
        .and_then(|text| text.find(down).map(|at| text[..at].matches('\n').count()))
        .unwrap_or(0)
}

/// The ledger row (`rolled_back`, with the time) and the adopted tool's history, as
/// that tool would write them when it reverts the file.
pub(crate) async fn record(conn: &mut Conn, rb: &Rb<'_>, m: &Migration) -> Result<(), DbError> {
    if let Some(n) = rb.native {
        let migs = &rb.ws.folder.migrations;
        let i = migs.iter().position(|x| x.version == m.version);
        let recorded = n.recorded(conn, migs).await?;
        if i.is_some_and(|i| recorded.applied.contains(&i)) {
            n.record_revert(conn, m, migs, rb.operator).await?;
        }
    }
    ledger::set_status(
        conn,
        m.version.as_str(),
        Status::RolledBack,
        Some(&run_file::now()),
        None,
    )
    .await
}

/// The schema after undoing `v` must equal the checkpoint taken before `v`.
async fn check(conn: &mut Conn, rb: &Rb<'_>, v: &str) -> Result<(), String> {
    let Some(cp) = rb.window.before(v) else {
        rb.em
            .log(
                Level::Warn,
                format!("{v}: no checkpoint was taken before it in the open window, so its rollback cannot be verified"),
            )
            .await;
        return Ok(());
    };
    match differs(conn, rb.skip, cp).await {
        Ok(None) => {
            rb.em
                .log(
                    Level::Info,
                    format!("{v}: verified: the schema equals checkpoint #{} ({})", cp.id, short(&cp.fingerprint)),
                )
                .await;
            Ok(())
        }
        Ok(Some(lines)) => Err(format!(
            "critical: after undoing {v} the schema differs from checkpoint #{} taken before it:\n    {}",
            cp.id,
            lines.join("\n    ")
        )),
        Err(e) => Err(format!("{v}: cannot verify the rollback: {e}")),
    }
}

pub(crate) async fn status(rb: &Rb<'_>, v: &str, status: FileStatus, detail: Option<String>) {
    rb.em
        .emit(Event::FileStatus {
            version: v.to_string(),
            status,
            detail,
        })
        .await;
}

#[cfg(test)]
mod tests {
    use super::{done_count, progress_text};

    #[test]
    fn progress_in_the_ledger_reads_back() {
        assert_eq!(done_count(Some(&progress_text(2, 5))), Some(2));
        assert_eq!(done_count(Some(&progress_text(0, 1))), Some(0));
        assert_eq!(done_count(Some("line 3: syntax error")), None);
        assert_eq!(done_count(None), None);
    }
}
