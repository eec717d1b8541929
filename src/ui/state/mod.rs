//! The cockpit's state: a pure fold over inputs (engine events, operator actions,
//! resizes, timer ticks). Drawing reads it and nothing else; the reducer never reads
//! the clock or does I/O — it returns effects for the event loop to carry out. So a
//! replay that feeds the same inputs shows the same screens.

mod bench;
mod checkpoints;
mod checks;
mod decisions;
pub mod dialog;
mod engine;
mod jobs;
mod keys;
mod ring;
mod rollback;

pub use bench::{ms_text, verdict_mark, verdict_word, BenchView};
pub use checkpoints::{verdict_text, CheckpointMark, Rehearsal};
pub use checks::{compare_text, finding_text, severity_mark, Checks, Forced, Validation};
pub use ring::Ring;
pub use rollback::{Banner, RestoreOffer, RollbackRun, Rollbacks};

use crate::engine::rules::{can_run, done, Ask, Refusal, Runnable, Standing};
pub use crate::event::{Action, Did, Input};
use crate::event::{FileStatus, Level};

/// How many log lines the screen keeps (older ones fall off; the journal keeps all).
pub const LOG_CAPACITY: usize = 10_000;

/// Something the event loop must do for the reducer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Apply the next pending file (by version).
    ApplyTo(String),
    /// Apply a batch (1-based number).
    ApplyBatch(usize),
    /// Stop the running job at the next safe point.
    Pause,
    /// Cancel the statement the job runs now (and stop after it).
    CancelStatement,
    /// Record the operator's decision on a `running` or `partial` file.
    Resolve {
        version: String,
        how: crate::command::Resolution,
    },
    /// Ask the engine what a rollback would undo (nothing changes yet).
    PreviewRollback(crate::event::RollbackScope),
    /// Ask the engine what a restore (after a failed rollback) would undo.
    PreviewRestore(crate::event::RollbackScope),
    /// Roll back, after the operator typed the word; `restore`: restore the checkpoint's
    /// backup where a down script fails.
    Rollback {
        scope: crate::event::RollbackScope,
        restore: bool,
    },
    /// Rehearse a batch (1-based number) on a scratch copy of the target.
    Rehearse(usize),
    /// Apply past a batch whose validation failed, after the operator typed its name:
    /// up to a version, or a batch (1-based), with the reason the engine records.
    ApplyForced {
        to: Option<String>,
        batch: Option<usize>,
        reason: String,
    },
    /// Run the checks (of one batch, 1-based; None: every applied batch).
    Validate(Option<usize>),
    /// Run the benchmarks (of one batch, 1-based; None: all).
    Bench(Option<usize>),
    /// Leave the cockpit (after the running job stopped, if any).
    Quit,
    /// Nothing to carry out: what the operator did, for the journal.
    Note(Did),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Panel {
    Batches,
    Files,
    Benches,
    Log,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    /// The key bindings, scrolled by this many lines.
    Help { scroll: usize },
    /// The SQL of a file (index into `files`), scrolled to a line.
    Detail { file: usize, scroll: usize },
    /// Quitting while a job runs: asks first, defaults to No.
    ConfirmQuit,
    /// Cancelling the running statement: asks first, defaults to No.
    ConfirmCancel,
    /// What a `running` or `partial` file turned out to be: the operator picks, then
    /// confirms.
    Resolve(dialog::resolve::Resolve),
    /// Confirmed only by typing a word (rollback: a version, a batch name, EMERGENCY);
    /// the effect is what happens when it is.
    Typed(dialog::TypedConfirm<Effect>),
    /// What a rollback (or the restore after a failed one) will undo, confirmed by
    /// typing the word the engine named.
    Rollback(Box<dialog::rollback::RollbackDialog>),
    /// Going on past a failed batch validation, confirmed by typing the batch's name.
    Force(Box<dialog::force::ForceDialog>),
    /// A benchmark's figures, query plan and suggestion (index into `benches`), scrolled.
    Bench { bench: usize, scroll: usize },
}

pub use crate::event::Risk;

#[derive(Debug, Clone, PartialEq)]
pub struct BatchView {
    pub name: String,
    pub risk: Risk,
    /// Indices into `State::files`.
    pub files: Vec<usize>,
    /// Its last validation's verdict.
    pub validation: Option<Validation>,
    /// Its own checks (`[[batch.check]]`), run after its last file.
    pub checks: Checks,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FileView {
    pub version: String,
    pub name: String,
    pub file: String,
    pub sql: String,
    pub batch: usize,
    pub status: FileStatus,
    pub duration_ms: Option<f64>,
    /// Statement k of n while applying.
    pub statement: Option<(usize, usize)>,
    /// The line where the statement running last began (kept after a failure, so the
    /// SQL view can mark the failing statement).
    pub statement_line: Option<usize>,
    /// Where it failed and what the database said.
    pub error: Option<(usize, String)>,
    /// Why it runs outside one transaction, when it does.
    pub note: Option<String>,
    pub applied_by: Option<String>,
    /// Applied, but its text on disk changed since (drift): applying refuses until resolved.
    pub drift: bool,
    /// The checkpoint taken before it, and where that checkpoint stands.
    pub checkpoint: Option<CheckpointMark>,
    /// The last rehearsal's word on it.
    pub rehearsal: Option<Rehearsal>,
    /// The checks that ran after it (its verify script, the default checks).
    pub checks: Checks,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    pub at_ms: i64,
    pub level: Level,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct JobView {
    pub name: String,
    pub started_ms: i64,
    pub done: u64,
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub plan: String,
    pub target: String,
    pub operator: String,
    pub started_ms: Option<i64>,
    pub now_ms: i64,
    /// Lit by the journal while it records.
    pub recording: bool,
    pub batches: Vec<BatchView>,
    pub files: Vec<FileView>,
    pub log: Ring<LogLine>,
    pub focus: Panel,
    pub selected_batch: usize,
    /// Position within the selected batch's files.
    pub selected_file: usize,
    /// Lines scrolled up from the newest log line (0 follows the tail).
    pub log_scroll: usize,
    pub overlay: Option<Overlay>,
    pub job: Option<JobView>,
    pub pause_requested: bool,
    pub quit_after_job: bool,
    pub quitting: bool,
    pub width: u16,
    pub height: u16,
    /// Keys the cockpit refuses while replaying.
    pub read_only: bool,
    /// Version -> index into `files`.
    pub index: std::collections::HashMap<String, usize>,
    /// Checkpoint id -> the file it was taken before (None: the window's opening one).
    pub checkpoints: std::collections::HashMap<i64, Option<usize>>,
    /// The checkpoint taken when the migration window opened.
    pub window_checkpoint: Option<CheckpointMark>,
    /// Rollbacks asked for, running, and the automatic one's banner.
    pub rollback: Rollbacks,
    /// The database's own checks (integrity, orphans), from `v`.
    pub db_checks: Checks,
    /// The plan's benchmarks, in the order their first event came.
    pub benches: Vec<BenchView>,
    pub selected_bench: usize,
    /// The comparison's latest progress while a job runs.
    pub compare: Option<crate::event::CompareProgress>,
}

impl Default for State {
    fn default() -> Self {
        State {
            plan: String::new(),
            target: String::new(),
            operator: String::new(),
            started_ms: None,
            now_ms: 0,
            recording: false,
            batches: Vec::new(),
            files: Vec::new(),
            log: Ring::new(LOG_CAPACITY),
            focus: Panel::Batches,
            selected_batch: 0,
            selected_file: 0,
            log_scroll: 0,
            overlay: None,
            job: None,
            pause_requested: false,
            quit_after_job: false,
            quitting: false,
            width: 80,
            height: 24,
            read_only: false,
            index: std::collections::HashMap::new(),
            checkpoints: std::collections::HashMap::new(),
            window_checkpoint: None,
            rollback: Rollbacks::default(),
            db_checks: Checks::default(),
            benches: Vec::new(),
            selected_bench: 0,
            compare: None,
        }
    }
}

impl State {
    /// Folds one input. Returns whether anything visible changed; effects for the
    /// event loop are pushed onto `effects`.
    pub fn apply(&mut self, input: &Input, effects: &mut Vec<Effect>) -> bool {
        // Any input carries a time, and so may move the header's clock: a key that does
        // nothing else, pressed just past a minute, must still redraw, or the live
        // screen keeps the old minute that a replay of the same inputs does not show.
        let clock = self.clock_shown();
        let changed = self.apply_input(input, effects);
        changed || self.clock_shown() != clock
    }

    fn apply_input(&mut self, input: &Input, effects: &mut Vec<Effect>) -> bool {
        match input {
            Input::Engine(s) => self.apply_engine(s, effects),
            Input::Action { action, at_ms, .. } => {
                self.now_ms = self.now_ms.max(*at_ms);
                self.apply_action(*action, *at_ms, effects)
            }
            Input::Resize { width, height, .. } => {
                let changed = (self.width, self.height) != (*width, *height);
                self.width = *width;
                self.height = *height;
                changed
            }
            Input::Tick { at_ms } => {
                self.now_ms = self.now_ms.max(*at_ms);
                // The clock is compared by `apply`; a running job's spinner moves too.
                self.animating()
            }
            Input::Operator { .. } | Input::Unseen(_) => false,
        }
    }

    /// Whether something on screen moves by itself (a running job's spinner and clock).
    pub fn animating(&self) -> bool {
        self.job.is_some()
    }

    /// What the header's clock shows, cheaply: whether it counts seconds, and the
    /// seconds or minutes it shows (`clock_text` is its words).
    fn clock_shown(&self) -> Option<(bool, i64)> {
        let secs = (self.now_ms - self.started_ms?).max(0) / 1000;
        let animating = self.animating();
        Some((animating, if animating { secs } else { secs / 60 }))
    }

    /// The header's clock: elapsed since the session started, to the second while a job
    /// runs, else to the minute (so an idle screen needs a tick only once a minute). The
    /// idle form names its units: a bare `00:01` read as one second after a job.
    pub fn clock_text(&self) -> String {
        let Some(start) = self.started_ms else {
            return String::new();
        };
        let secs = (self.now_ms - start).max(0) / 1000;
        let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
        if self.animating() {
            format!("{h:02}:{m:02}:{s:02}")
        } else {
            format!("{h}h{m:02}m")
        }
    }

    /// The first file that may be partly applied (`running` or `partial` in the
    /// ledger), in plan order: nothing can be applied until an operator resolves it
    /// (the engine's rule, `engine::rules::can_run`, says so).
    pub fn first_unresolved(&self) -> Option<usize> {
        match can_run(self, Ask::Next) {
            Err(Refusal::Unresolved(i)) => Some(i),
            _ => None,
        }
    }

    /// The files of the selected batch.
    pub fn batch_files(&self) -> &[usize] {
        self.batches
            .get(self.selected_batch)
            .map_or(&[], |b| b.files.as_slice())
    }

    /// The file under the cursor, as an index into `files`.
    pub fn cursor_file(&self) -> Option<usize> {
        self.batch_files().get(self.selected_file).copied()
    }

    /// The file the next apply runs, as the engine's rule decides (None while a file is
    /// unresolved, or when every file is applied).
    pub fn next_pending(&self) -> Option<usize> {
        match can_run(self, Ask::Next) {
            Ok(Runnable::File(i)) => Some(i),
            _ => None,
        }
    }

    /// Files applied out of a batch's total.
    pub fn batch_progress(&self, b: usize) -> (usize, usize) {
        let files = &self.batches[b].files;
        let done = files
            .iter()
            .filter(|&&i| done(self.files[i].status))
            .count();
        (done, files.len())
    }

    /// Whether the batch can be applied now, as the engine's rule decides: something of
    /// it left, every batch before it done, no file unresolved.
    pub fn batch_ready(&self, b: usize) -> bool {
        can_run(self, Ask::Batch(b)).is_ok()
    }
}

/// The cockpit's view of the plan, read by the engine's one rule for what may run.
impl Standing for State {
    fn batch_count(&self) -> usize {
        self.batches.len()
    }
    fn batch_files(&self, b: usize) -> &[usize] {
        &self.batches[b].files
    }
    fn status(&self, file: usize) -> FileStatus {
        self.files[file].status
    }
}

#[cfg(test)]
mod checks_tests;
#[cfg(test)]
mod marks_tests;
#[cfg(test)]
mod rollback_tests;
#[cfg(test)]
mod tests;
