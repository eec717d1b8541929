//! `cutover apply`: the headless apply job.

use super::{progress::Printer, workspace, Global};
use crate::command::{ApplyRequest, Command, Resolution};
use crate::engine::{self, Commands, Sessions, Setup};
use crate::event::{Event, Outcome, PlanBatch, Stamped};
use crate::report::validation::{self, Collector};
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
    /// Go on past a batch whose validation failed (a critical or error finding), for
    /// REASON: recorded with --operator in the state database, the journal and the log
    #[arg(long, value_name = "REASON", value_parser = parse_reason)]
    pub force_progress: Option<String>,
    /// Write a JSON report to FILE (files, findings, batch verdicts, benchmarks)
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write a JUnit XML report to FILE: one test case per check and per benchmark
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
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
        force_progress: args.force_progress,
    };
    let started = std::time::Instant::now();
    let signals = Signals::register();
    let setup = Setup {
        ws: std::sync::Arc::new(ws.clone()),
        target: target.clone(),
        operator: global.operator(),
        warnings: Vec::new(),
    };
    let mut collector = Collector::new();
    collector.fold(&plan_names(&ws));
    let rec = match super::journal::open("apply", &ws, &target.display, global.operator()) {
        Ok(r) => r,
        Err(e) => {
            super::print_error(&e);
            return exit::CANNOT_RUN;
        }
    };
    let mut journal = None;
    let result = match engine::start(setup, Sessions::PerJob).await {
        Ok(handle) => {
            let (handle, j) = super::journal::attach(rec, handle);
            journal = Some(j);
            let (result, c) = run_job(handle, &ws, request, signals, collector).await;
            collector = c;
            result
        }
        Err(e) => Ok(Some(Err(e))),
    };
    let wall = started.elapsed();
    let checks = collector.report();
    let (code, report) = match result {
        Ok(Some(Ok(report))) => {
            super::progress::summary(&report, wall);
            if checks.checks_total > 0 || !checks.benchmarks.is_empty() {
                outln!("{}", validation::summary(&checks));
            }
            (
                with_checks(exit::for_outcome(report.outcome), &checks),
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
    let mut code = code;
    if let Some(path) = &args.junit {
        if let Err(e) = validation::write_junit(path, &checks) {
            super::print_error(&e);
            code = unwritten(code);
        }
    }
    if let (Some(path), Some(mut value)) = (args.json, report) {
        if let Some(obj) = value.as_object_mut() {
            obj.insert("plan".into(), ws.plan.name.clone().into());
            obj.insert("target".into(), target.display.clone().into());
            obj.insert("exit_code".into(), code.into());
            // The command's wall time; files' `duration_ms` leave out connect and checks.
            let wall_ms = u64::try_from(wall.as_millis()).unwrap_or(u64::MAX);
            obj.insert("wall_ms".into(), wall_ms.into());
            // The validation report's fields (findings, batches, benchmarks, counts...)
            // beside the run's own; the run's keep their meaning where names meet.
            if let Ok(serde_json::Value::Object(v)) = serde_json::to_value(&checks) {
                for (k, x) in v {
                    obj.entry(k).or_insert(x);
                }
            }
        }
        if let Err(e) = json::write(&path, &value) {
            super::print_error(&e);
            code = unwritten(code);
        }
    }
    workspace::close_journal(journal, code).await
}

/// A report that was asked for and not written must not pass silently.
fn unwritten(code: i32) -> i32 {
    if code == exit::OK {
        exit::CANNOT_RUN
    } else {
        code
    }
}

/// The run's exit code with its checks and benchmarks: a run that did all it was asked
/// still fails (1) when a blocking finding (forced past or not) or a benchmark failed.
fn with_checks(code: i32, checks: &validation::Report) -> i32 {
    if code == exit::OK && !checks.passed {
        exit::FAILED
    } else {
        code
    }
}

/// The batches' names, for the report's lines (a headless run has no PlanLoaded).
fn plan_names(ws: &engine::Workspace) -> Event {
    Event::PlanLoaded {
        batches: ws
            .batches
            .iter()
            .map(|b| PlanBatch {
                name: b.name.clone(),
                risk: b.risk,
                files: Vec::new(),
            })
            .collect(),
    }
}

fn parse_reason(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err(
            "a reason is required: say why going on is safe (it is recorded with your name)".into(),
        );
    }
    Ok(s.to_string())
}

/// Runs the one apply job on the engine, printing its events as they come, and gives
/// back its report.
async fn run_job(
    handle: engine::Handle,
    ws: &engine::Workspace,
    request: ApplyRequest,
    signals: Signals,
    collector: Collector,
) -> (
    Result<Option<engine::JobResult>, tokio::task::JoinError>,
    Collector,
) {
    let engine::Handle {
        commands,
        mut events,
        worker,
    } = handle;
    // Every event goes through the report's collector on its way to the printer.
    let (tx, rx) = tokio::sync::mpsc::channel::<Stamped>(1024);
    let tee = tokio::spawn(async move {
        let mut c = collector;
        while let Some(s) = events.recv().await {
            c.fold(&s.event);
            let _ = tx.send(s).await;
        }
        c
    });
    let printer = tokio::spawn(Printer::new(ws).consume(rx));
    commands.send(Command::Apply(request));
    commands.send(Command::Quit);
    let watcher = tokio::spawn(watch_signals(signals, commands));
    let result = worker.wait().await;
    watcher.abort();
    let collector = tee.await.unwrap_or_default();
    let _ = printer.await;
    (result, collector)
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
