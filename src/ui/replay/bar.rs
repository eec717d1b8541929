//! The replay's frame: the recorded screen at its recorded size, then the REPLAY mark
//! over the header's `● rec` and the replay bar over the key bar (which offered keys
//! the replay does not take).

use super::Player;
use crate::text::fit;
use crate::ui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::Frame;

/// What the replay's own keys do, in the bar.
pub const KEYS: &str = "space pause · ←/→ step · g/G start/end · +/- speed · q quit";
/// The header's mark: where `● rec` shows in the live cockpit.
pub const MARK: &str = " REPLAY";

/// Draws the recorded screen (`shot`, at the recorded size) from the top left, clipped
/// to the terminal, with the replay's mark and bar. `note` replaces the keys' help.
pub fn draw(f: &mut Frame, shot: &Buffer, p: &Player, t: &Theme, note: Option<&str>) {
    let area = f.area();
    let shown = shot.area.intersection(area);
    let buf = f.buffer_mut();
    for y in shown.top()..shown.bottom() {
        for x in shown.left()..shown.right() {
            buf[(x, y)] = shot[(x, y)].clone();
        }
    }
    if shown.height == 0 || shown.width == 0 {
        return;
    }
    let clipped = shown != shot.area;
    // Over the header's recording mark (` ● rec `, or ` ○ rec off `), right-aligned.
    let rec_w = if p.state().recording { 7 } else { 11 };
    let mark = format!("{MARK:>rec_w$}");
    let mark_w = Span::raw(mark.as_str()).width() as u16;
    let mark_at = shown.right().saturating_sub(mark_w).max(shown.left());
    let style = t.warn.patch(t.header).add_modifier(Modifier::BOLD);
    let room = shown.right() - mark_at;
    buf.set_line(mark_at, shown.top(), &Line::styled(mark, style), room);
    // Over the key bar, which offered keys the replay does not take.
    let row = Rect::new(shown.left(), shown.bottom() - 1, shown.width, 1);
    for x in row.left()..row.right() {
        buf[(x, row.y)].reset();
    }
    let size = (shot.area.width, shot.area.height);
    let text = bar_text(p, size, clipped, note, row.width as usize);
    buf.set_style(row, t.header);
    buf.set_line(row.x, row.y, &Line::styled(text, t.header), row.width);
}

/// `REPLAY ▶ x1 │ 12/340 │ 00:03.2 / 01:10.0 │ <keys or note>`, fitted to `width`.
fn bar_text(
    p: &Player,
    size: (u16, u16),
    clipped: bool,
    note: Option<&str>,
    width: usize,
) -> String {
    let state = if p.paused() {
        if p.pos() == p.len() {
            "■ end"
        } else {
            "‖ paused"
        }
    } else {
        "▶ playing"
    };
    let speed = if p.speed() < 1.0 {
        format!("x{}", p.speed())
    } else {
        format!("x{}", p.speed() as u32)
    };
    let tail = match (note, clipped) {
        (Some(n), _) => n.to_string(),
        (None, true) => format!(
            "recorded at {}x{}: enlarge the terminal to see all of it",
            size.0, size.1
        ),
        (None, false) => KEYS.to_string(),
    };
    let text = format!(
        " REPLAY {state} {speed} │ {}/{} │ {} / {} │ {tail}",
        p.pos(),
        p.len(),
        clock(p.at_ms()),
        clock(p.total_ms())
    );
    fit(&text, width)
}

/// `MM:SS.s` (hours only when there are some).
pub fn clock(ms: i64) -> String {
    let ms = ms.max(0);
    let (h, m, s, tenth) = (
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms / 100 % 10,
    );
    if h > 0 {
        format!("{h}:{m:02}:{s:02}.{tenth}")
    } else {
        format!("{m:02}:{s:02}.{tenth}")
    }
}
