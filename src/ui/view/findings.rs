//! A file's checks in its detail view: how many passed, then each finding (severity,
//! check, detail) with the rows that differ, each column with its value on both sides.

use super::super::state::{finding_text, Checks};
use super::super::theme::Theme;
use crate::event::{RowDiff, RowDiffKind, Severity};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

/// At most `max` lines (the last one says how many more there are); none when no check
/// ran.
pub fn lines(checks: &Checks, t: &Theme, width: usize, max: usize) -> Vec<Line<'static>> {
    if checks.total() == 0 || max == 0 {
        return Vec::new();
    }
    let (passed, total) = (checks.passed(), checks.total());
    let head_style = checks.worst().map_or(t.ok, |s| severity_style(s, t));
    let mark = if passed == total { "✔" } else { "✖" };
    let mut all = vec![(
        head_style,
        format!("{mark} checks: {passed}/{total} passed"),
    )];
    for r in checks.findings() {
        let style = severity_style(r.severity, t);
        all.push((style, format!("  {}", finding_text(r))));
        for row in &r.rows {
            all.push((style, format!("      {}", row_text(row))));
        }
    }
    let fit = |s: &str| super::fit(s, width);
    if all.len() <= max {
        return all
            .into_iter()
            .map(|(st, s)| Line::from(Span::styled(fit(&s), st)))
            .collect();
    }
    let more = all.len() - (max - 1);
    let mut out: Vec<Line> = all
        .into_iter()
        .take(max - 1)
        .map(|(st, s)| Line::from(Span::styled(fit(&s), st)))
        .collect();
    out.push(Line::from(Span::styled(
        fit(&format!(
            "  … {more} more line(s): cutover validate --json lists them all"
        )),
        t.muted,
    )));
    out
}

/// `id=5 changed: total 10 → 12, status NULL → shipped`, `id=7 missing in target`.
pub fn row_text(row: &RowDiff) -> String {
    match row.kind {
        RowDiffKind::MissingInTarget => format!("{} missing in target", row.key),
        RowDiffKind::MissingInSource => format!("{} missing in source", row.key),
        RowDiffKind::Changed => {
            let value = |v: &Option<String>| v.clone().unwrap_or_else(|| "NULL".into());
            let cols: Vec<String> = row
                .columns
                .iter()
                .map(|c| format!("{} {} → {}", c.column, value(&c.source), value(&c.target)))
                .collect();
            format!("{} changed: {}", row.key, cols.join(", "))
        }
    }
}

/// A severity's colour (critical also bold); the words and glyphs say it without.
pub fn severity_style(s: Severity, t: &Theme) -> Style {
    match s {
        Severity::Critical => t.error.add_modifier(Modifier::BOLD),
        Severity::Error => t.error,
        Severity::Warning => t.warn,
        Severity::Info => t.info,
    }
}
