//! Exit codes, as DESIGN.md documents them.

use crate::event::Outcome;

/// All that was asked succeeded, or there was nothing to do.
pub const OK: i32 = 0;
/// A migration file, a check or a benchmark threshold failed.
pub const FAILED: i32 = 1;
/// Could not run: invalid plan, unreachable database, drift, lock held, ...
pub const CANNOT_RUN: i32 = 2;
/// Interrupted by the operator.
pub const INTERRUPTED: i32 = 130;

pub fn for_outcome(o: Outcome) -> i32 {
    match o {
        Outcome::Succeeded | Outcome::NothingToDo => OK,
        Outcome::Failed => FAILED,
        Outcome::Refused => CANNOT_RUN,
        Outcome::Cancelled => INTERRUPTED,
    }
}
