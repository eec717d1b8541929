//! How running a file can fail, and what each failure leaves behind, as the ledger
//! really has it: the report, the log and the headless summary all say it from here.

use crate::db::ledger::Status;
use crate::db::DbError;

/// A file that failed: where, and the database's own message.
#[derive(Debug, Clone)]
pub struct FileFailure {
    pub line: usize,
    pub message: String,
    /// True when the failure left no trace (the file's transaction rolled back).
    pub rolled_back: bool,
    /// The connection to the target was lost: the file itself may well be fine.
    pub connection_lost: bool,
    /// The connection was lost during COMMIT: whether it took effect is unknown.
    pub commit_unknown: bool,
    /// What cutover_history says about the file now; None: no row, not applied.
    pub ledger: Option<Status>,
    /// True when the operator cancelled the running statement.
    pub cancelled: bool,
}

impl FileFailure {
    /// What the failure left behind and what to do next, as the ledger really has it:
    /// `(state, hint)` for the report, the log and the headless summary.
    pub fn aftermath(&self, version: &str) -> (String, String) {
        let resolve = format!("check the target, then record what you found: `cutover apply --resolve {version}=applied` (all of it took effect) or `--resolve {version}=pending` (undone by hand; it runs again)");
        if self.commit_unknown {
            return (
                "the connection was lost during its COMMIT: whether it took effect is unknown; cutover_history on the target says which (the row commits with the file)".into(),
                "once the target is reachable, `cutover status` shows it applied or pending; then run `cutover apply`".into(),
            );
        }
        let effects = match (self.connection_lost, self.rolled_back) {
            (true, true) => "the connection to the target was lost while it ran; nothing of it remains (its transaction died with the connection, or nothing had taken effect)",
            (true, false) => "the connection to the target was lost while it ran outside a transaction; statements before the one cut off may remain applied",
            (false, true) => "its transaction was rolled back: nothing of it remains",
            (false, false) => "statements of it before the failing one may remain applied",
        };
        match self.ledger {
            Some(Status::Running) => (
                format!("{effects}; cutover_history still marks it `running` (the failure could not be recorded), so it will not run again by itself"),
                resolve,
            ),
            Some(Status::Partial) => (
                format!("{effects}; it is marked `partial` and will not run again by itself"),
                resolve,
            ),
            _ if self.connection_lost => (
                format!("{effects}; it is still pending"),
                "the file itself may be fine: once the target is reachable again, run `cutover apply`".into(),
            ),
            _ => (
                format!("{effects}; it is still pending"),
                "fix the file and run `cutover apply` again".into(),
            ),
        }
    }
}

pub enum RunError {
    File(FileFailure),
    /// Bookkeeping failed before anything of the file took effect: could not run.
    Db(DbError),
    /// The file ran (outside one transaction of ours) but could not be recorded.
    Unrecorded(String),
}
