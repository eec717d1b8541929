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
        let stamped = Stamped {
            at_ms: chrono::Utc::now().timestamp_millis(),
            event,
        };
        let _ = self.tx.send(stamped).await;
    }

    pub async fn log(&self, level: Level, text: impl Into<String>) {
        self.emit(Event::Log {
            level,
            text: text.into(),
        })
        .await;
    }
}
