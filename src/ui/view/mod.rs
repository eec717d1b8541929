//! Drawing: a pure function of the state and the theme, one file per panel.

mod banner;
mod batches;
mod bench;
mod bench_detail;
mod dialog;
mod files;
mod findings;
mod force;
mod header;
mod keybar;
mod log;
mod rollback;

use super::state::{Overlay, Panel, State};
use super::theme::Theme;
use crate::event::FileStatus;
use crate::text::fit;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Draws the whole screen.
pub fn draw(f: &mut Frame, s: &State, t: &Theme) {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(f, area, t);
        return;
    }
    let banner_h = banner::height(s);
    let [head, banner_area, body, logs, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(banner_h),
        Constraint::Min(10),
        Constraint::Length(log_height(area.height)),
        Constraint::Length(1),
    ])
    .areas(area);
    let side = (area.width / 3).clamp(28, 44);
    let [left, right] =
        Layout::horizontal([Constraint::Length(side), Constraint::Min(40)]).areas(body);
    let bench_h = (left.height / 3).max(5);
    let [batch_area, bench_area] =
        Layout::vertical([Constraint::Min(5), Constraint::Length(bench_h)]).areas(left);
    header::draw(f, head, s, t);
    banner::draw(f, banner_area, s, t);
    batches::draw(f, batch_area, s, t);
    bench::draw(f, bench_area, s, t);
    files::draw(f, right, s, t);
    log::draw(f, logs, s, t);
    keybar::draw(f, keys, s, t);
    match &s.overlay {
        Some(Overlay::Help { scroll }) => dialog::help(f, area, t, *scroll),
        Some(Overlay::Detail { file, scroll }) => dialog::detail(f, area, s, t, *file, *scroll),
        Some(Overlay::ConfirmQuit) => dialog::confirm_quit(f, area, s, t),
        Some(Overlay::ConfirmCancel) => dialog::confirm_cancel(f, area, s, t),
        Some(Overlay::Resolve(d)) => dialog::resolve(f, area, s, t, d.file, d.choice),
        Some(Overlay::Typed(d)) => dialog::typed(f, area, t, d),
        Some(Overlay::Rollback(d)) => rollback::draw(f, area, t, d),
        Some(Overlay::Force(d)) => force::draw(f, area, t, d),
        Some(Overlay::Bench { bench, scroll }) => {
            bench_detail::draw(f, area, s, t, *bench, *scroll)
        }
        None => {}
    }
}

fn log_height(h: u16) -> u16 {
    (h / 4).clamp(6, 14)
}

fn too_small(f: &mut Frame, area: Rect, t: &Theme) {
    let text = vec![
        Line::from(Span::styled("terminal too small", t.warn)),
        Line::from(format!(
            "need {MIN_WIDTH}x{MIN_HEIGHT}, have {}x{}",
            area.width, area.height
        )),
        Line::from("enlarge the window; nothing stops while this shows"),
    ];
    f.render_widget(
        Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: true }),
        area,
    );
}

/// A bordered block whose border and title show whether it has the focus.
fn panel<'a>(title: &'a str, s: &State, p: Option<Panel>, t: &Theme) -> Block<'a> {
    let focused = p.is_some_and(|p| s.focus == p && s.overlay.is_none());
    let (style, mark) = if focused {
        (t.border_focus, "▸ ")
    } else {
        (t.border, "")
    };
    Block::bordered().border_style(style).title(Line::from(vec![
        Span::styled(mark, style),
        Span::styled(title, t.title),
    ]))
}

/// The glyph and word for a file status: meaning never rests on colour alone.
pub fn status_glyph(st: FileStatus) -> (&'static str, &'static str) {
    match st {
        FileStatus::Pending => ("·", "pending"),
        FileStatus::Checkpointing => ("◷", "checkpoint"),
        FileStatus::Applying => ("⟳", "applying"),
        FileStatus::Applied => ("✔", "applied"),
        FileStatus::Validating => ("…", "validating"),
        FileStatus::Validated => ("✓", "validated"),
        FileStatus::Failed => ("✖", "failed"),
        FileStatus::RollingBack => ("↶", "rolling back"),
        FileStatus::RolledBack => ("↺", "rolled back"),
        FileStatus::Running => ("⚠", "running"),
        FileStatus::Partial => ("⚠", "partial"),
    }
}

fn status_style(st: FileStatus, t: &Theme) -> ratatui::style::Style {
    match st {
        FileStatus::Pending => t.muted,
        FileStatus::Applied | FileStatus::Validated => t.ok,
        FileStatus::Failed | FileStatus::Running | FileStatus::Partial => t.error,
        FileStatus::RolledBack | FileStatus::RollingBack => t.warn,
        _ => t.running,
    }
}

/// The first row to show so that `selected` stays visible in `height` rows.
fn window(selected: usize, len: usize, height: usize) -> usize {
    if height == 0 || len <= height {
        return 0;
    }
    let half = height / 2;
    selected.saturating_sub(half).min(len - height)
}

#[cfg(test)]
mod checks_tests;
#[cfg(test)]
mod rollback_tests;
#[cfg(test)]
mod tests;
