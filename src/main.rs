//! Argument parsing and hand-off; no logic lives here.

use clap::Parser;

fn main() {
    let cli = cutover::cli::Cli::parse();
    std::process::exit(cutover::cli::run(cli));
}
