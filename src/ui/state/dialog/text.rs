//! Text in a dialog: a one-line [`TextInput`], and [`TypedConfirm`], a dialog that is
//! confirmed only by typing an expected word.

use super::Outcome;
use crate::ui::state::Action;

/// A one-line text field: characters are inserted at the cursor, backspace erases the
/// one before it, the cursor moves by character.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    chars: Vec<char>,
    /// Position in characters, 0..=len.
    cursor: usize,
}

impl TextInput {
    pub fn new() -> TextInput {
        TextInput::default()
    }

    pub fn insert(&mut self, c: char) {
        self.chars.insert(self.cursor, c);
        self.cursor += 1;
    }

    /// Erases the character before the cursor; whether there was one.
    pub fn backspace(&mut self) -> bool {
        if self.cursor == 0 {
            return false;
        }
        self.cursor -= 1;
        self.chars.remove(self.cursor);
        true
    }

    /// Moves the cursor one character left; whether it moved.
    pub fn left(&mut self) -> bool {
        let moved = self.cursor > 0;
        self.cursor = self.cursor.saturating_sub(1);
        moved
    }

    /// Moves the cursor one character right; whether it moved.
    pub fn right(&mut self) -> bool {
        let moved = self.cursor < self.chars.len();
        self.cursor = (self.cursor + 1).min(self.chars.len());
        moved
    }

    pub fn clear(&mut self) {
        self.chars.clear();
        self.cursor = 0;
    }

    pub fn text(&self) -> String {
        self.chars.iter().collect()
    }

    /// The cursor, in characters from the start.
    pub fn cursor(&self) -> usize {
        self.cursor
    }
}

/// A dialog confirmed only by typing a word: it shows what will happen (`payload`, for
/// instance an [`Effect`](crate::ui::state::Effect)) and hands it back only when the
/// operator typed exactly `expected` and pressed Enter.
///
/// Meant for the dangerous steps, rollback first:
///
/// ```
/// use cutover::ui::state::dialog::{Outcome, TypedConfirm};
/// use cutover::ui::state::Action;
/// // "type the version / the batch name / EMERGENCY to roll back"
/// let mut d = TypedConfirm::new("roll back 0042_add_index", "0042", "rollback 0042");
/// for c in "0042".chars() {
///     d.handle(Action::Type(c));
/// }
/// assert_eq!(d.handle(Action::Submit), Outcome::Confirmed("rollback 0042"));
/// ```
///
/// A wrong word does nothing: the dialog stays open, says so (`error`) and clears the
/// field. Esc (bound to [`Action::No`]) cancels. Every other key is swallowed; `y` and
/// `n` are text here, not answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedConfirm<P> {
    /// What the dialog asks, e.g. "roll back batch 3 schema": how it shows the payload
    /// (its title), so the operator reads what the word will set off.
    pub prompt: String,
    /// The word to type.
    pub expected: String,
    /// What happens if confirmed.
    pub payload: P,
    pub input: TextInput,
    /// Why the last submission did nothing.
    pub error: Option<String>,
}

impl<P: Clone> TypedConfirm<P> {
    pub fn new(prompt: impl Into<String>, expected: impl Into<String>, payload: P) -> Self {
        TypedConfirm {
            prompt: prompt.into(),
            expected: expected.into(),
            payload,
            input: TextInput::new(),
            error: None,
        }
    }

    /// One key. Typing edits the field; Enter confirms if the field holds the expected
    /// word, else says so and stays open; Esc cancels; anything else is swallowed.
    pub fn handle(&mut self, a: Action) -> Outcome<P> {
        let changed = match a {
            Action::Type(c) => {
                self.input.insert(c);
                true
            }
            Action::Backspace => self.input.backspace(),
            Action::CursorLeft => self.input.left(),
            Action::CursorRight => self.input.right(),
            Action::Submit => {
                let typed = self.input.text();
                if typed == self.expected {
                    return Outcome::Confirmed(self.payload.clone());
                }
                self.error = Some(format!(
                    "\"{typed}\" is not \"{}\": nothing done",
                    self.expected
                ));
                self.input.clear();
                true
            }
            Action::No | Action::Back | Action::Quit => return Outcome::Cancelled,
            _ => false,
        };
        if changed {
            Outcome::Changed
        } else {
            Outcome::Ignored
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::state::Effect;

    fn typed(d: &mut TypedConfirm<Effect>, word: &str) {
        for c in word.chars() {
            assert_eq!(d.handle(Action::Type(c)), Outcome::Changed);
        }
    }

    fn rollback() -> TypedConfirm<Effect> {
        TypedConfirm::new("roll back batch 1", "EMERGENCY", Effect::ApplyBatch(1))
    }

    #[test]
    fn text_input_inserts_erases_and_moves_at_the_cursor() {
        let mut t = TextInput::new();
        for c in "ac".chars() {
            t.insert(c);
        }
        assert!(t.left());
        t.insert('b');
        assert_eq!((t.text().as_str(), t.cursor()), ("abc", 2));
        assert!(t.right());
        assert!(!t.right(), "at the end");
        assert!(t.backspace());
        assert_eq!(t.text(), "ab");
        t.clear();
        assert!(!t.backspace() && !t.left());
    }

    #[test]
    fn typed_confirm_wrong_word_does_nothing_and_says_so() {
        let mut d = rollback();
        typed(&mut d, "emergency");
        assert_eq!(d.handle(Action::Submit), Outcome::Changed, "stays open");
        let error = d.error.clone().expect("the dialog says why");
        assert!(error.contains("nothing done") && error.contains("EMERGENCY"));
        assert_eq!(d.input.text(), "", "the field starts over");
        assert_eq!(
            d.handle(Action::Submit),
            Outcome::Changed,
            "empty is wrong too"
        );
    }

    #[test]
    fn typed_confirm_right_word_emits_the_payload() {
        let mut d = rollback();
        typed(&mut d, "EMERGENCX");
        assert_eq!(d.handle(Action::Backspace), Outcome::Changed);
        typed(&mut d, "Y");
        assert_eq!(
            d.handle(Action::Submit),
            Outcome::Confirmed(Effect::ApplyBatch(1))
        );
    }

    #[test]
    fn typed_confirm_esc_cancels() {
        let mut d = rollback();
        typed(&mut d, "EMERGENCY");
        assert_eq!(d.handle(Action::No), Outcome::Cancelled);
        assert_eq!(rollback().handle(Action::Back), Outcome::Cancelled);
    }

    #[test]
    fn typed_confirm_swallows_every_other_key() {
        let mut d = rollback();
        for a in [
            Action::Yes,
            Action::ApplyNext,
            Action::ApplyBatch,
            Action::Pause,
            Action::Open,
            Action::Help,
            Action::Up,
            Action::ResolveApplied,
            Action::CancelStatement,
        ] {
            assert_eq!(d.handle(a), Outcome::Ignored, "{a:?}");
        }
        assert_eq!(d, rollback(), "nothing changed");
        // y and n are letters to type, not answers.
        typed(&mut d, "yn");
        assert_eq!(d.input.text(), "yn");
    }
}
