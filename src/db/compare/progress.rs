//! Comparison progress as events: rows read per side, their rate, and time left against
//! the side's expected row count. Sent with `emit_now` (a slow viewer skips some) four
//! times a second while a pass runs, and once when it ends. SQLite counts rows as its
//! scan hashes them; a server's aggregate reports its rows when it returns.

use super::reader::Tally;
use crate::emit::Emitter;
use crate::event::{CompareProgress, Event, Side};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Rows counted between two progress updates of a pass hashed here.
const PROGRESS_EVERY: u64 = 16_384;

pub(crate) struct Progress {
    pub table: String,
    started: Instant,
    /// Rows read so far, per side (source, target).
    pub rows: [AtomicU64; 2],
    /// Expected rows per side (0: unknown).
    pub totals: [AtomicU64; 2],
}

impl Progress {
    pub fn new(table: &str) -> Progress {
        Progress {
            table: table.to_string(),
            started: Instant::now(),
            rows: [AtomicU64::new(0), AtomicU64::new(0)],
            totals: [AtomicU64::new(0), AtomicU64::new(0)],
        }
    }

    pub fn index(side: Side) -> usize {
        match side {
            Side::Source => 0,
            Side::Target => 1,
        }
    }

    pub fn emit(&self, em: &Emitter) {
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        for side in [Side::Source, Side::Target] {
            let i = Self::index(side);
            let rows = self.rows[i].load(Ordering::Relaxed);
            let total = self.totals[i].load(Ordering::Relaxed);
            let rate = rows as f64 / secs;
            let total = (total > 0).then_some(total.max(rows));
            let eta_ms = total
                .filter(|_| rate > 0.0)
                .map(|t| (t - rows) as f64 / rate * 1000.0);
            em.emit_now(Event::CompareProgress(CompareProgress {
                table: self.table.clone(),
                side,
                rows,
                total,
                rows_per_s: rate,
                eta_ms,
            }));
        }
    }
}

/// Runs `work`, emitting progress every 250 ms meanwhile and once at the end.
pub(crate) async fn reporting<F: Future>(work: F, progress: &Progress, em: &Emitter) -> F::Output {
    let mut work = std::pin::pin!(work);
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    tick.tick().await;
    let out = loop {
        tokio::select! {
            out = &mut work => break out,
            _ = tick.tick() => progress.emit(em),
        }
    };
    progress.emit(em);
    out
}

/// A pass's tallies as cutover hashes its rows (a server's stream, SQLite's row
/// function), with the rows counted into `progress` in batches.
pub(crate) struct Accumulator {
    tallies: Vec<Tally>,
    bad: bool,
    pending: u64,
    progress: Arc<Progress>,
    side: usize,
}

impl Accumulator {
    pub fn new(buckets: usize, progress: Arc<Progress>, side: Side) -> Self {
        Accumulator {
            tallies: vec![Tally::default(); buckets],
            bad: false,
            pending: 0,
            progress,
            side: Progress::index(side),
        }
    }

    /// A row's hash into its bucket (None: it had none, or could not be read).
    pub fn add(&mut self, bucket: Option<usize>, sum: u64) {
        match bucket.and_then(|b| self.tallies.get_mut(b)) {
            Some(t) => t.add(Tally { rows: 1, sum }),
            None => self.bad = true,
        }
        self.pending += 1;
        if self.pending == PROGRESS_EVERY {
            self.flush();
        }
    }

    fn flush(&mut self) {
        self.progress.rows[self.side].fetch_add(self.pending, Ordering::Relaxed);
        self.pending = 0;
    }

    /// The tallies; None when a row had no bucket (should never happen).
    pub fn finish(&mut self) -> Option<Vec<Tally>> {
        self.flush();
        (!self.bad).then(|| std::mem::take(&mut self.tallies))
    }
}
