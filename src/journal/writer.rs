//! The journal writer: a thread of its own, so that a cockpit streaming thousands of
//! inputs a second never waits for JSON, hashing or the disk. The event loop hands each
//! input over a bounded channel (a full channel makes the loop wait: a journal never
//! drops a line). The thread writes every line at once (no line stays in a buffer while
//! the thread is idle), and syncs the file to disk after the lines marked `sync`:
//! operator actions, checkpoints, rollbacks. A kill -9 so loses at most what followed
//! the last sync, never an earlier line.

use super::chain::{seal, GENESIS};
use super::files::create;
use serde::Serialize;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// How many inputs may wait for the writer before the event loop waits for it.
const QUEUE: usize = 1 << 16;
/// Lines gathered before one write(2) while a burst is queued.
const BURST_BYTES: usize = 256 * 1024;

/// Why a journal could not be written.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot record the session in {path}: {source}\n  hint: cutover records every session for the audit; free disk space or fix the folder's permissions, then start again")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the session journal {path}: {reason}\n  hint: the journal keeps what happened so far; free disk space, then start again")]
    Write { path: PathBuf, reason: String },
}

/// One input handed to the writer thread: its wall time, and whether to sync after it.
struct Line<T> {
    at_ms: i64,
    input: T,
    sync: bool,
}

/// Appends inputs to one journal file, from a thread of its own.
pub struct Writer<T: Serialize + Send + 'static> {
    path: PathBuf,
    tx: Option<SyncSender<Line<T>>>,
    thread: Option<JoinHandle<()>>,
    failed: Arc<Mutex<Option<String>>>,
}

impl<T: Serialize + Send + 'static> Writer<T> {
    /// Creates `<dir>/<UTC time>-<plan>.jsonl` (mode 0600, its folder 0700) and writes
    /// the header line, synced. `started_ms` is the session's start: every line's
    /// `t_ms` counts from it.
    pub fn create<H: Serialize>(
        dir: &Path,
        plan: &str,
        started_ms: i64,
        header: &H,
    ) -> Result<Writer<T>, JournalError> {
        let (file, path) =
            create(dir, plan, started_ms).map_err(|source| JournalError::Create {
                path: dir.to_path_buf(),
                source,
            })?;
        let mut buf = Vec::with_capacity(4096);
        let created = |e: std::io::Error| JournalError::Create {
            path: path.clone(),
            source: e,
        };
        let prev = seal(&mut buf, 0, 0, &wall(started_ms), "header", header, GENESIS)
            .map_err(|e| created(e.into()))?;
        let mut file = file;
        file.write_all(&buf).map_err(created)?;
        file.sync_data().map_err(created)?;
        let (tx, rx) = sync_channel(QUEUE);
        let failed = Arc::new(Mutex::new(None));
        let state = Thread {
            file,
            prev,
            seq: 0,
            started_ms,
            failed: failed.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("journal".into())
            .spawn(move || state.run(rx))
            .map_err(created)?;
        Ok(Writer {
            path,
            tx: Some(tx),
            thread: Some(thread),
            failed,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Queues one input (its wall time in ms since the epoch); `sync` asks for the file
    /// to reach the disk once it is written. Fails once a write has failed.
    pub fn append(&mut self, at_ms: i64, input: T, sync: bool) -> Result<(), JournalError> {
        self.check()?;
        let sent = match &self.tx {
            Some(tx) => tx.send(Line { at_ms, input, sync }).is_ok(),
            None => false,
        };
        if sent {
            Ok(())
        } else {
            self.check()?;
            Err(self.error("the writer stopped".into()))
        }
    }

    /// Writes what is queued, syncs, and closes the file.
    pub fn finish(mut self) -> Result<PathBuf, JournalError> {
        self.close();
        self.check()?;
        Ok(self.path.clone())
    }

    fn close(&mut self) {
        self.tx.take();
        if let Some(t) = self.thread.take() {
            if t.join().is_err() {
                self.fail("the writer thread panicked".into());
            }
        }
    }

    fn check(&self) -> Result<(), JournalError> {
        match self.failed.lock().map(|f| f.clone()) {
            Ok(None) => Ok(()),
            Ok(Some(reason)) => Err(self.error(reason)),
            Err(_) => Err(self.error("the writer thread panicked".into())),
        }
    }

    fn fail(&self, reason: String) {
        if let Ok(mut f) = self.failed.lock() {
            f.get_or_insert(reason);
        }
    }

    fn error(&self, reason: String) -> JournalError {
        JournalError::Write {
            path: self.path.clone(),
            reason,
        }
    }
}

impl<T: Serialize + Send + 'static> Drop for Writer<T> {
    fn drop(&mut self) {
        self.close();
    }
}

/// The writer thread's own state.
struct Thread {
    file: File,
    prev: String,
    seq: u64,
    started_ms: i64,
    failed: Arc<Mutex<Option<String>>>,
}

impl Thread {
    fn run<T: Serialize>(mut self, rx: Receiver<Line<T>>) {
        let mut buf = Vec::with_capacity(BURST_BYTES * 2);
        let mut sync = false;
        // Block for the first line of a burst, then take what is queued without waiting.
        while let Ok(first) = rx.recv() {
            let mut next = Some(first);
            while let Some(Line {
                at_ms,
                input,
                sync: s,
            }) = next.take()
            {
                if let Err(e) = self.line(&mut buf, at_ms, &input) {
                    return self.fail(e);
                }
                // A line that asks for a sync does not end the burst: the lines queued
                // behind it reach the disk with it, in one fsync.
                sync |= s;
                if buf.len() >= BURST_BYTES {
                    break;
                }
                next = rx.try_recv().ok();
            }
            if let Err(e) = self.flush(&mut buf, std::mem::take(&mut sync)) {
                return self.fail(e);
            }
        }
        if let Err(e) = self.file.sync_data() {
            self.fail(e.to_string());
        }
    }

    fn line<T: Serialize>(
        &mut self,
        buf: &mut Vec<u8>,
        at_ms: i64,
        input: &T,
    ) -> Result<(), String> {
        self.seq += 1;
        let t_ms = at_ms - self.started_ms;
        self.prev = seal(
            buf,
            self.seq,
            t_ms,
            &wall(at_ms),
            "input",
            input,
            &self.prev,
        )
        .map_err(|e| format!("cannot encode line {}: {e}", self.seq + 1))?;
        Ok(())
    }

    fn flush(&mut self, buf: &mut Vec<u8>, sync: bool) -> Result<(), String> {
        self.file.write_all(buf).map_err(|e| e.to_string())?;
        buf.clear();
        if sync {
            self.file.sync_data().map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn fail(&self, reason: String) {
        if let Ok(mut f) = self.failed.lock() {
            f.get_or_insert(reason);
        }
    }
}

/// A wall time as the journal writes it: UTC, to the millisecond.
pub fn wall(at_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(at_ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}
