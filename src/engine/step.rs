//! One file of an apply run: checkpoint, run, checks. The checkpoint is the file's
//! rollback point (`engine::checkpoint`); the checks after it are its verify script and
//! the database's default checks (`engine::validate::after_file`). The run's result is
//! told to the operator (events, log) and folded into the file's report.
//!
//! A failed check does not undo the file: it stays applied, its findings block the
//! batch's gate (`engine::gate`), and only a critical one under `on_failure =
//! rollback-file | rollback-batch` stops the run here for the automatic rollback.

use super::checkpoint::Checkpointer;
use super::run_file::{self, FileFailure, FileJob, RunError};
use super::{Emitter, FileReport, Workspace};
use crate::db::Conn;
use crate::event::{CheckResult, Event, FileStatus, Level, Outcome, Severity};
use crate::plan::OnFailure;

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
    /// A critical check failed after the file under a rollback policy: the run stops
    /// (outcome failed) and the automatic rollback undoes what the policy says; `why`
    /// is what failed.
    RollBack { why: String },
}

/// Where the file sits in the plan: what its checks need.
#[derive(Clone, Copy)]
pub(super) struct Place<'a> {
    pub ws: &'a Workspace,
    /// Index into the folder's migrations.
    pub index: usize,
}

/// Runs one file: checkpoint, the file itself, then its checks.
pub(super) async fn step(
    conn: &mut Conn,
    (job, place): (&FileJob<'_>, Place<'_>),
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
    if after != After::Next {
        return after;
    }
    let findings = super::validate::after_file(conn, place.ws, place.index, em).await;
    let after = judge(&findings, policy(place), fr);
    tell(em, fr, &findings).await;
    fr.findings = findings;
    after
}

/// The file's batch's `on_failure`.
fn policy(place: Place<'_>) -> OnFailure {
    place
        .ws
        .batch_of(place.index)
        .and_then(|b| place.ws.batches.get(b))
        .map_or(OnFailure::Stop, |b| b.on_failure)
}

/// What the run does after the file's checks: on, unless a critical one failed under a
/// rollback policy.
pub(super) fn judge(findings: &[CheckResult], policy: OnFailure, fr: &FileReport) -> After {
    let critical = findings
        .iter()
        .find(|r| !r.passed && r.severity == Severity::Critical);
    match (critical, policy) {
        (Some(c), OnFailure::RollbackFile | OnFailure::RollbackBatch) => After::RollBack {
            why: format!(
                "critical check {} failed after {} ({}): {}",
                c.check, fr.version, fr.file, c.detail
            ),
        },
        _ => After::Next,
    }
}

/// Tells the file's checks: validated when all passed; otherwise it stays applied, with
/// what failed as its detail and one log line per finding.
async fn tell(em: &Emitter, fr: &FileReport, findings: &[CheckResult]) {
    let failed: Vec<&CheckResult> = findings.iter().filter(|r| !r.passed).collect();
    let Some(first) = failed.first() else {
        em.emit(Event::FileStatus {
            version: fr.version.clone(),
            status: FileStatus::Validated,
            detail: Some(format!("{} check(s) passed", findings.len())),
        })
        .await;
        return;
    };
    em.emit(Event::FileStatus {
        version: fr.version.clone(),
        status: FileStatus::Applied,
        detail: Some(format!(
            "{} of {} check(s) failed: {}: {}",
            failed.len(),
            findings.len(),
            first.check,
            first.detail
        )),
    })
    .await;
    for r in failed {
        em.log(
            finding_level(r.severity),
            format!(
                "after {} ({}): check {} ({}, {}) failed: {}",
                fr.version,
                fr.file,
                r.check,
                r.kind,
                r.severity.as_str(),
                r.detail
            ),
        )
        .await;
    }
}

/// A finding that blocks the next batch is an error line; the others warn.
pub(super) fn finding_level(s: Severity) -> Level {
    if s.blocks() {
        Level::Error
    } else {
        Level::Warn
    }
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
    // Its checks follow at once.
    em.emit(Event::FileStatus {
        version: fr.version.clone(),
        status: FileStatus::Validating,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::FileStatus;

    fn finding(severity: Severity, passed: bool) -> CheckResult {
        CheckResult {
            batch: None,
            file: Some("0002".into()),
            check: "orphans orders.customer_id -> customers".into(),
            kind: "orphans".into(),
            table: Some("orders".into()),
            severity,
            passed,
            detail: "1 orphan row".into(),
            rows: Vec::new(),
            elapsed_ms: 1.0,
        }
    }

    fn report() -> FileReport {
        FileReport {
            version: "0002".into(),
            name: "orders".into(),
            file: "m/0002_orders.sql".into(),
            batch: "one".into(),
            status: FileStatus::Applied,
            duration_ms: 1,
            line: None,
            error: None,
            partly_applied: false,
            connection_lost: false,
            ledger_status: None,
            aftermath: None,
            hint: None,
            findings: Vec::new(),
        }
    }

    #[test]
    fn only_a_failed_critical_check_under_a_rollback_policy_stops_the_run() {
        let fr = report();
        let critical = [
            finding(Severity::Info, true),
            finding(Severity::Critical, false),
        ];
        let error = [finding(Severity::Error, false)];
        let passed = [finding(Severity::Critical, true)];
        assert_eq!(judge(&critical, OnFailure::Stop, &fr), After::Next);
        assert_eq!(judge(&error, OnFailure::RollbackBatch, &fr), After::Next);
        assert_eq!(judge(&passed, OnFailure::RollbackFile, &fr), After::Next);
        for policy in [OnFailure::RollbackFile, OnFailure::RollbackBatch] {
            match judge(&critical, policy, &fr) {
                After::RollBack { why } => {
                    assert!(why.contains("orphans orders.customer_id"), "{why}");
                    assert!(why.contains("after 0002 (m/0002_orders.sql)"), "{why}");
                    assert!(why.contains("1 orphan row"), "{why}");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn blocking_findings_are_errors_in_the_log() {
        assert_eq!(finding_level(Severity::Critical), Level::Error);
        assert_eq!(finding_level(Severity::Error), Level::Error);
        assert_eq!(finding_level(Severity::Warning), Level::Warn);
        assert_eq!(finding_level(Severity::Info), Level::Warn);
    }
}
