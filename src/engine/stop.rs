//! How an operator stops a job, in two steps. The first request (Ctrl-C, SIGTERM,
//! SIGHUP, the cockpit's pause or quit) stops the job after the current file; a file is
//! never left half-done by it. The second (another Ctrl-C, the cockpit's cancel key)
//! also cancels the statement running now, for one stuck behind a lock: a file in one
//! transaction rolls back and stays pending, a file outside one is left `partial`.

use super::Emitter;
use crate::db::{Canceller, Conn, SqlFailure};
use crate::event::Level;
use std::sync::Arc;
use tokio::sync::watch;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StopLevel {
    /// Keep going.
    Run,
    /// Stop at the next safe point, between files.
    AfterFile,
    /// Also cancel the statement running now.
    Statement,
}

/// The handle the headless command and the cockpit hold; the job reads it.
#[derive(Clone)]
pub struct Stop(Arc<watch::Sender<StopLevel>>);

impl Default for Stop {
    fn default() -> Self {
        Stop(Arc::new(watch::Sender::new(StopLevel::Run)))
    }
}

impl Stop {
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the job to stop after the current file. False when already asked.
    pub fn after_file(&self) -> bool {
        self.raise(StopLevel::AfterFile)
    }

    /// Asks the job to cancel the running statement (and then stop). False when
    /// already asked.
    pub fn cancel_statement(&self) -> bool {
        self.raise(StopLevel::Statement)
    }

    fn raise(&self, to: StopLevel) -> bool {
        self.0.send_if_modified(|l| {
            let raised = *l < to;
            if raised {
                *l = to;
            }
            raised
        })
    }

    /// A new job starts with nothing asked (the cockpit runs several in one session).
    pub fn reset(&self) {
        self.0.send_replace(StopLevel::Run);
    }

    pub fn level(&self) -> StopLevel {
        *self.0.borrow()
    }

    /// Whether the job should stop at the next safe point.
    pub fn stopping(&self) -> bool {
        self.level() >= StopLevel::AfterFile
    }

    /// Whether the operator asked to cancel the running statement.
    pub fn cancelling(&self) -> bool {
        self.level() == StopLevel::Statement
    }
}

/// What one file's statements need to be cancellable: the operator's handle and the
/// way to cancel the session's connection.
#[derive(Clone, Copy)]
pub struct Interrupt<'a> {
    pub stop: &'a Stop,
    pub canceller: Option<&'a Canceller>,
}

impl Interrupt<'_> {
    /// Runs one statement of a migration file; if the operator asks meanwhile, cancels
    /// it and waits for what the database says.
    pub async fn execute(
        &self,
        conn: &mut Conn,
        sql: &str,
        em: &Emitter,
    ) -> Result<u64, SqlFailure> {
        let Some(canceller) = self.canceller else {
            return conn.execute(sql).await;
        };
        let mut asked = self.stop.0.subscribe();
        // The watch's read guard must not live across an await (it is not Send).
        let cancel_asked = async move {
            let _ = asked.wait_for(|l| *l == StopLevel::Statement).await;
        };
        let exec = conn.execute(sql);
        tokio::pin!(exec);
        tokio::select! {
            biased;
            r = &mut exec => r,
            _ = cancel_asked => {
                match canceller.cancel().await {
                    Ok(what) => em.log(Level::Warn, format!("cancelling the running statement: {what}")).await,
                    Err(e) => em.log(Level::Error, format!("could not cancel the running statement: {e}; it goes on, and the job stops after it")).await,
                }
                let r = exec.await;
                canceller.clear();
                r
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_only_go_up_until_reset() {
        let s = Stop::new();
        assert!(!s.stopping());
        assert!(s.after_file());
        assert!(!s.after_file(), "asked once");
        assert!(s.stopping() && !s.cancelling());
        assert!(s.cancel_statement());
        assert!(!s.after_file(), "a cancel already stops after the file");
        assert!(s.cancelling());
        s.reset();
        assert_eq!(s.level(), StopLevel::Run);
    }
}
