//! The event vocabulary shared by the engine, the journal and the UI.
//!
//! A leaf module: it depends on nothing of ours. Variants are only ever added; once a
//! journal carries one it is never removed or renamed.

use serde::{Deserialize, Serialize};

mod input;
mod validation;
pub use input::{Action, Did, Input};
pub use validation::{
    BatchVerdict, BenchResult, BenchVerdict, CheckResult, ColumnDiff, CompareProgress, RowDiff,
    RowDiffKind, Severity, Side,
};

/// How long a consumer waits between draining batches of events. A consumer that wakes
/// for every event costs the job a thread wake-up per event (measured: about 3 µs each,
/// 40 µs per small file); one that drains, handles the batch, then pauses this long costs
/// at most one wake-up per pause, and the first event after a quiet spell still shows at
/// once.
pub const BATCH_PAUSE: std::time::Duration = std::time::Duration::from_millis(5);

/// An event with the wall-clock time it happened, so a reducer never reads the clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stamped {
    /// Milliseconds since the Unix epoch.
    pub at_ms: i64,
    pub event: Event,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    Pending,
    Checkpointing,
    Applying,
    Applied,
    Validating,
    Validated,
    Failed,
    RollingBack,
    RolledBack,
    /// The ledger says it was running outside a transaction when cutover stopped or
    /// could not record it: part of it may be applied; it waits for an operator's word.
    Running,
    /// It failed or was cancelled after some of its statements took effect: it waits
    /// for an operator's word.
    Partial,
}

impl FileStatus {
    /// Whether the file may be partly applied and waits for an operator's decision.
    pub fn unresolved(self) -> bool {
        matches!(self, FileStatus::Running | FileStatus::Partial)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FileStatus::Pending => "pending",
            FileStatus::Checkpointing => "checkpointing",
            FileStatus::Applying => "applying",
            FileStatus::Applied => "applied",
            FileStatus::Validating => "validating",
            FileStatus::Validated => "validated",
            FileStatus::Failed => "failed",
            FileStatus::RollingBack => "rolling back",
            FileStatus::RolledBack => "rolled back",
            FileStatus::Running => "running",
            FileStatus::Partial => "partial",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

/// How a job or a batch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Everything asked for succeeded.
    Succeeded,
    /// There was nothing to do.
    NothingToDo,
    /// A migration file (or later a check) failed.
    Failed,
    /// Could not run at all (drift, lock held, unreachable database, ...).
    Refused,
    /// Stopped by the operator at a safe point.
    Cancelled,
}

/// A file of the plan as the screen shows it, with its SQL (so a replay can show it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanFile {
    pub version: String,
    pub name: String,
    /// Relative to the migrations folder.
    pub file: String,
    pub sql: String,
    /// How the file will be wrapped, when it is not one transaction of ours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// How risky the plan says a batch is. Written `low`, `medium`, `high`; anything else
/// in an older journal reads as low, as the screen always read it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    #[default]
    Low,
    Medium,
    High,
}

impl Risk {
    pub fn as_str(self) -> &'static str {
        match self {
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
        }
    }
}

impl From<&str> for Risk {
    fn from(s: &str) -> Self {
        match s {
            "high" => Risk::High,
            "medium" => Risk::Medium,
            _ => Risk::Low,
        }
    }
}

impl<'de> Deserialize<'de> for Risk {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Risk::from(String::deserialize(d)?.as_str()))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanBatch {
    pub name: String,
    pub risk: Risk,
    pub files: Vec<PlanFile>,
}

/// What the ledger says of a file when a session opens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerFile {
    pub version: String,
    pub status: FileStatus,
    pub applied_at: Option<String>,
    pub applied_by: Option<String>,
    pub duration_ms: Option<f64>,
    /// False when the file on disk no longer matches the text that was applied (drift).
    #[serde(default = "yes")]
    pub checksum_ok: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    SessionStarted {
        plan: String,
        /// The target URL with any password removed.
        target: String,
        operator: String,
        host: String,
        version: String,
    },
    SessionEnded,
    /// The plan's batches and files, in apply order.
    PlanLoaded {
        batches: Vec<PlanBatch>,
    },
    /// The target's ledger when the session opened.
    LedgerLoaded {
        files: Vec<LedgerFile>,
    },
    JobStarted {
        job: String,
    },
    JobFinished {
        job: String,
        outcome: Outcome,
    },
    BatchStarted {
        batch: usize,
        name: String,
    },
    BatchFinished {
        batch: usize,
        outcome: Outcome,
    },
    FileStatus {
        version: String,
        status: FileStatus,
        /// Why, for failures and for files run outside a transaction.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
    StatementStarted {
        version: String,
        index: usize,
        total: usize,
        line: usize,
    },
    StatementFinished {
        version: String,
        index: usize,
        total: usize,
        line: usize,
        elapsed_ms: f64,
    },
    FileApplied {
        version: String,
        duration_ms: f64,
    },
    FileFailed {
        version: String,
        /// The migration file, relative to the migrations folder.
        file: String,
        line: usize,
        message: String,
    },
    Progress {
        job: String,
        done: u64,
        total: u64,
    },
    Log {
        level: Level,
        text: String,
    },
    /// A checkpoint was recorded before a file (or when the migration window opened).
    CheckpointCreated(CheckpointInfo),
    /// A checkpoint moved along its lifecycle (created -> validated -> active ->
    /// superseded, or failed).
    CheckpointStatus {
        id: i64,
        status: CheckpointState,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
    /// What a rollback would undo, computed by the engine before anything changes: the
    /// cockpit's typed confirmation and `cutover rollback` without `--yes` show it.
    RollbackPreview(RollbackPreview),
    /// A rollback began; `automatic` when the plan's `on_failure` started it.
    RollbackStarted {
        scope: RollbackScope,
        automatic: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    RollbackFinished {
        scope: RollbackScope,
        outcome: Outcome,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
        /// A failed rollback for which a checkpoint's backup exists: the restore is
        /// offered (the cockpit asks for it with a second typed confirmation).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        offers_restore: bool,
    },
    /// A rehearsal's verdict on one file (up, down, up on a scratch copy).
    Rehearsed {
        version: String,
        verdict: RehearsalVerdict,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
    /// The migration window was closed: its checkpoints are superseded.
    WindowClosed {
        window: i64,
    },
    /// A check ran (after a file, at the end of a batch, or in `cutover validate`).
    CheckFinished(Box<CheckResult>),
    /// A batch's validation ended: its checks' verdict, and how many passed of how many.
    BatchValidated {
        batch: usize,
        verdict: BatchVerdict,
        passed: usize,
        total: usize,
    },
    /// The operator went on past a batch whose validation failed: who, and why.
    ProgressForced {
        batch: usize,
        operator: String,
        reason: String,
    },
    /// A source-versus-target comparison read this far on one side.
    CompareProgress(CompareProgress),
    /// One timed execution of a benchmark's query (`connection` 0-based).
    BenchSample {
        bench: String,
        batch: usize,
        run: u32,
        connection: u32,
        ms: f64,
    },
    /// A benchmark's figures and verdict once its runs ended.
    BenchSummary(Box<BenchResult>),
}

/// Where a checkpoint stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckpointState {
    Created,
    Validated,
    Active,
    Superseded,
    Failed,
}

impl CheckpointState {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckpointState::Created => "created",
            CheckpointState::Validated => "validated",
            CheckpointState::Active => "active",
            CheckpointState::Superseded => "superseded",
            CheckpointState::Failed => "failed",
        }
    }
}

/// A checkpoint as events carry it (the full record lives in `.cutover/state.db`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointInfo {
    pub id: i64,
    /// The file it was taken before; None for the one taken when the window opened.
    pub version: Option<String>,
    pub fingerprint: String,
    pub status: CheckpointState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<BackupInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupInfo {
    /// Relative to the plan's folder.
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

/// What a rollback undoes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RollbackScope {
    /// That file and every applied file after it, newest first.
    File { version: String },
    /// A batch's applied files (1-based number or name, as `--batch` takes it).
    Batch { batch: String },
    /// Everything since the window opened: the window start's backup is restored.
    Emergency,
}

/// How one file is undone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "via", rename_all = "snake_case")]
pub enum Undo {
    /// Its down SQL runs.
    DownSql,
    /// It has no usable down SQL: the checkpoint's backup is restored instead, and
    /// writes made since `taken_at` are lost.
    Restore { checkpoint: i64, taken_at: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoFile {
    pub version: String,
    pub name: String,
    pub undo: Undo,
}

/// A table that loses rows in a rollback, and how many (estimated from the
/// checkpoint's counts against the current ones).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableLoss {
    pub table: String,
    pub rows: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollbackPreview {
    pub scope: RollbackScope,
    /// Newest first. Empty when there is nothing to undo (a second rollback).
    pub files: Vec<UndoFile>,
    pub losses: Vec<TableLoss>,
    /// The word the operator types to confirm: the file version, the batch name, or
    /// `EMERGENCY`.
    pub confirm: String,
    /// What else the operator must know before confirming.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A rehearsal's word on a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RehearsalVerdict {
    Reversible,
    /// Its up SQL failed on the scratch copy.
    UpFails,
    /// It has no down SQL: only a backup restore undoes it.
    NoDown,
    DownFails,
    /// The down SQL ran but left a different schema (the detail says what differs).
    DownDiffers,
}
