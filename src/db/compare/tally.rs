//! Segment tallies (count and hash sum per key bucket) over a key range, one pass per
//! call. Two ways, chosen by the plan's hasher:
//!
//! - `PgNative` (PostgreSQL on both sides): the server hashes and sums; only the
//!   bucket totals cross the wire.
//! - `Md5` (across backends): a server streams its rows' columns (as they are where
//!   their text is canonical, else the canonical text, see `textrows`), and the
//!   canonical row and its MD5 are made here; SQLite's rows are canonicalized and hashed
//!   inside its scan (`lite`). The servers' own `md5()` costs more per row
//!   than rendering the text and sending it (PostgreSQL sets up a digest context per
//!   call, MariaDB converts the digest to a hex string), and the rows of both sides
//!   arrive at once on their two connections.

use super::copyrows::{Line, Lines};
use super::progress::{Accumulator, Progress};
use super::reader::{Plan, Range, Reader, Tally};
use super::sql::{self, Hasher};
use super::textrows::Layout;
use crate::db::{DbError, Inner};
use crate::sql::Dialect;
use futures_util::TryStreamExt;
use sqlx::postgres::PgConnection;
use sqlx::{Row, Statement};
use std::sync::atomic::Ordering;
use std::sync::Arc;

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

    /// The server sums `hash_record_extended` of each row per bucket (see `Hasher::PgNative`).
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
            .map(|(canonical, col)| sql::pg_native_column(col, self.col_name(col), canonical))
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
            let sum = crate::db::schema::fold_decimal(&sum).ok_or_else(|| {
                self.wrong(&ctx, format!("the server's sum {sum:?} is not a number"))
            })?;
            let slot = usize::try_from(b).unwrap_or(0).min(buckets - 1);
            let n = u64::try_from(n).unwrap_or(0);
            out[slot].add(Tally { rows: n, sum });
            progress.rows[Progress::index(self.side)].fetch_add(n, Ordering::Relaxed);
        }
        Ok(out)
    }

    /// A server's rows streamed and hashed with MD5 here: raw columns where their text
    /// is canonical (see `textrows`); should a result type differ from what the declared
    /// type promised, again with the server's expressions only.
    async fn streamed(
        &mut self,
        plan: &Plan,
        range: &Range,
        cuts: &[Vec<String>],
        progress: &Arc<Progress>,
    ) -> Result<Vec<Tally>, DbError> {
        let filter = self.range_where(plan, range, None);
        let ctx = format!("checksumming the rows of {}", self.name);
        for raw in [true, false] {
            let layout = Layout::new(self, plan, cuts, raw);
            let sql = format!(
                "SELECT {} FROM {}{filter}",
                layout.select(self, plan, cuts),
                self.table
            );
            let mut acc = Accumulator::new(cuts.len() + 1, progress.clone(), self.side);
            let res = match &mut self.conn.inner {
                Inner::Mysql(c) => {
                    drain(
                        sqlx::Executor::fetch(&mut *c, sql.as_str()),
                        &layout,
                        &mut acc,
                    )
                    .await
                }
                Inner::Postgres(c) => copy_out(c, &sql, &layout, &mut acc).await,
                Inner::Sqlite(_) => Ok(true),
            };
            if res.map_err(|e| self.conn.query_error(&ctx, e))? {
                return self.finish(acc, ctx);
            }
            tracing::debug!(table = %self.name, "result types not as declared: expressions only");
        }
        Err(self.wrong(&ctx, "the rows' column types differ from the table's"))
    }

    fn finish(&self, mut acc: Accumulator, ctx: String) -> Result<Vec<Tally>, DbError> {
        acc.finish()
            .ok_or_else(|| self.wrong(&ctx, "a row fell outside the key buckets"))
    }
}

/// A server's rows (see `textrows`) into `acc`. A bare statement is sent unprepared:
/// PostgreSQL's simple query, MySQL's text protocol, every value as text. False: a raw
/// column's type was not as expected.
async fn drain<R: Row>(
    rows: impl futures_util::Stream<Item = Result<R, sqlx::Error>>,
    layout: &Layout,
    acc: &mut Accumulator,
) -> Result<bool, sqlx::Error>
where
    usize: sqlx::ColumnIndex<R>,
    for<'r> &'r str: sqlx::Decode<'r, R::Database>,
{
    let mut rows = std::pin::pin!(rows);
    let mut buf = Vec::new();
    let mut first = true;
    while let Some(r) = rows.try_next().await? {
        if first {
            if !layout.fits(r.columns()) {
                return Ok(false);
            }
            first = false;
        }
        let (bucket, sum) = layout.hash(&r, &mut buf)?;
        acc.add(bucket, sum);
    }
    Ok(true)
}

/// PostgreSQL's rows (see `copyrows`) into `acc`. The raw columns' types are checked
/// on the prepared statement first (COPY tells none). False: not as expected.
async fn copy_out(
    c: &mut PgConnection,
    select: &str,
    layout: &Layout,
    acc: &mut Accumulator,
) -> Result<bool, sqlx::Error> {
    if layout.has_raw() {
        let stmt = sqlx::Executor::prepare(&mut *c, select).await?;
        if !layout.fits(stmt.columns()) {
            return Ok(false);
        }
    }
    let mut chunks = c
        .copy_out_raw(&format!("COPY ({select}) TO STDOUT"))
        .await?;
    let (mut lines, mut line, mut buf) = (Lines::default(), Line::default(), Vec::new());
    while let Some(chunk) = chunks.try_next().await? {
        lines.feed(&chunk, |l| {
            line.parse(l);
            let (bucket, sum) = layout.row(|i| line.value(i), &mut buf)?;
            acc.add(bucket, sum);
            Ok::<(), sqlx::Error>(())
        })?;
    }
    if lines.pending() {
        return Err(sqlx::Error::Protocol(
            "the COPY stream ended inside a row".into(),
        ));
    }
    Ok(true)
}
