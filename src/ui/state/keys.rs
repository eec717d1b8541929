//! Folding operator actions into the state. Dangerous or long work leaves as effects.

use super::dialog::{self, Outcome};
use super::rollback::Which;
use super::{Action, Did, Effect, Overlay, Panel, State};
use crate::engine::rules::{can_run, Ask, Refusal};
use crate::event::Level;

impl State {
    fn move_cursor(&mut self, delta: isize) {
        let step = |cur: usize, len: usize| -> usize {
            if len == 0 {
                return 0;
            }
            (cur as isize + delta).clamp(0, len as isize - 1) as usize
        };
        match self.focus {
            Panel::Batches => {
                let b = step(self.selected_batch, self.batches.len());
                if b != self.selected_batch {
                    self.selected_batch = b;
                    self.selected_file = 0;
                }
            }
            Panel::Files => self.selected_file = step(self.selected_file, self.batch_files().len()),
            Panel::Benches => self.selected_bench = step(self.selected_bench, self.benches.len()),
            Panel::Log => {
                let max = self.log.len().saturating_sub(1) as isize;
                self.log_scroll = (self.log_scroll as isize - delta).clamp(0, max) as usize;
            }
        }
    }

    fn page(&self) -> isize {
        (self.height as isize / 2).max(1)
    }

    /// An open dialog or overlay takes every key: what it did (None when none is open).
    /// Each dialog decides by itself (see [`super::dialog`]); here its outcome is
    /// carried out.
    fn overlay_action(&mut self, a: Action, at: i64, effects: &mut Vec<Effect>) -> Option<bool> {
        let overlay = self.overlay.take()?;
        let asked = asked(&overlay);
        let changed = self.overlay_handle(overlay, a, at, effects);
        if let Some(did) = asked.and_then(|q| q.verdict(a, self.overlay.is_some())) {
            effects.push(Effect::Note(did));
        }
        Some(changed)
    }

    /// Carries out what the open overlay did with one key; returns whether the screen
    /// changed.
    fn overlay_handle(
        &mut self,
        overlay: Overlay,
        a: Action,
        at: i64,
        effects: &mut Vec<Effect>,
    ) -> bool {
        let (kept, changed) = match overlay {
            Overlay::ConfirmQuit => match dialog::confirm::yes_no(a, ()) {
                Outcome::Confirmed(()) => {
                    self.quit_after_job = true;
                    if !self.pause_requested {
                        self.pause_requested = true;
                        effects.push(Effect::Pause);
                    }
                    self.log_line(at, Level::Warn, "quitting after the current file".into());
                    (None, true)
                }
                other => keep(Overlay::ConfirmQuit, other),
            },
            Overlay::ConfirmCancel => match dialog::confirm::yes_no(a, ()) {
                Outcome::Confirmed(()) => {
                    self.confirm_cancel(at, effects);
                    (None, true)
                }
                other => keep(Overlay::ConfirmCancel, other),
            },
            Overlay::Resolve(mut d) => match d.handle(a) {
                Outcome::Confirmed(how) => {
                    self.confirm_resolve(at, d.file, how, effects);
                    (None, true)
                }
                other => keep(Overlay::Resolve(d), other),
            },
            Overlay::Typed(mut d) => match d.handle(a) {
                Outcome::Confirmed(effect) => {
                    effects.push(effect);
                    (None, true)
                }
                other => keep(Overlay::Typed(d), other),
            },
            Overlay::Force(mut d) => match d.handle(a) {
                Outcome::Confirmed(_) => {
                    self.force_confirmed(at, &d, effects);
                    (None, true)
                }
                Outcome::Cancelled => {
                    self.force_note(at, &d, true);
                    (None, true)
                }
                other => {
                    if a == Action::Submit {
                        self.force_note(at, &d, false);
                    }
                    keep(Overlay::Force(d), other)
                }
            },
            Overlay::Bench { bench, scroll } => self.bench_detail_action(a, bench, scroll),
            Overlay::Rollback(mut d) => match d.handle(a, self.width, self.height) {
                Outcome::Confirmed(effect) => {
                    self.rollback_confirmed(at, &d, effect, effects);
                    (None, true)
                }
                Outcome::Cancelled => {
                    self.rollback_dialog_note(at, &d, true);
                    (None, true)
                }
                other => {
                    if a == Action::Submit {
                        self.rollback_dialog_note(at, &d, false);
                    }
                    keep(Overlay::Rollback(d), other)
                }
            },
            Overlay::Help { scroll } => self.help_action(a, scroll),
            Overlay::Detail { file, scroll } => {
                let lines = self.files.get(file).map_or(0, |f| f.sql.lines().count());
                let max = lines.saturating_sub(1) as isize;
                let new = match a {
                    Action::Back | Action::Open | Action::Quit => return true,
                    Action::Up => scroll as isize - 1,
                    Action::Down => scroll as isize + 1,
                    Action::PageUp => scroll as isize - self.page(),
                    Action::PageDown => scroll as isize + self.page(),
                    Action::Top => 0,
                    Action::Bottom => max,
                    _ => {
                        self.overlay = Some(Overlay::Detail { file, scroll });
                        return false;
                    }
                };
                let scroll = new.clamp(0, max.max(0)) as usize;
                (Some(Overlay::Detail { file, scroll }), true)
            }
        };
        self.overlay = kept;
        changed
    }

    /// Keys while help shows: scrolling (so every binding can be read at 80x24), or
    /// closing it.
    fn help_action(&self, a: Action, scroll: usize) -> (Option<Overlay>, bool) {
        let max = crate::ui::keymap::help_max_scroll(self.height);
        let page = crate::ui::keymap::help_rows(self.height).max(1);
        let to = match a {
            Action::Back | Action::Help | Action::Quit | Action::Open => return (None, true),
            Action::Up => scroll.saturating_sub(1),
            Action::Down => scroll + 1,
            Action::PageUp => scroll.saturating_sub(page),
            Action::PageDown => scroll + page,
            Action::Top => 0,
            Action::Bottom => max,
            _ => scroll,
        };
        let to = to.min(max);
        (Some(Overlay::Help { scroll: to }), to != scroll)
    }

    /// Keys while a benchmark's detail shows: scrolling within what it draws, or closing.
    fn bench_detail_action(
        &self,
        a: Action,
        bench: usize,
        scroll: usize,
    ) -> (Option<Overlay>, bool) {
        let lines = self
            .benches
            .get(bench)
            .map_or(0, |b| b.detail_lines().len());
        let max = lines.saturating_sub(1) as isize;
        let to = match a {
            Action::Back | Action::Open | Action::Quit => return (None, true),
            Action::Up => scroll as isize - 1,
            Action::Down => scroll as isize + 1,
            Action::PageUp => scroll as isize - self.page(),
            Action::PageDown => scroll as isize + self.page(),
            Action::Top => 0,
            Action::Bottom => max,
            _ => scroll as isize,
        };
        let to = to.clamp(0, max.max(0)) as usize;
        (Some(Overlay::Bench { bench, scroll: to }), to != scroll)
    }

    /// `t`: rehearse the selected batch's pending files on a scratch copy (up, down,
    /// up); the verdicts mark the files. Withheld while a job runs.
    fn rehearse(&mut self, at: i64, effects: &mut Vec<Effect>) -> bool {
        if self.read_only || self.job.is_some() || self.batches.is_empty() {
            return false;
        }
        let b = self.selected_batch;
        self.log_line(
            at,
            Level::Info,
            format!(
                "rehearse batch {} {} requested by {}: up, down, up of each pending file on a scratch copy",
                b + 1,
                self.batches[b].name,
                self.operator
            ),
        );
        effects.push(Effect::Rehearse(b + 1));
        true
    }

    /// Tab / Shift-Tab: the focus moves `step` panels on (3 of 4 is one back).
    fn cycle_focus(&mut self, step: usize) {
        let order = [Panel::Batches, Panel::Files, Panel::Benches, Panel::Log];
        let i = order.iter().position(|p| *p == self.focus).unwrap_or(0);
        self.focus = order[(i + step) % order.len()];
    }

    /// `a`: the next file the engine's rule would run.
    fn apply_next(&mut self, at: i64, effects: &mut Vec<Effect>) -> bool {
        if self.read_only || self.job.is_some() {
            return false;
        }
        if self.refuse_while_unresolved(at) {
            return true;
        }
        let Some(i) = self.next_pending() else {
            self.log_line(
                at,
                Level::Info,
                "nothing to apply: every file is applied".into(),
            );
            return true;
        };
        let version = self.files[i].version.clone();
        if self.ask_force(at, self.files[i].batch, &Effect::ApplyTo(version.clone())) {
            return true;
        }
        self.log_line(
            at,
            Level::Info,
            format!(
                "apply {} requested by {}",
                self.files[i].file, self.operator
            ),
        );
        effects.push(Effect::ApplyTo(version));
        true
    }

    /// `A`: the selected batch, if every batch before it is done.
    fn apply_batch(&mut self, at: i64, effects: &mut Vec<Effect>) -> bool {
        if self.read_only || self.job.is_some() || self.batches.is_empty() {
            return false;
        }
        if self.refuse_while_unresolved(at) {
            return true;
        }
        let b = self.selected_batch;
        // The engine's own rule decides, so the cockpit never offers what it would refuse.
        if let Err(refusal) = can_run(self, Ask::Batch(b)) {
            let name = |p: usize| format!("batch {} {}", p + 1, self.batches[p].name);
            let why = match refusal {
                Refusal::BatchApplied(_) => format!("{} is already applied", name(b)),
                Refusal::EarlierBatchPending { earlier, .. } => {
                    format!("{} cannot start: {} has files left", name(b), name(earlier))
                }
                _ => format!("batch {} cannot start", b + 1),
            };
            self.log_line(at, Level::Warn, why);
            return true;
        }
        if self.ask_force(at, b, &Effect::ApplyBatch(b + 1)) {
            return true;
        }
        self.log_line(
            at,
            Level::Info,
            format!(
                "apply batch {} {} requested by {}",
                b + 1,
                self.batches[b].name,
                self.operator
            ),
        );
        effects.push(Effect::ApplyBatch(b + 1));
        true
    }

    /// What the operator asked for. Returns whether the screen changed.
    pub(super) fn apply_action(&mut self, a: Action, at: i64, effects: &mut Vec<Effect>) -> bool {
        if let Some(changed) = self.overlay_action(a, at, effects) {
            return changed;
        }
        match a {
            Action::Up => self.move_cursor(-1),
            Action::Down => self.move_cursor(1),
            Action::PageUp => self.move_cursor(-self.page()),
            Action::PageDown => self.move_cursor(self.page()),
            Action::Top => self.move_cursor(isize::MIN / 2),
            Action::Bottom => self.move_cursor(isize::MAX / 2),
            Action::NextPanel => self.cycle_focus(1),
            Action::PrevPanel => self.cycle_focus(3),
            Action::Open => match self.focus {
                Panel::Batches => self.focus = Panel::Files,
                Panel::Files => {
                    let Some(file) = self.cursor_file() else {
                        return false;
                    };
                    // Open on the failing statement, with a little context above it.
                    let scroll = self.files[file]
                        .error
                        .as_ref()
                        .map_or(0, |(line, _)| line.saturating_sub(4));
                    self.overlay = Some(Overlay::Detail { file, scroll });
                }
                Panel::Benches if self.selected_bench < self.benches.len() => {
                    self.overlay = Some(Overlay::Bench {
                        bench: self.selected_bench,
                        scroll: 0,
                    });
                }
                Panel::Benches | Panel::Log => return false,
            },
            // Esc acknowledges an automatic rollback's banner before it moves the focus.
            Action::Back if self.dismiss_banner() => {}
            Action::Back => match self.focus {
                Panel::Files | Panel::Benches | Panel::Log => self.focus = Panel::Batches,
                Panel::Batches => return false,
            },
            Action::Help => self.overlay = Some(Overlay::Help { scroll: 0 }),
            Action::ApplyNext => return self.apply_next(at, effects),
            Action::ApplyBatch => {
                return self.apply_batch(at, effects);
            }
            Action::Pause => {
                if self.read_only || self.job.is_none() || self.pause_requested {
                    return false;
                }
                self.pause_requested = true;
                self.log_line(
                    at,
                    Level::Warn,
                    "pause requested: stopping after the current file".into(),
                );
                effects.push(Effect::Pause);
            }
            Action::Quit => {
                if self.job.is_some() && !self.read_only {
                    self.overlay = Some(Overlay::ConfirmQuit);
                } else {
                    self.quitting = true;
                    effects.push(Effect::Quit);
                }
            }
            Action::CancelStatement => return self.ask_cancel(),
            Action::Resolve => return self.ask_resolve(at),
            Action::RollbackFile => return self.ask_rollback(Which::File, at, effects),
            Action::RollbackBatch => return self.ask_rollback(Which::Batch, at, effects),
            Action::RollbackEmergency => return self.ask_rollback(Which::Emergency, at, effects),
            Action::Rehearse => return self.rehearse(at, effects),
            Action::Validate => return self.validate(at, false, effects),
            Action::ValidateBatch => return self.validate(at, true, effects),
            Action::Bench => return self.bench(at, false, effects),
            Action::BenchBatch => return self.bench(at, true, effects),
            Action::Yes
            | Action::No
            | Action::ResolveApplied
            | Action::ResolvePending
            | Action::Type(_)
            | Action::Backspace
            | Action::CursorLeft
            | Action::CursorRight
            | Action::Submit => return false,
        }
        true
    }
}

/// A dialog that did not confirm: still open (and whether it changed), or closed.
fn keep<P>(open: Overlay, outcome: Outcome<P>) -> (Option<Overlay>, bool) {
    match outcome {
        Outcome::Ignored => (Some(open), false),
        Outcome::Changed => (Some(open), true),
        Outcome::Cancelled | Outcome::Confirmed(_) => (None, true),
    }
}

/// A dialog that asks the operator something, as the journal words it: what it asks
/// for, and for a typed confirmation the word typed so far and the word expected.
struct Asked {
    what: String,
    typed: Option<(String, String)>,
}

/// What an open overlay asks, if it is a dialog (help and detail views ask nothing).
fn asked(o: &Overlay) -> Option<Asked> {
    let typed = |c: &dialog::TypedConfirm<Effect>| Some((c.input.text(), c.expected.clone()));
    let (what, typed) = match o {
        Overlay::ConfirmQuit => ("quit while a job runs".to_string(), None),
        Overlay::ConfirmCancel => ("cancel the running statement".to_string(), None),
        Overlay::Resolve(_) => ("resolve an unfinished file".to_string(), None),
        Overlay::Typed(d) => (d.prompt.clone(), typed(d)),
        Overlay::Rollback(d) => (d.confirm.prompt.clone(), typed(&d.confirm)),
        Overlay::Force(d) => (d.confirm.prompt.clone(), typed(&d.confirm)),
        Overlay::Help { .. } | Overlay::Detail { .. } | Overlay::Bench { .. } => return None,
    };
    Some(Asked { what, typed })
}

impl Asked {
    /// What the key did to the dialog: closed by a cancelling key, closed otherwise
    /// (confirmed), or a typed word submitted and refused (the dialog stays open).
    fn verdict(self, a: Action, still_open: bool) -> Option<Did> {
        let what = self.what;
        match (still_open, a, self.typed) {
            (false, Action::Back | Action::No | Action::Quit, _) => Some(Did::Cancelled { what }),
            (false, _, Some((typed, _))) => Some(Did::Confirmed { what, typed }),
            (false, a, None) => Some(Did::Confirmed {
                what,
                typed: format!("{a:?}").to_lowercase(),
            }),
            (true, Action::Submit, Some((typed, expected))) => Some(Did::Mistyped {
                what,
                typed,
                expected,
            }),
            (true, ..) => None,
        }
    }
}
