//! What may run now, decided in one place: the engine's preflight asks it before a run,
//! and the cockpit asks it before offering or sending a command, so the two cannot
//! disagree. It reads only file statuses of the event vocabulary, which the engine takes
//! from the ledger and the cockpit from the events it folded.

use crate::db::ledger::{self, Status};
use crate::event::FileStatus;
use crate::source::{Kind, Migration};

/// The plan as the rule reads it: batches of files in plan order, and each file's status.
/// Files are indices into one list (the folder's migrations, the cockpit's files).
pub trait Standing {
    fn batch_count(&self) -> usize;
    /// The files of batch `b` (0-based), in order.
    fn batch_files(&self, b: usize) -> &[usize];
    fn status(&self, file: usize) -> FileStatus;
}

/// What the operator asks to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// The next file not yet applied, in plan order.
    Next,
    /// Batch `b` (0-based): what of it is not applied yet.
    Batch(usize),
}

/// What the ask may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runnable {
    /// The file (index) the next apply runs.
    File(usize),
    /// The batch (0-based) the apply runs.
    Batch(usize),
}

/// Why nothing may run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A file (index) may be partly applied: nothing runs until an operator resolves it.
    Unresolved(usize),
    /// Every file is applied.
    NothingPending,
    /// No such batch in the plan.
    NoBatch(usize),
    /// Every file of the batch (0-based) is applied.
    BatchApplied(usize),
    /// An earlier batch (`earlier`, 0-based) still has these files (indices) to apply.
    EarlierBatchPending {
        batch: usize,
        earlier: usize,
        files: Vec<usize>,
    },
}

/// Whether a file is still to run: never applied, failed, or rolled back.
pub fn to_run(status: FileStatus) -> bool {
    matches!(
        status,
        FileStatus::Pending | FileStatus::Failed | FileStatus::RolledBack
    )
}

/// Whether a file counts as done for its batch.
pub fn done(status: FileStatus) -> bool {
    matches!(status, FileStatus::Applied | FileStatus::Validated)
}

/// The one rule for what may run now: a file that may be partly applied blocks
/// everything; the next file is the first still to run; a batch runs when something of
/// it is left and every batch before it is done (a batch whose earlier batches are not
/// done is refused for that, even when it is done itself).
pub fn can_run(plan: &impl Standing, ask: Ask) -> Result<Runnable, Refusal> {
    let in_order = (0..plan.batch_count()).flat_map(|b| plan.batch_files(b).iter().copied());
    if let Some(i) = in_order.clone().find(|&i| plan.status(i).unresolved()) {
        return Err(Refusal::Unresolved(i));
    }
    match ask {
        Ask::Next => in_order
            .clone()
            .find(|&i| to_run(plan.status(i)))
            .map(Runnable::File)
            .ok_or(Refusal::NothingPending),
        Ask::Batch(b) if b >= plan.batch_count() => Err(Refusal::NoBatch(b)),
        Ask::Batch(b) => {
            let left = |p: usize| -> Vec<usize> {
                let files = plan.batch_files(p).iter().copied();
                files.filter(|&i| !done(plan.status(i))).collect()
            };
            // Earlier batches first: a batch done out of order still says what is missing.
            if let Some((earlier, files)) =
                (0..b).map(|p| (p, left(p))).find(|(_, f)| !f.is_empty())
            {
                return Err(Refusal::EarlierBatchPending {
                    batch: b,
                    earlier,
                    files,
                });
            }
            if left(b).is_empty() {
                return Err(Refusal::BatchApplied(b));
            }
            Ok(Runnable::Batch(b))
        }
    }
}

/// A file's status as a run sees it from the ledger: a repeatable file whose text
/// changed since it was applied runs again, so it is pending.
pub fn ledger_status(m: &Migration, entry: Option<&ledger::Entry>) -> FileStatus {
    let Some(e) = entry else {
        return FileStatus::Pending;
    };
    match e.status {
        Status::Applied if m.kind == Kind::Repeatable && e.checksum != m.checksum => {
            FileStatus::Pending
        }
        s => file_status(s),
    }
}

/// The ledger's word on a file, in the event vocabulary.
pub fn file_status(s: Status) -> FileStatus {
    match s {
        Status::Applied => FileStatus::Applied,
        Status::RolledBack => FileStatus::RolledBack,
        Status::Failed => FileStatus::Failed,
        Status::Running => FileStatus::Running,
        Status::Partial => FileStatus::Partial,
        Status::RollingBack => FileStatus::RollingBack,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use FileStatus::*;

    struct Plan(Vec<Vec<usize>>, Vec<FileStatus>);

    impl Standing for Plan {
        fn batch_count(&self) -> usize {
            self.0.len()
        }
        fn batch_files(&self, b: usize) -> &[usize] {
            &self.0[b]
        }
        fn status(&self, file: usize) -> FileStatus {
            self.1[file]
        }
    }

    fn plan(statuses: &[FileStatus]) -> Plan {
        Plan(vec![vec![0, 1], vec![2, 3]], statuses.to_vec())
    }

    #[test]
    fn the_next_file_is_the_first_still_to_run() {
        let p = plan(&[Applied, Failed, Pending, Pending]);
        assert_eq!(can_run(&p, Ask::Next), Ok(Runnable::File(1)));
        let p = plan(&[Applied, Applied, Applied, RolledBack]);
        assert_eq!(can_run(&p, Ask::Next), Ok(Runnable::File(3)));
        let p = plan(&[Applied, Applied, Validated, Applied]);
        assert_eq!(can_run(&p, Ask::Next), Err(Refusal::NothingPending));
    }

    #[test]
    fn a_file_that_may_be_partly_applied_blocks_everything() {
        let p = plan(&[Applied, Applied, Partial, Pending]);
        assert_eq!(can_run(&p, Ask::Next), Err(Refusal::Unresolved(2)));
        assert_eq!(can_run(&p, Ask::Batch(1)), Err(Refusal::Unresolved(2)));
        let p = plan(&[Running, Pending, Pending, Pending]);
        assert_eq!(can_run(&p, Ask::Batch(0)), Err(Refusal::Unresolved(0)));
    }

    #[test]
    fn a_batch_runs_when_the_batches_before_it_are_done() {
        let p = plan(&[Applied, Pending, Pending, Pending]);
        assert_eq!(can_run(&p, Ask::Batch(0)), Ok(Runnable::Batch(0)));
        assert_eq!(
            can_run(&p, Ask::Batch(1)),
            Err(Refusal::EarlierBatchPending {
                batch: 1,
                earlier: 0,
                files: vec![1]
            })
        );
        let p = plan(&[Applied, Applied, Pending, Applied]);
        assert_eq!(can_run(&p, Ask::Batch(0)), Err(Refusal::BatchApplied(0)));
        assert_eq!(can_run(&p, Ask::Batch(1)), Ok(Runnable::Batch(1)));
        assert_eq!(can_run(&p, Ask::Batch(2)), Err(Refusal::NoBatch(2)));
        let p = plan(&[Pending, Applied, Applied, Applied]);
        assert!(matches!(
            can_run(&p, Ask::Batch(1)),
            Err(Refusal::EarlierBatchPending { earlier: 0, .. })
        ));
    }
}
