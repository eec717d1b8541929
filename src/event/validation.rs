//! The validation and benchmark part of the event vocabulary: check findings, batch
//! verdicts, source-versus-target progress, benchmark samples and summaries.
//!
//! Leaf, like the rest of `event`: serializable, only ever added to.

use serde::{Deserialize, Serialize};

/// How much a failed check matters. Ordered: `Info < Warning < Error < Critical`.
/// A failed `Critical` or `Error` check blocks the next batch; a failed `Critical` one
/// also starts the automatic rollback its batch's `on_failure` asks for.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    #[default]
    Error,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
            Severity::Critical => "critical",
        }
    }

    /// Whether a failed check of this severity blocks the next batch.
    pub fn blocks(self) -> bool {
        self >= Severity::Error
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

/// One check's result: a finding when it did not pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// The batch (1-based) whose validation ran it; None for `cutover validate`'s
    /// whole-database checks (integrity, orphans of every foreign key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<usize>,
    /// The file (version) it ran after; None for a batch's or the database's checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// What people call it: the plan's `name`, or one made from kind and target
    /// (`orphans orders.customer_id -> customers`).
    pub check: String,
    /// `schema`, `row_count`, `checksum`, `orphans`, `not_null`, `sql`, `integrity`,
    /// `verify`.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    pub severity: Severity,
    pub passed: bool,
    /// What was found (or what was checked, when it passed).
    pub detail: String,
    /// For a checksum comparison that differed: the rows that differ, up to a limit.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<RowDiff>,
    #[serde(default)]
    pub elapsed_ms: f64,
}

/// A row that differs between two sides (source and target, or checkpoint and now).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowDiff {
    /// The primary key, as `col=value[, col=value]`.
    pub key: String,
    /// `missing_in_target`, `missing_in_source`, or `changed`.
    pub kind: RowDiffKind,
    /// For a changed row: each column that differs, with its value on each side.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<ColumnDiff>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowDiffKind {
    MissingInTarget,
    MissingInSource,
    Changed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnDiff {
    pub column: String,
    /// The value in canonical text (None: NULL).
    pub source: Option<String>,
    pub target: Option<String>,
}

/// How a batch's validation came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchVerdict {
    /// Every check passed.
    Passed,
    /// Only warning or info findings: the next batch may start.
    Warnings,
    /// A critical or error finding: the next batch waits (or is forced).
    Failed,
    /// Failed, and the operator chose to go on anyway (recorded with who and why).
    Forced,
}

impl BatchVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            BatchVerdict::Passed => "passed",
            BatchVerdict::Warnings => "warnings",
            BatchVerdict::Failed => "failed",
            BatchVerdict::Forced => "forced",
        }
    }

    /// Whether the next batch may start.
    pub fn lets_next_start(self) -> bool {
        !matches!(self, BatchVerdict::Failed)
    }
}

/// Which side of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Source,
    Target,
}

/// How far a source-versus-target comparison has read one side of one table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareProgress {
    pub table: String,
    pub side: Side,
    pub rows: u64,
    /// Rows expected (the side's count), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    pub rows_per_s: f64,
    /// Estimated time left, when the total is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eta_ms: Option<f64>,
}

/// A benchmark's judgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BenchVerdict {
    /// Within its threshold, and no regression against the baseline (or none stored).
    Ok,
    /// p95 above the plan's `p95_ms`.
    OverThreshold,
    /// Slower than the stored baseline by more than `regression_pct`, beyond noise.
    Regressed,
    /// The query failed (the detail says why).
    Failed,
}

impl BenchVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            BenchVerdict::Ok => "ok",
            BenchVerdict::OverThreshold => "over_threshold",
            BenchVerdict::Regressed => "regressed",
            BenchVerdict::Failed => "failed",
        }
    }

    pub fn failed(self) -> bool {
        !matches!(self, BenchVerdict::Ok)
    }
}

/// A benchmark's figures once its runs ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchResult {
    pub bench: String,
    /// 1-based batch it belongs to.
    pub batch: usize,
    pub query: String,
    /// Timed executions (warm-up excluded), across all connections.
    pub runs: u32,
    pub concurrency: u32,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
    /// Queries per second over the timed part, all connections together.
    pub throughput_qps: f64,
    /// The plan's `p95_ms`, if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold_ms: Option<f64>,
    /// The stored baseline's p95, if one is stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_p95_ms: Option<f64>,
    pub regression_pct: f64,
    /// How much slower than the baseline (percent; negative: faster), when one exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_pct: Option<f64>,
    pub verdict: BenchVerdict,
    /// Why the verdict is what it is (threshold, regression test, error).
    pub detail: String,
    /// EXPLAIN's output, as the backend printed it.
    #[serde(default)]
    pub plan: String,
    /// The plan reads a whole table.
    #[serde(default)]
    pub full_scan: bool,
    /// For a full scan filtered on an unindexed column: the index that would serve it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
    /// True when this run was stored as the new baseline (`cutover bench --baseline`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub baseline_saved: bool,
}
