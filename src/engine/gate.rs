//! The gate between batches: a batch starts only when the batch before it validated.
//!
//! When a run has applied a batch's last file, the batch is validated: its configured
//! checks (`validate::batch`, which records the validation in the state database),
//! joined with the checks that ran after each of its files in this run (a blocking
//! finding there fails the batch too, recorded as such). Then its benchmarks run: they
//! never block, a failed one only makes the run's exit code 1.
//!
//! A failed validation stops the run before the next batch, unless the operator went on
//! anyway (`--force-progress REASON`, or the cockpit's typed confirmation): that is an
//! event, a row in the state database's `overrides` (who and why) and a log line. A
//! critical finding under `on_failure = rollback-file | rollback-batch` is not forced
//! past: the automatic rollback undoes what the policy says.
//!
//! A run that starts at a batch whose previous batch is all applied looks up that batch's
//! last validation; none, or a failed one nobody forced, and the previous batch is
//! validated again now (its files' checks and its own), and gated on.

use super::apply::Run;
use super::validate;
use crate::checkpoint::{Store, StoredOverride, StoredValidation};
use crate::db::Conn;
use crate::event::{BatchVerdict, BenchResult, CheckResult, Event, Level, Severity};
use crate::plan::OnFailure;

/// Where a batch's validation leaves the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Gate {
    /// The next batch may start (passed, warnings only, or forced).
    Open,
    /// It failed and nobody forced it: the run stops; `why` says what failed and how to
    /// go on.
    Closed { why: String },
    /// A critical check failed under a rollback policy: the run stops and the automatic
    /// rollback runs; `why` is what failed.
    RollBack { why: String },
}

/// Batch `b` (0-based) has had its last file applied in this run: its validation,
/// joined with `files` (its files' check results in this run), the gate on it, then its
/// benchmarks (unless it is about to be rolled back).
pub(super) async fn batch_end(
    conn: &mut Conn,
    run: &Run<'_>,
    store: &Store,
    b: usize,
    files: &[CheckResult],
) -> (Gate, Vec<BenchResult>) {
    let (ws, em) = (run.ws, run.em);
    let (verdict, results) =
        validate::batch(conn, ws, &run.target.display, b, &run.opts.operator, em).await;
    let verdict = join(run, store, b, verdict, &results, files).await;
    let all: Vec<&CheckResult> = results.iter().chain(files).collect();
    let gate = decide(run, store, b, verdict, &all, true).await;
    let benches = match gate {
        Gate::RollBack { .. } => Vec::new(),
        _ => benchmarks(conn, run, b).await,
    };
    (gate, benches)
}

/// Before a run whose first file is `first` (index into the folder): if the batch
/// before it is all applied (`applied` says which files are), it must have validated.
pub(super) async fn before_run(
    conn: &mut Conn,
    run: &Run<'_>,
    store: &Store,
    first: usize,
    applied: impl Fn(usize) -> bool,
) -> Gate {
    let (ws, em) = (run.ws, run.em);
    let Some(b) = ws.batch_of(first).filter(|&b| b > 0) else {
        return Gate::Open;
    };
    let prev = &ws.batches[b - 1];
    if prev.migrations.is_empty() || !prev.migrations.iter().all(|&i| applied(i)) {
        return Gate::Open;
    }
    let why_again = match store
        .last_validation(&run.target.display, prev.number)
        .await
    {
        Ok(Some(v)) if v.verdict.lets_next_start() => return Gate::Open,
        Ok(Some(v)) => format!("it failed its validation at {}", v.at),
        Ok(None) => "it has no validation on record".to_string(),
        Err(e) => {
            let why = format!("cannot tell whether batch {} validated: {e}", prev.number);
            em.log(Level::Error, why.clone()).await;
            return Gate::Closed { why };
        }
    };
    em.log(
        Level::Info,
        format!(
            "batch {} {}: {why_again}: validating it before batch {} starts",
            prev.number,
            prev.name,
            prev.number + 1
        ),
    )
    .await;
    let mut files = Vec::new();
    for &i in &prev.migrations {
        files.extend(validate::after_file(conn, ws, i, em).await);
    }
    let (verdict, results) =
        validate::batch(conn, ws, &run.target.display, b - 1, &run.opts.operator, em).await;
    let verdict = join(run, store, b - 1, verdict, &results, &files).await;
    let all: Vec<&CheckResult> = results.iter().chain(&files).collect();
    // Nothing of this run is there to roll back: a failure only closes the gate.
    decide(run, store, b - 1, verdict, &all, false).await
}

/// The batch's verdict with its files' findings: a blocking one among them fails the
/// batch even when its own checks passed, and that is what is recorded and told.
async fn join(
    run: &Run<'_>,
    store: &Store,
    b: usize,
    verdict: BatchVerdict,
    results: &[CheckResult],
    files: &[CheckResult],
) -> BatchVerdict {
    let blocking = files.iter().any(|r| !r.passed && r.severity.blocks());
    if verdict == BatchVerdict::Failed || !blocking {
        return verdict;
    }
    let all: Vec<&CheckResult> = results.iter().chain(files).collect();
    let passed = all.iter().filter(|r| r.passed).count();
    let total = all.len();
    run.em
        .emit(Event::BatchValidated {
            batch: b + 1,
            verdict: BatchVerdict::Failed,
            passed,
            total,
        })
        .await;
    let v = StoredValidation {
        batch: b + 1,
        batch_name: run.ws.batches[b].name.clone(),
        verdict: BatchVerdict::Failed,
        passed,
        total,
        at: now(),
        operator: run.opts.operator.clone(),
    };
    // Like `validate::batch`, the findings (what failed) are what is kept.
    let failed: Vec<&&CheckResult> = all.iter().filter(|r| !r.passed).collect();
    let json = serde_json::to_string(&failed).unwrap_or_else(|_| "[]".into());
    if let Err(e) = store
        .record_validation(&run.target.display, &v, &json)
        .await
    {
        run.em
            .log(
                Level::Warn,
                format!(
                    "the failed validation of batch {} is not recorded: {e}",
                    b + 1
                ),
            )
            .await;
    }
    BatchVerdict::Failed
}

/// The gate on batch `b`'s verdict, given every result that went into it.
async fn decide(
    run: &Run<'_>,
    store: &Store,
    b: usize,
    verdict: BatchVerdict,
    results: &[&CheckResult],
    may_roll_back: bool,
) -> Gate {
    if verdict.lets_next_start() {
        return Gate::Open;
    }
    let batch = &run.ws.batches[b];
    let failed = describe(results);
    let rolls_back = matches!(
        batch.on_failure,
        OnFailure::RollbackFile | OnFailure::RollbackBatch
    );
    let critical = results
        .iter()
        .find(|r| !r.passed && r.severity == Severity::Critical);
    if let (true, true, Some(c)) = (may_roll_back, rolls_back, critical) {
        return Gate::RollBack {
            why: format!(
                "critical check {} of batch {} {} failed: {}",
                c.check, batch.number, batch.name, c.detail
            ),
        };
    }
    match &run.opts.force_progress {
        Some(reason) => force(run, store, b, reason, &failed).await,
        None => {
            let then = if b + 1 < run.ws.batches.len() {
                format!("batch {} does not start", batch.number + 1)
            } else {
                "it is the last batch: the window is not ready to close".to_string()
            };
            let why = format!(
                "batch {n} {name} failed its validation: {failed}; {then}\n  hint: fix what failed and run `cutover apply` again (it validates batch {n} again first), or go on anyway: `cutover apply --force-progress \"REASON\"` (recorded with your name and the reason) or the cockpit's typed confirmation",
                n = batch.number,
                name = batch.name,
            );
            run.em.log(Level::Error, why.clone()).await;
            Gate::Closed { why }
        }
    }
}

/// The operator goes on past batch `b`'s failed validation: told, recorded, logged. Not
/// recorded, it does not go on (an override nobody can audit is not one).
async fn force(run: &Run<'_>, store: &Store, b: usize, reason: &str, failed: &str) -> Gate {
    let batch = &run.ws.batches[b];
    let operator = run.opts.operator.clone();
    let o = StoredOverride {
        batch: b + 1,
        batch_name: batch.name.clone(),
        operator: operator.clone(),
        reason: reason.to_string(),
        at: now(),
    };
    if let Err(e) = store.record_override(&run.target.display, &o).await {
        let why = format!(
            "batch {} {} failed its validation ({failed}) and going on anyway could not be recorded: {e}",
            batch.number, batch.name
        );
        run.em.log(Level::Error, why.clone()).await;
        return Gate::Closed { why };
    }
    run.em
        .emit(Event::ProgressForced {
            batch: b + 1,
            operator: operator.clone(),
            reason: reason.to_string(),
        })
        .await;
    run.em
        .log(
            Level::Warn,
            format!(
                "batch {} {} failed its validation ({failed}); going on as forced by {operator}: {reason}",
                batch.number, batch.name
            ),
        )
        .await;
    Gate::Open
}

/// The batch's benchmarks (none configured: nothing runs). A failed one is told here;
/// it does not block.
async fn benchmarks(conn: &mut Conn, run: &Run<'_>, b: usize) -> Vec<BenchResult> {
    if run.ws.batches[b].benches.is_empty() {
        return Vec::new();
    }
    let results = super::bench::batch(conn, run.ws, run.target, b, run.em).await;
    for r in results.iter().filter(|r| r.verdict.failed()) {
        run.em
            .log(
                Level::Warn,
                format!(
                    "benchmark {:?} of batch {}: {}: {}",
                    r.bench,
                    r.batch,
                    r.verdict.as_str(),
                    r.detail
                ),
            )
            .await;
    }
    results
}

/// The failed checks, worst first, in one line (the first three, then a count).
pub(super) fn describe(results: &[&CheckResult]) -> String {
    let mut failed: Vec<&&CheckResult> = results.iter().filter(|r| !r.passed).collect();
    failed.sort_by_key(|r| std::cmp::Reverse(r.severity));
    let mut parts: Vec<String> = failed
        .iter()
        .take(3)
        .map(|r| format!("{} ({}): {}", r.check, r.severity.as_str(), r.detail))
        .collect();
    if failed.len() > 3 {
        parts.push(format!("and {} more", failed.len() - 3));
    }
    parts.join("; ")
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(check: &str, severity: Severity, passed: bool) -> CheckResult {
        CheckResult {
            batch: Some(1),
            file: None,
            check: check.into(),
            kind: "sql".into(),
            table: None,
            severity,
            passed,
            detail: format!("{check} detail"),
            rows: Vec::new(),
            elapsed_ms: 0.0,
        }
    }

    #[test]
    fn the_failed_checks_are_described_worst_first_and_counted_past_three() {
        let all = [
            r("a", Severity::Warning, false),
            r("b", Severity::Critical, false),
            r("ok", Severity::Critical, true),
            r("c", Severity::Error, false),
            r("d", Severity::Info, false),
        ];
        let refs: Vec<&CheckResult> = all.iter().collect();
        assert_eq!(
            describe(&refs),
            "b (critical): b detail; c (error): c detail; a (warning): a detail; and 1 more"
        );
    }
}
