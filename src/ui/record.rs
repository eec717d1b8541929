//! The one input stream and its recording. Everything the screen shows is a fold of
//! the session header (what the view depends on besides the inputs) and the inputs, in
//! the order the reducer took them. `fold` is the only way the event loop changes the
//! state, and it hands each input to a `Recorder` first, so a recording holds exactly
//! what was folded, interleaved as it was. Today's recorder does nothing; the journal
//! writer will be another `Recorder`, and a replay is `refold` of what it wrote.

use super::state::{Effect, Input, State};
use super::theme::{Depth, Theme};
use serde::{Deserialize, Serialize};

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
    /// Once, before the first input.
    fn start(&mut self, header: &SessionHeader) -> std::io::Result<()>;
    /// Every input, just before the reducer folds it. An error ends the loop: a
    /// session that is recorded must not go on unrecorded.
    fn record(&mut self, input: &Input) -> std::io::Result<()>;
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
    fn record(&mut self, _: &Input) -> std::io::Result<()> {
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

    fn record(&mut self, input: &Input) -> std::io::Result<()> {
        self.inputs.push(input.clone());
        Ok(())
    }
}

/// The one place an input reaches the state: recorded, then folded. Returns whether
/// anything visible changed; effects for the event loop are pushed onto `effects`.
#[inline]
pub fn fold<R: Recorder>(
    state: &mut State,
    recorder: &mut R,
    input: Input,
    effects: &mut Vec<Effect>,
) -> std::io::Result<bool> {
    recorder.record(&input)?;
    Ok(state.apply(&input, effects))
}

/// Folds a recording into a fresh state, through the same `fold` as the live loop.
/// Effects are dropped: what the engine did about them is in the recording already.
pub fn refold<'a>(inputs: impl IntoIterator<Item = &'a Input>) -> State {
    let mut state = State::default();
    let mut effects = Vec::new();
    for input in inputs {
        // NoRecorder never fails.
        let _ = fold(&mut state, &mut NoRecorder, input.clone(), &mut effects);
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
