//! Running a benchmark's query: the warm-up, then the timed runs on each connection at
//! once, every row of every run fetched (a benchmark measures the query as an
//! application sees it, transfer included), each timed run an `Event::BenchSample`.

use crate::db::{failure, with_conn, Conn, SqlFailure};
use crate::emit::Emitter;
use crate::event::Event;
use futures_util::TryStreamExt;
use std::time::Instant;

/// What the timed part gave: every sample (connection by connection, each in order),
/// the control query's timings, and the wall-clock time.
#[derive(Debug, Clone, Default)]
pub struct Timed {
    pub samples_ms: Vec<f64>,
    pub control_ms: Vec<f64>,
    pub cpu_ms: Vec<f64>,
    pub wall_ms: f64,
}

/// The control query: no work of its own, so its timing is what the machine, the
/// server and the connection add to any query at that moment (see `stats`).
pub const CONTROL_SQL: &str = "SELECT 1";

/// The CPU control: arithmetic on a blocking thread for about as long as the query
/// takes, reported as a rate (ms per million steps) so that runs of different lengths
/// compare. `SELECT 1` is too short to be preempted, so it misses a machine whose CPUs
/// are shared with more work than when the baseline was taken, which stretches a
/// query that computes for milliseconds; and the longer a task runs, the more of such
/// sharing it meets, hence a control as long as the query (see `stats`).
pub async fn cpu_control(steps: u64) -> f64 {
    let run = move || {
        let t = Instant::now();
        spin(steps);
        t.elapsed().as_secs_f64() * 1000.0 * 1e6 / steps.max(1) as f64
    };
    tokio::task::spawn_blocking(run).await.unwrap_or(0.0)
}

fn spin(steps: u64) {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..steps {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x = x.wrapping_add(std::hint::black_box(i));
    }
    std::hint::black_box(x);
}

/// How many control steps take about `target_ms` here (measured on 100,000 steps;
/// clamped to 0.05..20 ms of work).
async fn cpu_steps(target_ms: f64) -> u64 {
    const PROBE: u64 = 100_000;
    let ms_per_m = cpu_control(PROBE).await.max(1e-3);
    let target = target_ms.clamp(0.05, 20.0);
    ((target / ms_per_m) * 1e6).max(1000.0) as u64
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
        let mut took = Vec::new();
        for _ in 0..plan.warmup {
            let t = Instant::now();
            execute(c, plan.sql).await?;
            took.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        Ok::<Vec<f64>, SqlFailure>(took)
    });
    let mut warm_ms = Vec::new();
    for r in futures_util::future::join_all(warm).await {
        warm_ms.extend(r?);
    }
    let typical = match warm_ms.is_empty() {
        true => 1.0,
        false => super::stats::figures(&warm_ms).p50,
    };
    let steps = cpu_steps(typical).await;
    let started = Instant::now();
    let timed = conns.iter_mut().enumerate().map(|(k, c)| async move {
        let mut out = Vec::with_capacity(plan.runs as usize);
        let mut control = Vec::new();
        let mut cpu = Vec::new();
        for run in 0..plan.runs {
            let t = Instant::now();
            execute(c, plan.sql).await?;
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            out.push(ms);
            // On the first connection, right after each run: the same moment's control.
            if k == 0 {
                let t = Instant::now();
                execute(c, CONTROL_SQL).await?;
                control.push(t.elapsed().as_secs_f64() * 1000.0);
                cpu.push(cpu_control(steps).await);
            }
            em.emit(Event::BenchSample {
                bench: plan.bench.to_string(),
                batch: plan.batch,
                run,
                connection: k as u32,
                ms,
            })
            .await;
        }
        Ok::<_, SqlFailure>((out, control, cpu))
    });
    let results = futures_util::future::join_all(timed).await;
    let wall_ms = started.elapsed().as_secs_f64() * 1000.0;
    let mut samples_ms = Vec::new();
    let mut control_ms = Vec::new();
    let mut cpu_ms = Vec::new();
    for r in results {
        let (s, c, u) = r?;
        samples_ms.extend(s);
        control_ms.extend(c);
        cpu_ms.extend(u);
    }
    Ok(Timed {
        samples_ms,
        control_ms,
        cpu_ms,
        wall_ms,
    })
}
