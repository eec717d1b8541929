//! The automatic rollback's banner: under the header, what was rolled back and how it
//! went, then why (and what failed), until the operator acknowledges it (Esc) or the
//! next job starts.

use super::super::state::{Banner, State};
use super::super::theme::Theme;
use crate::event::Outcome;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// Rows the banner takes: none without one; a second row for its reason or failure.
pub fn height(s: &State) -> u16 {
    match &s.rollback.banner {
        None => 0,
        Some(b) if second_line(b).is_empty() => 1,
        Some(_) => 2,
    }
}

fn second_line(b: &Banner) -> String {
    let mut parts = Vec::new();
    if let Some(r) = &b.reason {
        parts.push(format!("why: {r}"));
    }
    if let (Some(o), Some(d)) = (b.outcome, &b.detail) {
        if o != Outcome::Succeeded {
            // The engine's detail comes in lines; the banner has one.
            let lines: Vec<&str> = d.lines().map(str::trim).collect();
            parts.push(lines.join(" · "));
        }
    }
    parts.join(" · ")
}

pub fn draw(f: &mut Frame, area: Rect, s: &State, t: &Theme) {
    let Some(b) = &s.rollback.banner else {
        return;
    };
    let (glyph, how, style) = match b.outcome {
        None => ("↶", "running", t.warn),
        Some(Outcome::Succeeded | Outcome::NothingToDo) => ("↺", "done", t.warn),
        Some(Outcome::Failed) => ("✖", "FAILED", t.error),
        Some(_) => ("✖", "stopped", t.error),
    };
    let style = style.add_modifier(Modifier::REVERSED | Modifier::BOLD);
    let what = s.scope_text(&b.scope);
    let first = format!(" {glyph} AUTOMATIC ROLLBACK of {what}: {how}");
    let width = area.width as usize;
    let mut lines = vec![padded(&first, " · Esc to dismiss ", width, style)];
    let second = second_line(b);
    if !second.is_empty() {
        lines.push(padded(&format!("   {second}"), "", width, style));
    }
    f.render_widget(Paragraph::new(lines), area);
}

/// `text` cut to leave room for `tail`, padded so the banner spans the width.
fn padded(text: &str, tail: &str, width: usize, style: Style) -> Line<'static> {
    let room = width.saturating_sub(tail.chars().count());
    let text = super::fit(text, room);
    let pad = room.saturating_sub(text.chars().count());
    Line::from(vec![
        Span::styled(text, style),
        Span::styled(" ".repeat(pad), style),
        Span::styled(tail.to_string(), style),
    ])
}
