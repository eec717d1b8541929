//! `cutover bench`: the plan's query benchmarks, judged against their thresholds and
//! stored baselines; `--baseline` stores this run as the new baselines. The command
//! holds only the engine's handle: it sends `Command::Bench` and prints the events that
//! come back (each benchmark's figures, verdict and plan as plain lines), then the
//! report's summary. Exit 0 every benchmark ok (or none), 1 one is over its threshold,
//! regressed or failed, 2 could not run.

use super::{workspace, Global};
use crate::command::Command;
use crate::engine;
use crate::event::{BenchResult, Event, Outcome, Stamped};
use crate::report::{exit, validation};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args, Default)]
#[command(
    after_help = "Each benchmark runs its query `warmup` times untimed, then `runs` times timed on each of `concurrency` connections, reading every row. The regression verdict compares this run's timings with the stored baseline's (a rank-based 99% confidence interval of the slowdown must lie above regression_pct, and the fastest quarter of runs must be slower too), so noise alone does not raise it.\nExit codes: 0 every benchmark ok (or none); 1 one is over its p95_ms threshold, regressed or failed; 2 could not run."
)]
pub struct BenchArgs {
    /// This batch's benchmarks only (its 1-based number or its name)
    #[arg(long)]
    pub batch: Option<String>,
    /// Store this run's results as the baselines later runs are compared with
    #[arg(long)]
    pub baseline: bool,
    /// Write a JSON report to FILE
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write a JUnit XML report to FILE
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

/// What the events said.
#[derive(Default)]
struct Seen {
    collector: validation::Collector,
    outcome: Option<Outcome>,
    errors: Vec<String>,
}

pub async fn run(global: &Global, args: BenchArgs) -> i32 {
    workspace::recorded(global, "bench", |h| recorded(args, h)).await
}

/// The command's work, recorded in the session journal.
async fn recorded(args: BenchArgs, headless: workspace::Headless) -> i32 {
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
    commands.send(Command::Bench {
        batch: args.batch,
        baseline: args.baseline,
    });
    commands.send(Command::Quit);
    let waited = worker.wait().await;
    let seen = printer.await.unwrap_or_default();
    if let Err(e) = waited {
        super::print_error(&format!("the benchmarks stopped unexpectedly: {e}"));
        return exit::CANNOT_RUN;
    }
    let outcome = seen.outcome.unwrap_or(Outcome::Refused);
    let mut code = exit::for_outcome(outcome);
    if outcome == Outcome::Refused {
        errln!(
            "error: the benchmarks could not run{}",
            seen.errors
                .last()
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        );
        return code;
    }
    let report = seen.collector.report();
    outln!("{}", validation::summary(&report));
    let writes = [
        (args.json, validation::write_json as fn(&_, &_) -> _),
        (args.junit, validation::write_junit),
    ];
    for (path, write) in writes {
        if let Some(path) = path {
            if let Err(e) = write(&path, &report) {
                super::print_error(&e);
                if code == exit::OK {
                    code = exit::CANNOT_RUN;
                }
            }
        }
    }
    code
}

fn show(s: &Stamped, seen: &mut Seen) {
    seen.collector.fold(&s.event);
    match &s.event {
        Event::SessionStarted {
            plan,
            target,
            operator,
            ..
        } => outln!(
            "cutover {}: benchmarking plan {plan:?} on {target} as {operator}",
            env!("CARGO_PKG_VERSION")
        ),
        Event::BenchSummary(r) => outln!("{}", describe(r)),
        Event::Log { level, text } => super::progress::log_line(*level, text, &mut seen.errors),
        Event::JobFinished { job, outcome } if job == "bench" => seen.outcome = Some(*outcome),
        _ => {}
    }
}

/// A benchmark's lines: verdict and figures, why, and its plan.
pub fn describe(r: &BenchResult) -> String {
    let mark = if r.verdict.failed() { "✖" } else { "✔" };
    let mut out = format!(
        "  {mark} {} {:?} (batch {})",
        r.verdict.as_str(),
        r.bench,
        r.batch
    );
    if r.runs > 0 {
        out.push_str(&format!(
            ": p50 {:.3} ms, p95 {:.3} ms, max {:.3} ms; {} runs on {} connection(s), {:.0} queries/s",
            r.p50_ms, r.p95_ms, r.max_ms, r.runs, r.concurrency, r.throughput_qps
        ));
    }
    out.push_str(&format!("\n      {}", r.detail));
    if r.baseline_saved {
        out.push_str("\n      stored as the new baseline");
    }
    if !r.plan.is_empty() {
        out.push_str("\n      plan:");
        for line in r.plan.lines() {
            out.push_str(&format!("\n        {line}"));
        }
    }
    if r.full_scan {
        out.push_str("\n      full scan: the plan reads a whole table");
    }
    if let Some(s) = &r.suggestion {
        out.push_str(&format!("\n      suggestion: {s}"));
    }
    out
}
