//! Folding validation events: each file's checks (passed of total, the findings), each
//! batch's verdict and any override of it, and the comparison's progress.

use super::State;
use crate::event::{BatchVerdict, CheckResult, CompareProgress, Level, Severity};

/// The checks of one file (or one batch, or the whole database): the last result of
/// each check by name, so a second validation replaces the first's rather than adding
/// to it. Bounded by the plan: a file has as many entries as distinct checks ran on it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Checks {
    pub results: Vec<CheckResult>,
}

impl Checks {
    fn record(&mut self, r: &CheckResult) {
        match self.results.iter_mut().find(|x| x.check == r.check) {
            Some(x) => *x = r.clone(),
            None => self.results.push(r.clone()),
        }
    }

    pub fn total(&self) -> usize {
        self.results.len()
    }

    pub fn passed(&self) -> usize {
        self.results.iter().filter(|r| r.passed).count()
    }

    /// The severity of the worst failed check; None when every check passed (or none ran).
    pub fn worst(&self) -> Option<Severity> {
        self.findings().map(|r| r.severity).max()
    }

    /// The checks that did not pass, worst first (in the order they ran within a
    /// severity).
    pub fn findings(&self) -> impl Iterator<Item = &CheckResult> {
        let mut failed: Vec<&CheckResult> = self.results.iter().filter(|r| !r.passed).collect();
        failed.sort_by_key(|r| std::cmp::Reverse(r.severity));
        failed.into_iter()
    }

    pub fn clear(&mut self) {
        self.results.clear();
    }
}

/// How a batch's last validation came out, as the batches panel shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validation {
    pub verdict: BatchVerdict,
    pub passed: usize,
    pub total: usize,
    /// Who went on past a failed validation, and why.
    pub forced: Option<Forced>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forced {
    pub operator: String,
    pub reason: String,
}

/// A finding in one line: `✖ critical row_count orders: 3 rows missing`.
pub fn finding_text(r: &CheckResult) -> String {
    let mark = severity_mark(r.severity);
    let table = r
        .table
        .as_deref()
        .filter(|t| !r.check.contains(t))
        .map_or(String::new(), |t| format!(" ({t})"));
    format!(
        "{mark} {} {}{table}: {}",
        r.severity.as_str(),
        r.check,
        r.detail
    )
}

/// A failed check's glyph: blocking findings (critical, error) are crosses, the others
/// not, so the mark reads without colour.
pub fn severity_mark(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::Error => "✖",
        Severity::Warning => "⚠",
        Severity::Info => "·",
    }
}

impl State {
    pub(super) fn check_finished(&mut self, at: i64, r: &CheckResult) -> bool {
        let file = r.file.as_ref().and_then(|v| self.index.get(v).copied());
        let batch = r
            .batch
            .and_then(|b| b.checked_sub(1))
            .filter(|&b| b < self.batches.len());
        match (file, batch) {
            (Some(i), _) => self.files[i].checks.record(r),
            (None, Some(b)) => self.batches[b].checks.record(r),
            (None, None) => self.db_checks.record(r),
        }
        if !r.passed {
            let level = match r.severity {
                Severity::Critical | Severity::Error => Level::Error,
                Severity::Warning => Level::Warn,
                Severity::Info => Level::Info,
            };
            let whose = match (&r.file, r.batch) {
                (Some(v), _) => format!("{v}: "),
                (None, Some(b)) => format!("batch {b}: "),
                (None, None) => String::new(),
            };
            self.log_line(at, level, format!("{whose}{}", finding_text(r)));
        }
        true
    }

    pub(super) fn batch_validated(
        &mut self,
        at: i64,
        batch: usize,
        verdict: BatchVerdict,
        (passed, total): (usize, usize),
    ) -> bool {
        let Some(b) = batch.checked_sub(1).filter(|&b| b < self.batches.len()) else {
            return false;
        };
        self.batches[b].validation = Some(Validation {
            verdict,
            passed,
            total,
            forced: None,
        });
        let name = &self.batches[b].name;
        let (level, text) = match verdict {
            BatchVerdict::Passed => (
                Level::Info,
                format!("batch {batch} {name} validated: {passed}/{total} checks passed"),
            ),
            BatchVerdict::Warnings => (
                Level::Warn,
                format!("batch {batch} {name} validated with warnings: {passed}/{total} checks passed"),
            ),
            BatchVerdict::Failed => (
                Level::Error,
                format!("batch {batch} {name} FAILED validation: {passed}/{total} checks passed; the next batch waits (applying it asks you to type the batch name to go on)"),
            ),
            BatchVerdict::Forced => (
                Level::Warn,
                format!("batch {batch} {name}: validation failed, progress forced"),
            ),
        };
        self.log_line(at, level, text);
        true
    }

    pub(super) fn progress_forced(
        &mut self,
        at: i64,
        batch: usize,
        operator: &str,
        reason: &str,
    ) -> bool {
        let Some(b) = batch.checked_sub(1).filter(|&b| b < self.batches.len()) else {
            return false;
        };
        let v = self.batches[b].validation.get_or_insert(Validation {
            verdict: BatchVerdict::Forced,
            passed: 0,
            total: 0,
            forced: None,
        });
        v.verdict = BatchVerdict::Forced;
        v.forced = Some(Forced {
            operator: operator.to_string(),
            reason: reason.to_string(),
        });
        let name = self.batches[b].name.clone();
        self.log_line(
            at,
            Level::Warn,
            format!("batch {batch} {name}: progress past its failed validation forced by {operator}: {reason}"),
        );
        true
    }

    /// The latest word of a comparison replaces the one before (the progress line shows
    /// one side of one table at a time).
    pub(super) fn compare_progress(&mut self, p: &CompareProgress) -> bool {
        let changed = self.compare.as_ref() != Some(p);
        self.compare = Some(p.clone());
        changed
    }

    /// A file that runs again, or is undone, loses the checks of its last run, and its
    /// batch the verdict those made.
    pub(super) fn checks_outdated(&mut self, file: usize) {
        self.files[file].checks.clear();
        let b = self.files[file].batch;
        if let Some(batch) = self.batches.get_mut(b) {
            batch.validation = None;
            batch.checks.clear();
        }
    }
}

/// A comparison's progress in one line: `⇄ orders target 120000/1000000 rows · 250000
/// rows/s · ~4s left`.
pub fn compare_text(p: &CompareProgress) -> String {
    let side = match p.side {
        crate::event::Side::Source => "source",
        crate::event::Side::Target => "target",
    };
    let rows = match p.total {
        Some(t) => format!("{}/{t}", p.rows),
        None => p.rows.to_string(),
    };
    let eta = p
        .eta_ms
        .map_or(String::new(), |ms| format!(" · ~{:.0}s left", ms / 1000.0));
    format!(
        "⇄ {} {side} {rows} rows · {:.0} rows/s{eta}",
        p.table, p.rows_per_s
    )
}
