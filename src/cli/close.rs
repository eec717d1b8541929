//! `cutover close`: closes the migration window. Its checkpoints are superseded and
//! old backups pruned; the next apply opens a new window with a new start backup.
//! Exit 0 closed (or no window was open), 2 could not run.

use super::{workspace, Global};
use crate::command::Command;
use crate::engine::{self, Sessions, Setup};
use crate::event::{Event, Level, Outcome};
use crate::report::exit;

pub async fn run(global: &Global) -> i32 {
    let (ws, target) = match workspace::load(global) {
        Ok(w) => w,
        Err(e) => {
            super::print_error(&e);
            return exit::CANNOT_RUN;
        }
    };
    let _log = crate::logging::init(&ws.plan.base_dir)
        .map_err(|e| errln!("warning: {e}"))
        .ok();
    let setup = Setup {
        ws: std::sync::Arc::new(ws),
        target,
        operator: global.operator(),
        warnings: Vec::new(),
    };
    let handle = match engine::start(setup, Sessions::PerJob).await {
        Ok(h) => h,
        Err(e) => {
            super::print_error(&e);
            return exit::CANNOT_RUN;
        }
    };
    let engine::Handle {
        commands,
        mut events,
        worker,
    } = handle;
    commands.send(Command::CloseWindow);
    commands.send(Command::Quit);
    let mut outcome = Outcome::Refused;
    while let Some(s) = events.recv().await {
        match s.event {
            Event::Log { level, text } => match level {
                Level::Debug => {}
                Level::Info => outln!("{text}"),
                Level::Warn => errln!("warning: {text}"),
                Level::Error => errln!("error: {text}"),
            },
            Event::JobFinished { outcome: o, .. } => outcome = o,
            _ => {}
        }
    }
    let _ = worker.wait().await;
    exit::for_outcome(outcome)
}
