use super::super::state::{severity_mark, CheckpointMark, Checks, FileView, Panel, State};
use super::super::theme::Theme;
use crate::event::{CheckpointState, FileStatus};
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
    let cols = Columns::new(s, ids, width);
    let mut lines = vec![Line::from(Span::styled(
        super::fit(&cols.head(), width),
        t.muted,
    ))];
    let rows = (inner.height as usize).saturating_sub(1);
    let first = super::window(s.selected_file, ids.len(), rows);
    for (pos, &i) in ids.iter().enumerate().skip(first).take(rows) {
        let sel = pos == s.selected_file;
        let mut line = Line::from(cols.row(&s.files[i], sel, t));
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

/// The table's columns: marker 2, status (12, or 15 once a file of the batch is rolling
/// back or rolled back, so those words show whole), version, name (the rest), time 6, then
/// the checkpoint and the rehearsal mark (words on a wide screen, glyphs on a narrow
/// one), and the checks column on a wide screen.
struct Columns {
    wide: bool,
    /// The checks column: always on a wide screen, on a narrow one once a check ran on a
    /// file of the batch (the name keeps the room until then).
    checks: bool,
    status_w: usize,
    ver_w: usize,
    name_w: usize,
}

impl Columns {
    fn new(s: &State, ids: &[usize], width: usize) -> Columns {
        let wide = width >= 72;
        let longest = ids
            .iter()
            .map(|&i| s.files[i].version.chars().count())
            .max();
        let ver_w = longest.unwrap_or(0).clamp(if wide { 7 } else { 3 }, 16);
        let checks = wide || ids.iter().any(|&i| s.files[i].checks.total() > 0);
        let extra = if wide { 15 + 5 } else { 6 + 2 } + if checks { 6 } else { 0 };
        let undoing = ids.iter().any(|&i| {
            matches!(
                s.files[i].status,
                FileStatus::RollingBack | FileStatus::RolledBack
            )
        });
        let status_w = if undoing { 15 } else { 12 };
        let fixed = 2 + status_w + ver_w + 1 + 6 + extra;
        let name_w = width.saturating_sub(fixed).max(8);
        Columns {
            wide,
            checks,
            status_w,
            ver_w,
            name_w,
        }
    }

    fn head(&self) -> String {
        let (ver_w, name_w, status_w) = (self.ver_w, self.name_w, self.status_w);
        let version = if self.wide { "VERSION" } else { "VER" };
        let mut head = format!(
            "  {:<status_w$}{version:<ver_w$} {:<name_w$}{:>6}",
            "STATUS", "NAME", "TIME"
        );
        if self.wide {
            head.push_str(&format!(" {:<14}{:>5}", "CHECKPOINT", "UNDO"));
        } else {
            head.push_str(&format!("{:>6}{:>2}", "CKPT", "U"));
        }
        if self.checks {
            head.push_str(&format!("{:>6}", if self.wide { "CHECK" } else { "CHK" }));
        }
        head
    }

    fn row<'a>(&self, file: &'a FileView, sel: bool, t: &Theme) -> Vec<Span<'a>> {
        let (ver_w, name_w, status_w) = (self.ver_w, self.name_w, self.status_w);
        let (glyph, word) = super::status_glyph(file.status);
        let status = match (file.status, file.statement) {
            _ if file.drift => "≠ drift".to_string(),
            (FileStatus::Applying | FileStatus::RollingBack, Some((k, n))) => {
                format!("{glyph} {k}/{n}")
            }
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
        let status_style = if file.drift {
            t.error
        } else {
            super::status_style(file.status, t)
        };
        let mut spans = vec![
            Span::raw(if sel { "▶ " } else { "  " }),
            Span::styled(
                format!("{:<status_w$}", super::fit(&status, status_w - 1)),
                status_style,
            ),
            Span::styled(
                format!("{:<ver_w$} ", super::fit(&file.version, ver_w)),
                t.text,
            ),
            Span::styled(format!("{:<name_w$}", super::fit(&name, name_w)), t.text),
            Span::styled(format!("{time:>6}"), t.muted),
        ];
        let (ckpt, ckpt_style) = match file.checkpoint {
            Some(m) if self.wide => (
                format!("#{} {}", m.id, m.state.as_str()),
                checkpoint_style(m, t),
            ),
            Some(m) => (
                format!("#{}{}", m.id, checkpoint_glyph(m.state)),
                checkpoint_style(m, t),
            ),
            None => ("-".into(), t.muted),
        };
        let (undo, undo_style) = match &file.rehearsal {
            Some(r) if r.reversible() => ("✓", t.ok),
            Some(_) => ("✗", t.error),
            None => ("-", t.muted),
        };
        if self.wide {
            spans.push(Span::styled(
                format!(" {:<14}", super::fit(&ckpt, 14)),
                ckpt_style,
            ));
            spans.push(Span::styled(format!("{undo:>5}"), undo_style));
        } else {
            spans.push(Span::styled(
                format!("{:>6}", super::fit(&ckpt, 5)),
                ckpt_style,
            ));
            spans.push(Span::styled(format!("{undo:>2}"), undo_style));
        }
        if self.checks {
            let (checks, checks_style) = checks_cell(&file.checks, t);
            spans.push(Span::styled(
                format!("{:>6}", super::fit(&checks, 5)),
                checks_style,
            ));
        }
        spans
    }
}

/// Checks passed of total, marked and coloured by the worst failed one's severity
/// (`3/3`, `✖2/3`, `⚠2/3`); `-` when none ran.
fn checks_cell(c: &Checks, t: &Theme) -> (String, ratatui::style::Style) {
    if c.total() == 0 {
        return ("-".into(), t.muted);
    }
    let count = format!("{}/{}", c.passed(), c.total());
    match c.worst() {
        None => (count, t.ok),
        Some(s) => (
            format!("{}{count}", severity_mark(s)),
            super::findings::severity_style(s, t),
        ),
    }
}

/// A checkpoint's state as one glyph, for narrow screens (help lists them).
fn checkpoint_glyph(st: CheckpointState) -> &'static str {
    match st {
        CheckpointState::Created => "○",
        CheckpointState::Validated => "◎",
        CheckpointState::Active => "●",
        CheckpointState::Superseded => "◌",
        CheckpointState::Failed => "✖",
    }
}

fn checkpoint_style(m: CheckpointMark, t: &Theme) -> ratatui::style::Style {
    match m.state {
        CheckpointState::Failed => t.error,
        CheckpointState::Superseded => t.muted,
        CheckpointState::Validated | CheckpointState::Active => t.ok,
        CheckpointState::Created => t.text,
    }
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
                        "⚠ the ledger says {}: part of it may be applied; check the target, then m to resolve",
                        f.status.as_str()
                    ),
                    width,
                ),
                t.error,
            )));
        }
    }
    // Why the last rehearsal found the file not reversible.
    if let Some(r) = s
        .cursor_file()
        .and_then(|i| s.files[i].rehearsal.as_ref())
        .filter(|r| !r.reversible())
    {
        if lines.len() < height {
            let verdict = crate::ui::state::verdict_text(r.verdict);
            // The first line of a difference; ⏎ shows the file with all of it.
            let text = match r.detail.as_deref().and_then(|d| d.lines().next()) {
                Some(d) => format!("✗ rehearsal: {verdict}: {d}"),
                None => format!("✗ rehearsal: {verdict}"),
            };
            lines.push(Line::from(Span::styled(super::fit(&text, width), t.warn)));
        }
    }
    // The file's worst finding; ⏎ lists them all.
    if let Some(r) = s
        .cursor_file()
        .and_then(|i| s.files[i].checks.findings().next())
    {
        if lines.len() < height {
            let text = format!(
                "{} (⏎ lists every finding)",
                crate::ui::state::finding_text(r)
            );
            let style = super::findings::severity_style(r.severity, t);
            lines.push(Line::from(Span::styled(super::fit(&text, width), style)));
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
