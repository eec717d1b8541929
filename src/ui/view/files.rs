use super::super::state::{Panel, State};
use super::super::theme::Theme;
use crate::event::FileStatus;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// The selected batch's files: status, version, name, duration, and the checkpoint and
/// checks columns. Only visible rows are built, so a batch of thousands draws fast.
pub fn draw(f: &mut Frame, area: Rect, s: &State, t: &Theme) {
    let title = match s.batches.get(s.selected_batch) {
        Some(b) => format!("Files · batch {} {}", s.selected_batch + 1, b.name),
        None => "Files".to_string(),
    };
    let block = super::panel(&title, s, Some(Panel::Files), t);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let width = inner.width as usize;
    let ids = s.batch_files();
    let ver_w = ids
        .iter()
        .map(|&i| s.files[i].version.chars().count())
        .max()
        .unwrap_or(7)
        .clamp(7, 16);
    // The checkpoint and check columns need room; on narrow screens the name keeps it.
    let wide = width >= 72;
    let extra = if wide { 11 } else { 0 };
    // marker 2, status 12, version, name (the rest), time 7, [ckpt 5, check 6]
    let fixed = 2 + 12 + ver_w + 1 + 7 + extra;
    let name_w = width.saturating_sub(fixed).max(8);
    let mut head = format!(
        "  {:<12}{:<ver_w$} {:<name_w$}{:>7}",
        "STATUS", "VERSION", "NAME", "TIME"
    );
    if wide {
        head.push_str(&format!("{:>5}{:>6}", "CKPT", "CHECK"));
    }
    let mut lines = vec![Line::from(Span::styled(super::fit(&head, width), t.muted))];
    let rows = (inner.height as usize).saturating_sub(1);
    let first = super::window(s.selected_file, ids.len(), rows);
    for (pos, &i) in ids.iter().enumerate().skip(first).take(rows) {
        let file = &s.files[i];
        let (glyph, word) = super::status_glyph(file.status);
        let status = match (file.status, file.statement) {
            _ if file.drift => "≠ drift".to_string(),
            (FileStatus::Applying, Some((k, n))) => format!("{glyph} {k}/{n}"),
            _ => format!("{glyph} {word}"),
        };
        let time = match file.duration_ms {
            Some(ms) if ms >= 10_000.0 => format!("{:.0}s", ms / 1000.0),
            Some(ms) if ms >= 1000.0 => format!("{:.1}s", ms / 1000.0),
            Some(ms) => format!("{ms:.0}ms"),
            None => "-".into(),
        };
        let mut name = file.name.clone();
        if file.note.is_some() {
            name.push_str(" ⚠");
        }
        let sel = pos == s.selected_file;
        let mut spans = vec![
            Span::raw(if sel { "▶ " } else { "  " }),
            Span::styled(
                format!("{:<12}", super::fit(&status, 11)),
                if file.drift {
                    t.error
                } else {
                    super::status_style(file.status, t)
                },
            ),
            Span::styled(
                format!("{:<ver_w$} ", super::fit(&file.version, ver_w)),
                t.text,
            ),
            Span::styled(format!("{:<name_w$}", super::fit(&name, name_w)), t.text),
            Span::styled(format!("{time:>7}"), t.muted),
        ];
        if wide {
            spans.push(Span::styled(format!("{:>5}{:>6}", "-", "-"), t.muted));
        }
        let mut line = Line::from(spans);
        if sel && s.focus == Panel::Files {
            line = line.style(t.selected);
        }
        lines.push(line);
    }
    if ids.is_empty() {
        lines.push(Line::from(Span::styled("no files", t.muted)));
    }
    notes(&mut lines, s, t, width, inner.height as usize);
    f.render_widget(Paragraph::new(lines), inner);
}

/// Under the table, where the eye already is: what a file that may be partly applied
/// means, and the failing file's message.
fn notes(lines: &mut Vec<Line<'_>>, s: &State, t: &Theme, width: usize, height: usize) {
    // A file that may be partly applied: what that means and what to do, where the eye is.
    if let Some(f) = s
        .cursor_file()
        .map(|i| &s.files[i])
        .filter(|f| f.status.unresolved())
    {
        if lines.len() < height {
            lines.push(Line::from(Span::styled(
                super::fit(
                    &format!(
                        "⚠ the ledger says {}: part of it may be applied; check the target, then r to resolve",
                        f.status.as_str()
                    ),
                    width,
                ),
                t.error,
            )));
        }
    }
    // The failing file's message, under the table, where the eye already is.
    if let Some((line, msg)) = s
        .cursor_file()
        .and_then(|i| s.files[i].error.as_ref().map(|e| (e.0, e.1.clone())))
    {
        if lines.len() < height {
            lines.push(Line::from(Span::styled(
                super::fit(&format!("✖ line {line}: {msg}"), width),
                t.error,
            )));
        }
    }
}
