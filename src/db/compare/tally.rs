//! Segment tallies (count and hash sum per key bucket) over a key range, one pass per
//! call. Two ways, chosen by the plan's hasher:
//!
//! - `PgNative` (PostgreSQL on both sides): the server renders, hashes and sums; only
//!   the bucket totals cross the wire.
//! - `Md5` (across backends): a server streams its rows' bucket and canonical text and
//!   the MD5 is taken here; SQLite's rows are canonicalized and hashed inside its scan
//!   (`lite`). The servers' own `md5()` costs more per row
//!   than rendering the text and sending it (PostgreSQL sets up a digest context per
//!   call, MariaDB converts the digest to a hex string), and the rows of both sides
//!   arrive at once on their two connections.

use super::canonical;
use super::progress::Progress;
use super::reader::{Plan, Range, Reader, Tally};
use super::sql::{self, Hasher};
use crate::db::{DbError, Inner};
use crate::sql::Dialect;
use futures_util::TryStreamExt;
use sqlx::Row;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Rows counted between two progress updates of a streamed pass.
const PROGRESS_EVERY: u64 = 16_384;

impl Reader<'_> {
    /// Count and hash sum per bucket (`cuts.len() + 1` of them) over `range`.
    pub async fn tallies(
        &mut self,
        plan: &Plan,
        range: &Range,
        cuts: &[Vec<String>],
        progress: &Arc<Progress>,
    ) -> Result<Vec<Tally>, DbError> {
        if plan.hasher == Hasher::PgNative && self.dialect() == Dialect::Postgres {
            return self.aggregated(plan, range, cuts, progress).await;
        }
        if self.dialect() == Dialect::Sqlite {
            return self.sqlite_tallies(plan, range, cuts, progress).await;
        }
        self.streamed(plan, range, cuts, progress).await
    }

    /// The server sums `hashtextextended` of each row's canonical text per bucket.
    async fn aggregated(
        &mut self,
        plan: &Plan,
        range: &Range,
        cuts: &[Vec<String>],
        progress: &Arc<Progress>,
    ) -> Result<Vec<Tally>, DbError> {
        let buckets = cuts.len() + 1;
        let all: Vec<usize> = (0..plan.cols.len()).collect();
        let columns: Vec<String> = self
            .server_values(plan, &all)
            .into_iter()
            .zip(&plan.cols)
            .map(|(canonical, col)| sql::pg_native_column(col, canonical))
            .collect();
        let sql = format!(
            "SELECT b::int8, COUNT(*)::int8, COALESCE(SUM(h), 0)::text FROM (SELECT {} AS b, \
             {} AS h FROM {}{}) s GROUP BY b",
            self.pg_bucket_expr(plan, cuts),
            sql::pg_native_hash(&columns),
            self.table,
            self.range_where(plan, range, None)
        );
        let ctx = format!("checksumming the rows of {}", self.name);
        let res: Result<Vec<(i64, i64, String)>, sqlx::Error> = match &mut self.conn.inner {
            Inner::Postgres(c) => sqlx::query(&sql).fetch_all(&mut *c).await.and_then(|rows| {
                rows.iter()
                    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
                    .collect()
            }),
            _ => Ok(Vec::new()),
        };
        let rows = res.map_err(|e| self.conn.query_error(&ctx, e))?;
        let mut out = vec![Tally::default(); buckets];
        for (b, n, sum) in rows {
            let sum = crate::db::schema::fold_decimal(&sum).ok_or_else(|| DbError::Query {
                target: self.conn.display.clone(),
                context: ctx.clone(),
                message: format!("the server's sum {sum:?} is not a number"),
            })?;
            let slot = usize::try_from(b).unwrap_or(0).min(buckets - 1);
            let n = u64::try_from(n).unwrap_or(0);
            out[slot].add(Tally { rows: n, sum });
            progress.rows[Progress::index(self.side)].fetch_add(n, Ordering::Relaxed);
        }
        Ok(out)
    }

    /// Rows streamed as (bucket, canonical text), hashed with MD5 here.
    async fn streamed(
        &mut self,
        plan: &Plan,
        range: &Range,
        cuts: &[Vec<String>],
        progress: &Arc<Progress>,
    ) -> Result<Vec<Tally>, DbError> {
        let bucket = self.bucket_expr(plan, cuts);
        let filter = self.range_where(plan, range, None);
        let all: Vec<usize> = (0..plan.cols.len()).collect();
        let sql = match self.dialect() {
            Dialect::Postgres => format!(
                "SELECT ({bucket})::int8, {} FROM {}{filter}",
                sql::row_expr(Dialect::Postgres, &self.server_values(plan, &all)),
                self.table
            ),
            // Binary pieces (X'1F', HEX of a blob) would make the row binary: as text.
            _ => format!(
                "SELECT CAST({bucket} AS SIGNED), CONVERT({} USING utf8mb4) FROM {}{filter}",
                sql::row_expr(Dialect::Mysql, &self.server_values(plan, &all)),
                self.table
            ),
        };
        let mut acc = Accumulator::new(cuts.len() + 1, progress, Progress::index(self.side));
        let res = match &mut self.conn.inner {
            Inner::Sqlite(_) => Ok(()),
            Inner::Postgres(c) => {
                let rows = sqlx::query(&sql).fetch(&mut *c);
                drain(rows, &mut acc).await
            }
            Inner::Mysql(c) => {
                let rows = sqlx::query(&sql).fetch(&mut *c);
                drain(rows, &mut acc).await
            }
        };
        let ctx = format!("checksumming the rows of {}", self.name);
        res.map_err(|e| self.conn.query_error(&ctx, e))?;
        acc.finish().ok_or_else(|| DbError::Query {
            target: self.conn.display.clone(),
            context: ctx,
            message: "a row fell outside the key buckets".into(),
        })
    }
}

/// A server's (bucket, row text) stream into `acc`.
async fn drain<R: Row>(
    rows: impl futures_util::Stream<Item = Result<R, sqlx::Error>>,
    acc: &mut Accumulator<'_>,
) -> Result<(), sqlx::Error>
where
    usize: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> &'r str: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let mut rows = std::pin::pin!(rows);
    while let Some(r) = rows.try_next().await? {
        acc.add(r.try_get(0)?, r.try_get(1)?);
    }
    Ok(())
}

/// Tallies of a streamed pass, with progress in batches.
struct Accumulator<'p> {
    tallies: Vec<Tally>,
    bad: bool,
    pending: u64,
    progress: &'p Progress,
    side: usize,
}

impl<'p> Accumulator<'p> {
    fn new(buckets: usize, progress: &'p Progress, side: usize) -> Self {
        Accumulator {
            tallies: vec![Tally::default(); buckets],
            bad: false,
            pending: 0,
            progress,
            side,
        }
    }

    fn add(&mut self, bucket: i64, text: &str) {
        let sum = canonical::md5_64(text);
        match usize::try_from(bucket)
            .ok()
            .and_then(|b| self.tallies.get_mut(b))
        {
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
    fn finish(mut self) -> Option<Vec<Tally>> {
        self.flush();
        (!self.bad).then_some(self.tallies)
    }
}
