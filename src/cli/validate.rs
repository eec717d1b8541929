//! `cutover validate`: the checks (and the benchmarks) of the applied batches, with a
//! terminal summary and `--json` / `--junit` reports. Exit 0 passed, 1 a critical or
//! error finding (or a benchmark failed), 2 could not run.

use super::Global;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args, Default)]
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

pub async fn run(global: &Global, args: ValidateArgs) -> i32 {
    let _ = (global, args);
    todo!("issue 9: cutover validate")
}
