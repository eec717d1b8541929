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
        let samples = serde_json::to_string(&baseline.samples_ms)
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
        let samples_ms: Vec<f64> = serde_json::from_str(&samples)
            .map_err(|e| super::store::err(&format!("reading the baseline of {bench:?}"), e))?;
        Ok(Some(StoredBaseline {
            bench,
            query_sha256,
            created_at,
            created_by,
            p50_ms,
            p95_ms,
            samples_ms,
        }))
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
            "INSERT INTO validations (target, window, batch, batch_name, verdict, passed, \
             total, at, operator, findings_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        .map_err(|e| super::store::err("recording a validation", e))?;
        Ok(())
    }

    /// The latest validation of batch `batch` (1-based) on `target`. A failed one that
    /// an operator went on past afterwards (an override recorded since) comes back as
    /// `Forced`: the gate it closed was opened, with who and why on record.
    pub async fn last_validation(
        &self,
        target: &str,
        batch: usize,
    ) -> Result<Option<StoredValidation>, CheckpointError> {
        use crate::event::BatchVerdict;
        use sqlx::Row;
        let mut c = self.conn.lock().await;
        let get = |e: sqlx::Error| super::store::err("reading a validation", e);
        let row = sqlx::query(
            "SELECT batch, batch_name, verdict, passed, total, at, operator FROM validations \
             WHERE target = ? AND batch = ? ORDER BY id DESC LIMIT 1",
        )
        .bind(target)
        .bind(batch as i64)
        .fetch_optional(&mut *c)
        .await
        .map_err(get)?;
        let Some(r) = row else { return Ok(None) };
        let verdict: String = r.try_get("verdict").map_err(get)?;
        let mut v = StoredValidation {
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
        };
        if v.verdict == BatchVerdict::Failed {
            // Times are RFC 3339 in UTC with a fixed width: text order is time order.
            let forced: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM overrides WHERE target = ? AND batch = ? AND at >= ? LIMIT 1",
            )
            .bind(target)
            .bind(batch as i64)
            .bind(&v.at)
            .fetch_optional(&mut *c)
            .await
            .map_err(get)?;
            if forced.is_some() {
                v.verdict = BatchVerdict::Forced;
            }
        }
        Ok(Some(v))
    }

    /// Records who went on past a failed validation of `batch`, and why.
    pub async fn record_override(
        &self,
        target: &str,
        o: &StoredOverride,
    ) -> Result<(), CheckpointError> {
        let window = self.open_window(target).await?.map(|w| w.id);
        let mut c = self.conn.lock().await;
        sqlx::query(
            "INSERT INTO overrides (target, window, batch, batch_name, operator, reason, at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(target)
        .bind(window)
        .bind(o.batch as i64)
        .bind(&o.batch_name)
        .bind(&o.operator)
        .bind(&o.reason)
        .bind(&o.at)
        .execute(&mut *c)
        .await
        .map_err(|e| super::store::err("recording an override", e))?;
        Ok(())
    }
}

#[cfg(test)]
mod validation_tests {
    use super::*;
    use crate::event::BatchVerdict;

    fn validation(verdict: BatchVerdict, at: &str) -> StoredValidation {
        StoredValidation {
            batch: 1,
            batch_name: "first".into(),
            verdict,
            passed: 2,
            total: 3,
            at: at.into(),
            operator: "ana".into(),
        }
    }

    #[tokio::test]
    async fn the_latest_validation_counts_and_an_override_since_forces_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Store::open(dir.path()).await.expect("store");
        assert_eq!(s.last_validation("t", 1).await.expect("read"), None);
        let passed = validation(BatchVerdict::Passed, "2026-01-01T00:00:00.000Z");
        s.record_validation("t", &passed, "[]").await.expect("rec");
        let failed = validation(BatchVerdict::Failed, "2026-01-01T00:01:00.000Z");
        s.record_validation("t", &failed, "[]").await.expect("rec");
        assert_eq!(
            s.last_validation("t", 1).await.expect("read"),
            Some(failed.clone())
        );
        // Another target, another batch: not this one's.
        assert_eq!(s.last_validation("u", 1).await.expect("read"), None);
        assert_eq!(s.last_validation("t", 2).await.expect("read"), None);
        let o = StoredOverride {
            batch: 1,
            batch_name: "first".into(),
            operator: "bo".into(),
            reason: "known gap".into(),
            at: "2026-01-01T00:02:00.000Z".into(),
        };
        s.record_override("t", &o).await.expect("override");
        let got = s
            .last_validation("t", 1)
            .await
            .expect("read")
            .expect("some");
        assert_eq!(got.verdict, BatchVerdict::Forced);
        // A later failed validation is not covered by the earlier override.
        let again = validation(BatchVerdict::Failed, "2026-01-01T00:03:00.000Z");
        s.record_validation("t", &again, "[]").await.expect("rec");
        let got = s
            .last_validation("t", 1)
            .await
            .expect("read")
            .expect("some");
        assert_eq!(got.verdict, BatchVerdict::Failed);
    }
}
