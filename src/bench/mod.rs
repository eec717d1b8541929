//! Query benchmarks (DESIGN.md, "Benchmarks"): a warm-up, then timed runs (from N
//! connections at once with `concurrency = N`), p50 / p95 / max and throughput, the
//! query plan (EXPLAIN) with full scans flagged and an index suggested, and a verdict
//! against the plan's `p95_ms` and the stored baseline (`regression_pct`).
//!
//! Every timed run is an `Event::BenchSample`; the figures are an `Event::BenchSummary`.

use crate::db::{Conn, ConnectInfo};
use crate::emit::Emitter;
use crate::event::BenchResult;
use crate::plan::BenchSpec;

/// The regression threshold when the plan gives none.
pub const DEFAULT_REGRESSION_PCT: f64 = 10.0;

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
    let _ = (target, conn, spec, batch, baseline, em);
    todo!("issue 9: bench::run")
}
