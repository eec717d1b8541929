//! Diagnostics through `tracing` to a daily-rolling file under `.cutover/logs/` beside
//! the plan — never to the terminal, which the cockpit owns. `CUTOVER_LOG` (or
//! `RUST_LOG`) filters, default `info`.

use std::path::{Path, PathBuf};
use tracing_appender::non_blocking::WorkerGuard;

/// Why file logging is off for this run: said once to the operator (stderr headless,
/// the log panel in the cockpit), since nothing else would show it.
#[derive(Debug, thiserror::Error)]
#[error("logging is off for this run: cannot create {}: {reason}\n  hint: make that folder writable (or move the file in its way) to keep a log", dir.display())]
pub struct LogDirError {
    pub dir: PathBuf,
    pub reason: String,
}

/// Log targets that can echo a password; never logged (`target=off` directives).
const SECRET_ECHOING_TARGETS: &str = "sqlx_postgres::options=off,sqlx_mysql::options=off";

/// Starts file logging; keep the guard alive until exit so buffered lines are written.
/// `Ok(None)` when a logger is already installed (tests); an error when the folder
/// cannot be created, which the caller must tell the operator.
pub fn init(base: &Path) -> Result<Option<(WorkerGuard, PathBuf)>, LogDirError> {
    let dir = base.join(".cutover").join("logs");
    let failed = |reason: String| LogDirError {
        dir: dir.clone(),
        reason,
    };
    std::fs::create_dir_all(&dir).map_err(|e| failed(e.to_string()))?;
    // The builder reports a log file it cannot open; `rolling::daily` would panic.
    let appender = tracing_appender::rolling::RollingFileAppender::builder()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("cutover.log")
        .build(&dir)
        .map_err(|e| failed(e.to_string()))?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = std::env::var("CUTOVER_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".to_string());
    // Whatever the operator asks for, sqlx's connect-option parsing stays out of the log:
    // it echoes URL parameters it does not know ("ignoring unrecognized connect parameter
    // key=...", where a password holding `&` lands) and malformed pgpass lines.
    let filter = format!("{filter},{SECRET_ECHOING_TARGETS}");
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(writer)
        .with_ansi(false)
        .finish();
    if tracing::subscriber::set_global_default(subscriber).is_err() {
        return Ok(None);
    }
    Ok(Some((guard, dir)))
}
