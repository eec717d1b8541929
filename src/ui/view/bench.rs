use super::super::state::State;
use super::super::theme::Theme;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

/// Query benchmarks draw here as sparklines once the plan's batches run them.
pub fn draw(f: &mut Frame, area: Rect, s: &State, t: &Theme) {
    let block = super::panel("Benchmarks", s, None, t);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let text = Line::from(Span::styled("no benchmark results yet", t.muted));
    f.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), inner);
}
