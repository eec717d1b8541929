//! `apply --dry-run`: the same checks and selection as a run, then what the selected
//! files would change, found without changing the target (`changes`).

pub mod changes;

use super::entry::entry;
use super::preflight::{check_drift, check_unresolved, plan_run};
use super::{ApplyOptions, ApplyReport, Emitter, EngineError, FileReport, Resolution, Workspace};
use crate::db::ledger::{self, Status};
use crate::db::{self, native, ConnectInfo};
use crate::event::{Event, FileStatus, Level, Outcome};
use std::collections::HashMap;

/// `--dry-run`: what `apply` would do, read without writing anything to the target: no
/// database file created, no table, no lock row, no adoption. The operator's
/// `--accept-drift` and `--resolve` are taken as given, in memory only.
pub(super) async fn dry_run(
    ws: &Workspace,
    target: &ConnectInfo,
    opts: &ApplyOptions,
    em: &Emitter,
) -> Result<ApplyReport, EngineError> {
    let migs = &ws.folder.migrations;
    let mut entries = read_target(ws, target, em).await?;
    em.log(Level::Info, "dry run: nothing is written to the target")
        .await;
    for note in &ws.folder.notes {
        em.log(Level::Warn, note.clone()).await;
    }
    for (v, how) in &opts.resolve {
        match how {
            Resolution::Applied => {
                if let Some(e) = entries.get_mut(v) {
                    e.status = Status::Applied;
                }
            }
            Resolution::Pending => {
                entries.remove(v);
            }
        }
    }
    for v in &opts.accept_drift {
        if let (Some(e), Some(m)) = (
            entries.get_mut(v),
            migs.iter().find(|m| m.version.as_str() == v),
        ) {
            e.checksum = m.checksum.clone();
        }
    }
    // As a real run: the decisions are all it would do.
    let decisions: Vec<String> = opts
        .resolve
        .iter()
        .map(|(v, how)| format!("{v}: would be resolved as {how:?}").to_lowercase())
        .chain(
            opts.accept_drift
                .iter()
                .map(|v| format!("{v}: its drift would be accepted")),
        )
        .collect();
    if !decisions.is_empty() {
        let pending = super::resolve::still_to_do(ws, &entries);
        em.log(
            Level::Info,
            format!(
                "dry run: would record {} decision(s) and apply nothing; then pending: {}",
                decisions.len(),
                if pending.is_empty() {
                    "nothing".to_string()
                } else {
                    pending.join(", ")
                }
            ),
        )
        .await;
        return Ok(ApplyReport::decided(decisions, pending, true));
    }
    check_unresolved(&entries)?;
    check_drift(ws, &entries)?;
    let todo = plan_run(ws, &entries, opts)?;
    let mut report = ApplyReport::starting(todo.len(), true);
    for &i in &todo {
        let m = &migs[i];
        let batch = ws
            .batch_of(i)
            .map(|b| ws.batches[b].name.clone())
            .unwrap_or_default();
        em.log(
            Level::Info,
            format!(
                "would apply {} ({}) in batch {batch}",
                m.version,
                m.path.display()
            ),
        )
        .await;
        report.files.push(FileReport::pending(m, &batch));
    }
    if !todo.is_empty() {
        let found = changes::find(ws, target, &todo, em).await?;
        if let Some(f) = &found.failure {
            failed(&mut report, f, em).await;
        }
        report.changes = Some(found);
    }
    Ok(report)
}

/// A statement failed on the copy (or in the rolled-back transaction): the file is
/// reported where it failed and the dry run fails (exit 1); the target is untouched.
async fn failed(report: &mut ApplyReport, f: &changes::DryFailure, em: &Emitter) {
    em.emit(Event::FileFailed {
        version: f.version.clone(),
        file: f.file.clone(),
        line: f.line,
        message: f.message.clone(),
    })
    .await;
    if let Some(fr) = report.files.iter_mut().find(|r| r.version == f.version) {
        fr.status = FileStatus::Failed;
        fr.line = Some(f.line);
        fr.error = Some(f.message.clone());
    }
    report.outcome = Outcome::Failed;
}

/// What the target's ledger and the folder's tool say is applied, read without creating
/// anything; nothing when the SQLite database does not exist yet.
pub(super) async fn read_target(
    ws: &Workspace,
    target: &ConnectInfo,
    em: &Emitter,
) -> Result<HashMap<String, ledger::Entry>, EngineError> {
    let migs = &ws.folder.migrations;
    let info = ConnectInfo {
        create_missing: false,
        ..target.clone()
    };
    let mut entries: HashMap<String, ledger::Entry> = HashMap::new();
    match db::connect(&info).await {
        Ok((mut conn, _)) => {
            let read = async {
                let ours = ledger::read(&mut conn).await?;
                let theirs = native::peek(&mut conn, ws.folder.format, migs).await?;
                Ok::<_, db::DbError>((ours, theirs))
            }
            .await;
            conn.close().await;
            let (ours, theirs) = read?;
            entries = ours.into_iter().map(|e| (e.version.clone(), e)).collect();
            for i in theirs.map(|r| r.applied).unwrap_or_default() {
                let m = &migs[i];
                entries
                    .entry(m.version.to_string())
                    .or_insert_with(|| entry(m, String::new(), Status::Applied, None, None));
            }
        }
        Err(db::DbError::Missing { .. }) => {
            em.log(
                Level::Info,
                format!(
                    "{} does not exist yet; apply would create it",
                    target.display
                ),
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    }
    Ok(entries)
}
