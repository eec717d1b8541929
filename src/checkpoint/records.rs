//! What the state database keeps beside checkpoints (version 2): benchmark baselines,
//! batch validations, and the operator's overrides of a failed validation.

use super::store::Store;
use super::CheckpointError;

/// A benchmark baseline as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredBaseline {
    pub bench: String,
    /// sha256 of the query text: a baseline of another query is not compared with.
    pub query_sha256: String,
    pub created_at: String,
    pub created_by: String,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub samples_ms: Vec<f64>,
    /// The control query's timings taken with the samples (`bench::stats`); kept in the
    /// same `samples_json` column as `{"samples": [...], "control": [...]}`.
    pub control_ms: Vec<f64>,
    /// The CPU control's timings (`bench::runner::cpu_control`), kept there too.
    pub cpu_ms: Vec<f64>,
}

/// What `samples_json` holds (a bare array of samples is read too: no control).
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
enum SamplesJson {
    Both {
        samples: Vec<f64>,
        #[serde(default)]
        control: Vec<f64>,
        #[serde(default)]
        cpu: Vec<f64>,
    },
    Bare(Vec<f64>),
}

/// A batch's validation as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredValidation {
    pub batch: usize,
    pub batch_name: String,
    pub verdict: crate::event::BatchVerdict,
    pub passed: usize,
    pub total: usize,
    pub at: String,
    pub operator: String,
}

/// An operator's decision to go on past a failed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredOverride {
    pub batch: usize,
    pub batch_name: String,
    pub operator: String,
    pub reason: String,
    pub at: String,
}

impl Store {
    /// Stores a new baseline for `bench` on `target` (the latest one counts).
    pub async fn save_baseline(
        &self,
        target: &str,
        baseline: &StoredBaseline,
    ) -> Result<(), CheckpointError> {
        let samples = serde_json::to_string(&SamplesJson::Both {
            samples: baseline.samples_ms.clone(),
            control: baseline.control_ms.clone(),
            cpu: baseline.cpu_ms.clone(),
        })
        .map_err(|e| super::store::err("storing a baseline", e))?;
        let mut c = self.conn.lock().await;
        sqlx::query(
            "INSERT INTO baselines (target, bench, query_sha256, created_at, created_by, \
             p50_ms, p95_ms, samples_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(target)
        .bind(&baseline.bench)
        .bind(&baseline.query_sha256)
        .bind(&baseline.created_at)
        .bind(&baseline.created_by)
        .bind(baseline.p50_ms)
        .bind(baseline.p95_ms)
        .bind(samples)
        .execute(&mut *c)
        .await
        .map_err(|e| super::store::err("storing a baseline", e))?;
        Ok(())
    }

    /// The latest baseline of `bench` on `target`.
    pub async fn baseline(
        &self,
        target: &str,
        bench: &str,
    ) -> Result<Option<StoredBaseline>, CheckpointError> {
        let mut c = self.conn.lock().await;
        let row: Option<(String, String, String, String, f64, f64, String)> = sqlx::query_as(
            "SELECT bench, query_sha256, created_at, created_by, p50_ms, p95_ms, samples_json \
             FROM baselines WHERE target = ? AND bench = ? ORDER BY id DESC LIMIT 1",
        )
        .bind(target)
        .bind(bench)
        .fetch_optional(&mut *c)
        .await
        .map_err(|e| super::store::err("reading a baseline", e))?;
        let Some((bench, query_sha256, created_at, created_by, p50_ms, p95_ms, samples)) = row
        else {
            return Ok(None);
        };
        let (samples_ms, control_ms, cpu_ms) = match serde_json::from_str(&samples)
            .map_err(|e| super::store::err(&format!("reading the baseline of {bench:?}"), e))?
        {
            SamplesJson::Both {
                samples,
                control,
                cpu,
            } => (samples, control, cpu),
            SamplesJson::Bare(samples) => (samples, Vec::new(), Vec::new()),
        };
        Ok(Some(StoredBaseline {
            bench,
            query_sha256,
            created_at,
            created_by,
            p50_ms,
            p95_ms,
            samples_ms,
            control_ms,
            cpu_ms,
        }))
    }

    /// Records a batch's validation (in the open window, if any).
    pub async fn record_validation(
        &self,
        target: &str,
        v: &StoredValidation,
        findings_json: &str,
    ) -> Result<(), CheckpointError> {
        let _ = (target, v, findings_json);
        todo!("issue 9: Store::record_validation")
    }

    /// The latest validation of batch `batch` (1-based) on `target`.
    pub async fn last_validation(
        &self,
        target: &str,
        batch: usize,
    ) -> Result<Option<StoredValidation>, CheckpointError> {
        let _ = (target, batch);
        todo!("issue 9: Store::last_validation")
    }

    /// Records who went on past a failed validation of `batch`, and why.
    pub async fn record_override(
        &self,
        target: &str,
        o: &StoredOverride,
    ) -> Result<(), CheckpointError> {
        let _ = (target, o);
        todo!("issue 9: Store::record_override")
    }
}
