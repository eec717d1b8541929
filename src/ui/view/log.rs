use super::super::state::{Panel, State};
use super::super::theme::Theme;
use crate::event::Level;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub fn draw(f: &mut Frame, area: Rect, s: &State, t: &Theme) {
    let title = if s.log_scroll > 0 {
        format!("Log · {} lines up", s.log_scroll)
    } else {
        "Log".to_string()
    };
    let block = super::panel(&title, s, Some(Panel::Log), t);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let rows = inner.height as usize;
    let width = inner.width as usize;
    let end = s.log.len().saturating_sub(s.log_scroll);
    let start = end.saturating_sub(rows);
    let mut lines = Vec::with_capacity(rows);
    for i in start..end {
        let Some(l) = s.log.get(i) else { continue };
        let (word, style) = match l.level {
            Level::Debug => ("debug", t.muted),
            Level::Info => ("info ", t.info),
            Level::Warn => ("WARN ", t.warn),
            Level::Error => ("ERROR", t.error),
        };
        let time = chrono::DateTime::from_timestamp_millis(l.at_ms)
            .map(|d| d.format("%H:%M:%S").to_string())
            .unwrap_or_default();
        let text = super::fit(&l.text, width.saturating_sub(16));
        lines.push(Line::from(vec![
            Span::styled(format!("{time} "), t.muted),
            Span::styled(word, style),
            Span::raw(" "),
            Span::styled(
                text,
                if l.level == Level::Error {
                    t.error
                } else {
                    t.text
                },
            ),
        ]));
    }
    f.render_widget(Paragraph::new(lines), inner);
}
