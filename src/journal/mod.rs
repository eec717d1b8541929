//! The session journal: `.cutover/sessions/<UTC time>-<plan>.jsonl`, one JSON line per
//! input a session folded, hash-chained so that an edited, deleted, inserted or moved
//! line is found (`chain`), written from a thread of its own (`writer`), read back and
//! checked (`reader`). It knows nothing of what the lines mean beyond `event`'s inputs:
//! the cockpit replays them, `cutover audit` reports on them. Besides `event` it uses
//! only the leaf `private` (owner-only file modes).

pub mod audit;
pub mod chain;
pub mod describe;
pub mod files;
pub mod reader;
pub mod writer;

pub use files::{list, prepare, sessions_dir};
pub use reader::{read, Entry, Integrity, Journal, ReadError};
pub use writer::{wall, JournalError, Writer};

use crate::event::{Event, Input};

/// The journal format this cutover writes (the header's `format`).
pub const FORMAT: u32 = 1;

/// Whether the file must reach the disk once this input is written: operator actions
/// and what they did, checkpoints, rollbacks, files applied, a job's or session's end.
/// Other inputs (statements, progress, samples, ticks) ride with the next sync.
pub fn sync_point(input: &Input) -> bool {
    match input {
        Input::Action { .. } | Input::Operator { .. } => true,
        Input::Resize { .. } | Input::Tick { .. } => false,
        Input::Engine(s) | Input::Unseen(s) => matches!(
            s.event,
            Event::CheckpointCreated(_)
                | Event::CheckpointStatus { .. }
                | Event::RollbackStarted { .. }
                | Event::RollbackFinished { .. }
                | Event::FileApplied { .. }
                | Event::FileFailed { .. }
                | Event::ProgressForced { .. }
                | Event::JobFinished { .. }
                | Event::WindowClosed { .. }
                | Event::SessionEnded
        ),
    }
}
