//! The one input stream and its recording. Everything the screen shows is a fold of
//! the session header (what the view depends on besides the inputs) and the inputs, in
//! the order the reducer took them. `fold` is the only way the event loop changes the
//! state, and it hands each input to a `Recorder` as it folds it, with a note of what
//! the operator did when an action did something, so a recording holds exactly what
//! was folded, interleaved as it was. The journal (`JournalRecorder`) is the recorder
//! of a real session, and a replay is `refold` of what it wrote.

use super::state::{Effect, Input, State};
use super::theme::{Depth, Theme};
use crate::event::Did;
use crate::journal::{self, Writer};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Who runs what where: the fields of the engine's `SessionStarted`, known before the
/// screen is taken.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub plan: String,
    /// The target URL with any password removed.
    pub target: String,
    pub operator: String,
    pub host: String,
    /// cutover's version.
    pub version: String,
}

/// Everything the view depends on that is not an input: written once, before the
/// first input. A replay loads the same theme at the same depth into a terminal of
/// this size, then folds the inputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionHeader {
    /// The journal format (`journal::FORMAT`).
    #[serde(default)]
    pub format: u32,
    /// What recorded it: `cockpit`, or the headless command (`apply`, `rollback`...).
    #[serde(default)]
    pub mode: String,
    /// The plan file's sha256 (hex), when there is a plan file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_sha256: Option<String>,
    /// Whether the session was recorded (the header shows `● rec`).
    #[serde(default)]
    pub recording: bool,
    /// The terminal's size when the session began (later sizes are `Resize` inputs).
    pub width: u16,
    pub height: u16,
    /// The theme's name (built-in, or the name a theme file gives itself).
    pub theme: String,
    pub depth: Depth,
    #[serde(flatten)]
    pub session: SessionInfo,
}

impl SessionHeader {
    pub fn new(width: u16, height: u16, theme: &Theme, session: SessionInfo) -> SessionHeader {
        SessionHeader {
            format: journal::FORMAT,
            mode: "cockpit".into(),
            plan_sha256: None,
            recording: false,
            width,
            height,
            theme: theme.name.clone(),
            depth: theme.depth,
            session,
        }
    }
}

/// Where the input stream goes as it is folded. Called from the event loop only.
pub trait Recorder {
    /// Whether what it records is kept (the header then shows `● rec`).
    fn keeps(&self) -> bool {
        false
    }
    /// Once, before the first input.
    fn start(&mut self, header: &SessionHeader) -> std::io::Result<()>;
    /// Every input, as the reducer folds it (before its effects are carried out). An
    /// error ends the loop: a session that is recorded must not go on unrecorded.
    fn record(&mut self, input: Input) -> std::io::Result<()>;
}

/// Records nothing, at no cost (the loop is generic over its recorder, so these calls
/// compile away).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRecorder;

impl Recorder for NoRecorder {
    #[inline(always)]
    fn start(&mut self, _: &SessionHeader) -> std::io::Result<()> {
        Ok(())
    }

    #[inline(always)]
    fn record(&mut self, _: Input) -> std::io::Result<()> {
        Ok(())
    }
}

/// Keeps the header and the inputs in memory (tests; a journal writer streams them).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recording {
    pub header: Option<SessionHeader>,
    pub inputs: Vec<Input>,
}

impl Recorder for Recording {
    fn start(&mut self, header: &SessionHeader) -> std::io::Result<()> {
        self.header = Some(header.clone());
        Ok(())
    }

    fn record(&mut self, input: Input) -> std::io::Result<()> {
        self.inputs.push(input);
        Ok(())
    }
}

/// The session journal as a recorder: the header opens the file, each input is one
/// line, synced to disk at operator actions, checkpoints and rollbacks.
pub struct JournalRecorder {
    dir: PathBuf,
    started_ms: i64,
    plan_sha256: Option<String>,
    writer: Option<Writer<Input>>,
}

impl JournalRecorder {
    /// A journal in `dir` (a plan's `.cutover/sessions`) for a session that started
    /// at `started_ms`; the file is created when the header comes.
    pub fn new(dir: PathBuf, started_ms: i64, plan_sha256: Option<String>) -> Self {
        JournalRecorder {
            dir,
            started_ms,
            plan_sha256,
            writer: None,
        }
    }

    /// The journal's file, once created.
    pub fn path(&self) -> Option<PathBuf> {
        self.writer.as_ref().map(|w| w.path().to_path_buf())
    }

    /// Writes what is queued and closes the file: where it is.
    pub fn finish(self) -> Result<Option<PathBuf>, journal::JournalError> {
        self.writer.map(Writer::finish).transpose()
    }
}

impl Recorder for JournalRecorder {
    fn keeps(&self) -> bool {
        true
    }

    fn start(&mut self, header: &SessionHeader) -> std::io::Result<()> {
        let mut header = header.clone();
        header.plan_sha256 = self.plan_sha256.clone();
        let plan = header.session.plan.clone();
        let w = Writer::create(&self.dir, &plan, self.started_ms, &header)
            .map_err(std::io::Error::other)?;
        self.writer = Some(w);
        Ok(())
    }

    fn record(&mut self, input: Input) -> std::io::Result<()> {
        let Some(w) = self.writer.as_mut() else {
            return Err(std::io::Error::other("the journal was not started"));
        };
        let sync = journal::sync_point(&input);
        w.append(input.at_ms(), input, sync)
            .map_err(std::io::Error::other)
    }
}

/// The one place an input reaches the state: folded, then recorded, followed by a note
/// of each thing an operator's action did (`Input::Operator`). Returns whether anything
/// visible changed; effects for the event loop are pushed onto `effects`.
#[inline]
pub fn fold<R: Recorder>(
    state: &mut State,
    recorder: &mut R,
    input: Input,
    effects: &mut Vec<Effect>,
) -> std::io::Result<bool> {
    let before = effects.len();
    let changed = state.apply(&input, effects);
    let (at_ms, by_operator) = (input.at_ms(), matches!(input, Input::Action { .. }));
    recorder.record(input)?;
    for e in &effects[before..] {
        if let Some(did) = deed(e, by_operator) {
            recorder.record(Input::Operator { did, at_ms })?;
        }
    }
    Ok(changed)
}

/// What an effect tells of the operator: its own note, or (for an action's effect)
/// what the engine was asked to do.
fn deed(e: &Effect, by_operator: bool) -> Option<Did> {
    let what = match e {
        Effect::Note(did) => return Some(did.clone()),
        _ if !by_operator => return None,
        Effect::ApplyTo(v) => format!("apply up to {v}"),
        Effect::ApplyBatch(n) => format!("apply batch {n}"),
        Effect::ApplyForced { to, batch, reason } => match (to, batch) {
            (Some(v), _) => format!("apply up to {v} past a failed validation ({reason})"),
            (None, Some(n)) => format!("apply batch {n} past a failed validation ({reason})"),
            (None, None) => format!("apply past a failed validation ({reason})"),
        },
        Effect::Pause => "pause after the current file".into(),
        Effect::CancelStatement => "cancel the running statement".into(),
        Effect::Resolve { version, how } => format!("resolve {version} as {how:?}").to_lowercase(),
        Effect::PreviewRollback(scope) => format!("preview a rollback of {}", words(scope)),
        Effect::PreviewRestore(scope) => format!("preview a restore for {}", words(scope)),
        Effect::Rollback { scope, restore } => {
            let how = if *restore { "restore for" } else { "roll back" };
            format!("{how} {}", words(scope))
        }
        Effect::Rehearse(n) => format!("rehearse batch {n}"),
        Effect::Validate(b) => b.map_or("validate".into(), |n| format!("validate batch {n}")),
        Effect::Bench(b) => b.map_or("benchmark".into(), |n| format!("benchmark batch {n}")),
        Effect::Quit => "quit".into(),
    };
    Some(Did::Requested { what })
}

fn words(scope: &crate::event::RollbackScope) -> String {
    use crate::event::RollbackScope;
    match scope {
        RollbackScope::File { version } => format!("file {version} and every file after it"),
        RollbackScope::Batch { batch } => format!("batch {batch}"),
        RollbackScope::Emergency => "everything (emergency restore)".into(),
    }
}

/// Folds a recording into a fresh state, through the same `fold` as the live loop.
/// Effects are dropped: what the engine did about them is in the recording already.
pub fn refold<'a>(inputs: impl IntoIterator<Item = &'a Input>) -> State {
    refold_from(State::default(), inputs)
}

/// The state a session's header starts from (the header is what a recording adds to
/// its inputs).
pub fn initial(header: &SessionHeader) -> State {
    State {
        recording: header.recording,
        ..State::default()
    }
}

/// `refold`, from a given state (a replay starts from `initial(header)`).
pub fn refold_from<'a>(mut state: State, inputs: impl IntoIterator<Item = &'a Input>) -> State {
    let mut effects = Vec::new();
    for input in inputs {
        // Folded as `fold` does, without recording.
        state.apply(input, &mut effects);
        effects.clear();
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, Stamped};
    use crate::ui::state::Action;

    #[test]
    fn an_input_round_trips_through_json_with_its_time() {
        let inputs = [
            Input::Engine(Stamped {
                at_ms: 5,
                event: Event::JobStarted {
                    job: "apply".into(),
                },
            }),
            Input::Action {
                action: Action::Down,
                key: Some("j".into()),
                at_ms: 6,
            },
            Input::Resize {
                width: 100,
                height: 30,
                at_ms: 7,
            },
            Input::Tick { at_ms: 8 },
        ];
        for (n, i) in inputs.iter().enumerate() {
            let line = serde_json::to_string(i).expect("serialize");
            let back: Input = serde_json::from_str(&line).expect("parse");
            assert_eq!(&back, i, "{line}");
            assert_eq!(back.at_ms(), 5 + n as i64);
        }
    }

    #[test]
    fn the_header_round_trips_and_carries_no_password() {
        let theme = Theme::monochrome();
        let h = SessionHeader::new(
            120,
            40,
            &theme,
            SessionInfo {
                plan: "shop".into(),
                target: crate::plan::redacted_url("postgres://u:secret@db/shop"),
                operator: "ana".into(),
                host: "h".into(),
                version: "0.1.0".into(),
            },
        );
        let line = serde_json::to_string(&h).expect("serialize");
        assert!(!line.contains("secret"), "{line}");
        assert_eq!(
            serde_json::from_str::<SessionHeader>(&line).expect("parse"),
            h
        );
    }
}
