//! The bench job: the plan's benchmarks (of one batch, or every batch), each compared
//! with its stored baseline; `baseline` stores this run's results as the new ones.
//!
//! Benchmarks only read: the headless job needs no lock. Every benchmark runs, whatever
//! the batches' state: a baseline is most useful taken before the window, and a query
//! naming what a pending file creates is a failed benchmark that says so, not a refusal.

use super::{Emitter, Session, Workspace};
use crate::bench::{self, Baseline};
use crate::checkpoint::{Store, StoredBaseline};
use crate::db::{Conn, ConnectInfo};
use crate::event::{BenchResult, Event, Level, Outcome};

/// In an open session (the cockpit's `b`); framed by JobStarted/JobFinished("bench").
pub(crate) async fn in_session(
    session: &mut Session,
    ws: &Workspace,
    batch: Option<&str>,
    baseline: bool,
    operator: &str,
    em: &Emitter,
) {
    let target = session.target.clone();
    job(
        &mut session.conn,
        ws,
        &target,
        batch,
        baseline,
        operator,
        em,
    )
    .await;
}

/// Headless (`cutover bench`): its own connection, framed by SessionStarted/SessionEnded.
pub(crate) async fn headless(
    ws: &Workspace,
    target: &ConnectInfo,
    batch: Option<&str>,
    baseline: bool,
    operator: &str,
    em: &Emitter,
) {
    em.emit(super::session::started(ws, target, operator)).await;
    match crate::db::connect(target).await {
        Ok((mut conn, _)) => {
            job(&mut conn, ws, target, batch, baseline, operator, em).await;
            conn.close().await;
        }
        Err(e) => {
            em.emit(Event::JobStarted {
                job: "bench".into(),
            })
            .await;
            em.log(Level::Error, e.to_string()).await;
            em.emit(Event::JobFinished {
                job: "bench".into(),
                outcome: Outcome::Refused,
            })
            .await;
        }
    }
    em.emit(Event::SessionEnded).await;
}

/// Batch `b`'s (0-based) benchmarks on `conn`, after its validation in an apply; each
/// compared with its stored baseline (none stored here). Gives back their results.
#[allow(dead_code)] // issue 9: the apply integration calls it
pub(crate) async fn batch(
    conn: &mut crate::db::Conn,
    ws: &Workspace,
    target: &ConnectInfo,
    b: usize,
    em: &Emitter,
) -> Vec<crate::event::BenchResult> {
    let store = open_store(ws, false, em).await;
    let run = Run {
        ws,
        target,
        store: store.as_ref(),
        save: false,
        operator: "",
    };
    run.batch(conn, b, em).await
}

/// The job: JobStarted, every selected benchmark, JobFinished (succeeded: all ok;
/// failed: one is not; nothing_to_do: no benchmark; refused: an unknown --batch, or
/// baselines asked for and the state database unusable).
async fn job(
    conn: &mut Conn,
    ws: &Workspace,
    target: &ConnectInfo,
    batch: Option<&str>,
    save: bool,
    operator: &str,
    em: &Emitter,
) {
    em.emit(Event::JobStarted {
        job: "bench".into(),
    })
    .await;
    let outcome = match select(ws, batch) {
        Err(e) => {
            em.log(Level::Error, e.to_string()).await;
            Outcome::Refused
        }
        Ok(batches) => {
            let store = open_store(ws, save, em).await;
            if save && store.is_none() {
                Outcome::Refused
            } else {
                let run = Run {
                    ws,
                    target,
                    store: store.as_ref(),
                    save,
                    operator,
                };
                let mut results = Vec::new();
                for b in batches {
                    results.extend(run.batch(conn, b, em).await);
                }
                outcome_of(&results)
            }
        }
    };
    em.emit(Event::JobFinished {
        job: "bench".into(),
        outcome,
    })
    .await;
}

fn outcome_of(results: &[BenchResult]) -> Outcome {
    if results.is_empty() {
        Outcome::NothingToDo
    } else if results.iter().any(|r| r.verdict.failed()) {
        Outcome::Failed
    } else {
        Outcome::Succeeded
    }
}

/// The batches (0-based) whose benchmarks run.
fn select(ws: &Workspace, batch: Option<&str>) -> Result<Vec<usize>, super::EngineError> {
    match batch {
        Some(sel) => Ok(vec![ws.batch_or_refuse(sel)?]),
        None => Ok((0..ws.batches.len()).collect()),
    }
}

/// The state database; without it benchmarks still run, compared with nothing (but
/// baselines cannot be stored: then it is an error).
async fn open_store(ws: &Workspace, save: bool, em: &Emitter) -> Option<Store> {
    match Store::open(&ws.plan.base_dir).await {
        Ok(s) => Some(s),
        Err(e) => {
            let (level, then) = if save {
                (Level::Error, "baselines cannot be stored")
            } else {
                (Level::Warn, "benchmarks are not compared with baselines")
            };
            em.log(level, format!("{e}\n  {then}")).await;
            None
        }
    }
}

/// What every benchmark of one job shares.
struct Run<'a> {
    ws: &'a Workspace,
    target: &'a ConnectInfo,
    store: Option<&'a Store>,
    save: bool,
    operator: &'a str,
}

impl Run<'_> {
    async fn batch(&self, conn: &mut Conn, b: usize, em: &Emitter) -> Vec<BenchResult> {
        let Some(batch) = self.ws.batches.get(b) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for spec in &batch.benches {
            let base = self.baseline(&spec.name, &spec.query, em).await;
            let m = bench::measure(self.target, conn, spec, batch.number, base.as_ref(), em).await;
            let mut result = m.result;
            if self.save && result.verdict != crate::event::BenchVerdict::Failed {
                result.baseline_saved = self.store(&result, m.samples_ms, em).await;
            }
            em.emit(Event::BenchSummary(Box::new(result.clone()))).await;
            out.push(result);
        }
        out
    }

    /// The stored baseline of `bench`, if it was taken of the same query text.
    async fn baseline(&self, bench: &str, query: &str, em: &Emitter) -> Option<Baseline> {
        let store = self.store?;
        let stored = match store.baseline(&self.target.display, bench).await {
            Ok(s) => s?,
            Err(e) => {
                em.log(
                    Level::Warn,
                    format!("{e}\n  {bench:?} is not compared with a baseline"),
                )
                .await;
                return None;
            }
        };
        if stored.query_sha256 != bench::query_sha256(query) {
            em.log(
                Level::Info,
                format!("benchmark {bench:?}: its stored baseline is of another query text, not compared (store a new one with cutover bench --baseline)"),
            )
            .await;
            return None;
        }
        Some(Baseline {
            p50_ms: stored.p50_ms,
            p95_ms: stored.p95_ms,
            samples_ms: stored.samples_ms,
            created_at: stored.created_at,
        })
    }

    async fn store(&self, r: &BenchResult, samples_ms: Vec<f64>, em: &Emitter) -> bool {
        let Some(store) = self.store else {
            return false;
        };
        let stored = StoredBaseline {
            bench: r.bench.clone(),
            query_sha256: bench::query_sha256(&r.query),
            created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            created_by: self.operator.to_string(),
            p50_ms: r.p50_ms,
            p95_ms: r.p95_ms,
            samples_ms,
        };
        match store.save_baseline(&self.target.display, &stored).await {
            Ok(()) => true,
            Err(e) => {
                em.log(Level::Error, format!("benchmark {:?}: {e}", r.bench))
                    .await;
                false
            }
        }
    }
}
