//! `cutover rehearse`: proves before the window that every pending file can be undone.
//! On a scratch copy of the target (`checkpoint::scratch`), each pending file in order:
//! the schema before, its up, its down, the schema compared with before, its up again
//! (`file::judge`). The real target is only read (its ledger, and the dump the copy is
//! made from); the copy is dropped at the end, also after a failure or a stop.
//!
//! Files run as an apply wraps them (`run_file`'s rules, through `sandbox`), but without
//! cutover's ledger or the adopted tool's history: the verdict is about the schema, and
//! the schema leaves those tables out, so recording on a copy that is thrown away would
//! prove nothing and could only fail for reasons that are not the file's (a target that
//! has no ledger yet, a tool's history table the copy would first have to create).

mod file;

use super::dry_run::read_target;
use super::preflight::{check_drift, check_unresolved, plan_run};
use super::{ApplyOptions, Emitter, EngineError, Stop, Workspace};
use crate::checkpoint::scratch::Scratch;
use crate::db::{self, ledger, schema, ConnectInfo};
use crate::event::{Event, Level, Outcome, RehearsalVerdict};
use crate::source::Migration;
use std::collections::HashMap;

/// One file's verdict.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RehearsedFile {
    pub version: String,
    pub name: String,
    pub file: String,
    pub verdict: RehearsalVerdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub differences: Vec<String>,
}

/// What a rehearsal found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RehearseReport {
    /// Succeeded: every file reversible; Failed: one is not; NothingToDo: nothing pending.
    pub outcome: Outcome,
    /// The scratch copy, as people see it (no password).
    pub scratch: String,
    /// How the copy was made.
    pub method: String,
    /// Pending files of earlier batches applied to the copy first (up only, not judged).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub prepared: Vec<String>,
    pub files: Vec<RehearsedFile>,
    /// Pending files the rehearsal did not reach (after a file that left the copy in an
    /// unknown state, or a stop).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_reached: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The files to apply first (earlier batches' pending files) and the files to rehearse,
/// as indices in order.
fn select(
    ws: &Workspace,
    entries: &HashMap<String, ledger::Entry>,
    batch: Option<&str>,
) -> Result<(Vec<usize>, Vec<usize>), EngineError> {
    check_unresolved(entries)?;
    check_drift(ws, entries)?;
    let all = plan_run(ws, entries, &ApplyOptions::default())?;
    let Some(sel) = batch else {
        return Ok((Vec::new(), all));
    };
    let b = ws.batch_or_refuse(sel)?;
    let ours = &ws.batches[b].migrations;
    let first = all
        .iter()
        .position(|i| ours.contains(i))
        .unwrap_or(all.len());
    let prepare = all[..first].to_vec();
    let rehearse = all.into_iter().filter(|i| ours.contains(i)).collect();
    Ok((prepare, rehearse))
}

/// The rehearsal job as the headless command runs it: its own session frame
/// (SessionStarted ... SessionEnded) around the job's.
pub async fn headless(
    ws: &Workspace,
    target: &ConnectInfo,
    batch: Option<&str>,
    operator: &str,
    em: &Emitter,
    stop: &Stop,
) -> Option<RehearseReport> {
    em.emit(super::session::started(ws, target, operator)).await;
    let r = job(ws, target, batch, em, stop).await;
    em.emit(Event::SessionEnded).await;
    r
}

/// The rehearsal job, framed by JobStarted/JobFinished{job: "rehearse"}; a rehearsal
/// that could not run says why in the log and ends `refused`.
pub async fn job(
    ws: &Workspace,
    target: &ConnectInfo,
    batch: Option<&str>,
    em: &Emitter,
    stop: &Stop,
) -> Option<RehearseReport> {
    em.emit(Event::JobStarted {
        job: "rehearse".into(),
    })
    .await;
    let result = rehearse(ws, target, batch, em, stop).await;
    let outcome = match &result {
        Ok(r) => r.outcome,
        Err(e) => {
            em.log(Level::Error, e.to_string()).await;
            // A copy the operator's Ctrl-C broke (the tools get the signal too) is a stop.
            if stop.stopping() {
                Outcome::Cancelled
            } else {
                Outcome::Refused
            }
        }
    };
    em.emit(Event::JobFinished {
        job: "rehearse".into(),
        outcome,
    })
    .await;
    result.ok()
}

/// Makes the scratch copy, rehearses the selected files on it, and drops it.
pub async fn rehearse(
    ws: &Workspace,
    target: &ConnectInfo,
    batch: Option<&str>,
    em: &Emitter,
    stop: &Stop,
) -> Result<RehearseReport, EngineError> {
    let entries = read_target(ws, target, em).await?;
    let (prepare, todo) = select(ws, &entries, batch)?;
    let mut report = RehearseReport {
        outcome: Outcome::NothingToDo,
        scratch: String::new(),
        method: String::new(),
        prepared: Vec::new(),
        files: Vec::new(),
        not_reached: Vec::new(),
        error: None,
    };
    if todo.is_empty() {
        em.log(
            Level::Info,
            "nothing to rehearse: no selected file is pending",
        )
        .await;
        return Ok(report);
    }
    let mut said = Vec::new();
    let scratch = Scratch::create(target, &mut |l| said.push(l))
        .await
        .map_err(|e| EngineError::Scratch(e.to_string()))?;
    for l in said {
        em.log(Level::Info, l).await;
    }
    report.scratch = scratch.display().to_string();
    report.method = scratch.method.clone();
    let result = on_copy(ws, &scratch.info, &prepare, &todo, em, stop, &mut report).await;
    match scratch.drop_now().await {
        Ok(()) => {
            em.log(
                Level::Info,
                format!("dropped the scratch copy {}", report.scratch),
            )
            .await
        }
        Err(e) => {
            em.log(Level::Error, e.to_string()).await;
            report.error = Some(e.to_string());
        }
    }
    result?;
    Ok(report)
}

/// The rehearsal proper, on the copy; fills `report` as it goes.
async fn on_copy(
    ws: &Workspace,
    copy: &ConnectInfo,
    prepare: &[usize],
    todo: &[usize],
    em: &Emitter,
    stop: &Stop,
    report: &mut RehearseReport,
) -> Result<(), EngineError> {
    let (mut conn, _) = db::connect(copy).await?;
    let result = async {
        if !prepared(ws, &mut conn, prepare, em, report).await {
            report.not_reached = versions(ws, todo);
            return Ok(());
        }
        let skip = schema::bookkeeping_tables(ws.folder.format);
        let progress = |done: usize| Event::Progress {
            job: "rehearse".into(),
            done: done as u64,
            total: todo.len() as u64,
        };
        report.outcome = Outcome::Succeeded;
        em.emit(progress(0)).await;
        for (n, &i) in todo.iter().enumerate() {
            let m = &ws.folder.migrations[i];
            if stop.stopping() {
                report.outcome = Outcome::Cancelled;
                report.not_reached = versions(ws, &todo[n..]);
                em.log(Level::Warn, "stopped by the operator between files")
                    .await;
                break;
            }
            let what = format!("rehearsing {} (up, down, up)", m.path.display());
            em.log(Level::Info, what).await;
            let judged = file::judge(&mut conn, m, ws.folder.format, &skip).await?;
            let go_on = judged.go_on;
            record(m, judged, em, report).await;
            em.emit(progress(n + 1)).await;
            if !go_on {
                report.not_reached = versions(ws, &todo[n + 1..]);
                if !report.not_reached.is_empty() {
                    let not = report.not_reached.join(", ");
                    let why =
                        format!("the copy is no longer in a known state: not rehearsed: {not}");
                    em.log(Level::Warn, why).await;
                }
                break;
            }
        }
        Ok::<_, EngineError>(())
    }
    .await;
    conn.close().await;
    result
}

fn versions(ws: &Workspace, files: &[usize]) -> Vec<String> {
    files
        .iter()
        .map(|&i| ws.folder.migrations[i].version.to_string())
        .collect()
}

/// Tells a file's verdict (the event the cockpit marks the file with) and keeps it.
async fn record(m: &Migration, judged: file::Judged, em: &Emitter, report: &mut RehearseReport) {
    if judged.verdict != RehearsalVerdict::Reversible {
        report.outcome = Outcome::Failed;
    }
    em.emit(Event::Rehearsed {
        version: m.version.to_string(),
        verdict: judged.verdict,
        detail: judged.detail.clone(),
    })
    .await;
    report.files.push(RehearsedFile {
        version: m.version.to_string(),
        name: m.name.clone(),
        file: m.path.display().to_string(),
        verdict: judged.verdict,
        detail: judged.detail,
        differences: judged.differences,
    });
}

/// Applies the earlier batches' pending files to the copy (up only); false, with the
/// reason in the report, when one fails.
async fn prepared(
    ws: &Workspace,
    conn: &mut db::Conn,
    prepare: &[usize],
    em: &Emitter,
    report: &mut RehearseReport,
) -> bool {
    for &i in prepare {
        let m = &ws.folder.migrations[i];
        em.log(
            Level::Info,
            format!(
                "applying {} to the copy first (an earlier batch)",
                m.path.display()
            ),
        )
        .await;
        let (stmts, wrap) = super::sandbox::up(m, ws.folder.format, conn.dialect);
        if let Err(f) = super::sandbox::run(conn, &stmts, &wrap).await {
            let e = format!(
                "{}:{}: {} (an earlier batch's pending file, applied to the copy first: the batch cannot be rehearsed before it applies)",
                m.path.display(),
                f.line,
                f.message
            );
            em.log(Level::Error, e.clone()).await;
            report.error = Some(e);
            report.outcome = Outcome::Failed;
            return false;
        }
        report.prepared.push(m.version.to_string());
    }
    true
}
