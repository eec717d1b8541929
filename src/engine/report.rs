//! What an apply job reports: per file and for the whole run. Each report is built
//! here, in one place, and filled in by the steps that know more.

use crate::db::ledger;
use crate::event::{FileStatus, Outcome};
use crate::source::Migration;

#[derive(Debug, Clone, serde::Serialize)]
pub struct FileReport {
    pub version: String,
    pub name: String,
    pub file: String,
    pub batch: String,
    pub status: FileStatus,
    pub duration_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// For a failed file: whether some of its statements may remain applied (nothing
    /// undid them); such a file does not run again until resolved.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub partly_applied: bool,
    /// For a failed file: the connection to the target was lost (the file may be fine).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub connection_lost: bool,
    /// For a failed file: what cutover_history says of it now (absent: not applied).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ledger_status: Option<ledger::Status>,
    /// For a failed file: what the failure left behind, and what to do next.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aftermath: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The checks that ran after the file (its verify script, the default checks). The
    /// run's report lists them once, from their events, so they are left out here.
    #[serde(skip)]
    pub findings: Vec<crate::event::CheckResult>,
}

impl FileReport {
    /// A file of this run before it runs: pending, nothing known yet.
    pub fn pending(m: &Migration, batch: &str) -> FileReport {
        FileReport {
            version: m.version.to_string(),
            name: m.name.clone(),
            file: m.path.display().to_string(),
            batch: batch.to_string(),
            status: FileStatus::Pending,
            duration_ms: 0,
            line: None,
            error: None,
            partly_applied: false,
            connection_lost: false,
            ledger_status: None,
            aftermath: None,
            hint: None,
            findings: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ApplyReport {
    pub outcome: Outcome,
    /// The files this run tried, in order.
    pub files: Vec<FileReport>,
    /// True when the SQLite database file did not exist and was created.
    pub created_database: bool,
    /// Why the run stopped when it could not go on (outcome `refused`) after it began.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The operator's decisions this run recorded (`--resolve`, `--accept-drift`); such a
    /// run applies nothing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub decisions: Vec<String>,
    /// After recorded decisions: the files still to apply (or to resolve), in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<String>,
    /// A dry run: `decisions` are what a real run would record.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dry_run: bool,
    /// A dry run: what the selected files would change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<super::DryRunChanges>,
    /// What the automatic rollback did after a failure (the batch's `on_failure`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub automatic_rollback: Option<super::rollback::RollbackReport>,
    /// Why a validation stopped the run (a batch that failed it, a critical finding),
    /// and how to go on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_by: Option<String>,
    /// A critical finding under a rollback policy: the file (version) it is charged to
    /// and what failed, for the automatic rollback after the run.
    #[serde(skip)]
    pub(crate) rollback_cause: Option<(String, String)>,
}

impl ApplyReport {
    /// A run about to apply `files` files: it succeeds unless a file says otherwise.
    pub fn starting(files: usize, dry_run: bool) -> ApplyReport {
        ApplyReport {
            outcome: if files == 0 {
                Outcome::NothingToDo
            } else {
                Outcome::Succeeded
            },
            files: Vec::new(),
            created_database: false,
            error: None,
            decisions: Vec::new(),
            pending: Vec::new(),
            dry_run,
            changes: None,
            automatic_rollback: None,
            stopped_by: None,
            rollback_cause: None,
        }
    }

    /// A run that recorded (or, dry, would record) the operator's decisions and applied
    /// nothing; `pending` is what a next run would still apply.
    pub fn decided(decisions: Vec<String>, pending: Vec<String>, dry_run: bool) -> ApplyReport {
        ApplyReport {
            outcome: Outcome::Succeeded,
            decisions,
            pending,
            ..ApplyReport::starting(1, dry_run)
        }
    }
}
