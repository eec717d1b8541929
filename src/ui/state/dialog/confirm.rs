//! A yes/no dialog: only an explicit yes confirms; no, Esc, back and quit cancel; every
//! other key is swallowed.

use super::Outcome;
use crate::ui::state::Action;

/// The answer to a yes/no dialog whose payload is `payload`.
pub fn yes_no<P>(a: Action, payload: P) -> Outcome<P> {
    match a {
        Action::Yes => Outcome::Confirmed(payload),
        Action::No | Action::Back | Action::Quit => Outcome::Cancelled,
        _ => Outcome::Ignored,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yes_no_confirms_only_on_yes() {
        assert_eq!(yes_no(Action::Yes, 7), Outcome::Confirmed(7));
        for a in [Action::No, Action::Back, Action::Quit] {
            assert_eq!(yes_no(a, 7), Outcome::Cancelled);
        }
        for a in [
            Action::ApplyNext,
            Action::Open,
            Action::Type('y'),
            Action::Submit,
        ] {
            assert_eq!(yes_no(a, 7), Outcome::Ignored);
        }
    }
}
