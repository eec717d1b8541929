//! The rollback confirmation (and the restore offered after a failed rollback): the
//! dialog's own list (files newest first, how each is undone, tables that lose rows,
//! notes), scrolled as the reducer scrolled it, then the word to type and the field.

use super::super::state::dialog::rollback::{self as layout, RollbackDialog, Tone};
use super::super::theme::Theme;
use super::dialog::{centered, popup};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub fn draw(f: &mut Frame, area: Rect, t: &Theme, d: &RollbackDialog) {
    let w = layout::width(area.width);
    let width = layout::inner(w);
    let body = d.body(width);
    let (h, rows) = layout::height(area.height, body.len());
    let title = format!(" {} · Esc to cancel ", d.confirm.prompt);
    let inner = popup(f, centered(area, w, h), title, t);
    // A margin of one column each side.
    let inner = Rect {
        x: inner.x + 1,
        width: inner.width.saturating_sub(2),
        ..inner
    };
    let shown = layout::shown(rows, body.len());
    let first = d.scroll.min(body.len().saturating_sub(shown));
    let mut lines: Vec<Line> = body
        .iter()
        .skip(first)
        .take(shown)
        .map(|(tone, text)| {
            let style = match tone {
                Tone::Heading => t.title,
                Tone::Text => t.text,
                Tone::Warn => t.warn,
                Tone::Error => t.error,
                Tone::Muted => t.muted,
            };
            Line::from(Span::styled(text.clone(), style))
        })
        .collect();
    if shown < body.len() && rows > 0 {
        // The last row of the list says there is more.
        let below = body.len() - first - shown;
        let more = format!("↑↓ scroll: {first} more line(s) above, {below} below");
        lines.push(Line::from(Span::styled(super::fit(&more, width), t.key)));
    }
    while lines.len() < rows {
        lines.push(Line::from(""));
    }
    lines.push(Line::from(""));
    let verb = if d.restore { "restore" } else { "roll back" };
    lines.push(Line::from(vec![
        Span::raw("Type "),
        Span::styled(d.confirm.expected.clone(), t.key),
        Span::raw(format!(" and press Enter to {verb}; Esc cancels.")),
    ]));
    let text = d.confirm.input.text();
    let at = d.confirm.input.cursor();
    let before: String = text.chars().take(at).collect();
    let after: String = text.chars().skip(at).collect();
    lines.push(Line::from(vec![
        Span::styled("> ", t.key),
        Span::raw(before),
        Span::styled("▏", t.key),
        Span::raw(after),
    ]));
    if let Some(error) = &d.confirm.error {
        lines.push(Line::from(Span::styled(super::fit(error, width), t.error)));
    }
    f.render_widget(Paragraph::new(lines), inner);
}
