//! `cutover replay FILE [--speed X] [--headless] [--to-cast OUT]`: a recorded session
//! on screen again, in the same cockpit, with its action keys disabled.

use super::Global;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The journal (a .jsonl file in .cutover/sessions/)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Playback speed, from 0.5 to 64 (times the recorded pace)
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Print the timeline as text, then the final screen, instead of opening the cockpit
    #[arg(long)]
    pub headless: bool,
    /// Write the session as an asciicast v2 file (asciinema players play it)
    #[arg(long, value_name = "OUT")]
    pub to_cast: Option<PathBuf>,
}

pub async fn run(global: &Global, args: ReplayArgs) -> i32 {
    let _ = (global, args);
    todo!("issue 10: replay")
}
