use super::super::keymap;
use super::super::state::State;
use super::super::theme::Theme;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// The keys that do something now, from the same table the keys are read with.
pub fn draw(f: &mut Frame, area: Rect, s: &State, t: &Theme) {
    let mut spans = Vec::new();
    if s.read_only {
        spans.push(Span::styled(" REPLAY (read-only) ", t.warn));
    }
    if s.pause_requested {
        spans.push(Span::styled(" pausing after this file ", t.warn));
    }
    for (key, desc) in keymap::bar(s) {
        spans.push(Span::styled(format!(" {key}"), t.key));
        spans.push(Span::styled(format!(" {desc} "), t.text));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
