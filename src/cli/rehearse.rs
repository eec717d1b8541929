//! `cutover rehearse`: up, down, up of each pending file on a scratch copy of the target,
//! to prove before the window that every file can be undone. The command holds only the
//! engine's handle: it sends `Command::Rehearse` and prints the events that come back;
//! its exit code is the job's outcome (0 all reversible or nothing pending, 1 a file is
//! not reversible, 2 could not run, 130 stopped).

use super::{workspace, Global};
use crate::command::Command;
use crate::engine::{self, Commands};
use crate::event::{Event, Outcome, RehearsalVerdict, Stamped};
use crate::report::{exit, json};
use crate::signals::Signals;
use clap::Args;
use std::collections::HashMap;
use std::path::PathBuf;

#[derive(Debug, Args, Default)]
#[command(
    after_help = "The target is only read: the files run on a scratch copy (SQLite: a file in a temporary folder; PostgreSQL: a database made with pg_dump/pg_restore; MariaDB/MySQL: a schema loaded from mariadb-dump), dropped at the end.\nExit codes: 0 every file reversible (or nothing pending); 1 a file is not (no down, down fails, down leaves a different schema, up fails); 2 could not run; 130 interrupted."
)]
pub struct RehearseArgs {
    /// Rehearse this batch only (its 1-based number or its name); pending files of the
    /// batches before it are applied to the copy first
    #[arg(long)]
    pub batch: Option<String>,
    /// Write a JSON report to FILE
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

/// What the events said, gathered for the summary and the JSON report.
#[derive(Default)]
struct Seen {
    files: Vec<(String, RehearsalVerdict, Option<String>)>,
    outcome: Option<Outcome>,
    errors: Vec<String>,
}

pub async fn run(global: &Global, args: RehearseArgs) -> i32 {
    workspace::recorded(global, "rehearse", |h| recorded(args, h)).await
}

/// The command's work, recorded in the session journal.
async fn recorded(args: RehearseArgs, headless: workspace::Headless) -> i32 {
    let ws = headless.ws.clone();
    let names: HashMap<String, String> = ws
        .folder
        .migrations
        .iter()
        .map(|m| (m.version.to_string(), m.path.display().to_string()))
        .collect();
    let signals = Signals::register();
    let engine::Handle {
        commands,
        events,
        worker,
    } = headless.handle;
    let printer = tokio::spawn(async move {
        let mut seen = Seen::default();
        engine::consume_paced(events, |s| show(s, &names, &mut seen)).await;
        seen
    });
    commands.send(Command::Rehearse { batch: args.batch });
    commands.send(Command::Quit);
    let watcher = tokio::spawn(watch_signals(signals, commands));
    let waited = worker.wait().await;
    watcher.abort();
    let seen = printer.await.unwrap_or_default();
    if let Err(e) = waited {
        super::print_error(&format!("the rehearsal stopped unexpectedly: {e}"));
        return exit::CANNOT_RUN;
    }
    let code = summary(&seen);
    if let Some(path) = args.json {
        let value = serde_json::json!({
            "plan": ws.plan.name,
            "target": headless.display,
            "outcome": seen.outcome.unwrap_or(Outcome::Refused),
            "exit_code": code,
            "files": seen.files.iter().map(|(v, verdict, detail)| serde_json::json!({
                "version": v,
                "file": ws.folder.migrations.iter().find(|m| m.version.as_str() == v).map(|m| m.path.display().to_string()),
                "verdict": verdict,
                "detail": detail,
            })).collect::<Vec<_>>(),
            "errors": seen.errors,
        });
        if let Err(e) = json::write(&path, &value) {
            super::print_error(&e);
            if code == exit::OK {
                return exit::CANNOT_RUN;
            }
        }
    }
    code
}

fn verdict_words(v: RehearsalVerdict) -> (&'static str, &'static str) {
    match v {
        RehearsalVerdict::Reversible => ("✔", "reversible"),
        RehearsalVerdict::NoDown => ("✖", "no down (only a restore undoes it)"),
        RehearsalVerdict::DownFails => ("✖", "down fails"),
        RehearsalVerdict::DownDiffers => ("✖", "down leaves a different schema"),
        RehearsalVerdict::UpFails => ("✖", "up fails"),
    }
}

fn show(s: &Stamped, names: &HashMap<String, String>, seen: &mut Seen) {
    match &s.event {
        Event::SessionStarted {
            plan,
            target,
            operator,
            ..
        } => outln!(
            "cutover {}: rehearsing plan {plan:?} on a scratch copy of {target} as {operator}",
            env!("CARGO_PKG_VERSION")
        ),
        Event::Rehearsed {
            version,
            verdict,
            detail,
        } => {
            let (mark, words) = verdict_words(*verdict);
            let file = names.get(version).map_or(version.as_str(), String::as_str);
            match detail {
                Some(d) if *verdict == RehearsalVerdict::Reversible => {
                    outln!("  {mark} {words}: {file}\n      note: {d}")
                }
                Some(d) => outln!("  {mark} {words}: {file}\n      {d}"),
                None => outln!("  {mark} {words}: {file}"),
            }
            seen.files.push((version.clone(), *verdict, detail.clone()));
        }
        Event::Log { level, text } => super::progress::log_line(*level, text, &mut seen.errors),
        Event::JobFinished { job, outcome } if job == "rehearse" => seen.outcome = Some(*outcome),
        _ => {}
    }
}

/// The closing line, and the exit code.
fn summary(seen: &Seen) -> i32 {
    let n = seen.files.len();
    let bad = seen
        .files
        .iter()
        .filter(|(_, v, _)| *v != RehearsalVerdict::Reversible)
        .count();
    match seen.outcome {
        Some(Outcome::NothingToDo) => outln!("nothing to rehearse: no selected file is pending"),
        Some(Outcome::Succeeded) => outln!(
            "rehearsed {n} file(s) on a scratch copy: every one is reversible (up, down, up); the target was not written"
        ),
        Some(Outcome::Failed) => errln!(
            "rehearsal: {bad} of {n} rehearsed file(s) cannot be undone by their down SQL (see above); the target was not written\n  hint: fix the down scripts and rehearse again, or make sure a checkpoint backup will be taken before those files (`[checkpoints] backup`)"
        ),
        Some(Outcome::Cancelled) => errln!(
            "stopped: rehearsed {n} file(s); the scratch copy was dropped and the target was not written"
        ),
        Some(Outcome::Refused) | None => errln!(
            "error: the rehearsal could not run{}",
            seen.errors
                .last()
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        ),
    }
    exit::for_outcome(seen.outcome.unwrap_or(Outcome::Refused))
}

/// Ctrl-C, SIGTERM or SIGHUP stops the rehearsal after the current file; the scratch
/// copy is dropped either way.
async fn watch_signals(mut signals: Signals, commands: Commands) {
    loop {
        let sig = signals.next().await;
        if commands.send(Command::Pause) {
            errln!(
                "\n{}: stopping after the current file; the scratch copy will be dropped",
                sig.name()
            );
        } else {
            errln!("\n{}: already stopping", sig.name());
        }
    }
}
