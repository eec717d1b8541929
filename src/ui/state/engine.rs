//! Folding engine events into the state.

use super::{BatchView, Effect, FileView, JobView, LogLine, State};
use crate::event::{Event, FileStatus, LedgerFile, Level, Outcome, PlanBatch, Stamped};

impl State {
    pub(super) fn log_line(&mut self, at_ms: i64, level: Level, text: String) {
        self.log.push(LogLine { at_ms, level, text });
        if self.log_scroll > 0 {
            // Keep the lines the operator is reading in place while new ones arrive.
            self.log_scroll = (self.log_scroll + 1).min(self.log.len().saturating_sub(1));
        }
    }

    fn file_mut(&mut self, version: &str) -> Option<&mut FileView> {
        let i = *self.index.get(version)?;
        self.files.get_mut(i)
    }

    /// Moves the cursor to a file when the job reaches it, so the screen follows the work.
    fn follow(&mut self, version: &str) {
        let Some(&i) = self.index.get(version) else {
            return;
        };
        let b = self.files[i].batch;
        if let Some(pos) = self.batches[b].files.iter().position(|&f| f == i) {
            self.selected_batch = b;
            self.selected_file = pos;
        }
    }

    fn load_plan(&mut self, batches: &[PlanBatch]) {
        self.batches.clear();
        self.files.clear();
        self.index.clear();
        self.checkpoints.clear();
        for (b, pb) in batches.iter().enumerate() {
            let mut ids = Vec::with_capacity(pb.files.len());
            for f in &pb.files {
                self.index.insert(f.version.clone(), self.files.len());
                ids.push(self.files.len());
                self.files.push(FileView {
                    version: f.version.clone(),
                    name: f.name.clone(),
                    file: f.file.clone(),
                    sql: f.sql.clone(),
                    batch: b,
                    status: FileStatus::Pending,
                    duration_ms: None,
                    statement: None,
                    statement_line: None,
                    error: None,
                    note: f.note.clone(),
                    applied_by: None,
                    drift: false,
                    checkpoint: None,
                    rehearsal: None,
                    checks: Default::default(),
                });
            }
            self.batches.push(BatchView {
                name: pb.name.clone(),
                risk: pb.risk,
                files: ids,
                validation: None,
                checks: Default::default(),
            });
        }
        self.selected_batch = 0;
        self.selected_file = 0;
        self.benches.clear();
        self.selected_bench = 0;
        self.db_checks.clear();
    }

    fn load_ledger(&mut self, at: i64, files: &[LedgerFile]) {
        let mut drifted = Vec::new();
        for lf in files {
            if let Some(f) = self.file_mut(&lf.version) {
                f.status = lf.status;
                f.duration_ms = lf.duration_ms;
                f.applied_by = lf.applied_by.clone();
                f.drift = !lf.checksum_ok && lf.status == FileStatus::Applied;
                if f.drift {
                    drifted.push(f.file.clone());
                }
            }
        }
        if !drifted.is_empty() {
            self.log_line(
                at,
                Level::Error,
                format!(
                    "drift: {} changed on disk since applied; applying will refuse (`cutover apply` shows the diff, --accept-drift VERSION accepts it)",
                    drifted.join(", ")
                ),
            );
        }
        // Start on the first batch with work left.
        if let Some(b) = (0..self.batches.len()).find(|&b| {
            let (d, t) = self.batch_progress(b);
            d < t
        }) {
            self.selected_batch = b;
            self.selected_file = 0;
        }
    }

    fn batch_finished(&mut self, at: i64, batch: usize, outcome: Outcome) -> bool {
        let b = batch.saturating_sub(1);
        let Some(name) = self.batches.get(b).map(|x| x.name.clone()) else {
            return false;
        };
        let (done, total) = self.batch_progress(b);
        let how = match outcome {
            Outcome::Succeeded | Outcome::NothingToDo => "ok",
            Outcome::Failed => "failed",
            Outcome::Refused => "could not run",
            Outcome::Cancelled => "paused",
        };
        let level = if outcome == Outcome::Failed {
            Level::Error
        } else {
            Level::Info
        };
        self.log_line(
            at,
            level,
            format!("batch {batch} {name}: {how}, {done}/{total} files applied"),
        );
        true
    }

    fn file_status(&mut self, version: &str, status: FileStatus, detail: &Option<String>) -> bool {
        if matches!(status, FileStatus::Applying | FileStatus::RollingBack) {
            self.follow(version);
        }
        let Some(&i) = self.index.get(version) else {
            return false;
        };
        if matches!(status, FileStatus::Applying | FileStatus::RolledBack) {
            self.checks_outdated(i);
        }
        let f = &mut self.files[i];
        f.status = status;
        if status == FileStatus::Applying {
            f.error = None;
            f.statement = None;
            f.statement_line = None;
            if detail.is_some() {
                f.note = detail.clone();
            }
        }
        if status == FileStatus::RollingBack {
            f.statement = None;
            f.statement_line = None;
        } else if status != FileStatus::Applying {
            f.statement = None;
        }
        // Resolved (or cancelled and rolled back): the old failure no longer holds.
        if matches!(status, FileStatus::Applied | FileStatus::Pending) {
            f.error = None;
        }
        true
    }

    fn job_finished(&mut self, at: i64, job: &str, outcome: Outcome) {
        self.job = None;
        self.compare = None;
        self.benches_stopped();
        // "Quit after this file?" and "cancel the running statement?" no longer stand:
        // a yes would wait for a job that is gone.
        if matches!(
            self.overlay,
            Some(super::Overlay::ConfirmQuit | super::Overlay::ConfirmCancel)
        ) {
            self.overlay = None;
        }
        // A preview that never came (the job could not run) no longer shows as coming.
        self.rollback.preparing = None;
        self.pause_requested = false;
        let (level, what) = match outcome {
            Outcome::Succeeded => (Level::Info, "finished"),
            Outcome::NothingToDo => (Level::Info, "had nothing to do"),
            Outcome::Failed => (Level::Error, "failed"),
            Outcome::Refused => (Level::Error, "could not run"),
            Outcome::Cancelled => (Level::Warn, "paused between files"),
        };
        self.log_line(at, level, format!("{job} {what}"));
        if self.quit_after_job {
            self.quitting = true;
        }
    }

    /// Folds an engine event. Effects: a failed rollback that offers a restore asks the
    /// engine what the restore would undo.
    pub(super) fn apply_engine(&mut self, s: &Stamped, fx: &mut Vec<Effect>) -> bool {
        let at = s.at_ms;
        self.now_ms = self.now_ms.max(at);
        match &s.event {
            Event::SessionStarted {
                plan,
                target,
                operator,
                ..
            } => {
                self.plan = plan.clone();
                self.target = target.clone();
                self.operator = operator.clone();
                self.started_ms.get_or_insert(at);
            }
            Event::SessionEnded => {}
            Event::PlanLoaded { batches } => {
                self.load_plan(batches);
            }
            Event::LedgerLoaded { files } => {
                self.load_ledger(at, files);
            }
            Event::JobStarted { job } => {
                self.job = Some(JobView {
                    name: job.clone(),
                    started_ms: at,
                    done: 0,
                    total: 0,
                });
                self.pause_requested = false;
                // The next job ends the last automatic rollback's banner.
                self.rollback.banner = None;
            }
            Event::JobFinished { job, outcome } => {
                self.job_finished(at, job, *outcome);
            }
            Event::BatchStarted { batch, name } => {
                self.log_line(at, Level::Info, format!("batch {batch} {name} started"));
            }
            Event::BatchFinished { batch, outcome } => {
                return self.batch_finished(at, *batch, *outcome);
            }
            Event::FileStatus {
                version,
                status,
                detail,
            } => {
                return self.file_status(version, *status, detail);
            }
            Event::StatementStarted {
                version,
                index,
                total,
                line,
            } => {
                let Some(f) = self.file_mut(version) else {
                    return false;
                };
                f.statement = Some((*index, *total));
                f.statement_line = Some(*line);
            }
            Event::StatementFinished {
                version,
                index,
                total,
                ..
            } => {
                let Some(f) = self.file_mut(version) else {
                    return false;
                };
                f.statement = Some((*index, *total));
            }
            Event::FileApplied {
                version,
                duration_ms,
            } => {
                if let Some(f) = self.file_mut(version) {
                    f.duration_ms = Some(*duration_ms);
                    f.applied_by = None;
                }
            }
            Event::FileFailed {
                version,
                file,
                line,
                message,
            } => {
                if let Some(f) = self.file_mut(version) {
                    f.error = Some((*line, message.clone()));
                }
                self.log_line(at, Level::Error, format!("{file}:{line}: {message}"));
            }
            Event::Progress { done, total, .. } => {
                if let Some(j) = &mut self.job {
                    j.done = *done;
                    j.total = *total;
                }
            }
            // A message of several lines (a failure, its hint) takes a log line each.
            Event::Log { level, text } => {
                for line in text.lines() {
                    self.log_line(at, *level, line.to_string());
                }
            }
            Event::CheckpointCreated(info) => return self.checkpoint_created(at, info),
            Event::CheckpointStatus { id, status, detail } => {
                return self.checkpoint_status(at, *id, *status, detail)
            }
            Event::WindowClosed { window } => return self.window_closed(at, *window),
            Event::RollbackPreview(p) => return self.rollback_preview(at, p),
            Event::RollbackStarted {
                scope,
                automatic,
                reason,
            } => return self.rollback_started(at, scope, *automatic, reason),
            Event::RollbackFinished {
                scope,
                outcome,
                detail,
                offers_restore,
            } => {
                let done = (*outcome, *offers_restore);
                return self.rollback_finished(at, scope, done, detail, fx);
            }
            Event::Rehearsed {
                version,
                verdict,
                detail,
            } => return self.rehearsed(at, version, *verdict, detail),
            Event::CheckFinished(r) => return self.check_finished(at, r),
            Event::BatchValidated {
                batch,
                verdict,
                passed,
                total,
            } => return self.batch_validated(at, *batch, *verdict, (*passed, *total)),
            Event::ProgressForced {
                batch,
                operator,
                reason,
            } => return self.progress_forced(at, *batch, operator, reason),
            Event::CompareProgress(p) => return self.compare_progress(p),
            Event::BenchSample {
                bench, batch, ms, ..
            } => return self.bench_sample(bench, *batch, *ms),
            Event::BenchSummary(r) => return self.bench_summary(at, r),
        }
        true
    }
}
