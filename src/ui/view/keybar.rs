use super::super::keymap;
use super::super::state::State;
use super::super::theme::Theme;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// The keys that do something now, from the same table the keys are read with. When
/// they do not all fit, the last two (help and quit on the main screen) stay and the
/// ones before them that do not fit are left out: `?` lists them all.
pub fn draw(f: &mut Frame, area: Rect, s: &State, t: &Theme) {
    let mut spans = Vec::new();
    if s.read_only {
        spans.push(Span::styled(" REPLAY (read-only) ", t.warn));
    }
    if s.pause_requested {
        spans.push(Span::styled(" pausing after this file ", t.warn));
    }
    if s.rollback.preparing.is_some() && s.overlay.is_none() {
        spans.push(Span::styled(" preparing rollback… ", t.warn));
    }
    if let Some(p) = &s.compare {
        let text = crate::ui::state::compare_text(p);
        let room = (area.width as usize) / 2;
        spans.push(Span::styled(
            format!(" {} ", super::fit(&text, room)),
            t.running,
        ));
    }
    let entries = keymap::bar(s);
    let width = |(k, d): &(&str, &str)| k.chars().count() + d.chars().count() + 3;
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let keep = entries.len().saturating_sub(2);
    let tail: usize = entries[keep..].iter().map(width).sum();
    let mut room = (area.width as usize).saturating_sub(used + tail);
    let mut shown = Vec::new();
    for e in &entries[..keep] {
        if width(e) > room {
            break;
        }
        room -= width(e);
        shown.push(*e);
    }
    shown.extend_from_slice(&entries[keep..]);
    for (key, desc) in shown {
        spans.push(Span::styled(format!(" {key}"), t.key));
        spans.push(Span::styled(format!(" {desc} "), t.text));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
