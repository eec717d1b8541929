//! Inputs in words: the timeline `cutover replay --headless` prints, one line per input.

use super::Entry;
use crate::event::Input;

/// One input in words, or None for what a timeline leaves out (timer ticks).
pub fn input(i: &Input) -> Option<String> {
    let _ = i;
    todo!("issue 10: describe an input")
}

/// The timeline: `+MM:SS.mmm  <words>` per described input, times since the start.
pub fn timeline(entries: &[Entry<Input>]) -> Vec<String> {
    let _ = entries;
    todo!("issue 10: timeline")
}
