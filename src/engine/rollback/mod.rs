//! Rollback: file (that file and every applied one after it), batch, and emergency (the
//! window start's backup), each verified against the checkpoints taken before the
//! files ran. `preview` says what a rollback would undo and changes nothing; `run`
//! does it, emitting RollbackStarted, each file's RollingBack/RolledBack, and
//! RollbackFinished. A rollback interrupted midway resumes from the ledger
//! (`rolling_back` rows); rolling back what is already rolled back does nothing and
//! says so.

pub(crate) mod auto;
pub mod job;
mod mysql;
pub mod preview;
mod release;
mod restore;
pub(crate) mod select;
mod undo;
mod verify;
mod window;

pub use undo::down_statements;

use super::{Emitter, EngineError, Session, Workspace};
use crate::checkpoint::Store;
use crate::db::ledger::{self, Entry};
use crate::db::{native, schema, ConnectInfo};
use crate::event::{Event, Level, Outcome, RollbackPreview, RollbackScope, Undo};
use select::{Inputs, Selection, Window};
use std::collections::HashMap;

/// What one rollback asks.
#[derive(Debug, Clone)]
pub struct Request {
    pub scope: RollbackScope,
    /// Undo by restoring the nearest backup at or before the oldest file, instead of
    /// running down scripts.
    pub restore: bool,
    pub operator: String,
    /// Why, when the plan's `on_failure` started it (None: an operator asked).
    pub automatic: Option<String>,
}

/// What a rollback did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RollbackReport {
    pub scope: RollbackScope,
    pub automatic: bool,
    pub outcome: Outcome,
    /// The versions undone, newest first.
    pub undone: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// It failed and a checkpoint's backup could undo it instead (`--restore`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub offers_restore: bool,
}

/// Everything one rollback's steps share.
pub(crate) struct Rb<'a> {
    pub ws: &'a Workspace,
    pub info: &'a ConnectInfo,
    pub native: Option<&'a native::History>,
    pub operator: &'a str,
    pub em: &'a Emitter,
    /// Tables fingerprints leave out.
    pub skip: &'a [String],
    pub window: &'a Window,
    /// The ledger when the rollback began.
    pub entries: &'a HashMap<String, Entry>,
}

/// The open window's checkpoints for this target (none when no window is open). A
/// failed checkpoint guards nothing: it is left out.
pub(crate) async fn load_window(ws: &Workspace, info: &ConnectInfo) -> Result<Window, EngineError> {
    let store_err = |e: crate::checkpoint::CheckpointError| {
        EngineError::Ledger(format!("the checkpoint store: {e}"))
    };
    let store = Store::open(&ws.plan.base_dir).await.map_err(store_err)?;
    let start = store.window_start(&info.display).await.map_err(store_err)?;
    let checkpoints = store
        .in_open_window(&info.display)
        .await
        .map_err(store_err)?
        .into_iter()
        .filter(|c| c.status != crate::event::CheckpointState::Failed)
        .collect();
    Ok(Window { checkpoints, start })
}

impl Session {
    /// Reads the ledger, the window and the scope into a selection.
    async fn select(
        &mut self,
        ws: &Workspace,
        info: &ConnectInfo,
        scope: &RollbackScope,
        restore: bool,
    ) -> Result<(HashMap<String, Entry>, Window, Selection), EngineError> {
        let entries: HashMap<String, Entry> = ledger::read(&mut self.conn)
            .await?
            .into_iter()
            .map(|e| (e.version.clone(), e))
            .collect();
        let window = load_window(ws, info).await?;
        let sel = select::select(
            &Inputs {
                ws,
                entries: &entries,
                window: &window,
                dialect: self.conn.dialect,
                force_restore: restore,
            },
            scope,
        )?;
        Ok((entries, window, sel))
    }

    /// What a rollback of `scope` would undo. Nothing changes.
    pub async fn preview_rollback(
        &mut self,
        ws: &Workspace,
        info: &ConnectInfo,
        scope: &RollbackScope,
        restore: bool,
    ) -> Result<RollbackPreview, EngineError> {
        let (_, _, sel) = self.select(ws, info, scope, restore).await?;
        let skip = schema::bookkeeping_tables(ws.folder.format);
        Ok(preview::preview(&mut self.conn, ws, &sel, &skip).await)
    }

    /// Runs a rollback, framed by RollbackStarted/RollbackFinished (a refused one only
    /// by RollbackFinished, with the reason).
    pub async fn rollback(
        &mut self,
        ws: &Workspace,
        info: &ConnectInfo,
        req: &Request,
        em: &Emitter,
    ) -> RollbackReport {
        let mut report = RollbackReport {
            scope: req.scope.clone(),
            automatic: req.automatic.is_some(),
            outcome: Outcome::Refused,
            undone: Vec::new(),
            detail: None,
            offers_restore: false,
        };
        let selected = self.select(ws, info, &req.scope, req.restore).await;
        let (entries, window, sel) = match selected {
            Ok(s) => s,
            Err(e) => {
                report.detail = Some(e.to_string());
                return finished(em, report).await;
            }
        };
        if let Some(why) = &sel.nothing {
            em.log(Level::Info, why.clone()).await;
            report.outcome = Outcome::NothingToDo;
            report.detail = Some(why.clone());
            return finished(em, report).await;
        }
        em.emit(Event::RollbackStarted {
            scope: req.scope.clone(),
            automatic: req.automatic.is_some(),
            reason: req.automatic.clone(),
        })
        .await;
        for n in &sel.notes {
            em.log(Level::Warn, n.clone()).await;
        }
        let skip = schema::bookkeeping_tables(ws.folder.format);
        let native = self.native.clone();
        let rb = Rb {
            ws,
            info,
            native: native.as_ref(),
            operator: &req.operator,
            em,
            skip: &skip,
            window: &window,
            entries: &entries,
        };
        let result = self.undo(&rb, &sel).await;
        let migs = &ws.folder.migrations;
        match result {
            Ok(()) => {
                report.outcome = Outcome::Succeeded;
                report.undone = sel
                    .files
                    .iter()
                    .map(|(i, _)| migs[*i].version.to_string())
                    .collect();
                let text = format!(
                    "rolled back {} file(s): {}",
                    report.undone.len(),
                    report.undone.join(", ")
                );
                em.log(Level::Info, text.clone()).await;
                report.detail = Some(text);
                release::release(ws, &window, &entries, &report.undone, em).await;
            }
            Err(f) => {
                report.outcome = Outcome::Failed;
                let (text, offers_restore) = failure_text(&rb, &sel, &req.scope, &f);
                em.log(Level::Error, text.clone()).await;
                report.detail = Some(text);
                report.offers_restore = offers_restore && !req.restore;
            }
        }
        finished(em, report).await
    }

    /// The restore first (it undoes the newest files), then the down scripts.
    async fn undo(&mut self, rb: &Rb<'_>, sel: &Selection) -> Result<(), undo::Failure> {
        let restored: Vec<usize> = sel
            .files
            .iter()
            .filter(|(_, u)| matches!(u, Undo::Restore { .. }))
            .map(|(i, _)| *i)
            .collect();
        if let (Some(cp), false) = (&sel.restore, restored.is_empty()) {
            restore::restore(&mut self.conn, rb, cp, &restored).await?;
        }
        let downs: Vec<usize> = sel
            .files
            .iter()
            .filter(|(_, u)| *u == Undo::DownSql)
            .map(|(i, _)| *i)
            .collect();
        if downs.is_empty() {
            return Ok(());
        }
        // After a restore the ledger changed: downs read it afresh (resume state).
        undo::run_downs(&mut self.conn, rb, &downs).await
    }
}

/// What a failed rollback left, and the restore it offers (true when a backup exists).
fn failure_text(
    rb: &Rb<'_>,
    sel: &Selection,
    scope: &RollbackScope,
    f: &undo::Failure,
) -> (String, bool) {
    let migs = &rb.ws.folder.migrations;
    let left = if f.nothing_changed {
        "the rollback was undone as one transaction: the database is as it was before it began"
            .to_string()
    } else {
        format!(
            "{} is left `rolling_back` (its down did not finish; files undone before it stay undone)",
            f.version
        )
    };
    let oldest = sel.files.last().map(|(i, _)| migs[*i].version.as_str());
    let backup = oldest.and_then(|v| rb.window.backup_at_or_before(v));
    let offer = match backup {
        Some(cp) => format!(
            "restore the backup taken {} (checkpoint #{}): `cutover rollback {} --restore --yes`, or confirm the restore in the cockpit",
            select::describe(cp),
            cp.id,
            scope_args(scope)
        ),
        None => "no backup was taken at or before these files: fix the down script and run the rollback again".to_string(),
    };
    let text = format!(
        "rollback failed at {}: {}\n  {left}\n  hint: {offer}",
        f.version, f.message
    );
    (text, backup.is_some())
}

/// The command-line form of a scope.
pub fn scope_args(scope: &RollbackScope) -> String {
    match scope {
        RollbackScope::File { version } => format!("--file {version}"),
        RollbackScope::Batch { batch } => format!("--batch {batch}"),
        RollbackScope::Emergency => "--emergency".to_string(),
    }
}

async fn finished(em: &Emitter, report: RollbackReport) -> RollbackReport {
    if report.outcome == Outcome::Refused {
        if let Some(d) = &report.detail {
            em.log(Level::Error, d.clone()).await;
        }
    }
    em.emit(Event::RollbackFinished {
        scope: report.scope.clone(),
        outcome: report.outcome,
        detail: report.detail.clone(),
        offers_restore: report.offers_restore,
    })
    .await;
    report
}
