//! What the state database keeps beside checkpoints (version 2): benchmark baselines,
//! batch validations, and the operator's overrides of a failed validation.

use super::store::{err, Store};
use super::CheckpointError;
use crate::event::BatchVerdict;
use sqlx::Row;

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
        let _ = (target, baseline);
        todo!("issue 9: Store::save_baseline")
    }

    /// The latest baseline of `bench` on `target`.
    pub async fn baseline(
        &self,
        target: &str,
        bench: &str,
    ) -> Result<Option<StoredBaseline>, CheckpointError> {
        let _ = (target, bench);
        todo!("issue 9: Store::baseline")
    }

    /// Records a batch's validation (in the open window, if any).
    pub async fn record_validation(
        &self,
        target: &str,
        v: &StoredValidation,
        findings_json: &str,
    ) -> Result<(), CheckpointError> {
        let window = self.open_window(target).await?.map(|w| w.id);
        let mut c = self.conn.lock().await;
        sqlx::query(
            "INSERT INTO validations (target, window, batch, batch_name, verdict, passed, total, \
             at, operator, findings_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(target)
        .bind(window)
        .bind(v.batch as i64)
        .bind(&v.batch_name)
        .bind(v.verdict.as_str())
        .bind(v.passed as i64)
        .bind(v.total as i64)
        .bind(&v.at)
        .bind(&v.operator)
        .bind(findings_json)
        .execute(&mut *c)
        .await
        .map_err(|e| err("recording a batch validation", e))?;
        Ok(())
    }

    /// The latest validation of batch `batch` (1-based) on `target`.
    pub async fn last_validation(
        &self,
        target: &str,
        batch: usize,
    ) -> Result<Option<StoredValidation>, CheckpointError> {
        let mut c = self.conn.lock().await;
        let row = sqlx::query(
            "SELECT batch, batch_name, verdict, passed, total, at, operator FROM validations \
             WHERE target = ? AND batch = ? ORDER BY id DESC LIMIT 1",
        )
        .bind(target)
        .bind(batch as i64)
        .fetch_optional(&mut *c)
        .await
        .map_err(|e| err("reading a batch validation", e))?;
        let Some(r) = row else {
            return Ok(None);
        };
        let get = |e| err("reading a batch validation", e);
        let verdict: String = r.try_get("verdict").map_err(get)?;
        Ok(Some(StoredValidation {
            batch: r.try_get::<i64, _>("batch").map_err(get)? as usize,
            batch_name: r.try_get("batch_name").map_err(get)?,
            verdict: match verdict.as_str() {
                "passed" => BatchVerdict::Passed,
                "warnings" => BatchVerdict::Warnings,
                "forced" => BatchVerdict::Forced,
                _ => BatchVerdict::Failed,
            },
            passed: r.try_get::<i64, _>("passed").map_err(get)? as usize,
            total: r.try_get::<i64, _>("total").map_err(get)? as usize,
            at: r.try_get("at").map_err(get)?,
            operator: r.try_get("operator").map_err(get)?,
        }))
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
