//! `cutover rollback (--file V | --batch N|NAME | --emergency) [--restore] [--yes]`.
//!
//! Without `--yes` nothing changes: it prints what the rollback would undo (files
//! newest first and how each is undone, the tables that lose rows and how many, notes)
//! and exits 0. With `--yes` it rolls back. Exit codes: 0 done or nothing to do; 1 a
//! down script or a verification failed (the output offers the restore); 2 could not
//! run (no such file or batch, nothing can undo a file, lock held, ...).

use super::{workspace, Global};
use crate::command::{Command, RollbackScope};
use crate::engine;
use crate::engine::rollback::preview::render;
use crate::event::{Event, FileStatus, Level, Outcome, RollbackPreview};
use crate::report::{exit, json};
use clap::{ArgGroup, Args};
use std::path::PathBuf;

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("scope").required(true).args(["file", "batch", "emergency"])))]
pub struct RollbackArgs {
    /// Roll back this file and every applied file after it, newest first
    #[arg(long, value_name = "VERSION")]
    pub file: Option<String>,
    /// Roll back this batch's applied files (its 1-based number or its name)
    #[arg(long, value_name = "N|NAME")]
    pub batch: Option<String>,
    /// Restore the backup taken when the migration window opened
    #[arg(long)]
    pub emergency: bool,
    /// Undo by restoring the nearest backup at or before the oldest file instead of
    /// running down scripts (what a failed rollback offers)
    #[arg(long)]
    pub restore: bool,
    /// Do it; without --yes nothing changes and the rollback is only described
    #[arg(long)]
    pub yes: bool,
    /// Write the preview (without --yes) or the outcome (with it) as JSON to FILE
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

impl RollbackArgs {
    fn scope(&self) -> RollbackScope {
        match (&self.file, &self.batch) {
            (Some(v), _) => RollbackScope::File { version: v.clone() },
            (None, Some(b)) => RollbackScope::Batch { batch: b.clone() },
            (None, None) => RollbackScope::Emergency,
        }
    }
}

/// What the events said, for the exit code and the JSON.
#[derive(Default)]
struct Seen {
    preview: Option<RollbackPreview>,
    finished: Option<(Outcome, Option<String>)>,
}

pub async fn run(global: &Global, args: RollbackArgs) -> i32 {
    workspace::recorded(global, "rollback", |h| recorded(args, h)).await
}

/// The command's work, recorded in the session journal.
async fn recorded(args: RollbackArgs, headless: workspace::Headless) -> i32 {
    let scope = args.scope();
    let cmd = match (args.yes, args.restore) {
        (true, restore) => Command::Rollback {
            scope: scope.clone(),
            restore,
        },
        (false, false) => Command::PreviewRollback(scope.clone()),
        (false, true) => Command::PreviewRestore(scope.clone()),
    };
    let engine::Handle {
        commands,
        mut events,
        worker,
    } = headless.handle;
    commands.send(cmd);
    commands.send(Command::Quit);
    let mut seen = Seen::default();
    while let Some(s) = events.recv().await {
        show(&s.event, &mut seen);
    }
    let _ = worker.wait().await;
    let code = match (&seen.preview, &seen.finished) {
        (Some(_), _) if !args.yes => exit::OK,
        (_, Some((outcome, _))) => exit::for_outcome(*outcome),
        _ => exit::CANNOT_RUN,
    };
    if let Some(path) = &args.json {
        let value = match (&seen.preview, &seen.finished) {
            (Some(p), _) if !args.yes => serde_json::json!({ "preview": p, "exit_code": code }),
            (_, Some((o, d))) => {
                serde_json::json!({ "scope": scope, "outcome": o, "detail": d, "exit_code": code })
            }
            _ => {
                serde_json::json!({ "scope": scope, "outcome": Outcome::Refused, "exit_code": code })
            }
        };
        if let Err(e) = json::write(path, &value) {
            super::print_error(&e);
            if code == exit::OK {
                return exit::CANNOT_RUN;
            }
        }
    }
    code
}

/// Prints one event as a plain line.
fn show(event: &Event, seen: &mut Seen) {
    match event {
        Event::Log { level, text } => {
            let tag = match level {
                Level::Debug => return,
                Level::Info => "note",
                Level::Warn => "warning",
                Level::Error => "error",
            };
            errln!("  {tag}: {text}");
        }
        Event::RollbackPreview(p) => {
            outln!("{}", render(p).trim_end());
            seen.preview = Some(p.clone());
        }
        Event::RollbackStarted {
            automatic, reason, ..
        } => {
            let how = if *automatic {
                "automatic rollback"
            } else {
                "rollback"
            };
            outln!(
                "{how} started{}",
                reason
                    .as_ref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            );
        }
        Event::FileStatus {
            version, status, ..
        } => match status {
            FileStatus::RollingBack => outln!("rolling back {version}"),
            FileStatus::RolledBack => outln!("rolled back {version}"),
            _ => {}
        },
        Event::RollbackFinished {
            outcome, detail, ..
        } => {
            let word = match outcome {
                Outcome::Succeeded => "rollback done",
                Outcome::NothingToDo => "nothing to roll back",
                Outcome::Failed => "rollback FAILED",
                Outcome::Refused => "rollback refused",
                Outcome::Cancelled => "rollback cancelled",
            };
            outln!("{word}");
            seen.finished = Some((*outcome, detail.clone()));
        }
        Event::WindowClosed { window } => outln!("migration window #{window} closed"),
        _ => {}
    }
}
