//! `v` and `b` (and `V`, `B` for the selected batch): the checks and the benchmarks as
//! jobs on the engine; and the typed confirmation an apply needs past a batch whose
//! validation failed.

use super::dialog::force::ForceDialog;
use super::{Effect, Overlay, State};
use crate::event::{BatchVerdict, Level};

impl State {
    /// The checks: of every applied batch (`batch` None) or of the selected one.
    pub(super) fn validate(&mut self, at: i64, one: bool, fx: &mut Vec<Effect>) -> bool {
        if self.read_only || self.job.is_some() || (one && self.batches.is_empty()) {
            return false;
        }
        let batch = one.then_some(self.selected_batch + 1);
        let what = self.job_scope(
            batch,
            "every applied batch, the database and the verify scripts",
        );
        self.log_line(
            at,
            Level::Info,
            format!("validate {what} requested by {}", self.operator),
        );
        fx.push(Effect::Validate(batch));
        true
    }

    /// The benchmarks: every one of the plan (`batch` None) or the selected batch's.
    pub(super) fn bench(&mut self, at: i64, one: bool, fx: &mut Vec<Effect>) -> bool {
        if self.read_only || self.job.is_some() || (one && self.batches.is_empty()) {
            return false;
        }
        let batch = one.then_some(self.selected_batch + 1);
        let what = self.job_scope(batch, "every batch");
        self.log_line(
            at,
            Level::Info,
            format!("benchmarks of {what} requested by {}", self.operator),
        );
        fx.push(Effect::Bench(batch));
        true
    }

    fn job_scope(&self, batch: Option<usize>, all: &str) -> String {
        match batch {
            Some(n) => format!("batch {n} {}", self.batches[n - 1].name),
            None => all.to_string(),
        }
    }

    /// Before an apply that starts in batch `b` (0-based): if the batch before it failed
    /// its validation (and nobody went on yet), the apply waits behind a typed
    /// confirmation of that batch's name. Returns whether the dialog opened.
    pub(super) fn ask_force(&mut self, at: i64, b: usize, apply: &Effect) -> bool {
        let Some(prev) = b.checked_sub(1) else {
            return false;
        };
        let failed = self.batches[prev]
            .validation
            .as_ref()
            .is_some_and(|v| v.verdict == BatchVerdict::Failed);
        if !failed {
            return false;
        }
        let name = self.batches[prev].name.clone();
        let next = match apply {
            Effect::ApplyTo(v) => format!("file {v}"),
            _ => format!("batch {} {}", b + 1, self.batches[b].name),
        };
        let d = ForceDialog::new(prev, &name, next, self.failed_findings(prev), apply);
        self.log_line(
            at,
            Level::Warn,
            format!(
                "{} failed its validation: type its name to go on, Esc to stop here",
                d.what
            ),
        );
        self.overlay = Some(Overlay::Force(Box::new(d)));
        true
    }

    /// A failed batch's blocking findings, worst first: its own checks', then its files'.
    fn failed_findings(&self, b: usize) -> Vec<String> {
        let batch = &self.batches[b];
        let own = batch.checks.findings().map(super::finding_text);
        let files = batch.files.iter().flat_map(|&i| {
            let f = &self.files[i];
            f.checks
                .findings()
                .map(move |r| format!("{}: {}", f.version, super::finding_text(r)))
        });
        own.chain(files).collect()
    }

    /// The dialog's word was right: the apply goes, with the override.
    pub(super) fn force_confirmed(&mut self, at: i64, d: &ForceDialog, fx: &mut Vec<Effect>) {
        self.log_line(
            at,
            Level::Warn,
            format!(
                "going on past the failed validation of {} confirmed by {} (typed {}); applying {}",
                d.what, self.operator, d.confirm.expected, d.next
            ),
        );
        fx.push(d.confirm.payload.clone());
    }

    /// What the dialog's keys did, for the log: a wrong word, or a cancel.
    pub(super) fn force_note(&mut self, at: i64, d: &ForceDialog, cancelled: bool) {
        let text = if cancelled {
            format!("going on past {} cancelled: nothing applied", d.what)
        } else {
            format!("going on past {}: wrong word typed, nothing done", d.what)
        };
        self.log_line(at, Level::Info, text);
    }
}
