//! One file of an apply run: checkpoint, run, checks. The checkpoint is the file's
//! rollback point (`engine::checkpoint`); the checks (the batch's validations) do
//! nothing yet. The run's result is told to the operator
//! (events, log) and folded into the file's report.

use super::checkpoint::Checkpointer;
use super::run_file::{self, FileFailure, FileJob, RunError};
use super::{Emitter, FileReport};
use crate::db::Conn;
use crate::event::{Event, FileStatus, Level, Outcome};

/// What the run does after a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum After {
    /// The file is applied: on to the next.
    Next,
    /// The run stops with this outcome; `error` says why it could not go on.
    Stop {
        outcome: Outcome,
        error: Option<String>,
    },
}

/// Runs one file: checkpoint, the file itself, then its checks.
pub(super) async fn step(
    conn: &mut Conn,
    job: &FileJob<'_>,
    fr: &mut FileReport,
    em: &Emitter,
    checkpoints: &mut Checkpointer,
) -> After {
    let id = match checkpoint(conn, job, fr, em, checkpoints).await {
        Ok(id) => id,
        Err(stop) => return stop,
    };
    let result = run_file::run(conn, job, em).await;
    let after = report(result, fr, em).await;
    checkpoints
        .after_file(id, fr.status == FileStatus::Applied, em)
        .await;
    if after == After::Next {
        checks(conn, job).await;
    }
    after
}

/// Before a file runs: its checkpoint. One that cannot be taken stops the run with the
/// file still pending (it never runs without its rollback point).
async fn checkpoint(
    conn: &mut Conn,
    job: &FileJob<'_>,
    fr: &mut FileReport,
    em: &Emitter,
    checkpoints: &mut Checkpointer,
) -> Result<i64, After> {
    match checkpoints.before_file(conn, job, em).await {
        Ok(id) => Ok(id),
        Err(msg) => {
            em.emit(Event::FileStatus {
                version: fr.version.clone(),
                status: FileStatus::Pending,
                detail: Some("no checkpoint: not run".into()),
            })
            .await;
            em.log(Level::Error, msg.clone()).await;
            fr.status = FileStatus::Pending;
            fr.error = Some(msg.clone());
            Err(After::Stop {
                outcome: Outcome::Refused,
                error: Some(msg),
            })
        }
    }
}

/// After a file is applied: nothing yet (the batch's checks come with validation).
async fn checks(_conn: &mut Conn, _job: &FileJob<'_>) {}

/// Tells what became of the file and folds it into its report.
async fn report(result: Result<i64, RunError>, fr: &mut FileReport, em: &Emitter) -> After {
    let stop = |outcome, error| After::Stop { outcome, error };
    match result {
        Ok(ms) => {
            applied(em, fr, ms).await;
            After::Next
        }
        Err(RunError::File(f)) if f.cancelled => {
            cancelled(em, fr, &f).await;
            stop(Outcome::Cancelled, None)
        }
        Err(RunError::File(f)) => {
            failed(em, fr, f).await;
            stop(Outcome::Failed, None)
        }
        // Bookkeeping failed: stop, keeping what this run already did in the report.
        Err(RunError::Db(e)) => {
            fr.status = FileStatus::Failed;
            fr.error = Some(e.to_string());
            stop(Outcome::Refused, Some(e.to_string()))
        }
        Err(RunError::Unrecorded(msg)) => {
            // Its `running` row stays: that is what the screen must show.
            em.emit(Event::FileStatus {
                version: fr.version.clone(),
                status: FileStatus::Running,
                detail: Some(msg.clone()),
            })
            .await;
            fr.status = FileStatus::Failed;
            fr.error = Some(msg.clone());
            fr.partly_applied = true;
            stop(Outcome::Refused, Some(msg))
        }
    }
}

async fn applied(em: &Emitter, fr: &mut FileReport, ms: i64) {
    fr.status = FileStatus::Applied;
    fr.duration_ms = ms;
    em.emit(Event::FileApplied {
        version: fr.version.clone(),
        duration_ms: ms as f64,
    })
    .await;
    em.emit(Event::FileStatus {
        version: fr.version.clone(),
        status: FileStatus::Applied,
        detail: None,
    })
    .await;
}

/// A statement of the file failed: where, what it left, what to do.
async fn failed(em: &Emitter, fr: &mut FileReport, f: FileFailure) {
    let where_ = format!("{}:{}", fr.file, f.line);
    let (after, hint) = f.aftermath(&fr.version);
    em.emit(Event::FileFailed {
        version: fr.version.clone(),
        file: fr.file.clone(),
        line: f.line,
        message: f.message.clone(),
    })
    .await;
    // The ledger's word: a failure nothing undid leaves the file `partial`.
    let status = if f.rolled_back {
        FileStatus::Failed
    } else {
        FileStatus::Partial
    };
    em.emit(Event::FileStatus {
        version: fr.version.clone(),
        status,
        detail: Some(format!("{where_}: {}", f.message)),
    })
    .await;
    em.log(
        Level::Error,
        format!("{where_}: {}; {after}\n  hint: {hint}", f.message),
    )
    .await;
    fr.status = FileStatus::Failed;
    fr.line = Some(f.line);
    fr.error = Some(f.message);
    fr.partly_applied = !f.rolled_back;
    fr.connection_lost = f.connection_lost;
    fr.ledger_status = f.ledger;
    fr.aftermath = Some(after);
    fr.hint = Some(hint);
}

/// Says what the operator's cancel left: a rolled-back file stays pending; one outside a
/// transaction is `partial` until resolved.
async fn cancelled(em: &Emitter, fr: &mut FileReport, f: &FileFailure) {
    let where_ = format!("{}:{}", fr.file, f.line);
    let (status, after) = if f.rolled_back {
        (
            FileStatus::Pending,
            "its transaction was rolled back: nothing of it remains and it stays pending"
                .to_string(),
        )
    } else {
        (
            FileStatus::Partial,
            format!(
                "it ran outside a transaction, so the statements before it remain applied: it is marked partial\n  hint: check the target, then `cutover apply --resolve {}=applied` (all of it is there) or `=pending` (undone by hand), or `r` in the cockpit",
                fr.version
            ),
        )
    };
    em.emit(Event::FileStatus {
        version: fr.version.clone(),
        status,
        detail: Some(format!("{where_}: {}", f.message)),
    })
    .await;
    em.log(Level::Warn, format!("{where_}: {}; {after}", f.message))
        .await;
    fr.status = if f.rolled_back {
        FileStatus::Pending
    } else {
        FileStatus::Failed
    };
    fr.line = Some(f.line);
    fr.error = Some(f.message.clone());
    fr.partly_applied = !f.rolled_back;
}
