//! One table of key bindings: the keys the reducer understands, the key bar, and the
//! help screen all come from it, so they cannot drift apart.

use super::state::{Action, Overlay, State};
use crate::engine::rules::{done, to_run};
use crate::event::FileStatus;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// When a binding means something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// The main screen, no dialog open.
    Main,
    /// The quit confirmation.
    Confirm,
    /// The confirmation before cancelling the running statement.
    ConfirmCancel,
    /// Resolving a `running` or `partial` file: pick, then confirm.
    Resolve,
    /// Help or a file's SQL.
    Overlay,
    /// A dialog confirmed by typing a word: characters not bound here go to its field.
    Typed,
}

pub struct Binding {
    /// What the key bar and help show, e.g. "↑/k".
    pub label: &'static str,
    pub action: Action,
    pub desc: &'static str,
    pub context: Context,
    /// Shown in the key bar (help shows every binding).
    pub in_bar: bool,
    /// The keys that make it, Ctrl chords included.
    keys: &'static [Key],
}

/// A key as the table binds it: a code, with or without Ctrl.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

/// A plain key.
const fn k(code: KeyCode) -> Key {
    Key { code, ctrl: false }
}

/// A Ctrl chord.
const fn c(ch: char) -> Key {
    Key {
        code: KeyCode::Char(ch),
        ctrl: true,
    }
}

const fn b(
    label: &'static str,
    keys: &'static [Key],
    action: Action,
    desc: &'static str,
    context: Context,
    in_bar: bool,
) -> Binding {
    Binding {
        label,
        action,
        desc,
        context,
        in_bar,
        keys,
    }
}

use Context::{Confirm, ConfirmCancel as Cancel, Main, Overlay as Ov, Resolve, Typed};
use KeyCode::{
    Backspace, Char, Down, End, Enter, Esc, Home, Left, PageDown, PageUp, Right, Tab, Up,
};

#[rustfmt::skip]
pub const BINDINGS: &[Binding] = &[
    b("a", &[k(Char('a'))], Action::ApplyNext, "apply next file", Main, true),
    b("A", &[k(Char('A'))], Action::ApplyBatch, "apply batch", Main, true),
    b("p", &[k(Char('p'))], Action::Pause, "pause after file", Main, true),
    b("x", &[k(Char('x'))], Action::CancelStatement, "cancel query", Main, true),
    b("m", &[k(Char('m'))], Action::Resolve, "resolve file", Main, true),
    b("r", &[k(Char('r'))], Action::RollbackFile, "roll back file", Main, true),
    b("R", &[k(Char('R'))], Action::RollbackBatch, "roll back batch", Main, true),
    b("E", &[k(Char('E'))], Action::RollbackEmergency, "emergency rollback", Main, true),
    b("t", &[k(Char('t'))], Action::Rehearse, "rehearse batch", Main, true),
    b("v", &[k(Char('v'))], Action::Validate, "validate", Main, true),
    b("V", &[k(Char('V'))], Action::ValidateBatch, "validate batch", Main, false),
    b("b", &[k(Char('b'))], Action::Bench, "benchmark", Main, true),
    b("B", &[k(Char('B'))], Action::BenchBatch, "benchmark batch", Main, false),
    b("↑/k", &[k(Up), k(Char('k'))], Action::Up, "move up", Main, false),
    b("↓/j", &[k(Down), k(Char('j'))], Action::Down, "move down", Main, false),
    b("g/Home", &[k(Char('g')), k(Home)], Action::Top, "first", Main, false),
    b("G/End", &[k(Char('G')), k(End)], Action::Bottom, "last", Main, false),
    b("C-u/PgUp", &[c('u'), k(PageUp)], Action::PageUp, "page up", Main, false),
    b("C-d/PgDn", &[c('d'), k(PageDown)], Action::PageDown, "page down", Main, false),
    b("Tab", &[k(Tab)], Action::NextPanel, "next panel", Main, true),
    b("S-Tab", &[k(KeyCode::BackTab)], Action::PrevPanel, "previous panel", Main, false),
    b("⏎/l", &[k(Enter), k(Char('l'))], Action::Open, "open", Main, true),
    b("Esc/h", &[k(Esc), k(Char('h'))], Action::Back, "back", Main, false),
    b("?", &[k(Char('?'))], Action::Help, "help", Main, true),
    // Ctrl-C quits as q does (in raw mode it is a key, not a signal).
    b("q", &[k(Char('q')), c('c')], Action::Quit, "quit", Main, true),
    b("y", &[k(Char('y')), k(Char('Y'))], Action::Yes, "yes, quit after the current file", Confirm, true),
    // In a dialog Ctrl-C closes it, as No does.
    b("n/Esc", &[k(Char('n')), k(Char('N')), k(Esc), c('c')], Action::No, "no, keep going", Confirm, true),
    b("y", &[k(Char('y')), k(Char('Y'))], Action::Yes, "yes, cancel the running statement", Cancel, true),
    b("n/Esc", &[k(Char('n')), k(Char('N')), k(Esc), c('c')], Action::No, "no, let it run", Cancel, true),
    b("a", &[k(Char('a'))], Action::ResolveApplied, "applied: all took effect", Resolve, true),
    b("p", &[k(Char('p'))], Action::ResolvePending, "pending: none remains", Resolve, true),
    b("y", &[k(Char('y')), k(Char('Y'))], Action::Yes, "record", Resolve, true),
    b("n/Esc", &[k(Char('n')), k(Char('N')), k(Esc), c('c')], Action::No, "decide later", Resolve, true),
    b("↑/k", &[k(Up), k(Char('k'))], Action::Up, "scroll up", Ov, true),
    b("↓/j", &[k(Down), k(Char('j'))], Action::Down, "scroll down", Ov, true),
    b("PgUp", &[k(PageUp), c('u')], Action::PageUp, "page up", Ov, false),
    b("PgDn", &[k(PageDown), c('d')], Action::PageDown, "page down", Ov, false),
    b("g/Home", &[k(Char('g')), k(Home)], Action::Top, "top", Ov, false),
    b("G/End", &[k(Char('G')), k(End)], Action::Bottom, "bottom", Ov, false),
    b("Esc/q/⏎", &[k(Esc), k(Char('q')), k(Enter), c('c')], Action::Back, "close", Ov, true),
    // Typed confirmation: every other plain character is text (see `action_for`).
    b("⏎", &[k(Enter)], Action::Submit, "confirm what you typed", Typed, true),
    b("⌫", &[k(Backspace)], Action::Backspace, "erase", Typed, false),
    b("←", &[k(Left)], Action::CursorLeft, "cursor left", Typed, false),
    b("→", &[k(Right)], Action::CursorRight, "cursor right", Typed, false),
    b("Esc", &[k(Esc), c('c')], Action::No, "cancel (default)", Typed, true),
    b("↑", &[k(Up)], Action::Up, "scroll the list up", Typed, false),
    b("↓", &[k(Down)], Action::Down, "scroll the list down", Typed, false),
    b("PgUp", &[k(PageUp)], Action::PageUp, "page up the list", Typed, false),
    b("PgDn", &[k(PageDown)], Action::PageDown, "page down the list", Typed, false),
];

pub fn context(state: &State) -> Context {
    match state.overlay {
        Some(Overlay::ConfirmQuit) => Context::Confirm,
        Some(Overlay::ConfirmCancel) => Context::ConfirmCancel,
        Some(Overlay::Resolve(_)) => Context::Resolve,
        Some(Overlay::Typed(_) | Overlay::Rollback(_) | Overlay::Force(_)) => Context::Typed,
        Some(_) => Context::Overlay,
        None => Context::Main,
    }
}

/// The action a key press means now, if any. Key releases and repeats of other kinds
/// are ignored (Windows reports releases).
pub fn action_for(key: &KeyEvent, state: &State) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let pressed = Key {
        code: key.code,
        ctrl: key.modifiers.contains(KeyModifiers::CONTROL),
    };
    let ctx = context(state);
    let bound = BINDINGS
        .iter()
        .filter(|b| b.context == ctx)
        .find(|b| b.keys.contains(&pressed))
        .map(|b| b.action);
    // In a text field, a plain character that no binding takes is typed.
    match (bound, ctx, key.code) {
        (None, Context::Typed, Char(ch))
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            Some(Action::Type(ch))
        }
        _ => bound,
    }
}

/// A key as a journal and a person read it: `j`, `Enter`, `C-c`, `S-Tab`.
pub fn key_name(key: &KeyEvent) -> String {
    let base = match key.code {
        Char(' ') => "Space".to_string(),
        Char(c) => c.to_string(),
        KeyCode::BackTab => "S-Tab".to_string(),
        KeyCode::F(n) => format!("F{n}"),
        other => format!("{other:?}"),
    };
    let mut name = String::new();
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        name.push_str("C-");
    }
    if key.modifiers.contains(KeyModifiers::ALT) {
        name.push_str("M-");
    }
    name.push_str(&base);
    name
}

/// Whether an action does something in the state as it is (the key bar shows only those).
pub fn available(action: Action, state: &State) -> bool {
    let busy = state.job.is_some();
    let unresolved = state.first_unresolved().is_some();
    match action {
        // Applying refuses while a file may be partly applied: `r` is offered instead.
        Action::ApplyNext => {
            !state.read_only && !busy && !unresolved && state.next_pending().is_some()
        }
        Action::ApplyBatch => {
            !state.read_only
                && !busy
                && !unresolved
                && !state.batches.is_empty()
                && state.batch_ready(state.selected_batch)
        }
        Action::Pause => !state.read_only && busy && !state.pause_requested,
        Action::CancelStatement => !state.read_only && busy,
        Action::Resolve => !state.read_only && !busy && unresolved,
        Action::RollbackFile => {
            let file = state.cursor_file().map(|i| state.files[i].status);
            !state.read_only && !busy && file.is_some_and(undoable)
        }
        Action::RollbackBatch => {
            let files = state.batch_files();
            !state.read_only && !busy && files.iter().any(|&i| undoable(state.files[i].status))
        }
        Action::RollbackEmergency => {
            let any = state.files.iter().any(|f| undoable(f.status));
            !state.read_only && !busy && any
        }
        Action::Rehearse => {
            let files = state.batch_files();
            let pending = files.iter().any(|&i| to_run(state.files[i].status));
            !state.read_only && !busy && pending
        }
        Action::Validate | Action::Bench => !state.read_only && !busy,
        Action::ValidateBatch | Action::BenchBatch => {
            !state.read_only && !busy && !state.batches.is_empty()
        }
        Action::Yes => !matches!(&state.overlay, Some(Overlay::Resolve(d)) if d.choice.is_none()),
        _ => true,
    }
}

/// Whether a file has something a rollback would undo (a rollback left halfway is
/// finished by the next one).
fn undoable(st: FileStatus) -> bool {
    done(st) || st == FileStatus::RollingBack
}

/// The key bar's entries for the state as it is.
pub fn bar(state: &State) -> Vec<(&'static str, &'static str)> {
    let ctx = context(state);
    BINDINGS
        .iter()
        .filter(|b| b.context == ctx && b.in_bar && available(b.action, state))
        .map(|b| (b.label, b.desc))
        .collect()
}

/// Every binding for the help screen, per context.
pub fn help() -> Vec<(&'static str, &'static str, Context)> {
    let mut seen = Vec::new();
    for b in BINDINGS {
        if !seen.iter().any(|(l, d, c): &(&str, &str, Context)| {
            *l == b.label && *d == b.desc && *c == b.context
        }) {
            seen.push((b.label, b.desc, b.context));
        }
    }
    seen
}

/// The contexts help lists, with their headings, in order.
pub const HELP_CONTEXTS: [(Context, &str); 6] = [
    (Context::Main, "Main screen"),
    (
        Context::Typed,
        "Typed confirmation (rollback, restore, going on past a failed batch)",
    ),
    (Context::Overlay, "Help, SQL and benchmark views"),
    (Context::Confirm, "Quit dialog"),
    (Context::ConfirmCancel, "Cancel dialog"),
    (Context::Resolve, "Resolve dialog"),
];

/// What the marks in the files table, the batches and the benchmarks mean (help shows
/// them after the keys).
pub const MARKS: [(&str, &str); 8] = [
    ("↶ / ↺", "rolling back / rolled back"),
    (
        "#12○◎●◌✖",
        "checkpoint: created validated active superseded failed",
    ),
    (
        "✓ / ✗",
        "rehearsal: reversible / not (why: under the table)",
    ),
    ("⚠", "runs outside one transaction"),
    (
        "3/3 ✖2/3",
        "checks passed/total: ✖ error or critical, ⚠ warning",
    ),
    (
        "✔ ✖ ⚑ checks",
        "batch checks: passed, failed (next waits), forced",
    ),
    (
        "▁▃▅ ✔ ✖ ▲",
        "benchmark p95 over time: ok, over/failed, regressed",
    ),
    ("⟳", "benchmark running"),
];

/// One line of the help screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelpLine {
    Heading(&'static str),
    /// A key (or mark) and what it does (or means).
    Entry(&'static str, &'static str),
}

/// The help screen, line by line: each context's heading and bindings, then the marks.
pub fn help_lines() -> Vec<HelpLine> {
    let all = help();
    let mut lines = Vec::new();
    for (ctx, heading) in HELP_CONTEXTS {
        lines.push(HelpLine::Heading(heading));
        for (label, desc, c) in &all {
            if *c == ctx {
                lines.push(HelpLine::Entry(label, desc));
            }
        }
    }
    lines.push(HelpLine::Heading("Marks"));
    for (mark, meaning) in MARKS {
        lines.push(HelpLine::Entry(mark, meaning));
    }
    lines
}

/// How many help lines show on a screen `height` rows high (the popup's borders take
/// two).
pub fn help_rows(height: u16) -> usize {
    (help_lines().len() + 2)
        .min(height as usize)
        .saturating_sub(2)
}

/// How far help scrolls: until its last line shows.
pub fn help_max_scroll(height: u16) -> usize {
    help_lines().len().saturating_sub(help_rows(height))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn no_two_bindings_of_one_context_share_a_key() {
        for (i, a) in BINDINGS.iter().enumerate() {
            for b in &BINDINGS[i + 1..] {
                if a.context == b.context && a.action != b.action {
                    for k in a.keys {
                        assert!(
                            !b.keys.contains(k),
                            "{k:?} bound to {:?} and {:?}",
                            a.action,
                            b.action
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn keys_mean_what_the_context_says() {
        let mut s = State::default();
        assert_eq!(action_for(&key(Char('j')), &s), Some(Action::Down));
        assert_eq!(action_for(&key(Char('y')), &s), None);
        s.overlay = Some(Overlay::ConfirmQuit);
        assert_eq!(action_for(&key(Char('y')), &s), Some(Action::Yes));
        assert_eq!(
            action_for(&key(Char('a')), &s),
            None,
            "the dialog consumes every other key"
        );
        assert_eq!(
            action_for(
                &KeyEvent::new(Char('d'), KeyModifiers::CONTROL),
                &State::default()
            ),
            Some(Action::PageDown)
        );
    }

    #[test]
    fn ctrl_chords_are_read_from_the_table() {
        let chord = |ch| KeyEvent::new(Char(ch), KeyModifiers::CONTROL);
        let mut s = State::default();
        assert_eq!(action_for(&chord('u'), &s), Some(Action::PageUp));
        assert_eq!(action_for(&chord('c'), &s), Some(Action::Quit));
        assert_eq!(action_for(&chord('a'), &s), None, "Ctrl-a is not a");
        for (overlay, closes) in [
            (Overlay::ConfirmQuit, Action::No),
            (Overlay::ConfirmCancel, Action::No),
            (Overlay::Help { scroll: 0 }, Action::Back),
        ] {
            s.overlay = Some(overlay);
            assert_eq!(action_for(&chord('c'), &s), Some(closes));
            assert_eq!(
                action_for(&chord('d'), &s) == Some(Action::PageDown),
                s.overlay == Some(Overlay::Help { scroll: 0 })
            );
        }
        // Every chord a context binds is in that context's table row, so help shows
        // the row the chord belongs to.
        for b in BINDINGS.iter().filter(|b| b.keys.iter().any(|k| k.ctrl)) {
            assert!(help()
                .iter()
                .any(|(l, d, c)| *l == b.label && *d == b.desc && *c == b.context));
        }
    }

    #[test]
    fn a_typed_dialog_takes_characters_as_text() {
        use super::super::state::dialog::TypedConfirm;
        use super::super::state::Effect;
        let s = State {
            overlay: Some(Overlay::Typed(TypedConfirm::new(
                "roll back",
                "EMERGENCY",
                Effect::Pause,
            ))),
            ..State::default()
        };
        for ch in ['y', 'n', 'q', 'a', 'E', '?'] {
            assert_eq!(action_for(&key(Char(ch)), &s), Some(Action::Type(ch)));
        }
        assert_eq!(action_for(&key(Enter), &s), Some(Action::Submit));
        assert_eq!(action_for(&key(Esc), &s), Some(Action::No));
        assert_eq!(action_for(&key(Backspace), &s), Some(Action::Backspace));
        assert_eq!(
            action_for(&KeyEvent::new(Char('c'), KeyModifiers::CONTROL), &s),
            Some(Action::No)
        );
        assert_eq!(
            action_for(&KeyEvent::new(Char('d'), KeyModifiers::CONTROL), &s),
            None,
            "a chord is not text"
        );
        let labels: Vec<_> = bar(&s).into_iter().map(|(l, _)| l).collect();
        assert_eq!(labels, ["⏎", "Esc"]);
    }

    #[test]
    fn key_names_say_the_chord() {
        assert_eq!(
            key_name(&KeyEvent::new(Char('c'), KeyModifiers::CONTROL)),
            "C-c"
        );
        assert_eq!(key_name(&key(Char('j'))), "j");
        assert_eq!(key_name(&key(Enter)), "Enter");
    }

    #[test]
    fn key_bar_shows_only_what_applies_now() {
        let s = State::default();
        let labels: Vec<_> = bar(&s).into_iter().map(|(l, _)| l).collect();
        assert!(!labels.contains(&"a"), "nothing to apply in an empty plan");
        assert!(!labels.contains(&"p"), "nothing to pause");
        assert!(labels.contains(&"q"));
    }
}
