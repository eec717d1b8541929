//! Recording a headless command's session: the command line (passwords removed) as the
//! operator's deed, then every engine event, into the same journal the cockpit writes.
//! The command keeps reading its events as before, from a channel this tees into.

use crate::engine::{self, Handle, Workspace};
use crate::event::{Did, Input, Stamped};
use crate::journal::{self, JournalError};
use crate::ui::record::{JournalRecorder, Recorder, SessionHeader, SessionInfo};
use crate::ui::theme::{Depth, Theme};
use std::path::PathBuf;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// A headless session being recorded; `finish` once its events have been read.
pub struct Recording {
    tee: JoinHandle<Result<Option<PathBuf>, JournalError>>,
}

/// The terminal a headless session's replay draws on.
const REPLAY_SIZE: (u16, u16) = (120, 40);

/// Opens the journal of `mode` (the command's name) on `ws`, with the command line as
/// its first line, before the engine starts: a session that cannot be recorded is
/// refused (exit 2 after the message).
pub fn open(
    mode: &str,
    ws: &Workspace,
    target: &str,
    operator: String,
) -> Result<JournalRecorder, JournalError> {
    let sessions = journal::sessions_dir(&ws.plan.base_dir.join(".cutover"));
    let now = chrono::Utc::now().timestamp_millis();
    let sha = (!ws.plan.sha256.is_empty()).then(|| ws.plan.sha256.clone());
    let mut rec = JournalRecorder::new(sessions.clone(), now, sha);
    let info = SessionInfo {
        plan: ws.plan.name.clone(),
        target: target.to_string(),
        operator,
        host: engine::host(),
        version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let theme = Theme::load(None, &ws.plan.base_dir, Depth::Ansi256)
        .unwrap_or_else(|_| Theme::monochrome());
    let mut header = SessionHeader::new(REPLAY_SIZE.0, REPLAY_SIZE.1, &theme, info);
    header.mode = mode.to_string();
    header.recording = true;
    let unwritable = |e: std::io::Error| JournalError::Create {
        path: sessions.clone(),
        source: e,
    };
    rec.start(&header).map_err(unwritable)?;
    let did = Did::Command {
        args: command_line(),
    };
    rec.record(Input::Operator { did, at_ms: now })
        .map_err(unwritable)?;
    // The plan's batches and files, as the cockpit's session starts with: a headless
    // session's replay shows them, and its audit names the files.
    let dialect = crate::db::dialect_of(&ws.plan.target.url).unwrap_or(crate::sql::Dialect::Sqlite);
    let event = engine::job::plan_event(ws, dialect);
    rec.record(Input::Engine(Stamped { at_ms: now, event }))
        .map_err(unwritable)?;
    Ok(rec)
}

/// Tees `handle`'s events into the journal; returns the handle to use instead.
pub fn attach(rec: JournalRecorder, handle: Handle) -> (Handle, Recording) {
    let Handle {
        commands,
        events,
        worker,
    } = handle;
    let (tx, rx) = mpsc::channel::<Stamped>(1024);
    let tee = tokio::spawn(tee(events, tx, rec, commands.clone()));
    let handle = Handle {
        commands,
        events: rx,
        worker,
    };
    (handle, Recording { tee })
}

impl Recording {
    /// Waits for the last event to be recorded and closes the journal: where it is.
    pub async fn finish(self) -> Result<Option<PathBuf>, JournalError> {
        match self.tee.await {
            Ok(r) => r,
            Err(e) => Err(JournalError::Write {
                path: PathBuf::new(),
                reason: e.to_string(),
            }),
        }
    }

    /// `finish`, saying where the journal is (or why it is incomplete): the exit code
    /// becomes 2 if it could not be written.
    pub async fn close(self, code: i32) -> i32 {
        match self.finish().await {
            Ok(Some(path)) => {
                errln!("session recorded in {}", path.display());
                code
            }
            Ok(None) => code,
            Err(e) => {
                super::print_error(&e);
                crate::report::exit::CANNOT_RUN
            }
        }
    }
}

/// Records each event, then hands it on. A failed write stops the job at its next safe
/// point; the command still gets every event (the job is not left unread).
async fn tee(
    mut events: mpsc::Receiver<Stamped>,
    tx: mpsc::Sender<Stamped>,
    mut rec: JournalRecorder,
    commands: engine::Commands,
) -> Result<Option<PathBuf>, JournalError> {
    let mut failed: Option<std::io::Error> = None;
    while let Some(s) = events.recv().await {
        if failed.is_none() {
            failed = rec.record(Input::Engine(s.clone())).err();
            // A recorded session does not go on unrecorded: the job stops at its next
            // safe point (between files).
            if let Some(e) = &failed {
                errln!("error: {e}\n  stopping after the current file");
                commands.send(crate::command::Command::Pause);
            }
        }
        let _ = tx.send(s).await;
    }
    let path = rec.path();
    let finished = rec.finish();
    match failed {
        Some(e) => Err(JournalError::Write {
            path: path.unwrap_or_default(),
            reason: e.to_string(),
        }),
        None => finished,
    }
}

/// This process's arguments, any URL's password removed.
fn command_line() -> Vec<String> {
    redacted(std::env::args())
}

fn redacted(args: impl Iterator<Item = String>) -> Vec<String> {
    args.map(|a| match a.split_once('=') {
        _ if !a.contains("://") => a,
        Some((k, v)) if k.starts_with('-') => format!("{k}={}", crate::plan::redacted_url(v)),
        _ => crate::plan::redacted_url(&a),
    })
    .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_url_on_the_command_line_loses_its_password() {
        let args = [
            "cutover",
            "--source=postgres://u:s3cret@h/db",
            "mysql://root:pw2@h/x",
            "-p",
        ];
        let out = super::redacted(args.iter().map(|s| s.to_string()));
        let all = out.join(" ");
        assert!(!all.contains("s3cret") && !all.contains("pw2"), "{all}");
        assert!(out[1].starts_with("--source=postgres://"), "{all}");
        assert_eq!(out[3], "-p");
    }
}
