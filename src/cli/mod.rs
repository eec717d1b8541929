//! The command line: one file per subcommand. Each returns a process exit code
//! (report::exit) and prints errors as instructions, never as panics.

/// Prints a line to stdout, ignoring a closed pipe (`cutover status | head`): output
/// that nobody reads must never stop or abort the work, least of all a migration.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// The same for stderr.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod apply;
mod audit;
mod bench;
mod checkpoints;
mod close;
mod demo;
mod journal;

pub use demo::prepare as prepare_demo;
mod progress;
mod rehearse;
mod replay;
mod rollback;
mod status;
mod tui;
mod validate;
mod workspace;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "cutover",
    version,
    about = "A cockpit for database migration windows",
    after_help = "Exit codes: 0 all asked for succeeded (or nothing to do); 1 a migration file (or a rollback) failed;\n2 could not run (invalid plan, unreachable database, drift, lock held, ...); 130 interrupted."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    /// Without a command: the cockpit on the plan
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args, Clone)]
pub struct Global {
    /// The plan file (default: ./cutover.toml; without one, DATABASE_URL and ./migrations)
    #[arg(short = 'p', long = "plan", env = "CUTOVER_PLAN", global = true)]
    pub plan: Option<PathBuf>,
    /// Who is operating: recorded in the ledger and the journal (default: the login name)
    #[arg(long, global = true)]
    pub operator: Option<String>,
    /// The cockpit's colours: dark, light, high-contrast, or a path to a theme .toml
    #[arg(long, global = true, value_name = "NAME|PATH")]
    pub theme: Option<String>,
}

impl Global {
    pub fn operator(&self) -> String {
        self.operator
            .clone()
            .or_else(|| whoami::username().ok())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "unknown".to_string())
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The cockpit (the default when no command is given)
    Tui,
    /// A throwaway SQLite demo: a shop database migrated in three batches
    Demo(demo::DemoArgs),
    /// Apply pending migration files, batch by batch
    Apply(apply::ApplyArgs),
    /// Show every file: applied or not, when, by whom, checksum ok
    Status(status::StatusArgs),
    /// Roll back a file (and every later one), a batch, or everything (--emergency);
    /// without --yes only says what it would undo
    Rollback(rollback::RollbackArgs),
    /// Close the migration window: supersede its checkpoints, prune old backups
    Close,
    /// The target's checkpoints (list), or a re-check of every backup's sha256 (verify)
    Checkpoints(checkpoints::CheckpointsArgs),
    /// Up, down, up of each pending file on a scratch copy of the target: proves each can be undone
    Rehearse(rehearse::RehearseArgs),
    /// Run the checks (and benchmarks) of the applied batches; --json / --junit reports
    Validate(validate::ValidateArgs),
    /// Run the plan's query benchmarks against thresholds and baselines (--baseline stores them)
    Bench(bench::BenchArgs),
    /// Replay a recorded session (.cutover/sessions/*.jsonl) in the cockpit, or as text
    Replay(replay::ReplayArgs),
    /// Check a session journal's hash chain and list who did what, when (--all: every session)
    Audit(audit::AuditArgs),
}

/// Runs a parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            errln!("error: cannot start the runtime: {e}");
            return crate::report::exit::CANNOT_RUN;
        }
    };
    rt.block_on(async {
        match cli.command.unwrap_or(Command::Tui) {
            Command::Tui => tui::run(&cli.global).await,
            Command::Demo(args) => demo::run(&cli.global, args).await,
            Command::Apply(args) => apply::run(&cli.global, args).await,
            Command::Status(args) => status::run(&cli.global, args).await,
            Command::Rollback(args) => rollback::run(&cli.global, args).await,
            Command::Close => close::run(&cli.global).await,
            Command::Checkpoints(args) => checkpoints::run(&cli.global, args).await,
            Command::Rehearse(args) => rehearse::run(&cli.global, args).await,
            Command::Validate(args) => validate::run(&cli.global, args).await,
            Command::Bench(args) => bench::run(&cli.global, args).await,
            Command::Replay(args) => replay::run(&cli.global, args).await,
            Command::Audit(args) => audit::run(&cli.global, args).await,
        }
    })
}

/// Prints an error the way every command does: `error: ` then the message.
pub(crate) fn print_error(e: &dyn std::fmt::Display) {
    errln!("error: {e}");
}
