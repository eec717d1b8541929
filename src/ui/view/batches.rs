use super::super::state::{Panel, Risk, State, Validation};
use super::super::theme::Theme;
use crate::event::{BatchVerdict, FileStatus};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// Two lines per batch: its number and name, then risk, progress and status; a third
/// once it was validated: the verdict, checks passed of total, and who forced it on.
pub fn draw(f: &mut Frame, area: Rect, s: &State, t: &Theme) {
    let block = super::panel("Batches", s, Some(Panel::Batches), t);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let width = inner.width as usize;
    let height = inner.height as usize;
    let rows = |b: usize| 2 + usize::from(s.batches[b].validation.is_some());
    let first = first_shown(s.selected_batch, s.batches.len(), height, rows);
    let mut lines = Vec::with_capacity(height);
    for (b, batch) in s.batches.iter().enumerate().skip(first) {
        if lines.len() + rows(b) > height.max(2) {
            break;
        }
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
        if let Some(v) = &batch.validation {
            let (text, style) = verdict(v, t);
            lines.push(Line::from(Span::styled(
                super::fit(&format!("  {text}"), width),
                style,
            )));
        }
    }
    if s.batches.is_empty() {
        lines.push(Line::from(Span::styled(
            "no migrations in this plan",
            t.muted,
        )));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// `✔ checks 3/3`, `✖ checks failed 2/3`, `⚑ forced by alice`.
fn verdict(v: &Validation, t: &Theme) -> (String, Style) {
    let count = format!("{}/{}", v.passed, v.total);
    match (v.verdict, &v.forced) {
        (BatchVerdict::Passed, _) if v.total == 0 => ("✔ validated (no checks)".into(), t.ok),
        (BatchVerdict::Passed, _) => (format!("✔ checks passed {count}"), t.ok),
        (BatchVerdict::Warnings, _) => (format!("⚠ checks warn {count}"), t.warn),
        (BatchVerdict::Failed, _) => (format!("✖ checks FAILED {count}"), t.error),
        (BatchVerdict::Forced, Some(f)) => (format!("⚑ forced by {}", f.operator), t.warn),
        (BatchVerdict::Forced, None) => (format!("⚑ checks forced {count}"), t.warn),
    }
}

/// The first batch to show so that the selected one shows whole, batches taking
/// `rows(b)` lines each in `height` lines.
fn first_shown(selected: usize, len: usize, height: usize, rows: impl Fn(usize) -> usize) -> usize {
    if len == 0 {
        return 0;
    }
    let selected = selected.min(len - 1);
    let total: usize = (0..len).map(&rows).sum();
    if total <= height {
        return 0;
    }
    // Keep about half a screen above the selection, as the other lists do.
    let mut first = selected;
    let mut used = rows(selected);
    while first > 0 && used + rows(first - 1) <= height / 2 + 1 {
        first -= 1;
        used += rows(first);
    }
    // And no blank space below the last batch.
    let mut tail = 0;
    let mut last_first = len;
    while last_first > 0 && tail + rows(last_first - 1) <= height {
        last_first -= 1;
        tail += rows(last_first);
    }
    first.min(last_first)
}
