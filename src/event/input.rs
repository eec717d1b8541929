//! The inputs a cockpit folds: engine events, operator actions, resizes, ticks, and
//! notes of what an operator did. Part of the event vocabulary because a journal
//! records them and a replay folds them; variants are only ever added.

use super::Stamped;
use serde::{Deserialize, Serialize};

/// One input to the reducer, with its time: everything the screen shows is a fold of
/// these (and the session header), so a recording of them replays the screen exactly.
/// Serialized one per line in a journal; variants are only ever added. Externally
/// tagged (`{"engine": {...}}`): serde reads such an enum in one pass, where an
/// internally tagged one is buffered first (a million-line replay read in 1.86 s
/// instead of 2.50 s).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Input {
    /// An engine event, stamped by the engine.
    Engine(Stamped),
    /// An operator's key, at the wall time it was pressed (ms since the epoch): the key
    /// as pressed (e.g. `C-c`, `j`; none when an action was not typed) and the action the
    /// keymap resolved it to. The reducer folds the action, so a replay needs no keymap.
    Action {
        action: Action,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<String>,
        at_ms: i64,
    },
    /// The terminal's size changed (or was first read), at this wall time.
    Resize { width: u16, height: u16, at_ms: i64 },
    /// The animation timer fired, at this wall time (ms since the epoch).
    Tick { at_ms: i64 },
    /// What an operator did, in the words an audit lists: recorded just after the
    /// input that did it (a typed confirmation's verdict needs the dialog to tell).
    /// The reducer folds it as nothing: the input that did it was folded already.
    Operator { did: Did, at_ms: i64 },
    /// An engine event that came after the cockpit gave the screen back (the session
    /// closing after a quit or a signal): kept for the audit, folded as nothing, since
    /// no screen showed it.
    Unseen(Stamped),
}

/// An operator's deed, for the audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "did", rename_all = "snake_case")]
pub enum Did {
    /// A headless command: its arguments (any URL's password removed).
    Command { args: Vec<String> },
    /// Something the engine was asked to do (apply, validate, roll back, pause...).
    Requested { what: String },
    /// A dialog was confirmed: `typed` is the word typed, or the key that confirmed.
    Confirmed { what: String, typed: String },
    /// A typed confirmation did not match: nothing was done.
    Mistyped {
        what: String,
        typed: String,
        expected: String,
    },
    /// A dialog was closed without doing anything.
    Cancelled { what: String },
}

impl Input {
    /// An action that no key made (tests, scripted sessions).
    pub fn action(action: Action, at_ms: i64) -> Input {
        Input::Action {
            action,
            key: None,
            at_ms,
        }
    }

    /// When it happened, in ms since the epoch.
    pub fn at_ms(&self) -> i64 {
        match self {
            Input::Engine(s) | Input::Unseen(s) => s.at_ms,
            Input::Action { at_ms, .. }
            | Input::Resize { at_ms, .. }
            | Input::Tick { at_ms }
            | Input::Operator { at_ms, .. } => *at_ms,
        }
    }
}

/// What an operator's key means, once the keymap has read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    NextPanel,
    PrevPanel,
    Open,
    Back,
    Help,
    ApplyNext,
    ApplyBatch,
    Pause,
    Quit,
    Yes,
    No,
    /// Cancel the running statement (asks first).
    CancelStatement,
    /// Say what a `running` or `partial` file turned out to be (asks first).
    Resolve,
    /// In the resolve dialog: all of it took effect.
    ResolveApplied,
    /// In the resolve dialog: none of it remains.
    ResolvePending,
    /// In a dialog with a text field: a typed character.
    Type(char),
    /// In a dialog with a text field: erase the character before the cursor.
    Backspace,
    /// In a dialog with a text field: cursor one character left.
    CursorLeft,
    /// In a dialog with a text field: cursor one character right.
    CursorRight,
    /// In a dialog with a text field: submit what was typed.
    Submit,
    /// Roll back the selected file and every file applied after it (asks first).
    RollbackFile,
    /// Roll back the selected batch's applied files (asks first).
    RollbackBatch,
    /// Restore the backup taken when the migration window opened (asks first).
    RollbackEmergency,
    /// Up, down, up of the selected batch's pending files on a scratch copy.
    Rehearse,
    /// Run the checks of every applied batch, the database's and the verify scripts.
    Validate,
    /// Run the selected batch's checks.
    ValidateBatch,
    /// Run every benchmark of the plan.
    Bench,
    /// Run the selected batch's benchmarks.
    BenchBatch,
}
