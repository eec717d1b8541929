//! Rollback in the cockpit: `r`/`R`/`E` ask the engine for a preview (nothing changes
//! yet); the preview opens a typed confirmation; the typed word sends the rollback.
//! Progress and the outcome fold from the engine's events; an automatic rollback shows
//! as a banner until acknowledged (Esc) or the next job; a failed rollback whose detail
//! offers a restore opens a second typed confirmation for it.

use super::dialog::rollback::RollbackDialog;
use super::{Effect, Overlay, State};
use crate::event::{Level, Outcome, RollbackPreview, RollbackScope};

/// Rollbacks asked for, running, and shown.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rollbacks {
    /// A preview was asked for: "preparing rollback…" shows until it comes.
    pub preparing: Option<RollbackScope>,
    /// The rollback running now.
    pub running: Option<RollbackRun>,
    /// The last automatic rollback, until acknowledged or the next job.
    pub banner: Option<Banner>,
    /// A rollback failed and offered a restore: the engine was asked what the restore
    /// would undo; its preview opens the restore's confirmation.
    pub restore_offered: Option<RestoreOffer>,
    /// The rollback confirmed last was already a restore: a failure offers nothing more.
    pub restoring: bool,
}

/// A restore offered after a failed rollback, waiting for the engine's preview of it.
#[derive(Debug, Clone, PartialEq)]
pub struct RestoreOffer {
    pub scope: RollbackScope,
    /// The failed rollback's detail: what failed, what it left, the hint.
    pub failure: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RollbackRun {
    pub scope: RollbackScope,
    pub automatic: bool,
    pub reason: Option<String>,
}

/// An automatic rollback, with its reason and, once it ended, how.
#[derive(Debug, Clone, PartialEq)]
pub struct Banner {
    pub scope: RollbackScope,
    pub reason: Option<String>,
    pub outcome: Option<Outcome>,
    pub detail: Option<String>,
}

/// Which rollback a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    File,
    Batch,
    Emergency,
}

impl State {
    /// A rollback scope in words: "file 0005 order statuses", "batch 2 service-layer",
    /// "everything (emergency)".
    pub fn scope_text(&self, scope: &RollbackScope) -> String {
        match scope {
            RollbackScope::File { version } => match self.index.get(version) {
                Some(&i) => format!("file {version} {}", self.files[i].name),
                None => format!("file {version}"),
            },
            RollbackScope::Batch { batch } => {
                let by_number = batch
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=self.batches.len()).contains(n))
                    .map(|n| n - 1);
                let b = by_number.or_else(|| self.batches.iter().position(|x| &x.name == batch));
                match b {
                    Some(b) => format!("batch {} {}", b + 1, self.batches[b].name),
                    None => format!("batch {batch}"),
                }
            }
            RollbackScope::Emergency => "everything (emergency)".into(),
        }
    }

    /// `r`, `R`, `E`: ask the engine what the rollback would undo. Withheld while a job
    /// runs, as applying is.
    pub(super) fn ask_rollback(&mut self, which: Which, at: i64, fx: &mut Vec<Effect>) -> bool {
        if self.read_only || self.job.is_some() {
            return false;
        }
        let scope = match which {
            Which::File => match self.cursor_file() {
                Some(i) => RollbackScope::File {
                    version: self.files[i].version.clone(),
                },
                None => return false,
            },
            Which::Batch if self.batches.is_empty() => return false,
            Which::Batch => RollbackScope::Batch {
                batch: (self.selected_batch + 1).to_string(),
            },
            Which::Emergency => RollbackScope::Emergency,
        };
        let what = self.scope_text(&scope);
        self.log_line(
            at,
            Level::Info,
            format!("preparing rollback of {what}: asking the engine what it would undo"),
        );
        self.rollback.preparing = Some(scope.clone());
        fx.push(Effect::PreviewRollback(scope));
        true
    }

    /// The engine's preview: a typed confirmation when something would be undone and the
    /// operator asked (or a failed rollback offered the restore); otherwise it only
    /// says so.
    pub(super) fn rollback_preview(&mut self, at: i64, p: &RollbackPreview) -> bool {
        let asked = self.rollback.preparing.take().is_some();
        let offer = self
            .rollback
            .restore_offered
            .take()
            .filter(|o| o.scope == p.scope);
        let what = self.scope_text(&p.scope);
        let verb = if offer.is_some() {
            "restore"
        } else {
            "rollback"
        };
        if p.files.is_empty() {
            let act = if offer.is_some() {
                "restore"
            } else {
                "roll back"
            };
            let mut text = format!("nothing to {act} for {what}: no applied file to undo");
            for n in &p.notes {
                text.push_str("; ");
                text.push_str(n);
            }
            self.log_line(at, Level::Info, text);
            return true;
        }
        let files: Vec<&str> = p.files.iter().map(|f| f.version.as_str()).collect();
        self.log_line(
            at,
            Level::Info,
            format!(
                "{verb} of {what} would undo {} (newest first)",
                files.join(", ")
            ),
        );
        let d = match offer {
            Some(o) => RollbackDialog::restore(p.clone(), what, o.failure),
            None if asked => RollbackDialog::rollback(p.clone(), what),
            None => return true,
        };
        match self.overlay {
            None | Some(Overlay::Help { .. } | Overlay::Detail { .. }) => {
                self.overlay = Some(Overlay::Rollback(Box::new(d)));
            }
            Some(_) => self.log_line(
                at,
                Level::Warn,
                format!("another dialog is open: close it, then ask for the {verb} again"),
            ),
        }
        true
    }

    /// The typed word was right: send the rollback (or the restore).
    pub(super) fn rollback_confirmed(
        &mut self,
        at: i64,
        d: &RollbackDialog,
        effect: Effect,
        fx: &mut Vec<Effect>,
    ) {
        let verb = if d.restore {
            "restore after the failed rollback of"
        } else {
            "rollback of"
        };
        self.log_line(
            at,
            Level::Warn,
            format!(
                "{verb} {} confirmed by {} (typed {})",
                d.what, self.operator, d.confirm.expected
            ),
        );
        self.rollback.restoring = d.restore;
        fx.push(effect);
    }

    /// What the dialog's keys did, for the log: a wrong word, or a cancel.
    pub(super) fn rollback_dialog_note(&mut self, at: i64, d: &RollbackDialog, cancelled: bool) {
        let what = if d.restore { "restore" } else { "rollback" };
        let text = if cancelled {
            format!("{what} of {} cancelled: nothing changed", d.what)
        } else {
            format!("{what} of {}: wrong word typed, nothing done", d.what)
        };
        self.log_line(at, Level::Info, text);
    }

    pub(super) fn rollback_started(
        &mut self,
        at: i64,
        scope: &RollbackScope,
        automatic: bool,
        reason: &Option<String>,
    ) -> bool {
        let what = self.scope_text(scope);
        let text = match (automatic, reason) {
            (true, Some(r)) => format!("automatic rollback of {what}: {r}"),
            (true, None) => format!("automatic rollback of {what}"),
            (false, _) => format!("rollback of {what} started"),
        };
        self.log_line(at, Level::Warn, text);
        if automatic {
            self.rollback.banner = Some(Banner {
                scope: scope.clone(),
                reason: reason.clone(),
                outcome: None,
                detail: None,
            });
        }
        self.rollback.running = Some(RollbackRun {
            scope: scope.clone(),
            automatic,
            reason: reason.clone(),
        });
        true
    }

    pub(super) fn rollback_finished(
        &mut self,
        at: i64,
        scope: &RollbackScope,
        (outcome, offers_restore): (Outcome, bool),
        detail: &Option<String>,
        fx: &mut Vec<Effect>,
    ) -> bool {
        let what = self.scope_text(scope);
        let run = self.rollback.running.take();
        // A preview the engine refused is answered this way too.
        self.rollback.preparing = None;
        self.rollback.restore_offered = None;
        if let Some(b) = self.rollback.banner.as_mut().filter(|b| &b.scope == scope) {
            b.outcome = Some(outcome);
            b.detail = detail.clone();
        }
        let (level, how) = match outcome {
            Outcome::Succeeded => (Level::Info, "finished"),
            Outcome::NothingToDo => (Level::Info, "had nothing to undo"),
            Outcome::Failed => (Level::Error, "FAILED"),
            Outcome::Refused => (Level::Error, "could not run"),
            Outcome::Cancelled => (Level::Warn, "stopped"),
        };
        // The engine logs the detail itself (what was undone, or why not).
        self.log_line(at, level, format!("rollback of {what} {how}"));
        let restoring = std::mem::take(&mut self.rollback.restoring);
        if outcome == Outcome::Failed && !restoring && offers_restore {
            self.offer_restore(at, scope, run.is_some_and(|r| r.automatic), detail, fx);
        }
        true
    }

    /// A failed rollback offers the restore: the engine is asked what it would undo
    /// (nothing changes), and its answer opens a second typed confirmation.
    fn offer_restore(
        &mut self,
        at: i64,
        scope: &RollbackScope,
        automatic: bool,
        why: &Option<String>,
        fx: &mut Vec<Effect>,
    ) {
        let what = self.scope_text(scope);
        let how = if automatic { " (automatic)" } else { "" };
        self.log_line(
            at,
            Level::Warn,
            format!(
                "the rollback of {what}{how} failed: asking the engine what a restore would undo"
            ),
        );
        self.rollback.restore_offered = Some(RestoreOffer {
            scope: scope.clone(),
            failure: why.clone(),
        });
        fx.push(Effect::PreviewRestore(scope.clone()));
    }

    /// Esc on the main screen acknowledges the automatic rollback's banner first.
    pub(super) fn dismiss_banner(&mut self) -> bool {
        self.rollback.banner.take().is_some()
    }
}
