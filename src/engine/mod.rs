//! Jobs on the tokio runtime (apply, and later validate, bench, rollback), emitting
//! `Event`s through a channel. The engine never prints: consumers (the headless
//! progress printer, the cockpit, the journal) read the events. They hold only the
//! `Handle` that `start` gives back: `Command`s in, events out.

mod adopt;
pub mod apply;
mod bench;
mod checkpoint;
mod drift;
mod dry_run;
mod emit;
mod entry;
mod failure;
mod gate;
mod handle;
pub mod job;
mod options;
mod preflight;
mod rehearse;
mod report;
mod resolve;
pub mod rollback;
pub mod rules;
pub(crate) mod run_file;
mod sandbox;
mod session;
mod status;
mod step;
mod stop;
mod validate;

pub use apply::apply;
pub use checkpoint::{checkpoint_ids, window_events};
pub use drift::Drift;
pub use dry_run::changes::Changes as DryRunChanges;
pub use emit::{consume_paced, Emitter, BATCH_PAUSE};
pub use handle::{start, Commands, Handle, JobResult, Sessions, Setup, Worker};
pub use options::{ApplyOptions, Resolution};
pub use report::{ApplyReport, FileReport};
pub use rules::{can_run, Ask, Refusal, Runnable, Standing};
pub use session::{host, Session};
pub use status::{status, CheckpointMatch, FileRow, MissingFile, StatusReport};
pub use stop::{Stop, StopLevel};

use crate::db::lock::LockError;
use crate::db::DbError;
use crate::plan::{Batch, Plan};
use crate::source::Folder;

/// Everything a job needs to know about the plan: the plan itself, its folder's
/// migrations and the batches resolved against them.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub plan: Plan,
    pub folder: Folder,
    pub batches: Vec<Batch>,
}

impl Workspace {
    /// The batch (0-based index) a migration (index into folder.migrations) belongs to.
    pub fn batch_of(&self, migration: usize) -> Option<usize> {
        self.batches
            .iter()
            .position(|b| b.migrations.contains(&migration))
    }

    /// `--batch` takes a 1-based number or a name.
    pub fn find_batch(&self, sel: &str) -> Option<usize> {
        if let Ok(n) = sel.parse::<usize>() {
            if n >= 1 && n <= self.batches.len() {
                return Some(n - 1);
            }
        }
        self.batches.iter().position(|b| b.name == sel)
    }

    /// `find_batch`, or the refusal that names the plan's batches.
    pub fn batch_or_refuse(&self, sel: &str) -> Result<usize, EngineError> {
        self.find_batch(sel).ok_or_else(|| {
            EngineError::Selection(format!(
                "no batch {sel:?}: the plan has {}\n  hint: --batch takes a number from 1 or a batch name",
                self.batches
                    .iter()
                    .map(|b| format!("{} {:?}", b.number, b.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
    }
}

/// Why a job could not run at all (exit code 2). Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Lock(Box<LockError>),
    #[error("{}", drift::describe(.0))]
    Drift(Vec<Drift>),
    #[error("{0}")]
    Selection(String),
    #[error("{0}")]
    Ledger(String),
    /// A checkpoint (its state, its backup, the tools it needs) could not be taken:
    /// nothing ran.
    #[error("{0}")]
    Checkpoint(String),
    /// A scratch copy of the target could not be made (rehearsal, SQLite dry run).
    #[error("{0}")]
    Scratch(String),
}

impl From<LockError> for EngineError {
    fn from(e: LockError) -> Self {
        EngineError::Lock(Box::new(e))
    }
}
