//! Saying what a `running` or `partial` file turned out to be: the operator picks
//! applied or pending, then confirms the pick; without a pick, yes does nothing.

use super::Outcome;
use crate::command::Resolution;
use crate::ui::state::Action;

/// The resolve dialog's state: the file (index into `State::files`) and the pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolve {
    pub file: usize,
    pub choice: Option<Resolution>,
}

impl Resolve {
    pub fn new(file: usize) -> Resolve {
        Resolve { file, choice: None }
    }

    /// One key: a pick changes the dialog; yes confirms the pick (if any).
    pub fn handle(&mut self, a: Action) -> Outcome<Resolution> {
        match (a, self.choice) {
            (Action::ResolveApplied, _) => self.choice = Some(Resolution::Applied),
            (Action::ResolvePending, _) => self.choice = Some(Resolution::Pending),
            (Action::Yes, Some(how)) => return Outcome::Confirmed(how),
            (Action::No | Action::Back | Action::Quit, _) => return Outcome::Cancelled,
            _ => return Outcome::Ignored,
        }
        Outcome::Changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_confirms_only_a_pick() {
        let mut d = Resolve::new(3);
        assert_eq!(d.handle(Action::Yes), Outcome::Ignored, "no pick yet");
        assert_eq!(d.handle(Action::ResolvePending), Outcome::Changed);
        assert_eq!(d.handle(Action::ApplyNext), Outcome::Ignored);
        assert_eq!(
            d.handle(Action::Yes),
            Outcome::Confirmed(Resolution::Pending)
        );
        assert_eq!(d.handle(Action::No), Outcome::Cancelled);
    }
}
