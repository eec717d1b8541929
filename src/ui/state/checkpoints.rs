//! Folding checkpoint and rehearsal events: each file's checkpoint (id and lifecycle
//! state) and its last rehearsal verdict, as the files table shows them.

use super::State;
use crate::event::{CheckpointInfo, CheckpointState, Level, RehearsalVerdict};

/// A checkpoint as the files table shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointMark {
    pub id: i64,
    pub state: CheckpointState,
}

/// A rehearsal's word on a file (up, down, up on a scratch copy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rehearsal {
    pub verdict: RehearsalVerdict,
    /// Why it is not reversible: the error, or what the down SQL left different.
    pub detail: Option<String>,
}

impl Rehearsal {
    pub fn reversible(&self) -> bool {
        self.verdict == RehearsalVerdict::Reversible
    }
}

/// A verdict in words.
pub fn verdict_text(v: RehearsalVerdict) -> &'static str {
    match v {
        RehearsalVerdict::Reversible => "reversible",
        RehearsalVerdict::UpFails => "up fails",
        RehearsalVerdict::NoDown => "no down SQL: only a backup restore undoes it",
        RehearsalVerdict::DownFails => "down fails",
        RehearsalVerdict::DownDiffers => "down leaves a different schema",
    }
}

impl State {
    pub(super) fn checkpoint_created(&mut self, at: i64, info: &CheckpointInfo) -> bool {
        let mark = CheckpointMark {
            id: info.id,
            state: info.status,
        };
        let file = info
            .version
            .as_ref()
            .and_then(|v| self.index.get(v).copied());
        match (file, &info.version) {
            (Some(i), _) => {
                self.checkpoints.insert(info.id, Some(i));
                self.files[i].checkpoint = Some(mark);
            }
            (None, None) => {
                self.checkpoints.insert(info.id, None);
                self.window_checkpoint = Some(mark);
                let backup = info.backup.as_ref().map_or(String::new(), |b| {
                    format!(", backup {} ({})", b.path, size_text(b.size))
                });
                self.log_line(
                    at,
                    Level::Info,
                    format!("migration window start: checkpoint #{}{backup}", info.id),
                );
            }
            // A version the plan does not know: nothing on screen to mark.
            (None, Some(_)) => return false,
        }
        true
    }

    pub(super) fn checkpoint_status(
        &mut self,
        at: i64,
        id: i64,
        status: CheckpointState,
        detail: &Option<String>,
    ) -> bool {
        let mark = match self.checkpoints.get(&id) {
            Some(Some(i)) => self.files[*i].checkpoint.as_mut(),
            Some(None) => self.window_checkpoint.as_mut(),
            None => None,
        };
        let Some(mark) = mark.filter(|m| m.id == id) else {
            return false;
        };
        mark.state = status;
        if status == CheckpointState::Failed {
            let why = detail.as_deref().unwrap_or("no reason given");
            self.log_line(at, Level::Error, format!("checkpoint #{id} failed: {why}"));
        }
        true
    }

    /// The window closed: every checkpoint of it is superseded.
    pub(super) fn window_closed(&mut self, at: i64, window: i64) -> bool {
        for f in &mut self.files {
            if let Some(m) = &mut f.checkpoint {
                m.state = CheckpointState::Superseded;
            }
        }
        if let Some(m) = &mut self.window_checkpoint {
            m.state = CheckpointState::Superseded;
        }
        self.log_line(
            at,
            Level::Info,
            format!("migration window {window} closed: its checkpoints are superseded"),
        );
        true
    }

    pub(super) fn rehearsed(
        &mut self,
        at: i64,
        version: &str,
        verdict: RehearsalVerdict,
        detail: &Option<String>,
    ) -> bool {
        let Some(&i) = self.index.get(version) else {
            return false;
        };
        self.files[i].rehearsal = Some(Rehearsal {
            verdict,
            detail: detail.clone(),
        });
        let file = self.files[i].file.clone();
        if verdict == RehearsalVerdict::Reversible {
            self.log_line(at, Level::Info, format!("rehearsal: {file} is reversible"));
            return true;
        }
        // The detail may be a difference, a line per item: a log line each.
        let mut lines = detail.iter().flat_map(|d| d.lines());
        let first = lines.next().map_or(String::new(), |l| format!(": {l}"));
        let head = format!("rehearsal: {file}: {}{first}", verdict_text(verdict));
        self.log_line(at, Level::Warn, head);
        for l in lines {
            self.log_line(at, Level::Warn, format!("  {l}"));
        }
        true
    }
}

fn size_text(bytes: u64) -> String {
    const MB: f64 = 1024.0 * 1024.0;
    match bytes {
        b if b >= 1024 * 1024 * 1024 => format!("{:.1} GB", b as f64 / MB / 1024.0),
        b if b >= 1024 * 1024 => format!("{:.1} MB", b as f64 / MB),
        b if b >= 1024 => format!("{:.0} kB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}
