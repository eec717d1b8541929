//! `cutover bench`: the plan's query benchmarks, judged against their thresholds and
//! stored baselines; `--baseline` stores this run as the new baselines.

use super::Global;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args, Default)]
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

pub async fn run(global: &Global, args: BenchArgs) -> i32 {
    let _ = (global, args);
    todo!("issue 9: cutover bench")
}
