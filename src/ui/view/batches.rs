use super::super::state::{Panel, Risk, State};
use super::super::theme::Theme;
use crate::event::FileStatus;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// Two lines per batch: its number and name, then risk, progress and status.
pub fn draw(f: &mut Frame, area: Rect, s: &State, t: &Theme) {
    let block = super::panel("Batches", s, Some(Panel::Batches), t);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let width = inner.width as usize;
    let per_page = (inner.height as usize / 2).max(1);
    let first = super::window(s.selected_batch, s.batches.len(), per_page);
    let mut lines = Vec::with_capacity(inner.height as usize);
    for (b, batch) in s.batches.iter().enumerate().skip(first).take(per_page) {
        let (done, total) = s.batch_progress(b);
        let status_of = |st: FileStatus| batch.files.iter().any(|&i| s.files[i].status == st);
        let (status, st_style) = if status_of(FileStatus::Failed) {
            ("✖ failed", t.error)
        } else if status_of(FileStatus::Applying) {
            ("⟳ running", t.running)
        } else if done == total {
            ("✔ done", t.ok)
        } else if done > 0 {
            ("◐ partial", t.warn)
        } else {
            ("○ pending", t.muted)
        };
        let (risk, risk_style) = match batch.risk {
            Risk::Low => ("low", t.risk_low),
            Risk::Medium => ("medium", t.risk_medium),
            Risk::High => ("HIGH", t.risk_high),
        };
        let sel = b == s.selected_batch;
        let marker = if sel { "▶ " } else { "  " };
        let name = super::fit(
            &format!("{} {}", b + 1, batch.name),
            width.saturating_sub(2),
        );
        let mut top = Line::from(vec![Span::raw(marker), Span::styled(name, t.text)]);
        if sel {
            top = top.style(t.selected);
        }
        lines.push(top);
        lines.push(Line::from(vec![
            Span::raw("  "),
            Span::styled(risk, risk_style),
            Span::styled(" · ", t.muted),
            Span::styled(format!("{done}/{total}"), t.text),
            Span::styled(" · ", t.muted),
            Span::styled(status, st_style),
        ]));
    }
    if s.batches.is_empty() {
        lines.push(Line::from(Span::styled(
            "no migrations in this plan",
            t.muted,
        )));
    }
    f.render_widget(Paragraph::new(lines), inner);
}
