//! Query benchmarks (DESIGN.md, "Benchmarks"): a warm-up, then timed runs (from N
//! connections at once with `concurrency = N`), p50 / p95 / max and throughput, the
//! query plan (EXPLAIN) with full scans flagged and an index suggested, and a verdict
//! against the plan's `p95_ms` and the stored baseline (`regression_pct`).
//!
//! Every timed run is an `Event::BenchSample`; the figures are an `Event::BenchSummary`.
//!
//! Where things live: `runner` times the query, `stats` holds the percentiles and the
//! regression test (its comment explains the method), `verdict` judges, `explain` reads
//! the plan and `where_sql` the query's filter for an index suggestion.

pub mod explain;
pub mod runner;
pub mod stats;
pub mod verdict;
pub mod where_sql;

use crate::db::{Conn, ConnectInfo};
use crate::emit::Emitter;
use crate::event::{BenchResult, BenchVerdict, Event};
use crate::plan::BenchSpec;

/// The regression threshold when the plan gives none.
pub const DEFAULT_REGRESSION_PCT: f64 = 10.0;
/// Timed runs (per connection) when the plan gives none.
pub const DEFAULT_RUNS: u32 = 30;
/// Untimed runs first (per connection): caches warm, statements prepared.
pub const DEFAULT_WARMUP: u32 = 5;

/// A stored baseline of one benchmark: its figures and its samples (the regression
/// verdict compares distributions, not single numbers).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Baseline {
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub samples_ms: Vec<f64>,
    /// RFC 3339, UTC.
    pub created_at: String,
}

/// One benchmark's outcome: the summary (also emitted) and its samples (to store as a
/// baseline).
#[derive(Debug, Clone)]
pub struct Measured {
    pub result: BenchResult,
    pub samples_ms: Vec<f64>,
}

/// sha256 (hex) of a query's text: a baseline is compared only with the same query.
pub fn query_sha256(sql: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(sql.trim().as_bytes()))
}

/// The result before it is measured: the spec's settings, zero figures.
fn empty(spec: &BenchSpec, batch: usize, baseline: Option<&Baseline>) -> BenchResult {
    let concurrency = spec.concurrency.unwrap_or(1).max(1);
    BenchResult {
        bench: spec.name.clone(),
        batch,
        query: spec.query.clone(),
        runs: 0,
        concurrency,
        p50_ms: 0.0,
        p95_ms: 0.0,
        max_ms: 0.0,
        throughput_qps: 0.0,
        threshold_ms: spec.p95_ms,
        baseline_p95_ms: baseline.map(|b| b.p95_ms),
        regression_pct: spec.regression_pct.unwrap_or(DEFAULT_REGRESSION_PCT),
        change_pct: None,
        verdict: BenchVerdict::Ok,
        detail: String::new(),
        plan: String::new(),
        full_scan: false,
        suggestion: None,
        baseline_saved: false,
    }
}

/// Runs one benchmark of batch `batch` (1-based) on `conn`, opening `concurrency - 1`
/// more connections from `target` when asked. A query that errors is a `Failed`
/// verdict, never a panic or an error of the caller.
pub async fn run(
    target: &ConnectInfo,
    conn: &mut Conn,
    spec: &BenchSpec,
    batch: usize,
    baseline: Option<&Baseline>,
    em: &Emitter,
) -> Measured {
    let m = measure(target, conn, spec, batch, baseline, em).await;
    em.emit(Event::BenchSummary(Box::new(m.result.clone())))
        .await;
    m
}

/// `run` without its summary event (the caller emits it, once it stored the baseline).
pub async fn measure(
    target: &ConnectInfo,
    conn: &mut Conn,
    spec: &BenchSpec,
    batch: usize,
    baseline: Option<&Baseline>,
    em: &Emitter,
) -> Measured {
    let mut result = empty(spec, batch, baseline);
    let samples_ms = match timed(target, conn, spec, batch, baseline, &mut result, em).await {
        Ok(samples) => samples,
        Err(message) => {
            result.verdict = BenchVerdict::Failed;
            result.detail = message;
            Vec::new()
        }
    };
    Measured { result, samples_ms }
}

/// The timed runs, the figures and the plan into `result`; Err: why it failed.
async fn timed(
    target: &ConnectInfo,
    conn: &mut Conn,
    spec: &BenchSpec,
    batch: usize,
    baseline: Option<&Baseline>,
    result: &mut BenchResult,
    em: &Emitter,
) -> Result<Vec<f64>, String> {
    let sql = spec.query.trim().trim_end_matches(';').trim();
    let mut extra = Vec::new();
    for k in 1..result.concurrency {
        match crate::db::connect(target).await {
            Ok((c, _)) => extra.push(c),
            Err(e) => {
                close_all(extra).await;
                return Err(format!(
                    "cannot open connection {} of {}: {e}",
                    k + 1,
                    result.concurrency
                ));
            }
        }
    }
    let plan = runner::Plan {
        bench: &spec.name,
        batch,
        sql,
        warmup: spec.warmup.unwrap_or(DEFAULT_WARMUP),
        runs: spec.runs.unwrap_or(DEFAULT_RUNS).max(1),
    };
    let timed = {
        let mut conns: Vec<&mut Conn> = std::iter::once(&mut *conn)
            .chain(extra.iter_mut())
            .collect();
        runner::time(&mut conns, &plan, em).await
    };
    close_all(extra).await;
    let timed = timed.map_err(|f| format!("the query failed: {}", f.message))?;
    let samples = timed.samples_ms;
    let figs = stats::figures(&samples);
    result.runs = samples.len() as u32;
    result.p50_ms = figs.p50;
    result.p95_ms = figs.p95;
    result.max_ms = figs.max;
    if timed.wall_ms > 0.0 {
        result.throughput_qps = samples.len() as f64 * 1000.0 / timed.wall_ms;
    }
    let judged = verdict::judge(
        &figs,
        &samples,
        spec.p95_ms,
        baseline,
        result.regression_pct,
    );
    result.verdict = judged.verdict;
    result.detail = judged.detail;
    result.change_pct = judged.change_pct;
    match explain::explain(conn, sql).await {
        Ok(e) => {
            result.full_scan = !e.scans.is_empty();
            result.suggestion = explain::suggest(conn, sql, &e.scans).await;
            result.plan = e.plan;
        }
        Err(f) => result.plan = format!("EXPLAIN failed: {}", f.message),
    }
    Ok(samples)
}

async fn close_all(conns: Vec<Conn>) {
    for c in conns {
        c.close().await;
    }
}
