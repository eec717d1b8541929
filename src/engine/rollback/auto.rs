//! Automatic rollback under a batch's `on_failure = rollback-file | rollback-batch`,
//! after a file failed or a critical check failed after it (`after_failure` with that
//! file and what failed).
//!
//! - rollback-file: the file is undone. A file that failed inside one transaction is
//!   already undone by it: nothing else happens, and the report says so. An applied
//!   file whose critical check failed is undone by its down SQL (or a restore).
//!   A file left `partial` (outside a transaction, or DDL on MySQL) cannot trust its
//!   down script (it assumes the whole file ran): the nearest backup at or before it is
//!   restored, which also undoes whatever was applied after that backup.
//! - rollback-batch: the batch's applied files are undone, newest first (down SQL, or
//!   a restore where needed), and a partial failed file with them as above.

use super::{Request, RollbackReport};
use crate::db::ledger::{self, Status};
use crate::engine::{Emitter, FileReport, Session, Workspace};
use crate::event::{FileStatus, Level, Outcome, RollbackScope};
use crate::plan::OnFailure;

/// What failed about `f` when the file itself did: "0003 (path) failed: message".
pub(crate) fn file_failed(f: &FileReport) -> String {
    format!(
        "{} ({}) failed: {}",
        f.version,
        f.file,
        f.error.as_deref().unwrap_or("it failed")
    )
}

/// Rolls back what the batch of `failed` asks, if it asks, saying `why` (what failed:
/// the file itself, or a critical check after it). None when its policy is `stop`.
pub(crate) async fn after_failure(
    session: &mut Session,
    ws: &Workspace,
    failed: &FileReport,
    why: &str,
    (operator, em): (&str, &Emitter),
) -> Option<RollbackReport> {
    let b = ws.batches.iter().position(|b| b.name == failed.batch)?;
    let policy = ws.batches[b].on_failure;
    let reason = |what: &str| format!("{why}; on_failure = {what}");
    let info = session.target.clone();
    let (scope, reason) = match policy {
        OnFailure::Stop => return None,
        OnFailure::RollbackFile => {
            let reason = reason("rollback-file");
            // A failed file outside that case was undone by its own transaction; an
            // applied one (a check failed after it) is undone below.
            if failed.status != FileStatus::Applied && !failed.partly_applied {
                em.log(
                    Level::Warn,
                    format!("automatic rollback: {reason}: its transaction already undid it; nothing else to undo"),
                )
                .await;
                return Some(RollbackReport {
                    scope: RollbackScope::File {
                        version: failed.version.clone(),
                    },
                    automatic: true,
                    outcome: Outcome::NothingToDo,
                    undone: Vec::new(),
                    detail: Some("the failed file's transaction already undid it".into()),
                    offers_restore: false,
                });
            }
            let scope = RollbackScope::File {
                version: failed.version.clone(),
            };
            (scope, reason)
        }
        OnFailure::RollbackBatch => (
            RollbackScope::Batch {
                batch: ws.batches[b].number.to_string(),
            },
            reason("rollback-batch"),
        ),
    };
    // A partial file is undone by a restore: marked so the selection takes it.
    let restore = failed.partly_applied;
    if restore {
        if let Err(e) = mark_partial(session, &failed.version).await {
            em.log(Level::Error, format!("automatic rollback: {e}"))
                .await;
        }
    }
    em.log(Level::Warn, format!("automatic rollback: {reason}"))
        .await;
    let req = Request {
        scope,
        restore,
        operator: operator.to_string(),
        automatic: Some(reason),
    };
    let report = session.rollback(ws, &info, &req, em).await;
    if restore && report.outcome != Outcome::Succeeded {
        // Not undone: it is partly applied still, and must say so.
        let _ = ledger::set_status(
            &mut session.conn,
            &failed.version,
            Status::Partial,
            None,
            failed.error.as_deref(),
        )
        .await;
    }
    Some(report)
}

/// The partial file counts as applied for the rollback (a restore undoes it).
async fn mark_partial(session: &mut Session, version: &str) -> Result<(), crate::db::DbError> {
    let entries = ledger::read(&mut session.conn).await?;
    if entries
        .iter()
        .any(|e| e.version == version && e.status.unresolved())
    {
        ledger::set_status(
            &mut session.conn,
            version,
            Status::Applied,
            None,
            Some("partly applied; undone by an automatic rollback"),
        )
        .await?;
    }
    Ok(())
}
