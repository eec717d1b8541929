//! Running jobs inside an open session, as the cockpit does: each job announces its
//! start and end, and a job that cannot run says why in the log instead of ending
//! the session.

use super::{run_file, ApplyOptions, ApplyReport, Emitter, Resolution, Session, Stop, Workspace};
use crate::event::{Event, FileStatus, LedgerFile, Level, Outcome, PlanBatch, PlanFile};

/// The plan's batches and files as the screen shows them (and a journal keeps them).
pub fn plan_event(ws: &Workspace, dialect: crate::sql::Dialect) -> Event {
    let batches = ws
        .batches
        .iter()
        .map(|b| PlanBatch {
            name: b.name.clone(),
            risk: b.risk,
            files: b
                .migrations
                .iter()
                .map(|&i| {
                    let m = &ws.folder.migrations[i];
                    let stmts = m.statements(ws.folder.format, dialect);
                    let wrap = run_file::wrapping(m, ws.folder.format, &stmts, dialect);
                    let note = run_file::note(&wrap, &stmts, dialect);
                    PlanFile {
                        version: m.version.to_string(),
                        name: m.name.clone(),
                        file: m.path.display().to_string(),
                        sql: m.up_sql.clone(),
                        note,
                    }
                })
                .collect(),
        })
        .collect();
    Event::PlanLoaded { batches }
}

/// The ledger as the screen shows it when a session opens.
pub async fn ledger_event(
    session: &mut Session,
    ws: &Workspace,
) -> Result<Event, super::EngineError> {
    let files = session
        .ledger()
        .await?
        .into_iter()
        .map(|e| LedgerFile {
            version: e.version.clone(),
            status: super::rules::file_status(e.status),
            applied_at: e.applied_at,
            applied_by: e.applied_by,
            duration_ms: Some(e.duration_ms as f64),
            checksum_ok: ws
                .folder
                .migrations
                .iter()
                .find(|m| m.version.as_str() == e.version)
                .is_none_or(|m| m.checksum == e.checksum),
        })
        .collect();
    Ok(Event::LedgerLoaded { files })
}

/// One apply job in an open session, framed by JobStarted/JobFinished.
pub async fn run_apply(
    session: &mut Session,
    ws: &Workspace,
    opts: &ApplyOptions,
    em: &Emitter,
    stop: &Stop,
) -> Option<ApplyReport> {
    em.emit(Event::JobStarted {
        job: "apply".into(),
    })
    .await;
    let result = session.apply(ws, opts, em, stop).await;
    let outcome = match &result {
        Ok(r) => r.outcome,
        Err(e) => {
            em.log(Level::Error, e.to_string()).await;
            Outcome::Refused
        }
    };
    em.emit(Event::JobFinished {
        job: "apply".into(),
        outcome,
    })
    .await;
    result.ok()
}

/// The operator's word on a `running` or `partial` file, from the cockpit: recorded as
/// `cutover apply --resolve VERSION=applied|pending` records it; nothing is applied.
pub async fn run_resolve(
    session: &mut Session,
    ws: &Workspace,
    version: &str,
    how: Resolution,
    operator: &str,
    em: &Emitter,
) {
    em.emit(Event::JobStarted {
        job: "resolve".into(),
    })
    .await;
    let opts = ApplyOptions {
        operator: operator.to_string(),
        resolve: vec![(version.to_string(), how)],
        ..Default::default()
    };
    let outcome = match session.resolve(ws, &opts, em).await {
        Ok(()) => {
            let status = match how {
                Resolution::Applied => FileStatus::Applied,
                Resolution::Pending => FileStatus::Pending,
            };
            em.emit(Event::FileStatus {
                version: version.to_string(),
                status,
                detail: None,
            })
            .await;
            Outcome::Succeeded
        }
        Err(e) => {
            em.log(Level::Error, e.to_string()).await;
            Outcome::Refused
        }
    };
    em.emit(Event::JobFinished {
        job: "resolve".into(),
        outcome,
    })
    .await;
}
