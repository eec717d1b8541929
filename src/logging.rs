//! Diagnostics through `tracing` to a daily-rolling file under `.cutover/logs/` beside
//! the plan — never to the terminal, which the cockpit owns. `CUTOVER_LOG` (or
//! `RUST_LOG`) filters, default `info`.

use std::path::{Path, PathBuf};
use tracing_appender::non_blocking::WorkerGuard;

/// Starts file logging; keep the guard alive until exit so buffered lines are written.
/// Returns None (and logs nothing) when the folder cannot be created.
pub fn init(base: &Path) -> Option<(WorkerGuard, PathBuf)> {
    let dir = base.join(".cutover").join("logs");
    std::fs::create_dir_all(&dir).ok()?;
    let appender = tracing_appender::rolling::daily(&dir, "cutover.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = std::env::var("CUTOVER_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".to_string());
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(writer)
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).ok()?;
    Some((guard, dir))
}
