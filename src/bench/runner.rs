//! Running a benchmark's query: the warm-up, then the timed runs on each connection at
//! once, every row of every run fetched (a benchmark measures the query as an
//! application sees it, transfer included), each timed run an `Event::BenchSample`.

use crate::db::{failure, with_conn, Conn, SqlFailure};
use crate::emit::Emitter;
use crate::event::Event;
use futures_util::TryStreamExt;
use std::time::Instant;

/// What the timed part gave: every sample (connection by connection, each in order)
/// and its wall-clock time.
#[derive(Debug, Clone, Default)]
pub struct Timed {
    pub samples_ms: Vec<f64>,
    pub wall_ms: f64,
}

/// Runs `sql` once, reading every row; the number of rows.
pub async fn execute(conn: &mut Conn, sql: &str) -> Result<u64, SqlFailure> {
    let n: Result<u64, sqlx::Error> = with_conn!(conn, c => {
        let mut rows = sqlx::query(sql).fetch(&mut *c);
        let mut n = 0u64;
        loop {
            match rows.try_next().await {
                Ok(Some(_)) => n += 1,
                Ok(None) => break Ok(n),
                Err(e) => break Err(e),
            }
        }
    });
    n.map_err(|e| failure(&e))
}

/// Who runs and how often.
pub struct Plan<'a> {
    pub bench: &'a str,
    pub batch: usize,
    pub sql: &'a str,
    pub warmup: u32,
    /// Timed runs per connection.
    pub runs: u32,
}

/// The warm-up then the timed runs on every connection at once (they start together,
/// after every warm-up ended). The first error ends the benchmark with it.
pub async fn time(
    conns: &mut [&mut Conn],
    plan: &Plan<'_>,
    em: &Emitter,
) -> Result<Timed, SqlFailure> {
    let warm = conns.iter_mut().map(|c| async move {
        for _ in 0..plan.warmup {
            execute(c, plan.sql).await?;
        }
        Ok::<(), SqlFailure>(())
    });
    for r in futures_util::future::join_all(warm).await {
        r?;
    }
    let started = Instant::now();
    let timed = conns.iter_mut().enumerate().map(|(k, c)| async move {
        let mut out = Vec::with_capacity(plan.runs as usize);
        for run in 0..plan.runs {
            let t = Instant::now();
            execute(c, plan.sql).await?;
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            out.push(ms);
            em.emit(Event::BenchSample {
                bench: plan.bench.to_string(),
                batch: plan.batch,
                run,
                connection: k as u32,
                ms,
            })
            .await;
        }
        Ok::<Vec<f64>, SqlFailure>(out)
    });
    let results = futures_util::future::join_all(timed).await;
    let wall_ms = started.elapsed().as_secs_f64() * 1000.0;
    let mut samples_ms = Vec::new();
    for r in results {
        samples_ms.extend(r?);
    }
    Ok(Timed {
        samples_ms,
        wall_ms,
    })
}
