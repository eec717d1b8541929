//! What draws over the panels: help, a file's SQL, and the quit confirmation.

use super::super::keymap;
use super::super::state::State;
use super::super::theme::Theme;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui::Frame;

pub(super) fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(h.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [r] = Layout::horizontal([Constraint::Length(w.min(area.width))])
        .flex(Flex::Center)
        .areas(v);
    r
}

pub(super) fn popup(f: &mut Frame, area: Rect, title: String, t: &Theme) -> Rect {
    f.render_widget(Clear, area);
    let block = Block::bordered()
        .border_style(t.border_focus)
        .title(Span::styled(title, t.title));
    let inner = block.inner(area);
    f.render_widget(block, area);
    inner
}

/// Every binding and mark, scrolled by `scroll` lines when the screen is too short
/// for all of them (the reducer clamps `scroll` with the same `keymap::help_rows`).
pub fn help(f: &mut Frame, area: Rect, t: &Theme, scroll: usize) {
    let all = keymap::help_lines();
    let rows = keymap::help_rows(area.height);
    let first = scroll.min(all.len().saturating_sub(rows));
    let more = if rows < all.len() {
        format!(
            "· lines {}–{} of {}, ↑↓ PgUp PgDn ",
            first + 1,
            (first + rows).min(all.len()),
            all.len()
        )
    } else {
        String::new()
    };
    let h = (all.len() + 2).min(area.height as usize) as u16;
    let title = format!(" Keys · Esc to close {more}");
    let inner = popup(f, centered(area, 72, h), title, t);
    let lines: Vec<Line> = all
        .iter()
        .skip(first)
        .take(rows)
        .map(|l| match l {
            keymap::HelpLine::Heading(h) => Line::from(Span::styled(*h, t.title)),
            keymap::HelpLine::Entry(label, desc) => Line::from(vec![
                Span::styled(format!("  {label:<12}"), t.key),
                Span::styled(*desc, t.text),
            ]),
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

/// A file's SQL with line numbers; after a failure, the failing line is marked and the
/// database's message stands on top.
pub fn detail(f: &mut Frame, area: Rect, s: &State, t: &Theme, file: usize, scroll: usize) {
    let Some(fv) = s.files.get(file) else { return };
    let r = centered(
        area,
        area.width.saturating_sub(4),
        area.height.saturating_sub(2),
    );
    let title = format!(" {} · version {} · Esc to close ", fv.file, fv.version);
    let inner = popup(f, r, title, t);
    let mut lines = Vec::new();
    if let Some((line, msg)) = &fv.error {
        lines.push(Line::from(Span::styled(
            format!("✖ failed at line {line}: {msg}"),
            t.error,
        )));
    }
    if let Some(note) = &fv.note {
        lines.push(Line::from(Span::styled(format!("⚠ {note}"), t.warn)));
    }
    if let Some(r) = &fv.rehearsal {
        let verdict = crate::ui::state::verdict_text(r.verdict);
        let (mark, style) = if r.reversible() {
            ("✓", t.ok)
        } else {
            ("✗", t.warn)
        };
        lines.push(Line::from(Span::styled(
            format!("{mark} rehearsal: {verdict}"),
            style,
        )));
        // A difference comes a line per item: each on its own row.
        for l in r.detail.iter().flat_map(|d| d.lines()) {
            lines.push(Line::from(Span::styled(format!("    {l}"), style)));
        }
    }
    // Its checks take at most half of the view: the SQL stays in sight.
    let room = (inner.height as usize / 2).saturating_sub(lines.len());
    lines.extend(super::findings::lines(
        &fv.checks,
        t,
        inner.width as usize,
        room,
    ));
    let err_line = fv.error.as_ref().map(|(l, _)| *l);
    // The failing statement: from where it began to the line the database pointed at.
    let in_failing = |n: usize| match (fv.statement_line, err_line) {
        (Some(start), Some(end)) => n >= start.min(end) && n <= end,
        (None, Some(end)) => n == end,
        _ => false,
    };
    let total = fv.sql.lines().count().max(1);
    let num_w = total.to_string().len();
    let rows = (inner.height as usize).saturating_sub(lines.len());
    for (n, text) in fv.sql.lines().enumerate().skip(scroll).take(rows) {
        let n = n + 1;
        let mark = if Some(n) == err_line {
            "▶"
        } else if in_failing(n) {
            "│"
        } else {
            " "
        };
        let style = if in_failing(n) { t.error } else { t.text };
        lines.push(Line::from(vec![
            Span::styled(
                format!("{mark}{n:>num_w$} │ "),
                if in_failing(n) { t.error } else { t.muted },
            ),
            Span::styled(text.replace('\t', "    "), style),
        ]));
    }
    if fv.sql.trim().is_empty() {
        lines.push(Line::from(Span::styled("(empty file: a no-op)", t.muted)));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

pub fn confirm_quit(f: &mut Frame, area: Rect, s: &State, t: &Theme) {
    let inner = popup(f, centered(area, 60, 8), " Quit? ".into(), t);
    let job = s.job.as_ref().map_or(String::new(), |j| {
        format!("{} is running ({}/{} files)", j.name, j.done, j.total)
    });
    let lines = vec![
        Line::from(Span::styled(job, t.warn)),
        Line::from("Quitting stops it after the current file; a file is never"),
        Line::from("left half-applied."),
        Line::from(""),
        Line::from(vec![
            Span::styled("y", t.key),
            Span::raw(" quit after this file   "),
            Span::styled("n/Esc", t.key),
            Span::raw(" keep going (default)"),
        ]),
    ];
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

pub fn confirm_cancel(f: &mut Frame, area: Rect, s: &State, t: &Theme) {
    let inner = popup(
        f,
        centered(area, 72, 10),
        " Cancel the running statement? ".into(),
        t,
    );
    let running = s
        .files
        .iter()
        .find(|f| f.status == crate::event::FileStatus::Applying)
        .map_or(String::from("a file is running"), |f| match f.statement {
            Some((k, n)) => format!("{}: statement {k} of {n} is running", f.file),
            None => format!("{} is running", f.file),
        });
    let lines = vec![
        Line::from(Span::styled(running, t.warn)),
        Line::from("Cancels it on the database, then the job stops. A file in one"),
        Line::from("transaction rolls back and stays pending; a file outside one is"),
        Line::from("left partial (its earlier statements remain) until you resolve it."),
        Line::from(""),
        Line::from(vec![
            Span::styled("y", t.key),
            Span::raw(" cancel it   "),
            Span::styled("n/Esc", t.key),
            Span::raw(" let it run (default)"),
        ]),
    ];
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// What a `running` or `partial` file turned out to be: the operator looks at the
/// target, picks, then confirms; the choice is recorded as `--resolve` records it.
pub fn resolve(
    f: &mut Frame,
    area: Rect,
    s: &State,
    t: &Theme,
    file: usize,
    choice: Option<crate::command::Resolution>,
) {
    use crate::command::Resolution;
    let Some(fv) = s.files.get(file) else { return };
    let title = format!(" Resolve {} · Esc to close ", fv.file);
    let inner = popup(f, centered(area, 72, 13), title, t);
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "The ledger says {}: part of it may be applied.",
            fv.status.as_str()
        ),
        t.warn,
    ))];
    if let Some((line, msg)) = &fv.error {
        lines.push(Line::from(Span::styled(
            format!("line {line}: {msg}"),
            t.error,
        )));
    }
    lines.push(Line::from("Check the target, then record what you found:"));
    let mark = |how| if choice == Some(how) { "▶ " } else { "  " };
    lines.push(Line::from(vec![
        Span::raw(mark(Resolution::Applied)),
        Span::styled("a", t.key),
        Span::raw(" all of it took effect: record it applied"),
    ]));
    lines.push(Line::from(vec![
        Span::raw(mark(Resolution::Pending)),
        Span::styled("p", t.key),
        Span::raw(" none of it remains (undone by hand): pending, it runs again"),
    ]));
    lines.push(Line::from(""));
    lines.push(match choice {
        Some(how) => Line::from(vec![
            Span::styled("y", t.key),
            Span::raw(format!(
                " record it as {}   ",
                if how == Resolution::Applied {
                    "applied"
                } else {
                    "pending"
                }
            )),
            Span::styled("n/Esc", t.key),
            Span::raw(" decide later"),
        ]),
        None => Line::from(vec![
            Span::raw("pick a or p first   "),
            Span::styled("n/Esc", t.key),
            Span::raw(" decide later"),
        ]),
    });
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// A dialog confirmed only by typing a word: what it will do, the field, and why the
/// last try did nothing.
pub fn typed<P>(
    f: &mut Frame,
    area: Rect,
    t: &Theme,
    d: &crate::ui::state::dialog::TypedConfirm<P>,
) {
    let title = format!(" {} · Esc to cancel ", d.prompt);
    let inner = popup(f, centered(area, 64, 8), title, t);
    let text = d.input.text();
    let (before, after): (String, String) = {
        let at = d.input.cursor();
        (
            text.chars().take(at).collect(),
            text.chars().skip(at).collect(),
        )
    };
    let mut lines = vec![
        Line::from(vec![
            Span::raw("Type "),
            Span::styled(d.expected.clone(), t.key),
            Span::raw(" and press Enter to go ahead."),
        ]),
        Line::from(vec![
            Span::styled("> ", t.key),
            Span::raw(before),
            Span::styled("▏", t.key),
            Span::raw(after),
        ]),
    ];
    if let Some(error) = &d.error {
        lines.push(Line::from(Span::styled(error.clone(), t.error)));
    }
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
