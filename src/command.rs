//! The commands vocabulary: what the cockpit and the headless commands ask of the
//! engine, as `Event` is what the engine tells them back.
//!
//! A leaf module, like `event`: it depends on nothing of ours but `event`'s vocabulary, so a journal can record
//! what was asked beside what happened. Variants are only ever added (validate, bench,
//! rollback come next).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
    /// Apply what the request selects (every pending file by default).
    Apply(ApplyRequest),
    /// Record the operator's word on a `running` or `partial` file; nothing is applied.
    Resolve { version: String, how: Resolution },
    /// Stop the running job after its current file (a file is never left half-done).
    Pause,
    /// Also cancel the statement running now, for one stuck behind a lock.
    CancelStatement,
    /// End the session once the running job, if any, has ended.
    Quit,
    /// Say what a rollback would undo (answered with `Event::RollbackPreview`); nothing
    /// changes.
    PreviewRollback(RollbackScope),
    /// Roll back, after the operator confirmed the preview. `restore`: undo by
    /// restoring the nearest backup at or before the oldest file instead of running
    /// down scripts (what a failed rollback offers; `cutover rollback --restore`).
    Rollback { scope: RollbackScope, restore: bool },
    /// Say what a rollback by restore (`Rollback{restore: true}`) would undo, answered
    /// with `Event::RollbackPreview`; nothing changes.
    PreviewRestore(RollbackScope),
    /// Up, down, up of each pending file (of one batch) on a scratch copy of the target.
    Rehearse {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        batch: Option<String>,
    },
    /// Close the migration window: its checkpoints are superseded, old backups pruned.
    CloseWindow,
    /// Run the checks: every applied batch's (or that batch's), the database's own
    /// (integrity, orphans of every foreign key) and the applied files' verify scripts.
    /// Answered with `CheckFinished` and `BatchValidated` events.
    Validate {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        batch: Option<String>,
    },
    /// Run the benchmarks (of one batch, or all). `baseline`: store the results as the
    /// new baselines. Answered with `BenchSample` and `BenchSummary` events.
    Bench {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        batch: Option<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        baseline: bool,
    },
}

pub use crate::event::RollbackScope;

/// Which files an apply job takes, and the operator's recorded decisions. The operator
/// is the session's, not the request's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyRequest {
    /// That batch only (1-based number or name); the batches before it must be applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<String>,
    /// Up to and including that version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Say what would be applied, and apply nothing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dry_run: bool,
    /// Versions whose new text on disk the operator accepts as applied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accept_drift: Vec<String>,
    /// What the operator found partly applied files to be.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resolve: Vec<(String, Resolution)>,
    /// Go on past a batch whose validation failed (critical or error findings), for
    /// this reason: recorded with the operator (`--force-progress REASON`, or the
    /// cockpit's typed confirmation). None: a failed validation stops the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force_progress: Option<String>,
}

/// What an operator found a `running` or `partial` file to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// All of its effects are there: record it as applied.
    Applied,
    /// None of its effects remain (undone by hand): it runs again next time.
    Pending,
}

impl std::str::FromStr for Resolution {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "applied" => Ok(Resolution::Applied),
            "pending" => Ok(Resolution::Pending),
            _ => Err(format!("`{s}`: expected `applied` or `pending`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_round_trip_through_json() {
        let cmds = [
            Command::Apply(ApplyRequest {
                batch: Some("2".into()),
                resolve: vec![("0003".into(), Resolution::Pending)],
                ..Default::default()
            }),
            Command::Resolve {
                version: "0004".into(),
                how: Resolution::Applied,
            },
            Command::Pause,
            Command::CancelStatement,
            Command::Quit,
        ];
        for c in cmds {
            let text = serde_json::to_string(&c).expect("serialize");
            let back: Command = serde_json::from_str(&text).expect("deserialize");
            assert_eq!(back, c, "{text}");
        }
        let text = serde_json::to_string(&Command::Pause).expect("serialize");
        assert_eq!(text, r#"{"type":"pause"}"#);
    }
}
