//! The operator's two dangerous decisions beyond applying: cancelling the statement a
//! job runs, and saying what a `running` or `partial` file turned out to be. Each opens
//! a dialog that consumes every key and leaves as an effect only when confirmed.

use super::dialog::resolve::Resolve;
use super::{Effect, Overlay, State};
use crate::command::Resolution;
use crate::event::Level;

impl State {
    /// `x`: asks before cancelling the running statement.
    pub(super) fn ask_cancel(&mut self) -> bool {
        if self.read_only || self.job.is_none() {
            return false;
        }
        self.overlay = Some(Overlay::ConfirmCancel);
        true
    }

    /// The cancel dialog confirmed: cancel the running statement, if one still runs.
    pub(super) fn confirm_cancel(&mut self, at: i64, effects: &mut Vec<Effect>) {
        if self.job.is_none() {
            return;
        }
        // A cancel stops the job too: after the cancelled file, nothing else runs.
        self.pause_requested = true;
        self.log_line(
            at,
            Level::Warn,
            format!(
                "cancel of the running statement requested by {}",
                self.operator
            ),
        );
        effects.push(Effect::CancelStatement);
    }

    /// Applying refuses while a file may be partly applied: says so, and what to do.
    pub(super) fn refuse_while_unresolved(&mut self, at: i64) -> bool {
        let Some(i) = self.first_unresolved() else {
            return false;
        };
        let f = &self.files[i];
        let text = format!(
            "cannot apply: {} is {} (part of it may be applied); check the target, then press m to record what you found",
            f.file,
            f.status.as_str()
        );
        self.log_line(at, Level::Warn, text);
        true
    }

    /// `m`: the file under the cursor if it waits for a decision, else the first one
    /// that does.
    pub(super) fn ask_resolve(&mut self, at: i64) -> bool {
        if self.read_only || self.job.is_some() {
            return false;
        }
        let file = self
            .cursor_file()
            .filter(|&i| self.files[i].status.unresolved())
            .or_else(|| self.first_unresolved());
        match file {
            Some(file) => {
                self.overlay = Some(Overlay::Resolve(Resolve::new(file)));
            }
            None => self.log_line(
                at,
                Level::Info,
                "nothing to resolve: no file is running or partial".into(),
            ),
        }
        true
    }

    /// The resolve dialog confirmed: record what the file turned out to be.
    pub(super) fn confirm_resolve(
        &mut self,
        at: i64,
        file: usize,
        how: Resolution,
        effects: &mut Vec<Effect>,
    ) {
        let Some(f) = self.files.get(file) else {
            return;
        };
        let word = match how {
            Resolution::Applied => "applied",
            Resolution::Pending => "pending",
        };
        let text = format!(
            "resolve {} as {word} requested by {}",
            f.file, self.operator
        );
        let version = f.version.clone();
        self.log_line(at, Level::Warn, text);
        effects.push(Effect::Resolve { version, how });
    }
}
