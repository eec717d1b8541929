use super::super::state::{Panel, Risk, State};
use super::super::theme::Theme;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub fn draw(f: &mut Frame, area: Rect, s: &State, t: &Theme) {
    let block = super::panel("Batches", s, Some(Panel::Batches), t);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let width = inner.width as usize;
    let rows = inner.height as usize;
    let first = super::window(s.selected_batch, s.batches.len(), rows);
    let mut lines = Vec::with_capacity(rows);
    for (b, batch) in s.batches.iter().enumerate().skip(first).take(rows) {
        let (done, total) = s.batch_progress(b);
        let running = s.job.is_some()
            && batch
                .files
                .iter()
                .any(|&i| s.files[i].status == crate::event::FileStatus::Applying);
        let failed = batch
            .files
            .iter()
            .any(|&i| s.files[i].status == crate::event::FileStatus::Failed);
        let (status, st_style) = if failed {
            ("✖ failed", t.error)
        } else if running {
            ("⟳ running", t.running)
        } else if done == total {
            ("✔ done", t.ok)
        } else if done > 0 {
            ("◐ partial", t.warn)
        } else {
            ("· pending", t.muted)
        };
        let (risk, risk_style) = match batch.risk {
            Risk::Low => ("low ", t.risk_low),
            Risk::Medium => ("med ", t.risk_medium),
            Risk::High => ("HIGH", t.risk_high),
        };
        let progress = format!("{done}/{total}");
        let fixed = 2 + 5 + progress.len() + 1 + status.chars().count() + 1;
        let name = super::fit(
            &format!("{} {}", b + 1, batch.name),
            width.saturating_sub(fixed),
        );
        let pad = width.saturating_sub(fixed + name.chars().count());
        let mut line = Line::from(vec![
            Span::raw(if b == s.selected_batch { "▶ " } else { "  " }),
            Span::styled(risk, risk_style),
            Span::raw(" "),
            Span::styled(name, t.text),
            Span::raw(" ".repeat(pad)),
            Span::styled(progress, t.text),
            Span::raw(" "),
            Span::styled(status, st_style),
        ]);
        if b == s.selected_batch {
            line = line.style(t.selected);
        }
        lines.push(line);
    }
    if s.batches.is_empty() {
        lines.push(Line::from(Span::styled(
            "no migrations in this plan",
            t.muted,
        )));
    }
    f.render_widget(Paragraph::new(lines), inner);
}
