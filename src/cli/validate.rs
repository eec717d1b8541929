//! `cutover validate`: the checks (and the benchmarks) of the applied batches, with a
//! terminal summary and `--json` / `--junit` reports. Exit 0 passed, 1 a critical or
//! error finding (or a benchmark failed), 2 could not run.
//!
//! The command holds only the engine's handle: it sends `Command::Validate`, prints each
//! check as it finishes, and folds every event into the report.

use super::{workspace, Global};
use crate::command::Command;
use crate::engine;
use crate::event::{Event, Outcome, Stamped};
use crate::report::exit;
use crate::report::validation::{summary, write_json, write_junit, Collector};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args, Default)]
#[command(
    after_help = "Runs, without taking the target's lock (checks only read): the database's own checks (an orphan check per foreign key, integrity), the verify scripts of applied files, and the [[batch.check]]s of every batch whose files are all applied (or of --batch). Each batch's verdict is recorded in .cutover/state.db.\nExit codes: 0 every check passed (warnings and info findings allowed); 1 a critical or error finding, or a benchmark failed; 2 could not run."
)]
pub struct ValidateArgs {
    /// Validate this batch only (its 1-based number or its name)
    #[arg(long)]
    pub batch: Option<String>,
    /// Write a JSON report to FILE
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write a JUnit XML report to FILE (one test case per check and benchmark)
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

/// What the events said.
#[derive(Default)]
struct Seen {
    report: Collector,
    outcome: Option<Outcome>,
    errors: Vec<String>,
}

pub async fn run(global: &Global, args: ValidateArgs) -> i32 {
    workspace::recorded(global, "validate", |h| recorded(args, h)).await
}

/// The command's work, recorded in the session journal.
async fn recorded(args: ValidateArgs, headless: workspace::Headless) -> i32 {
    let engine::Handle {
        commands,
        events,
        worker,
    } = headless.handle;
    let printer = tokio::spawn(async move {
        let mut seen = Seen::default();
        engine::consume_paced(events, |s| show(s, &mut seen)).await;
        seen
    });
    commands.send(Command::Validate { batch: args.batch });
    commands.send(Command::Quit);
    let waited = worker.wait().await;
    let seen = printer.await.unwrap_or_default();
    if let Err(e) = waited {
        super::print_error(&format!("the validation stopped unexpectedly: {e}"));
        return exit::CANNOT_RUN;
    }
    let report = seen.report.report();
    let code = match seen.outcome {
        Some(Outcome::Refused) | None => {
            errln!(
                "error: the validation could not run{}",
                seen.errors
                    .last()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            );
            exit::CANNOT_RUN
        }
        Some(Outcome::Cancelled) => exit::INTERRUPTED,
        Some(_) => {
            outln!("{}", summary(&report));
            if report.passed {
                exit::OK
            } else {
                exit::FAILED
            }
        }
    };
    let mut code = code;
    if let Some(path) = &args.json {
        if let Err(e) = write_json(path, &report) {
            super::print_error(&e);
            code = code.max(exit::CANNOT_RUN);
        }
    }
    if let Some(path) = &args.junit {
        if let Err(e) = write_junit(path, &report) {
            super::print_error(&e);
            code = code.max(exit::CANNOT_RUN);
        }
    }
    code
}

/// One line per check as it finishes, and what the log says.
fn show(s: &Stamped, seen: &mut Seen) {
    seen.report.fold(&s.event);
    match &s.event {
        Event::SessionStarted {
            plan,
            target,
            operator,
            ..
        } => outln!(
            "cutover {}: validating plan {plan:?} on {target} as {operator}",
            env!("CARGO_PKG_VERSION")
        ),
        Event::CheckFinished(r) => {
            let mark = if r.passed { "✔" } else { "✖" };
            let at = match (&r.file, r.batch) {
                (Some(f), _) => format!(" [{f}]"),
                (None, Some(b)) => format!(" [batch {b}]"),
                (None, None) => String::new(),
            };
            let sev = if r.passed {
                String::new()
            } else {
                format!("{}: ", r.severity.as_str())
            };
            outln!(
                "  {mark} {}{at}: {sev}{} ({:.0} ms)",
                r.check,
                r.detail,
                r.elapsed_ms
            );
        }
        Event::BatchValidated {
            batch,
            verdict,
            passed,
            total,
        } => outln!(
            "  batch {batch}: {} ({passed}/{total} checks passed)",
            verdict.as_str()
        ),
        Event::BenchSummary(b) => {
            let mark = if b.verdict.failed() { "✖" } else { "✔" };
            outln!(
                "  {mark} bench {} [batch {}]: p50 {:.2} ms, p95 {:.2} ms, {}: {}",
                b.bench,
                b.batch,
                b.p50_ms,
                b.p95_ms,
                b.verdict.as_str(),
                b.detail
            );
        }
        Event::Log { level, text } => super::progress::log_line(*level, text, &mut seen.errors),
        Event::JobFinished { job, outcome } if job == "validate" => seen.outcome = Some(*outcome),
        _ => {}
    }
}
