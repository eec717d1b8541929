use std::path::PathBuf;

/// A loaded, validated plan. Paths are already resolved against the plan file's folder.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The plan file, or None when the plan came from defaults (DATABASE_URL only).
    pub file: Option<PathBuf>,
    /// The folder relative paths start from; `.cutover/` lives here.
    pub base_dir: PathBuf,
    /// sha256 of the plan file's bytes (empty without a file).
    pub sha256: String,
    pub name: String,
    pub target: Target,
    pub source: Option<Target>,
    pub migrations: MigrationsSpec,
    pub checkpoints: CheckpointSpec,
    pub batches: Vec<BatchSpec>,
    pub theme: Option<String>,
}

#[derive(Clone, PartialEq, Eq)]
pub struct Target {
    /// The URL with `${VAR}`s expanded; relative SQLite paths resolved. Holds the password:
    /// never print it, use `redacted_url` for display.
    pub url: String,
    pub init_sql: Vec<String>,
}

/// Debug shows the URL without its password, so `{:?}` of a plan is safe to log.
impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("url", &super::redacted_url(&self.url))
            .field("init_sql", &self.init_sql)
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct MigrationsSpec {
    pub dir: PathBuf,
    /// None = auto.
    pub format: Option<crate::source::Format>,
    pub pattern: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackupPolicy {
    PerFile,
    PerBatch,
    Session,
    None,
}

#[derive(Debug, Clone)]
pub struct CheckpointSpec {
    pub backup: BackupPolicy,
    pub checksum_row_limit: u64,
}

/// One risk scale for the plan, the events and the screen.
pub use crate::event::Risk;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnFailure {
    Stop,
    RollbackFile,
    RollbackBatch,
}

/// A `[[batch]]` as written: its file selectors are resolved by `resolve_batches`.
#[derive(Debug, Clone)]
pub struct BatchSpec {
    pub name: String,
    pub risk: Risk,
    /// Version ranges (`0001..=0011`, `3..7`), single versions, or globs over file names.
    pub files: Vec<Selector>,
    pub on_failure: OnFailure,
    pub checks: Vec<CheckSpec>,
    pub benches: Vec<BenchSpec>,
}

/// One entry of `files = [...]` with where it stands in the plan file, so that a
/// selector matching nothing can be reported at its line and column.
#[derive(Debug, Clone)]
pub struct Selector {
    pub text: String,
    /// 1-based line and column in the plan file (0, 0 when unknown).
    pub line: usize,
    pub column: usize,
}

/// `[[batch.check]]`: kept as typed data here; the check module gives it meaning.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CheckSpec {
    pub kind: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub table: Option<String>,
    #[serde(default)]
    pub tables: Vec<String>,
    #[serde(default)]
    pub columns: Vec<String>,
    #[serde(default)]
    pub indexes: Vec<String>,
    #[serde(default)]
    pub absent: Vec<String>,
    #[serde(default)]
    pub column: Option<String>,
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub compare: Option<toml::Value>,
    #[serde(default)]
    pub query: Option<String>,
    #[serde(default)]
    pub expect: Option<toml::Value>,
    #[serde(default)]
    pub severity: Option<String>,
}

/// `[[batch.bench]]`.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BenchSpec {
    pub name: String,
    pub query: String,
    #[serde(default)]
    pub runs: Option<u32>,
    #[serde(default)]
    pub warmup: Option<u32>,
    #[serde(default)]
    pub concurrency: Option<u32>,
    #[serde(default)]
    pub p95_ms: Option<f64>,
    #[serde(default)]
    pub regression_pct: Option<f64>,
}

/// A batch resolved against a folder: indices into the folder's migrations, in order.
#[derive(Debug, Clone)]
pub struct Batch {
    /// 1-based number, as `--batch N` takes it.
    pub number: usize,
    pub name: String,
    pub risk: Risk,
    pub on_failure: OnFailure,
    pub migrations: Vec<usize>,
    pub checks: Vec<CheckSpec>,
    pub benches: Vec<BenchSpec>,
    /// True for the final batch that gathers files no batch names.
    pub implicit: bool,
}

/// Every error in a plan names the file and, where it has one, the line and column.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("no plan: {0}")]
    NotFound(String),
    #[error("cannot read plan {path}: {source}")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    /// `path:line:column: message\n  hint: ...`
    #[error("{path}:{line}:{column}: {message}{}", hint.as_ref().map(|h| format!("\n  hint: {h}")).unwrap_or_default())]
    At {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
        hint: Option<String>,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}
