//! The rollback confirmation: what the engine said a rollback would undo (files newest
//! first, down SQL or a restore, tables that lose rows, notes), confirmed only by typing
//! the word the engine named (the version, the batch name, `EMERGENCY`). The same dialog
//! offers the restore after a failed rollback, confirmed by `RESTORE`.
//!
//! The dialog lays out its own text (pure: from the preview and the screen's size), so
//! the reducer can clamp its scrolling to exactly what the view shows.

use super::{Outcome, TypedConfirm};
use crate::event::{RollbackPreview, Undo};
use crate::ui::state::{Action, Effect};

/// The word that confirms a restore after a failed rollback: not the rollback's own
/// word, so a reflex cannot repeat it.
pub const RESTORE_WORD: &str = "RESTORE";

/// How a line of the dialog is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Heading,
    Text,
    Warn,
    Error,
    Muted,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollbackDialog {
    pub preview: RollbackPreview,
    /// The scope in words, e.g. "batch 2 service-layer".
    pub what: String,
    /// This offers the restore of a checkpoint's backup after a failed rollback.
    pub restore: bool,
    /// Why the rollback failed (restore offers).
    pub failure: Option<String>,
    pub confirm: TypedConfirm<Effect>,
    /// Lines of the list scrolled off the top.
    pub scroll: usize,
}

impl RollbackDialog {
    /// Confirms the rollback the preview describes.
    pub fn rollback(preview: RollbackPreview, what: String) -> RollbackDialog {
        let effect = Effect::Rollback {
            scope: preview.scope.clone(),
            restore: false,
        };
        let confirm =
            TypedConfirm::new(format!("Roll back {what}"), preview.confirm.clone(), effect);
        RollbackDialog {
            preview,
            what,
            restore: false,
            failure: None,
            confirm,
            scroll: 0,
        }
    }

    /// Offers the restore after the rollback of `preview` failed for `failure`.
    pub fn restore(preview: RollbackPreview, what: String, failure: Option<String>) -> Self {
        let effect = Effect::Rollback {
            scope: preview.scope.clone(),
            restore: true,
        };
        let confirm = TypedConfirm::new(
            format!("Rollback failed · restore {what}?"),
            RESTORE_WORD,
            effect,
        );
        RollbackDialog {
            preview,
            what,
            restore: true,
            failure,
            confirm,
            scroll: 0,
        }
    }

    /// One key on a screen of `width` x `height`: arrows scroll the list, the rest goes
    /// to the typed confirmation.
    pub fn handle(&mut self, a: Action, width: u16, height: u16) -> Outcome<Effect> {
        let lines = self.body(inner(self::width(width))).len();
        let (_, rows) = self::height(height, lines);
        let rows = shown(rows, lines);
        let max = lines.saturating_sub(rows);
        let to = match a {
            Action::Up => self.scroll.saturating_sub(1),
            Action::Down => self.scroll + 1,
            Action::PageUp => self.scroll.saturating_sub(rows.max(1)),
            Action::PageDown => self.scroll + rows.max(1),
            _ => return self.confirm.handle(a),
        };
        let to = to.min(max);
        if to == self.scroll {
            return Outcome::Ignored;
        }
        self.scroll = to;
        Outcome::Changed
    }

    /// The list above the field, wrapped to `width` columns (0: one line per item).
    pub fn body(&self, width: usize) -> Vec<(Tone, String)> {
        let mut out = Vec::new();
        let mut push = |tone, text: String, indent: &str| {
            for l in wrap(&text, width, indent) {
                out.push((tone, l));
            }
        };
        if self.restore {
            // The engine's failure comes in lines: what failed, what it left, the hint.
            for (n, line) in self.failure.iter().flat_map(|f| f.lines()).enumerate() {
                let line = line.trim();
                let text = if n == 0 {
                    format!("✖ {line}")
                } else {
                    format!("  {line}")
                };
                push(Tone::Error, text, "    ");
            }
        }
        let n = self.preview.files.len();
        let heading = if self.restore {
            format!("The restore undoes {n} file(s), newest first:")
        } else {
            format!("Undo {n} file(s), newest first:")
        };
        push(Tone::Heading, heading, "");
        let ver_w = self
            .preview
            .files
            .iter()
            .map(|f| f.version.chars().count())
            .max()
            .unwrap_or(0);
        for f in &self.preview.files {
            let (tone, how) = match (&f.undo, self.restore) {
                (Undo::DownSql, _) => (Tone::Text, " · down SQL".into()),
                (
                    Undo::Restore {
                        checkpoint,
                        taken_at,
                    },
                    true,
                ) => (
                    Tone::Warn,
                    format!(" · restore checkpoint #{checkpoint} taken {taken_at}"),
                ),
                (
                    Undo::Restore {
                        checkpoint,
                        taken_at,
                    },
                    false,
                ) => (
                    Tone::Warn,
                    format!(" · no down SQL: restore checkpoint #{checkpoint} taken {taken_at}"),
                ),
            };
            push(
                tone,
                format!("  {:<ver_w$} {}{how}", f.version, f.name),
                "      ",
            );
        }
        let restores: Vec<&str> = self
            .preview
            .files
            .iter()
            .filter_map(|f| match &f.undo {
                Undo::Restore { taken_at, .. } => Some(taken_at.as_str()),
                Undo::DownSql => None,
            })
            .collect();
        if let Some(oldest) = restores.iter().min() {
            push(
                Tone::Warn,
                format!("⚠ a restore loses every write made since its checkpoint ({oldest})"),
                "  ",
            );
        }
        if self.preview.losses.is_empty() {
            push(Tone::Muted, "No table loses rows.".into(), "");
        } else {
            push(Tone::Heading, "Tables that lose rows:".into(), "");
            let tw = self
                .preview
                .losses
                .iter()
                .map(|l| l.table.chars().count())
                .max()
                .unwrap_or(0);
            for l in &self.preview.losses {
                push(
                    Tone::Warn,
                    format!("  {:<tw$} {} rows", l.table, l.rows),
                    "    ",
                );
            }
        }
        if !self.preview.notes.is_empty() {
            push(Tone::Heading, "Notes:".into(), "");
            for note in &self.preview.notes {
                push(Tone::Text, format!("  • {note}"), "    ");
            }
        }
        out
    }
}

/// Lines under the list: a blank, the instruction, the field, and why the last word
/// did nothing.
pub const FIELD_ROWS: usize = 4;

/// The dialog's width on a screen `screen_w` columns wide.
pub fn width(screen_w: u16) -> u16 {
    screen_w.saturating_sub(4).min(100)
}

/// The text width inside a dialog `w` columns wide (borders and a margin each side).
pub fn inner(w: u16) -> usize {
    (w as usize).saturating_sub(4)
}

/// The dialog's height on a screen `screen_h` rows high for a list of `lines` (wrapped),
/// and how many rows of the list show.
pub fn height(screen_h: u16, lines: usize) -> (u16, usize) {
    let h = (lines + FIELD_ROWS + 2).min(screen_h.saturating_sub(2) as usize);
    (h as u16, h.saturating_sub(2 + FIELD_ROWS))
}

/// How many lines of a list of `lines` show in `rows`: when they do not all fit, the
/// last row says how many more there are.
pub fn shown(rows: usize, lines: usize) -> usize {
    if lines > rows {
        rows.saturating_sub(1)
    } else {
        lines
    }
}

/// Greedy word wrap to `width` columns; continuation lines start with `indent`. Width 0
/// means no wrapping. A word longer than a line is cut.
fn wrap(text: &str, width: usize, indent: &str) -> Vec<String> {
    // A line break in the text (an engine's note of several lines) is kept.
    if let Some((first, rest)) = text.split_once('\n') {
        let mut lines = wrap(first, width, indent);
        for l in rest.lines() {
            lines.extend(wrap(&format!("{indent}{}", l.trim_start()), width, indent));
        }
        return lines;
    }
    if width == 0 || text.chars().count() <= width {
        return vec![text.to_string()];
    }
    let mut lines = Vec::new();
    let mut line: String = text.chars().take_while(|c| *c == ' ').collect();
    let mut empty = true;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let len = line.chars().count();
        if !empty && len + 1 + word.chars().count() > width {
            lines.push(std::mem::replace(&mut line, indent.to_string()));
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        let room = width.saturating_sub(line.chars().count()).max(1);
        line.push_str(&crate::text::fit(word, room));
        empty = false;
    }
    lines.push(line);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{RollbackScope, TableLoss, UndoFile};

    fn preview() -> RollbackPreview {
        RollbackPreview {
            scope: RollbackScope::Batch { batch: "2".into() },
            files: vec![
                UndoFile {
                    version: "0007".into(),
                    name: "totals view".into(),
                    undo: Undo::DownSql,
                },
                UndoFile {
                    version: "0005".into(),
                    name: "order statuses".into(),
                    undo: Undo::Restore {
                        checkpoint: 4,
                        taken_at: "2026-12-02 01:00:00 UTC".into(),
                    },
                },
            ],
            losses: vec![TableLoss {
                table: "order_statuses".into(),
                rows: 3,
            }],
            confirm: "service-layer".into(),
            notes: vec!["MariaDB commits DDL at once: a failing down is not undone".into()],
        }
    }

    #[test]
    fn wrap_breaks_at_words_and_indents_what_follows() {
        assert_eq!(wrap("a bc de", 4, "  "), ["a bc", "  de"]);
        assert_eq!(
            wrap("  • one two three", 10, "    "),
            ["  • one", "    two", "    three"]
        );
        assert_eq!(wrap("abcdefghij", 4, ""), ["abc…"]);
        assert_eq!(wrap("short", 0, ""), ["short"]);
        assert_eq!(wrap("a\n  b c", 0, "  "), ["a", "  b c"]);
        for l in wrap(&"word ".repeat(40), 17, "   ") {
            assert!(l.chars().count() <= 17, "{l:?}");
        }
    }

    #[test]
    fn the_list_says_how_each_file_is_undone_and_what_is_lost() {
        let d = RollbackDialog::rollback(preview(), "batch 2 service-layer".into());
        let text: Vec<String> = d.body(0).into_iter().map(|(_, l)| l).collect();
        assert_eq!(text[0], "Undo 2 file(s), newest first:");
        assert_eq!(text[1], "  0007 totals view · down SQL");
        assert!(text[2].contains("restore checkpoint #4 taken 2026-12-02 01:00:00 UTC"));
        assert!(text
            .iter()
            .any(|l| l.contains("loses every write made since")));
        assert!(text.iter().any(|l| l.contains("order_statuses 3 rows")));
        assert!(text.iter().any(|l| l.contains("• MariaDB commits DDL")));
        assert_eq!(d.confirm.expected, "service-layer");
    }

    #[test]
    fn arrows_scroll_within_what_the_view_shows() {
        let mut d = RollbackDialog::rollback(preview(), "batch 2".into());
        // Everything fits on a big screen: nothing to scroll.
        assert_eq!(d.handle(Action::Down, 120, 40), Outcome::Ignored);
        // On a tiny one, it scrolls down to the last line and no further.
        let mut n = 0;
        while d.handle(Action::Down, 80, 12) == Outcome::Changed {
            n += 1;
        }
        let lines = d.body(inner(width(80))).len();
        let (_, rows) = height(12, lines);
        let rows = shown(rows, lines);
        assert_eq!(n, lines - rows);
        assert_eq!(d.handle(Action::PageUp, 80, 12), Outcome::Changed);
        assert_eq!(d.scroll, n.saturating_sub(rows));
        // Letters are text, not scrolling.
        assert_eq!(d.handle(Action::Type('j'), 80, 12), Outcome::Changed);
        assert_eq!(d.confirm.input.text(), "j");
    }

    #[test]
    fn a_restore_offer_asks_for_its_own_word() {
        let mut d = RollbackDialog::restore(
            preview(),
            "batch 2".into(),
            Some("rollback failed at 0007: boom\n  hint: `--restore`".into()),
        );
        let text: Vec<String> = d.body(0).into_iter().map(|(_, l)| l).collect();
        assert_eq!(text[0], "✖ rollback failed at 0007: boom");
        assert_eq!(text[1], "  hint: `--restore`");
        for c in "service-layer".chars() {
            d.handle(Action::Type(c), 100, 30);
        }
        assert_eq!(
            d.handle(Action::Submit, 100, 30),
            Outcome::Changed,
            "the rollback's word is not the restore's"
        );
        for c in RESTORE_WORD.chars() {
            d.handle(Action::Type(c), 100, 30);
        }
        assert_eq!(
            d.handle(Action::Submit, 100, 30),
            Outcome::Confirmed(Effect::Rollback {
                scope: RollbackScope::Batch { batch: "2".into() },
                restore: true
            })
        );
    }
}
