//! The validation report: every check's result, every benchmark's figures and the
//! batches' verdicts, gathered from the events of a run (validate, bench or apply), and
//! written as JSON (`--json`), JUnit XML (`--junit`) or a terminal summary.

use crate::event::{BatchVerdict, BenchResult, CheckResult, Event};
use serde::Serialize;
use std::collections::BTreeMap;

/// One batch's line in the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchLine {
    pub batch: usize,
    pub name: String,
    pub verdict: BatchVerdict,
    pub passed: usize,
    pub total: usize,
    /// Who went on past its failed validation, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forced: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// RFC 3339, UTC: when the run ended.
    pub timestamp: String,
    pub plan: String,
    /// Without a password.
    pub target: String,
    /// No critical or error finding, and no benchmark failed.
    pub passed: bool,
    /// Failed checks by severity (`critical`, `error`, `warning`, `info`).
    pub counts: BTreeMap<String, usize>,
    pub checks_total: usize,
    pub checks_passed: usize,
    /// Every check that ran, passed or not.
    pub findings: Vec<CheckResult>,
    pub benchmarks: Vec<BenchResult>,
    pub batches: Vec<BatchLine>,
    /// The files whose checks all passed.
    pub files_validated: Vec<String>,
    /// What the operator should do next, in one line.
    pub recommendation: String,
}

/// Folds a run's events into a report.
#[derive(Debug, Default)]
#[allow(dead_code)] // issue 9: filled in next
pub struct Collector {
    findings: Vec<CheckResult>,
    benchmarks: Vec<BenchResult>,
    batches: Vec<BatchLine>,
    names: Vec<String>,
    plan: String,
    target: String,
}

impl Collector {
    pub fn new() -> Collector {
        Collector::default()
    }

    /// Takes what the report needs from one event (others are ignored).
    pub fn fold(&mut self, event: &Event) {
        let _ = event;
        todo!("issue 9: Collector::fold")
    }

    /// The report, as of now.
    pub fn report(&self) -> Report {
        todo!("issue 9: Collector::report")
    }
}

/// Writes the report as JSON.
pub fn write_json(path: &std::path::Path, report: &Report) -> Result<(), String> {
    let _ = (path, report);
    todo!("issue 9: write_json")
}

/// Writes the report as JUnit XML: one test case per check and per benchmark.
pub fn write_junit(path: &std::path::Path, report: &Report) -> Result<(), String> {
    let _ = (path, report);
    todo!("issue 9: write_junit")
}

/// The terminal summary: per-batch status, files validated, benchmarks, and the
/// recommendation line.
pub fn summary(report: &Report) -> String {
    let _ = report;
    todo!("issue 9: summary")
}
