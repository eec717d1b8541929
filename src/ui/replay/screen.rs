//! The screen a recording ends on, and the theme it was drawn with.

use crate::ui::record::{initial, refold_from, SessionHeader};
use crate::ui::state::{Input, State};
use crate::ui::theme::{Theme, BUILTIN};
use crate::ui::view;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::text::Span;
use ratatui::Terminal;
use std::path::Path;

/// The state the live session's last frame showed: the header's initial state with
/// every input folded (operator notes and unseen events fold as nothing, as live).
pub fn final_state<'a>(
    header: &SessionHeader,
    inputs: impl IntoIterator<Item = &'a Input>,
) -> State {
    refold_from(initial(header), inputs)
}

/// The terminal size the last frame was drawn at: the last resize, else the header's.
pub fn final_size<'a>(
    header: &SessionHeader,
    inputs: impl IntoIterator<Item = &'a Input>,
) -> (u16, u16) {
    let mut size = (header.width, header.height);
    for i in inputs {
        if let Input::Resize { width, height, .. } = i {
            size = (*width, *height);
        }
    }
    size
}

/// Draws `state` on a terminal of `width` x `height` that exists only in memory.
pub fn render(state: &State, theme: &Theme, width: u16, height: u16) -> Buffer {
    let mut term = match Terminal::new(TestBackend::new(width, height)) {
        Ok(t) => t,
        // TestBackend never fails; an empty screen rather than a panic if it ever did.
        Err(_) => return Buffer::empty(ratatui::layout::Rect::new(0, 0, width, height)),
    };
    let _ = term.draw(|f| view::draw(f, state, theme));
    term.backend().buffer().clone()
}

/// A buffer as text, one line per row, trailing spaces trimmed. A wide character's
/// covered cells are skipped, as a terminal shows them.
pub fn rows(buf: &Buffer) -> Vec<String> {
    let area = buf.area;
    let mut out = Vec::with_capacity(area.height as usize);
    for y in area.top()..area.bottom() {
        let mut line = String::new();
        let mut skip = 0usize;
        for x in area.left()..area.right() {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = buf[(x, y)].symbol();
            line.push_str(sym);
            skip = Span::raw(sym).width().saturating_sub(1);
        }
        out.push(line.trim_end().to_string());
    }
    out
}

/// The theme a session was drawn with, at the depth it was drawn at: a built-in by
/// name, or monochrome. A user's theme file is not in the journal: the default theme
/// stands in, and the note says so.
pub fn theme_for(header: &SessionHeader) -> (Theme, Option<String>) {
    let name = header.theme.as_str();
    if name == "monochrome" {
        return (Theme::monochrome(), None);
    }
    let builtin = BUILTIN.iter().any(|(n, _)| *n == name);
    let choice = builtin.then_some(name);
    match Theme::load(choice, Path::new("."), header.depth) {
        Ok(t) if builtin => (t, None),
        Ok(t) => (
            t,
            Some(format!(
                "the session used the theme {name:?} from a file the journal does not hold: drawn with the default theme (the text is the same)"
            )),
        ),
        Err(e) => (
            Theme::monochrome(),
            Some(format!("the built-in theme {name:?} did not load ({e}): drawn without colour")),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, Stamped};
    use crate::ui::state::Action;

    /// The live loop draws only when `apply` says something changed; a replay draws
    /// the fold. So an input `apply` calls unchanged must leave the screen as it was.
    #[test]
    fn an_input_that_changes_nothing_drawn_says_so_and_one_that_moves_the_clock_redraws() {
        let t = Theme::monochrome();
        let mut s = State::default();
        let start = 1_000_000;
        let started = Input::Engine(Stamped {
            at_ms: start,
            event: Event::SessionStarted {
                plan: "p".into(),
                target: "sqlite://x".into(),
                operator: "ana".into(),
                host: "h".into(),
                version: "0".into(),
            },
        });
        let mut fx = Vec::new();
        s.apply(&started, &mut fx);
        // Idle, the clock shows minutes: a key that does nothing at 59 s, one just past
        // the minute, then the minute's tick a few ms later.
        let inputs = [
            Input::action(Action::Submit, start + 59_000),
            Input::action(Action::Submit, start + 60_001),
            Input::Tick {
                at_ms: start + 60_005,
            },
        ];
        let mut shown = render(&s, &t, 100, 30);
        for i in &inputs {
            let changed = s.apply(i, &mut fx);
            let now = render(&s, &t, 100, 30);
            assert!(
                changed || now == shown,
                "{i:?} changed the screen but said not"
            );
            shown = now;
        }
        assert!(rows(&shown)[0].contains("0h01m"), "{:?}", rows(&shown)[0]);
    }
}
