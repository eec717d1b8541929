//! Going on past a batch whose validation failed: what failed (the blocking findings),
//! what the apply would start, then the batch name to type and the field.

use super::super::state::dialog::force::ForceDialog;
use super::super::theme::Theme;
use super::dialog::{centered, popup};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// Rows around the findings: the heading, a blank, the recording note, the instruction,
/// the field and the last word's error.
const OTHER_ROWS: usize = 6;

pub fn draw(f: &mut Frame, area: Rect, t: &Theme, d: &ForceDialog) {
    let w = area.width.saturating_sub(4).min(100);
    let room = (area.height as usize).saturating_sub(2 + 2 + OTHER_ROWS);
    let listed = d.findings.len().max(1);
    let rows = listed.min(room);
    let h = (rows + OTHER_ROWS + 2) as u16;
    let title = format!(" {} · Esc to cancel ", d.confirm.prompt);
    let inner = popup(f, centered(area, w, h), title, t);
    let inner = Rect {
        x: inner.x + 1,
        width: inner.width.saturating_sub(2),
        ..inner
    };
    let width = inner.width as usize;
    let fit = |s: &str| super::fit(s, width);
    let mut lines = vec![Line::from(Span::styled(
        fit(&format!("{} failed its validation:", d.what)),
        t.title,
    ))];
    if d.findings.is_empty() {
        lines.push(Line::from(Span::styled(
            "  (its findings were not seen in this session: cutover validate lists them)",
            t.muted,
        )));
    }
    let shown = if d.findings.len() > rows {
        rows.saturating_sub(1)
    } else {
        rows
    };
    for finding in d.findings.iter().take(shown) {
        lines.push(Line::from(Span::styled(
            fit(&format!("  {finding}")),
            t.error,
        )));
    }
    if d.findings.len() > shown {
        let more = format!(
            "  … {} more (cutover validate lists them all)",
            d.findings.len() - shown
        );
        lines.push(Line::from(Span::styled(fit(&more), t.muted)));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        fit(&format!(
            "Going on applies {} anyway; the override is recorded with your name.",
            d.next
        )),
        t.warn,
    )));
    lines.push(Line::from(vec![
        Span::raw("Type "),
        Span::styled(d.confirm.expected.clone(), t.key),
        Span::raw(" and press Enter to go on; Esc stops here."),
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
        lines.push(Line::from(Span::styled(fit(error), t.error)));
    }
    f.render_widget(Paragraph::new(lines), inner);
}
