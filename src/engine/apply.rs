//! The apply job: connect, lock, check drift, then run the pending files in order,
//! batch by batch, stopping at the first failure.

use super::adopt::adopt;
use super::drift::accept_drift;
use super::dry_run::dry_run;
use super::preflight::{check_drift, check_unresolved, plan_run};
use super::resolve::{decided, resolve};
use super::run_file::{self, FileJob, RunError};
use super::stop::Interrupt;
use super::{
    ApplyOptions, ApplyReport, Emitter, EngineError, FileReport, Session, Stop, Workspace,
};
use crate::db::ledger;
use crate::db::{self, native, ConnectInfo};
use crate::event::{Event, FileStatus, Level, Outcome};
use std::collections::HashMap;

/// Runs the apply job. `stop` is checked between files; asked twice, it cancels the
/// running statement.
pub async fn apply(
    ws: &Workspace,
    target: &ConnectInfo,
    opts: &ApplyOptions,
    em: &Emitter,
    stop: &Stop,
) -> Result<ApplyReport, EngineError> {
    em.emit(Event::SessionStarted {
        plan: ws.plan.name.clone(),
        target: target.display.clone(),
        operator: opts.operator.clone(),
        host: super::session::host(),
        version: env!("CARGO_PKG_VERSION").to_string(),
    })
    .await;
    em.emit(Event::JobStarted {
        job: "apply".into(),
    })
    .await;
    let result = async {
        if opts.dry_run {
            return dry_run(ws, target, opts, em).await;
        }
        let mut session = Session::open(target, &opts.operator, ws, em).await?;
        let result = session.apply(ws, opts, em, stop).await;
        let created = session.created_database;
        session.close(em).await;
        result.map(|mut r| {
            r.created_database = created;
            r
        })
    }
    .await;
    let outcome = match &result {
        Ok(r) => r.outcome,
        Err(_) => Outcome::Refused,
    };
    em.emit(Event::JobFinished {
        job: "apply".into(),
        outcome,
    })
    .await;
    em.emit(Event::SessionEnded).await;
    result
}

impl Session {
    /// Applies what `opts` selects, in this session (its connection and lock).
    pub async fn apply(
        &mut self,
        ws: &Workspace,
        opts: &ApplyOptions,
        em: &Emitter,
        stop: &Stop,
    ) -> Result<ApplyReport, EngineError> {
        let native = self.native.clone();
        let interrupt = Interrupt {
            stop,
            canceller: self.canceller.as_ref(),
        };
        apply_with(&mut self.conn, ws, opts, em, interrupt, native.as_ref()).await
    }
}

async fn apply_with(
    conn: &mut db::Conn,
    ws: &Workspace,
    opts: &ApplyOptions,
    em: &Emitter,
    interrupt: Interrupt<'_>,
    native: Option<&native::History>,
) -> Result<ApplyReport, EngineError> {
    let mut entries: HashMap<String, ledger::Entry> = ledger::read(conn)
        .await?
        .into_iter()
        .map(|e| (e.version.clone(), e))
        .collect();
    if let Some(n) = native {
        adopt(conn, ws, n, &mut entries, em, &opts.operator).await?;
    }
    let migs = &ws.folder.migrations;

    // A decision (`--resolve`, `--accept-drift`) is recorded and the run stops there:
    // applying what is pending is a separate, deliberate `cutover apply`.
    let mut decisions = resolve(conn, ws, opts, native, &mut entries, em).await?;
    decisions.extend(accept_drift(conn, ws, opts, native, &mut entries, em).await?);
    if !decisions.is_empty() {
        return Ok(decided(ws, &entries, decisions, em).await);
    }
    check_unresolved(&entries)?;
    check_drift(ws, &entries)?;

    let todo = plan_run(ws, &entries, opts)?;
    let total = todo.len() as u64;
    let mut report = ApplyReport::starting(todo.len(), false);
    if todo.is_empty() {
        em.log(
            Level::Info,
            "nothing to apply: every selected file is applied",
        )
        .await;
        return Ok(report);
    }
    em.emit(Event::Progress {
        job: "apply".into(),
        done: 0,
        total,
    })
    .await;
    let mut current_batch: Option<usize> = None;
    for (n, &i) in todo.iter().enumerate() {
        if interrupt.stop.stopping() {
            report.outcome = Outcome::Cancelled;
            em.log(Level::Warn, "stopped by the operator between files")
                .await;
            break;
        }
        let m = &migs[i];
        let b = ws.batch_of(i).unwrap_or(0);
        let batch = ws.batches.get(b);
        let batch_name = batch.map_or("", |b| b.name.as_str());
        if current_batch != Some(b) {
            if let Some(prev) = current_batch {
                em.emit(Event::BatchFinished {
                    batch: prev + 1,
                    outcome: Outcome::Succeeded,
                })
                .await;
            }
            em.emit(Event::BatchStarted {
                batch: b + 1,
                name: batch_name.to_string(),
            })
            .await;
            current_batch = Some(b);
        }
        let mut fr = FileReport::pending(m, batch_name);
        let job = FileJob {
            migration: m,
            format: ws.folder.format,
            all: migs,
            batch: batch_name,
            operator: &opts.operator,
            native,
            interrupt: Some(interrupt),
        };
        match run_file::run(conn, &job, em).await {
            Ok(ms) => {
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
                report.files.push(fr);
                em.emit(Event::Progress {
                    job: "apply".into(),
                    done: n as u64 + 1,
                    total,
                })
                .await;
            }
            Err(RunError::File(f)) if f.cancelled => {
                cancelled_file(em, &mut fr, &f).await;
                report.files.push(fr);
                report.outcome = Outcome::Cancelled;
                break;
            }
            Err(RunError::File(f)) => {
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
                report.files.push(fr);
                report.outcome = Outcome::Failed;
                break;
            }
            // Bookkeeping failed: stop, keeping what this run already did in the report.
            Err(RunError::Db(e)) => {
                fr.status = FileStatus::Failed;
                fr.error = Some(e.to_string());
                report.files.push(fr);
                report.error = Some(e.to_string());
                report.outcome = Outcome::Refused;
                break;
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
                report.files.push(fr);
                report.error = Some(msg);
                report.outcome = Outcome::Refused;
                break;
            }
        }
    }
    if let Some(b) = current_batch {
        em.emit(Event::BatchFinished {
            batch: b + 1,
            outcome: report.outcome,
        })
        .await;
    }
    record_durations(conn, &report, em).await;
    Ok(report)
}

/// The ledger rows of the files applied take their whole durations (COMMIT included),
/// known only after each commit. A failure costs only accuracy, so it is logged.
async fn record_durations(conn: &mut db::Conn, report: &ApplyReport, em: &Emitter) {
    if report.files.iter().any(|f| f.connection_lost) {
        return;
    }
    let durations: Vec<(String, i64)> = report
        .files
        .iter()
        .filter(|f| f.status == FileStatus::Applied)
        .map(|f| (f.version.clone(), f.duration_ms))
        .collect();
    if let Err(e) = ledger::set_durations(conn, &durations).await {
        em.log(
            Level::Warn,
            format!("the files are recorded as applied, but their full durations are not: {e}"),
        )
        .await;
    }
}

/// Says what the operator's cancel left: a rolled-back file stays pending; one outside a
/// transaction is `partial` until resolved.
async fn cancelled_file(em: &Emitter, fr: &mut FileReport, f: &run_file::FileFailure) {
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
