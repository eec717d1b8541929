//! `cutover audit FILE [--json]` | `cutover audit --all`: checks a session journal's
//! chain and says who did what, when, and how the session ended.

use super::Global;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args, Default)]
#[command(
    after_help = "Exit codes: 0 the chain holds (a journal cut off by a crash is reported as truncated, with a warning); 2 a line was edited, deleted, inserted or moved (the first broken line is named), or the file is not a journal."
)]
pub struct AuditArgs {
    /// The journal (a .jsonl file in .cutover/sessions/)
    #[arg(value_name = "FILE", required_unless_present = "all")]
    pub file: Option<PathBuf>,
    /// Print the audit as one JSON object
    #[arg(long)]
    pub json: bool,
    /// List every session of the plan's .cutover/sessions/ with its operator and outcome
    #[arg(long, conflicts_with = "file")]
    pub all: bool,
}

pub async fn run(global: &Global, args: AuditArgs) -> i32 {
    let _ = (global, args);
    todo!("issue 10: audit")
}
