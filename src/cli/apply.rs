//! `cutover apply`: the headless apply job.

use super::{progress::Printer, workspace, Global};
use crate::command::{ApplyRequest, Command, Resolution};
use crate::engine::{self, Commands, Sessions, Setup};
use crate::event::Outcome;
use crate::report::{exit, json};
use crate::signals::{Sig, Signals};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args, Default)]
pub struct ApplyArgs {
    /// Apply this batch only (its 1-based number or its name); the batches before it must be applied
    #[arg(long)]
    pub batch: Option<String>,
    /// Apply up to and including this version
    #[arg(long)]
    pub to: Option<String>,
    /// Say what would be applied and what it would change, and change nothing (SQLite: on a
    /// temporary copy; PostgreSQL: in one transaction that is rolled back, taking the same
    /// locks, waiting at most 5 s for one; MariaDB/MySQL: the statements are listed)
    #[arg(long)]
    pub dry_run: bool,
    /// Accept the file on disk as the applied text of VERSION (a recorded decision)
    #[arg(long = "accept-drift", value_name = "VERSION")]
    pub accept_drift: Vec<String>,
    /// Record what you found a partly applied file to be: VERSION=applied (all of it took
    /// effect) or VERSION=pending (undone by hand; it runs again)
    #[arg(long, value_name = "VERSION=applied|pending", value_parser = parse_resolve)]
    pub resolve: Vec<(String, Resolution)>,
    /// Write a JSON report to FILE
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

pub async fn run(global: &Global, args: ApplyArgs) -> i32 {
    let (ws, target) = match workspace::load(global) {
        Ok(w) => w,
        Err(e) => {
            super::print_error(&e);
            return exit::CANNOT_RUN;
        }
    };
    if !args.dry_run {
        if let Err(e) = workspace::require_backup_tools(&ws, &target) {
            super::print_error(&e);
            return exit::CANNOT_RUN;
        }
    }
    // Said once, before anything else: otherwise nobody learns there is no log.
    let _log = crate::logging::init(&ws.plan.base_dir)
        .map_err(|e| errln!("warning: {e}"))
        .ok();
    let request = ApplyRequest {
        batch: args.batch,
        to: args.to,
        accept_drift: args.accept_drift,
        dry_run: args.dry_run,
        resolve: args.resolve,
        force_progress: None,
    };
    let started = std::time::Instant::now();
    let signals = Signals::register();
    let setup = Setup {
        ws: std::sync::Arc::new(ws.clone()),
        target: target.clone(),
        operator: global.operator(),
        warnings: Vec::new(),
    };
    let result = match engine::start(setup, Sessions::PerJob).await {
        Ok(handle) => run_job(handle, &ws, request, signals).await,
        Err(e) => Ok(Some(Err(e))),
    };
    let wall = started.elapsed();
    let (code, report) = match result {
        Ok(Some(Ok(report))) => {
            super::progress::summary(&report, wall);
            (
                exit::for_outcome(report.outcome),
                serde_json::to_value(&report).ok(),
            )
        }
        Ok(Some(Err(e))) => {
            super::print_error(&e);
            let v = serde_json::json!({ "outcome": Outcome::Refused, "error": e.to_string() });
            (exit::CANNOT_RUN, Some(v))
        }
        Ok(None) => {
            super::print_error(&"the apply job never ran");
            (exit::CANNOT_RUN, None)
        }
        Err(join) => {
            super::print_error(&format!("the apply job stopped unexpectedly: {join}"));
            (exit::CANNOT_RUN, None)
        }
    };
    if let (Some(path), Some(mut value)) = (args.json, report) {
        if let Some(obj) = value.as_object_mut() {
            obj.insert("plan".into(), ws.plan.name.clone().into());
            obj.insert("target".into(), target.display.clone().into());
            obj.insert("exit_code".into(), code.into());
            // The command's wall time; files' `duration_ms` leave out connect and checks.
            let wall_ms = u64::try_from(wall.as_millis()).unwrap_or(u64::MAX);
            obj.insert("wall_ms".into(), wall_ms.into());
        }
        if let Err(e) = json::write(&path, &value) {
            super::print_error(&e);
            // A report that was asked for and not written must not pass silently.
            if code == exit::OK {
                return exit::CANNOT_RUN;
            }
        }
    }
    code
}

/// Runs the one apply job on the engine, printing its events as they come, and gives
/// back its report.
async fn run_job(
    handle: engine::Handle,
    ws: &engine::Workspace,
    request: ApplyRequest,
    signals: Signals,
) -> Result<Option<engine::JobResult>, tokio::task::JoinError> {
    let engine::Handle {
        commands,
        events,
        worker,
    } = handle;
    let printer = tokio::spawn(Printer::new(ws).consume(events));
    commands.send(Command::Apply(request));
    commands.send(Command::Quit);
    let watcher = tokio::spawn(watch_signals(signals, commands));
    let result = worker.wait().await;
    watcher.abort();
    let _ = printer.await;
    result
}

/// Ctrl-C, SIGTERM or SIGHUP asks the job to stop at the next safe point (between
/// files); a Ctrl-C after that cancels the running statement.
async fn watch_signals(mut signals: Signals, commands: Commands) {
    loop {
        let sig = signals.next().await;
        if commands.send(Command::Pause) {
            errln!(
                "\n{}: stopping after the current file (a file is never left half-done); press Ctrl-C again to cancel the running statement",
                sig.name()
            );
        } else if sig == Sig::Interrupt && commands.send(Command::CancelStatement) {
            errln!("\nsecond interrupt: cancelling the running statement (a file in one transaction rolls back and stays pending; one outside a transaction is left partial)");
        } else {
            errln!("\n{}: already stopping", sig.name());
        }
    }
}

fn parse_resolve(s: &str) -> Result<(String, Resolution), String> {
    let (v, how) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}`: expected VERSION=applied or VERSION=pending"))?;
    Ok((v.to_string(), how.parse()?))
}
