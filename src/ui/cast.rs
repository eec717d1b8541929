//! A recorded session as an asciicast v2 file (docs.asciinema.org/manual/asciicast/v2):
//! a JSON header line, then `[seconds, "o", data]` per frame and `[seconds, "r",
//! "COLSxROWS"]` per resize. Frames are the cockpit drawn by ratatui into a byte buffer
//! (only the cells that changed, as on a real terminal), one per group of inputs less
//! than `COALESCE_MS` apart, at the recorded times.

use super::record::{initial, SessionHeader};
use super::state::Input;
use super::theme::Theme;
use super::view;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

/// Inputs closer than this fold into one frame (a stream of engine events draws once).
pub const COALESCE_MS: i64 = 10;

#[derive(serde::Serialize)]
struct CastHeader {
    version: u8,
    width: u16,
    height: u16,
    /// Unix seconds of the session's start.
    timestamp: i64,
    title: String,
    env: CastEnv,
}

#[derive(serde::Serialize)]
struct CastEnv {
    #[serde(rename = "TERM")]
    term: &'static str,
}

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub frames: usize,
    pub resizes: usize,
}

/// Writes the session (`steps`: each input with its time since the start) to `out`.
pub fn write(
    out: &mut impl Write,
    header: &SessionHeader,
    started_ms: i64,
    steps: &[(i64, &Input)],
    theme: &Theme,
) -> std::io::Result<Written> {
    // A struct, not a map: the fields keep the spec's order (`version` first).
    let head = CastHeader {
        version: 2,
        width: header.width,
        height: header.height,
        timestamp: started_ms.div_euclid(1000),
        title: format!(
            "cutover {}: {} by {} on {}",
            header.mode, header.session.plan, header.session.operator, header.session.host
        ),
        env: CastEnv {
            term: "xterm-256color",
        },
    };
    let head = serde_json::to_string(&head).map_err(std::io::Error::other)?;
    writeln!(out, "{head}")?;
    let (mut w, mut h) = (header.width, header.height);
    let opts = TerminalOptions {
        viewport: Viewport::Fixed(Rect::new(0, 0, w, h)),
    };
    let bytes = Shared::default();
    let mut term = Terminal::with_options(CrosstermBackend::new(bytes.clone()), opts)?;
    let mut state = initial(header);
    let mut effects = Vec::new();
    let mut done = Written {
        frames: 0,
        resizes: 0,
    };
    let mut last_t = 0.0f64;
    let mut i = 0;
    while i < steps.len() {
        // A group: every input less than COALESCE_MS after the group's first.
        let first_t = steps[i].0;
        let mut changed = false;
        let mut group_t = first_t;
        while i < steps.len() && steps[i].0 - first_t < COALESCE_MS {
            let (t, input) = steps[i];
            changed |= state.apply(input, &mut effects);
            effects.clear();
            group_t = t;
            i += 1;
            if let Input::Resize { width, height, .. } = input {
                if (*width, *height) != (w, h) {
                    (w, h) = (*width, *height);
                    let secs = seconds(group_t, &mut last_t);
                    event(out, secs, "r", &format!("{w}x{h}"))?;
                    term.resize(Rect::new(0, 0, w, h))?;
                    done.resizes += 1;
                    changed = true;
                }
            }
        }
        if !changed && done.frames > 0 {
            continue;
        }
        term.draw(|f| view::draw(f, &state, theme))?;
        let frame = bytes.take();
        if !frame.is_empty() {
            let secs = seconds(group_t, &mut last_t);
            event(out, secs, "o", &String::from_utf8_lossy(&frame))?;
            done.frames += 1;
        }
    }
    out.flush()?;
    Ok(done)
}

/// The bytes the backend writes, kept for the caller to take frame by frame (the
/// backend's own writer is not reachable from outside).
#[derive(Clone, Default)]
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Shared {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.borrow_mut())
    }
}

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A recorded time in seconds, never before the previous event's.
fn seconds(t_ms: i64, last: &mut f64) -> f64 {
    let s = (t_ms.max(0) as f64 / 1000.0).max(*last);
    *last = s;
    s
}

fn event(out: &mut impl Write, secs: f64, code: &str, data: &str) -> std::io::Result<()> {
    let line = serde_json::to_string(&(secs, code, data)).map_err(std::io::Error::other)?;
    writeln!(out, "{line}")
}
