//! The validation report: every check's result, every benchmark's figures and the
//! batches' verdicts, gathered from the events of a run (validate, bench or apply), and
//! written as JSON (`--json`), JUnit XML (`--junit`) or a terminal summary.
//!
//! Built from events only, so every command that runs checks or benchmarks (and later a
//! journal replay) makes the same report the same way.

use crate::event::{BatchVerdict, BenchResult, CheckResult, Event, Severity};
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
    pub forced: Option<Forced>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Forced {
    pub operator: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// RFC 3339, UTC: when the report was made.
    pub timestamp: String,
    pub plan: String,
    /// Without a password.
    pub target: String,
    /// No critical or error finding, and no benchmark failed.
    pub passed: bool,
    /// Failed checks by severity (`critical`, `error`, `warning`, `info`; all four keys).
    pub counts: BTreeMap<String, usize>,
    pub checks_total: usize,
    pub checks_passed: usize,
    /// Every check that ran, passed or not.
    pub findings: Vec<CheckResult>,
    pub benchmarks: Vec<BenchResult>,
    pub batches: Vec<BatchLine>,
    /// The files that had checks, all of which passed.
    pub files_validated: Vec<String>,
    /// What the operator should do next, in one line.
    pub recommendation: String,
}

/// Folds a run's events into a report.
#[derive(Debug, Default)]
pub struct Collector {
    findings: Vec<CheckResult>,
    benchmarks: Vec<BenchResult>,
    batches: Vec<BatchLine>,
    /// Batch names by 1-based number, from the plan.
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
        match event {
            Event::SessionStarted { plan, target, .. } => {
                self.plan = plan.clone();
                self.target = target.clone();
            }
            Event::PlanLoaded { batches } => {
                self.names = batches.iter().map(|b| b.name.clone()).collect();
            }
            Event::CheckFinished(r) => self.findings.push((**r).clone()),
            Event::BatchValidated {
                batch,
                verdict,
                passed,
                total,
            } => {
                let name = self.name_of(*batch);
                let line = self.line(*batch, name);
                line.verdict = *verdict;
                line.passed = *passed;
                line.total = *total;
            }
            Event::ProgressForced {
                batch,
                operator,
                reason,
            } => {
                let name = self.name_of(*batch);
                let line = self.line(*batch, name);
                line.verdict = BatchVerdict::Forced;
                line.forced = Some(Forced {
                    operator: operator.clone(),
                    reason: reason.clone(),
                });
            }
            Event::BenchSummary(b) => {
                // A benchmark run twice in one session (cockpit) counts once: the latest.
                self.benchmarks
                    .retain(|x| !(x.bench == b.bench && x.batch == b.batch));
                self.benchmarks.push((**b).clone());
            }
            _ => {}
        }
    }

    fn name_of(&self, batch: usize) -> String {
        batch
            .checked_sub(1)
            .and_then(|i| self.names.get(i))
            .cloned()
            .unwrap_or_default()
    }

    fn line(&mut self, batch: usize, name: String) -> &mut BatchLine {
        let at = match self.batches.iter().position(|l| l.batch == batch) {
            Some(i) => i,
            None => {
                self.batches.push(BatchLine {
                    batch,
                    name,
                    verdict: BatchVerdict::Passed,
                    passed: 0,
                    total: 0,
                    forced: None,
                });
                self.batches.sort_by_key(|l| l.batch);
                self.batches
                    .iter()
                    .position(|l| l.batch == batch)
                    .unwrap_or_default()
            }
        };
        &mut self.batches[at]
    }

    /// The report, as of now.
    pub fn report(&self) -> Report {
        let failed: Vec<&CheckResult> = self.findings.iter().filter(|r| !r.passed).collect();
        let mut counts: BTreeMap<String, usize> = [
            Severity::Critical,
            Severity::Error,
            Severity::Warning,
            Severity::Info,
        ]
        .iter()
        .map(|s| (s.as_str().to_string(), 0))
        .collect();
        for r in &failed {
            *counts.entry(r.severity.as_str().to_string()).or_default() += 1;
        }
        let blocking = failed.iter().filter(|r| r.severity.blocks()).count();
        let benches_failed = self
            .benchmarks
            .iter()
            .filter(|b| b.verdict.failed())
            .count();
        Report {
            timestamp: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            plan: self.plan.clone(),
            target: self.target.clone(),
            passed: blocking == 0 && benches_failed == 0,
            checks_total: self.findings.len(),
            checks_passed: self.findings.len() - failed.len(),
            findings: self.findings.clone(),
            benchmarks: self.benchmarks.clone(),
            batches: self.batches.clone(),
            files_validated: self.files_validated(),
            recommendation: recommendation(&counts, &self.batches, benches_failed),
            counts,
        }
    }

    /// Files with at least one check, every one of which passed, in the order seen.
    fn files_validated(&self) -> Vec<String> {
        let mut order: Vec<String> = Vec::new();
        let mut ok: BTreeMap<String, bool> = BTreeMap::new();
        for r in &self.findings {
            let Some(f) = &r.file else { continue };
            if !ok.contains_key(f) {
                order.push(f.clone());
            }
            *ok.entry(f.clone()).or_insert(true) &= r.passed;
        }
        order.retain(|f| ok.get(f).copied().unwrap_or(false));
        order
    }
}

/// One line saying what to do next, from the worst there is.
fn recommendation(
    counts: &BTreeMap<String, usize>,
    batches: &[BatchLine],
    benches_failed: usize,
) -> String {
    let n = |s: Severity| counts.get(s.as_str()).copied().unwrap_or(0);
    let failed_batch = batches
        .iter()
        .find(|b| b.verdict == BatchVerdict::Failed)
        .map(|b| format!("--batch {}", b.batch))
        .unwrap_or_else(|| "--batch N".into());
    if n(Severity::Critical) > 0 {
        format!(
            "stop: {} critical finding(s); roll back (`cutover rollback {failed_batch}`) or repair the data, then run `cutover validate` again",
            n(Severity::Critical)
        )
    } else if n(Severity::Error) > 0 {
        format!(
            "hold: {} error finding(s) block the next batch; fix them and run `cutover validate`, or go on deliberately with `cutover apply --force-progress \"REASON\"`",
            n(Severity::Error)
        )
    } else if benches_failed > 0 {
        format!(
            "review: {benches_failed} benchmark(s) over threshold, regressed or failed; read their query plans before going on"
        )
    } else if n(Severity::Warning) > 0 {
        format!(
            "go on with care: {} warning(s) to review",
            n(Severity::Warning)
        )
    } else if batches.iter().any(|b| b.verdict == BatchVerdict::Forced) {
        "go on with care: a batch's failed validation was overridden".into()
    } else {
        "go on: every check passed".into()
    }
}

/// Writes the report as pretty JSON.
pub fn write_json(path: &std::path::Path, report: &Report) -> Result<(), String> {
    let value = serde_json::to_value(report).map_err(|e| e.to_string())?;
    super::json::write(path, &value)
}

/// Writes the report as JUnit XML: one test suite per batch (plus one for the
/// database's own checks and one for benchmarks), one test case per check and per
/// benchmark. Critical and error findings and failed benchmarks are failures; a
/// warning or info finding does not fail a CI run, so it is a passing case that says
/// what was found in its output.
pub fn write_junit(path: &std::path::Path, report: &Report) -> Result<(), String> {
    let xml = junit(report)?;
    std::fs::write(path, xml).map_err(|e| format!("cannot write report {}: {e}", path.display()))
}

fn junit(report: &Report) -> Result<String, String> {
    use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};
    let mut out =
        quick_junit::Report::new(format!("cutover {}", report.plan).trim_end().to_string());
    let mut suites: BTreeMap<Option<usize>, TestSuite> = BTreeMap::new();
    for r in &report.findings {
        let suite = suites.entry(r.batch).or_insert_with(|| {
            TestSuite::new(match r.batch {
                Some(b) => match report.batches.iter().find(|l| l.batch == b) {
                    Some(l) if !l.name.is_empty() => format!("batch {b} {}", l.name),
                    _ => format!("batch {b}"),
                },
                None => "database".to_string(),
            })
        });
        let name = match &r.file {
            Some(f) => format!("{} ({f})", r.check),
            None => r.check.clone(),
        };
        let status = if r.passed || !r.severity.blocks() {
            TestCaseStatus::success()
        } else {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(r.detail.clone());
            s.set_type(r.severity.as_str());
            s
        };
        let mut case = TestCase::new(name, status);
        case.set_classname(format!("check.{}", r.kind));
        case.set_time(std::time::Duration::from_secs_f64(
            r.elapsed_ms.max(0.0) / 1e3,
        ));
        if !r.passed {
            case.set_system_out(format!("{}: {}", r.severity.as_str(), r.detail));
        }
        suite.add_test_case(case);
    }
    let mut bench_suite = TestSuite::new("benchmarks");
    for b in &report.benchmarks {
        let status = if b.verdict.failed() {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(b.detail.clone());
            s.set_type(b.verdict.as_str());
            s
        } else {
            TestCaseStatus::success()
        };
        let mut case = TestCase::new(b.bench.clone(), status);
        case.set_classname(format!("bench.batch{}", b.batch));
        case.set_system_out(format!(
            "p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms, {} runs x {} connection(s), {:.0} q/s",
            b.p50_ms, b.p95_ms, b.max_ms, b.runs, b.concurrency, b.throughput_qps
        ));
        bench_suite.add_test_case(case);
    }
    out.add_test_suites(suites.into_values());
    if !report.benchmarks.is_empty() {
        out.add_test_suite(bench_suite);
    }
    out.to_string()
        .map_err(|e| format!("cannot write the JUnit report: {e}"))
}

/// The terminal summary: per-batch status, files validated, failed findings,
/// benchmarks, and the recommendation line.
pub fn summary(report: &Report) -> String {
    let mut out = Vec::new();
    let failed: Vec<&CheckResult> = report.findings.iter().filter(|r| !r.passed).collect();
    let by_sev: Vec<String> = report
        .counts
        .iter()
        .rev()
        .filter(|(_, n)| **n > 0)
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    out.push(format!(
        "checks: {} of {} passed{}",
        report.checks_passed,
        report.checks_total,
        if by_sev.is_empty() {
            String::new()
        } else {
            format!(" ({})", by_sev.join(", "))
        }
    ));
    for b in &report.batches {
        let forced = b
            .forced
            .as_ref()
            .map(|f| format!(" (forced by {}: {})", f.operator, f.reason))
            .unwrap_or_default();
        out.push(format!(
            "  batch {} {:<24} {:<8} {}/{}{forced}",
            b.batch,
            b.name,
            b.verdict.as_str(),
            b.passed,
            b.total
        ));
    }
    if !report.files_validated.is_empty() {
        out.push(format!(
            "files validated: {}",
            report.files_validated.join(", ")
        ));
    }
    let mut worst_first = failed.clone();
    worst_first.sort_by_key(|r| std::cmp::Reverse(r.severity));
    for r in worst_first {
        let at = r
            .file
            .as_ref()
            .map(|f| format!(" ({f})"))
            .unwrap_or_default();
        out.push(format!(
            "  {:<8} {}{at}: {}",
            r.severity.as_str(),
            r.check,
            r.detail
        ));
    }
    if !report.benchmarks.is_empty() {
        out.push("benchmarks:".into());
        for b in &report.benchmarks {
            out.push(format!(
                "  {:<28} p50 {:>8.2} ms  p95 {:>8.2} ms  max {:>8.2} ms  {}",
                b.bench,
                b.p50_ms,
                b.p95_ms,
                b.max_ms,
                b.verdict.as_str()
            ));
        }
    }
    out.push(format!("recommendation: {}", report.recommendation));
    out.join("\n")
}

#[cfg(test)]
#[path = "validation_tests.rs"]
mod tests;
