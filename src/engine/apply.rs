//! The apply job: connect, lock, check drift, then run the pending files in order,
//! batch by batch, stopping at the first failure.

use super::adopt::adopt;
use super::checkpoint::Checkpointer;
use super::drift::accept_drift;
use super::dry_run::dry_run;
use super::gate::{self, Gate};
use super::preflight::{check_drift, check_unresolved, plan_run};
use super::resolve::{decided, resolve};
use super::rollback::auto;
use super::run_file::FileJob;
use super::step::{step, After, Place};
use super::stop::Interrupt;
use super::{
    ApplyOptions, ApplyReport, Emitter, EngineError, FileReport, Session, Stop, Workspace,
};
use crate::checkpoint::Store;
use crate::db::ledger;
use crate::db::{self, native, ConnectInfo};
use crate::event::{CheckResult, Event, FileStatus, Level, Outcome};
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
    em.emit(super::session::started(ws, target, &opts.operator))
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
        let target = self.target.clone();
        let mut report = apply_with(
            &mut self.conn,
            (ws, &target),
            opts,
            em,
            interrupt,
            native.as_ref(),
        )
        .await?;
        // `on_failure = rollback-file | rollback-batch`: after a failed file, or a
        // critical check (charged to the file it ran after, or the batch's last one).
        if report.outcome == Outcome::Failed {
            let cause = match report.rollback_cause.clone() {
                Some((version, why)) => report
                    .files
                    .iter()
                    .find(|f| f.version == version)
                    .cloned()
                    .map(|f| (f, why)),
                None => report
                    .files
                    .iter()
                    .rfind(|f| f.status == FileStatus::Failed)
                    .cloned()
                    .map(|f| {
                        let why = auto::file_failed(&f);
                        (f, why)
                    }),
            };
            if let Some((f, why)) = cause {
                report.automatic_rollback =
                    auto::after_failure(self, ws, &f, &why, (&opts.operator, em)).await;
            }
        }
        Ok(report)
    }
}

async fn apply_with(
    conn: &mut db::Conn,
    (ws, target): (&Workspace, &ConnectInfo),
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
    let mut report = ApplyReport::starting(todo.len(), false);
    if todo.is_empty() {
        em.log(
            Level::Info,
            "nothing to apply: every selected file is applied",
        )
        .await;
        return Ok(report);
    }
    let run = Run {
        ws,
        opts,
        em,
        interrupt,
        native,
        target,
    };
    let store = Store::open(&ws.plan.base_dir)
        .await
        .map_err(|e| EngineError::Checkpoint(e.to_string()))?;
    // Before the window opens: a batch whose predecessor never validated does not start.
    let applied = |i: usize| {
        let v = ws.folder.migrations[i].version.to_string();
        entries
            .get(&v)
            .is_some_and(|e| e.status == ledger::Status::Applied)
    };
    if let Gate::Closed { why } = gate::before_run(conn, &run, &store, todo[0], applied).await {
        report.outcome = Outcome::Failed;
        report.stopped_by = Some(why);
        return Ok(report);
    }
    // The window opens (and its start is checkpointed) only when a file is about to run.
    let mut checkpoints = Checkpointer::begin(conn, ws, target, &opts.operator, em).await?;
    run_files(conn, (&run, &store), &mut checkpoints, &todo, &mut report).await;
    record_durations(conn, &report, em).await;
    Ok(report)
}

/// What every file of one run shares.
pub(super) struct Run<'a> {
    pub ws: &'a Workspace,
    pub opts: &'a ApplyOptions,
    pub em: &'a Emitter,
    pub interrupt: Interrupt<'a>,
    pub native: Option<&'a native::History>,
    pub target: &'a ConnectInfo,
}

/// Runs the selected files (indices) in order, batch by batch, each through its step,
/// until one stops the run or the operator does.
async fn run_files(
    conn: &mut db::Conn,
    (run, store): (&Run<'_>, &Store),
    checkpoints: &mut Checkpointer,
    todo: &[usize],
    report: &mut ApplyReport,
) {
    let (ws, em) = (run.ws, run.em);
    let total = todo.len() as u64;
    em.emit(Event::Progress {
        job: "apply".into(),
        done: 0,
        total,
    })
    .await;
    let mut current_batch: Option<usize> = None;
    // The checks after each file of the current batch, for its gate.
    let mut findings: Vec<CheckResult> = Vec::new();
    for (n, &i) in todo.iter().enumerate() {
        if run.interrupt.stop.stopping() {
            report.outcome = Outcome::Cancelled;
            em.log(Level::Warn, "stopped by the operator between files")
                .await;
            break;
        }
        let b = ws.batch_of(i).unwrap_or(0);
        let batch_name = ws.batches.get(b).map_or("", |b| b.name.as_str());
        if current_batch != Some(b) {
            enter_batch(em, current_batch, b, batch_name).await;
            current_batch = Some(b);
            findings.clear();
        }
        let m = &ws.folder.migrations[i];
        let mut fr = FileReport::pending(m, batch_name);
        let job = FileJob {
            migration: m,
            format: ws.folder.format,
            all: &ws.folder.migrations,
            batch: batch_name,
            operator: &run.opts.operator,
            native: run.native,
            interrupt: Some(run.interrupt),
        };
        let place = Place { ws, index: i };
        let after = step(conn, (&job, place), &mut fr, em, checkpoints).await;
        findings.append(&mut fr.findings.clone());
        report.files.push(fr);
        match after {
            After::Next => {
                em.emit(Event::Progress {
                    job: "apply".into(),
                    done: n as u64 + 1,
                    total,
                })
                .await;
            }
            After::Stop { outcome, error } => {
                report.outcome = outcome;
                report.error = error;
                break;
            }
            After::RollBack { why } => {
                stop_for_rollback(report, m.version.to_string(), why);
                break;
            }
        }
        // The batch's last file is applied: its validation opens the next batch or not.
        if ws.batches.get(b).and_then(|x| x.migrations.last()) == Some(&i) {
            let (gate, _benches) = gate::batch_end(conn, run, store, b, &findings).await;
            match gate {
                Gate::Open => {}
                Gate::Closed { why } => {
                    report.outcome = Outcome::Failed;
                    report.stopped_by = Some(why);
                    break;
                }
                Gate::RollBack { why } => {
                    stop_for_rollback(report, m.version.to_string(), why);
                    break;
                }
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
}

/// A critical finding under a rollback policy stops the run: the automatic rollback
/// follows (`Session::apply`), charged to `version`.
fn stop_for_rollback(report: &mut ApplyReport, version: String, why: String) {
    report.outcome = Outcome::Failed;
    report.stopped_by = Some(why.clone());
    report.rollback_cause = Some((version, why));
}

/// Closes the batch before (it succeeded: the run went on) and opens batch `b`.
async fn enter_batch(em: &Emitter, prev: Option<usize>, b: usize, name: &str) {
    if let Some(prev) = prev {
        em.emit(Event::BatchFinished {
            batch: prev + 1,
            outcome: Outcome::Succeeded,
        })
        .await;
    }
    em.emit(Event::BatchStarted {
        batch: b + 1,
        name: name.to_string(),
    })
    .await;
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
