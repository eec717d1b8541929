//! The sending end of the events: what every job (engine, checks, benchmarks,
//! comparisons) emits through. A leaf beside `event`, so the modules the engine drives
//! (`check`, `bench`, `db::compare`) can stream events without depending on the engine.

use crate::event::{Event, Level, Stamped};
use tokio::sync::mpsc;

/// Sends stamped events to whoever listens. A closed receiver is not an error: a
/// job keeps going (and stays safe) even if its viewer went away.
#[derive(Clone)]
pub struct Emitter {
    tx: mpsc::Sender<Stamped>,
}

impl Emitter {
    pub fn new(tx: mpsc::Sender<Stamped>) -> Self {
        Emitter { tx }
    }

    pub async fn emit(&self, event: Event) {
        trace(&event);
        let stamped = Stamped {
            at_ms: chrono::Utc::now().timestamp_millis(),
            event,
        };
        let _ = self.tx.send(stamped).await;
    }

    /// Sends without waiting; dropped when the channel is full. For high-rate progress
    /// (comparison progress) that a slow viewer may skip, never for anything a journal
    /// or a report needs.
    pub fn emit_now(&self, event: Event) {
        let stamped = Stamped {
            at_ms: chrono::Utc::now().timestamp_millis(),
            event,
        };
        let _ = self.tx.try_send(stamped);
    }

    pub async fn log(&self, level: Level, text: impl Into<String>) {
        self.emit(Event::Log {
            level,
            text: text.into(),
        })
        .await;
    }
}

/// What goes to the log file: the domain's log lines and job boundaries, not the
/// per-statement stream.
fn trace(event: &Event) {
    match event {
        Event::Log { level, text } => match level {
            Level::Error => tracing::error!("{text}"),
            Level::Warn => tracing::warn!("{text}"),
            Level::Info => tracing::info!("{text}"),
            Level::Debug => tracing::debug!("{text}"),
        },
        Event::JobStarted { job } => tracing::info!(job, "job started"),
        Event::JobFinished { job, outcome } => tracing::info!(job, ?outcome, "job finished"),
        Event::FileFailed {
            file,
            line,
            message,
            ..
        } => tracing::error!(file, line, "{message}"),
        Event::FileApplied {
            version,
            duration_ms,
        } => tracing::info!(version, duration_ms, "applied"),
        _ => {}
    }
}
