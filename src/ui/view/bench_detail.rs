//! A benchmark's detail: its figures and verdict, the suggested index, its query and
//! the query plan, laid out by the state (so scrolling stops where the text does).

use super::super::state::dialog::rollback::Tone;
use super::super::state::State;
use super::super::theme::Theme;
use super::dialog::{centered, popup};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub fn draw(f: &mut Frame, area: Rect, s: &State, t: &Theme, bench: usize, scroll: usize) {
    let Some(b) = s.benches.get(bench) else {
        return;
    };
    let r = centered(
        area,
        area.width.saturating_sub(4),
        area.height.saturating_sub(2),
    );
    let title = format!(" Benchmark {} · Esc to close ", b.name);
    let inner = popup(f, r, title, t);
    let inner = Rect {
        x: inner.x + 1,
        width: inner.width.saturating_sub(2),
        ..inner
    };
    let lines: Vec<Line> = b
        .detail_lines()
        .into_iter()
        .skip(scroll)
        .take(inner.height as usize)
        .map(|(tone, text)| {
            let style = match tone {
                Tone::Heading => t.title,
                Tone::Text => t.text,
                Tone::Warn => t.warn,
                Tone::Error => t.error,
                Tone::Muted => t.muted,
            };
            Line::from(Span::styled(text.replace('\t', "    "), style))
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}
