//! One side of a comparison: the statements it runs on its backend. Segment tallies
//! (count and hash sum per key bucket, one aggregate per pass), rows in canonical text
//! (for sampling keys and for diffing small segments), and row estimates.

use super::canonical::{self, Raw};
use super::progress::Progress;
use super::sql::{self, Col, Hasher};
use crate::db::names::quote_ident;
use crate::db::{Conn, DbError, Inner};
use crate::event::Side;
use crate::sql::Dialect;
use futures_util::TryStreamExt;
use sqlx::Row;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The shared shape of a comparison: compared columns (in name order) and the key.
pub(crate) struct Plan {
    pub cols: Vec<Col>,
    /// Indexes into `cols` of the primary key's columns, in key order (empty: none).
    pub key: Vec<usize>,
    pub hasher: Hasher,
}

/// A key range `[lo, hi)` in canonical key values; None: unbounded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Range {
    pub lo: Option<Vec<String>>,
    pub hi: Option<Vec<String>>,
}

/// Rows and the wrapping sum of their hashes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    pub rows: u64,
    pub sum: u64,
}

impl Tally {
    pub fn add(&mut self, other: Tally) {
        self.rows += other.rows;
        self.sum = self.sum.wrapping_add(other.sum);
    }
}

/// Canonical values of some columns of one row (None: NULL).
pub(crate) type Values = Vec<Option<String>>;

pub(crate) struct Reader<'c> {
    pub conn: &'c mut Conn,
    pub side: Side,
    /// The table, quoted and schema-qualified where cutover knows the schema.
    pub table: String,
    /// The table's bare name (for catalogue lookups).
    pub name: String,
}

/// The collation through which SQLite hands each row's tagged text to Rust.
const COLLATION: &str = "cutover_compare_row";

impl Reader<'_> {
    pub fn new<'c>(conn: &'c mut Conn, side: Side, name: &str) -> Reader<'c> {
        let t = quote_ident(conn.dialect, name);
        let table = match conn.schema() {
            Some(s) => format!("{}.{t}", quote_ident(conn.dialect, s)),
            None => t,
        };
        Reader {
            conn,
            side,
            table,
            name: name.to_string(),
        }
    }

    pub fn dialect(&self) -> Dialect {
        self.conn.dialect
    }

    fn own(&self, c: &Col) -> canonical::Own {
        match self.side {
            Side::Source => c.src,
            Side::Target => c.tgt,
        }
    }

    fn key_exprs(&self, plan: &Plan) -> Vec<String> {
        plan.key
            .iter()
            .map(|&i| sql::key_expr(self.dialect(), self.own(&plan.cols[i]), &plan.cols[i].name))
            .collect()
    }

    fn literal_tuple(&self, plan: &Plan, vals: &[String]) -> String {
        let lits: Vec<String> = plan
            .key
            .iter()
            .zip(vals)
            .map(|(&i, v)| sql::literal(self.dialect(), plan.cols[i].class, v))
            .collect();
        sql::tuple(&lits)
    }

    /// ` WHERE key >= lo AND key < hi`, or nothing for the whole table.
    fn range_where(&self, plan: &Plan, r: &Range, extra: Option<&str>) -> String {
        let k = sql::tuple(&self.key_exprs(plan));
        let mut conds = Vec::new();
        if let Some(lo) = &r.lo {
            conds.push(format!("{k} >= {}", self.literal_tuple(plan, lo)));
        }
        if let Some(hi) = &r.hi {
            conds.push(format!("{k} < {}", self.literal_tuple(plan, hi)));
        }
        conds.extend(extra.map(str::to_string));
        if conds.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conds.join(" AND "))
        }
    }

    /// The bucket of a row: how many cuts its key is at or past, found by a balanced
    /// tree of CASEs (log2 comparisons per row, on every backend and for composite keys).
    fn bucket_expr(&self, plan: &Plan, cuts: &[Vec<String>]) -> String {
        if cuts.is_empty() || plan.key.is_empty() {
            return "0".into();
        }
        let k = sql::tuple(&self.key_exprs(plan));
        let lits: Vec<String> = cuts.iter().map(|c| self.literal_tuple(plan, c)).collect();
        let mut out = String::new();
        tree(&k, &lits, 0, cuts.len(), &mut out);
        out
    }

    fn server_values(&self, plan: &Plan, which: &[usize]) -> Vec<String> {
        which
            .iter()
            .map(|&i| {
                let c = &plan.cols[i];
                sql::value_expr(self.dialect(), self.own(c), c.class, &c.name)
            })
            .collect()
    }

    fn sqlite_fields(plan: &Plan, which: &[usize]) -> String {
        let fields: Vec<String> = which
            .iter()
            .map(|&i| sql::sqlite_field(&quote_ident(Dialect::Sqlite, &plan.cols[i].name)))
            .collect();
        if fields.is_empty() {
            "''".into()
        } else {
            fields.join("||")
        }
    }

    /// Count and hash sum per bucket (`cuts.len() + 1` of them) over `range`.
    pub async fn tallies(
        &mut self,
        plan: &Plan,
        range: &Range,
        cuts: &[Vec<String>],
        progress: &Arc<Progress>,
    ) -> Result<Vec<Tally>, DbError> {
        let buckets = cuts.len() + 1;
        let bucket = self.bucket_expr(plan, cuts);
        let filter = self.range_where(plan, range, None);
        let all: Vec<usize> = (0..plan.cols.len()).collect();
        let ctx = format!("checksumming the rows of {}", self.name);
        let mut out = vec![Tally::default(); buckets];
        if self.dialect() == Dialect::Sqlite {
            let row = format!("({bucket})||','||{}", Self::sqlite_fields(plan, &all));
            let sql = format!("SELECT {row} AS r FROM {}{filter}", self.table);
            return self
                .sqlite_tallies(plan, &sql, buckets, progress, &ctx)
                .await;
        }
        let row = sql::row_expr(self.dialect(), &self.server_values(plan, &all));
        let hash = sql::hash_expr(self.dialect(), plan.hasher, &row);
        let inner = format!(
            "SELECT {bucket} AS b, {hash} AS h FROM {}{filter}",
            self.table
        );
        let sql = match self.dialect() {
            Dialect::Postgres => format!(
                "SELECT b::int8, COUNT(*)::int8, COALESCE(SUM(h), 0)::text FROM ({inner}) s GROUP BY b"
            ),
            _ => format!(
                "SELECT CAST(b AS SIGNED), CAST(COUNT(*) AS SIGNED), CAST(COALESCE(SUM(h), 0) AS CHAR) \
                 FROM ({inner}) s GROUP BY b"
            ),
        };
        let res: Result<Vec<(i64, i64, String)>, sqlx::Error> = match &mut self.conn.inner {
            Inner::Postgres(c) => sqlx::query(&sql).fetch_all(&mut *c).await.and_then(|rows| {
                rows.iter()
                    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
                    .collect()
            }),
            Inner::Mysql(c) => sqlx::query(&sql).fetch_all(&mut *c).await.and_then(|rows| {
                rows.iter()
                    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
                    .collect()
            }),
            Inner::Sqlite(_) => Ok(Vec::new()),
        };
        let rows = res.map_err(|e| self.conn.query_error(&ctx, e))?;
        for (b, n, sum) in rows {
            let sum = canonical_sum(&sum).ok_or_else(|| DbError::Query {
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

    /// SQLite's tallies, hashed inside its own scan: a collation whose callback receives
    /// each row's tagged text (compared with '' and never equal) canonicalizes and hashes
    /// it (the trick of `schema::stats`). Should the callback not have seen every row
    /// exactly once, the rows are streamed instead and tallied the same way.
    async fn sqlite_tallies(
        &mut self,
        plan: &Plan,
        rows_sql: &str,
        buckets: usize,
        progress: &Arc<Progress>,
        ctx: &str,
    ) -> Result<Vec<Tally>, DbError> {
        let state = Arc::new(HashState {
            classes: plan.cols.iter().map(|c| c.class).collect(),
            tallies: Mutex::new(vec![Tally::default(); buckets]),
            calls: AtomicU64::new(0),
            bad: AtomicU64::new(0),
            progress: progress.clone(),
            side: Progress::index(self.side),
        });
        let Inner::Sqlite(c) = &mut self.conn.inner else {
            return Ok(Vec::new());
        };
        let res: Result<i64, sqlx::Error> = async {
            let st = state.clone();
            c.lock_handle()
                .await?
                .create_collation(COLLATION, move |l: &str, r: &str| {
                    st.absorb(if l.is_empty() { r } else { l });
                    std::cmp::Ordering::Greater
                })?;
            let sql =
                format!("SELECT COUNT(*) FROM ({rows_sql}) WHERE r <> '' COLLATE {COLLATION}");
            sqlx::query_scalar(&sql).fetch_one(&mut *c).await
        }
        .await;
        let rows = res.map_err(|e| self.conn.query_error(ctx, e))?;
        if state.calls.load(Ordering::Relaxed) != u64::try_from(rows).unwrap_or(0) {
            state.reset(buckets);
            let Inner::Sqlite(c) = &mut self.conn.inner else {
                return Ok(Vec::new());
            };
            let res: Result<(), sqlx::Error> = async {
                let mut stream = sqlx::query(rows_sql).fetch(&mut *c);
                while let Some(r) = stream.try_next().await? {
                    state.absorb(r.try_get(0)?);
                }
                Ok(())
            }
            .await;
            res.map_err(|e| self.conn.query_error(ctx, e))?;
        }
        if state.bad.load(Ordering::Relaxed) > 0 {
            return Err(DbError::Query {
                target: self.conn.display.clone(),
                context: ctx.to_string(),
                message: "a row's text could not be read back (is it valid UTF-8?)".into(),
            });
        }
        let tallies = state.tallies.lock().map(|t| t.clone()).unwrap_or_default();
        Ok(tallies)
    }

    /// The canonical values of columns `which` for the rows of `range`, in key order;
    /// with `sample`, only about that fraction of them, picked at random.
    pub async fn rows(
        &mut self,
        plan: &Plan,
        range: &Range,
        which: &[usize],
        sample: Option<f64>,
    ) -> Result<Vec<Values>, DbError> {
        let (from, extra) = self.sampling(range, sample);
        let filter = self.range_where(plan, range, extra.as_deref());
        let order = if plan.key.is_empty() {
            String::new()
        } else {
            format!(" ORDER BY {}", self.key_exprs(plan).join(", "))
        };
        let ctx = format!("reading rows of {}", self.name);
        if self.dialect() == Dialect::Sqlite {
            let sql = format!(
                "SELECT '0,'||{} FROM {}{from}{filter}{order}",
                Self::sqlite_fields(plan, which),
                self.table
            );
            let texts = self
                .conn
                .column_strings(&sql)
                .await
                .map_err(|f| self.conn.failed(&ctx, f))?;
            let mut raw = Vec::new();
            let mut out = Vec::with_capacity(texts.len());
            for t in &texts {
                if canonical::parse_tagged(t, which.len(), &mut raw).is_none() {
                    return Err(DbError::Query {
                        target: self.conn.display.clone(),
                        context: ctx,
                        message: "a row's text could not be read back".into(),
                    });
                }
                let vals = which
                    .iter()
                    .zip(&raw)
                    .map(|(&i, r)| canonical::canonical(plan.cols[i].class, *r))
                    .collect();
                out.push(vals);
            }
            return Ok(out);
        }
        let mut exprs = self.server_values(plan, which);
        if self.dialect() == Dialect::Mysql {
            // Binary results (HEX of a blob, a CONCAT with one) decode as text too.
            for e in &mut exprs {
                *e = format!("CONVERT({e} USING utf8mb4)");
            }
        }
        let sql = format!(
            "SELECT {} FROM {}{from}{filter}{order}",
            exprs.join(", "),
            self.table
        );
        let n = which.len();
        let res: Result<Vec<Values>, sqlx::Error> = match &mut self.conn.inner {
            Inner::Postgres(c) => sqlx::query(&sql).fetch_all(&mut *c).await.and_then(|rows| {
                rows.iter()
                    .map(|r| (0..n).map(|i| r.try_get::<Option<String>, _>(i)).collect())
                    .collect()
            }),
            Inner::Mysql(c) => sqlx::query(&sql).fetch_all(&mut *c).await.and_then(|rows| {
                rows.iter()
                    .map(|r| (0..n).map(|i| r.try_get::<Option<String>, _>(i)).collect())
                    .collect()
            }),
            Inner::Sqlite(_) => Ok(Vec::new()),
        };
        res.map_err(|e| self.conn.query_error(&ctx, e))
    }

    /// How to keep about `fraction` of the rows: a suffix of the FROM clause and a
    /// filter. PostgreSQL samples whole pages of an unbounded range (`TABLESAMPLE
    /// SYSTEM` reads only those pages: cheap, and pages hold keys in no particular
    /// order once a table has been updated); the others, and key ranges (read through
    /// the index anyway), keep rows at random.
    fn sampling(&self, range: &Range, sample: Option<f64>) -> (String, Option<String>) {
        let Some(fraction) = sample.filter(|f| *f < 1.0) else {
            return (String::new(), None);
        };
        let whole = range.lo.is_none() && range.hi.is_none();
        match self.dialect() {
            Dialect::Postgres if whole => (
                format!(" TABLESAMPLE SYSTEM ({})", (fraction * 100.0).max(0.0001)),
                None,
            ),
            Dialect::Postgres => (String::new(), Some(format!("random() < {fraction}"))),
            Dialect::Mysql => (String::new(), Some(format!("RAND() < {fraction}"))),
            Dialect::Sqlite => {
                let every = (1.0 / fraction.max(1e-9)).round().max(1.0) as u64;
                (String::new(), Some(format!("abs(random() % {every}) = 0")))
            }
        }
    }

    /// About how many rows the table holds: PostgreSQL's and MySQL's statistics when
    /// they have any (free), else a count (SQLite's is cheap).
    pub async fn estimate(&mut self) -> Result<u64, DbError> {
        let lit = |s: &str| format!("'{}'", s.replace('\'', "''"));
        let stats = match self.dialect() {
            Dialect::Postgres => Some(format!(
                "SELECT GREATEST(reltuples, 0)::int8 FROM pg_class WHERE oid = to_regclass({})",
                lit(&self.table)
            )),
            Dialect::Mysql => Some(format!(
                "SELECT CAST(COALESCE(TABLE_ROWS, 0) AS SIGNED) FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {}",
                lit(&self.name)
            )),
            Dialect::Sqlite => None,
        };
        if let Some(sql) = stats {
            if let Ok(n) = self.conn.scalar_i64(&sql).await {
                if n > 0 {
                    return Ok(n as u64);
                }
            }
        }
        self.count().await
    }

    /// The exact row count.
    pub async fn count(&mut self) -> Result<u64, DbError> {
        let sql = format!("SELECT COUNT(*) FROM {}", self.table);
        let ctx = format!("counting the rows of {}", self.name);
        let n = self
            .conn
            .scalar_i64(&sql)
            .await
            .map_err(|f| self.conn.failed(&ctx, f))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

/// Sums as the servers report them (exact decimals), folded to 64 bits.
fn canonical_sum(s: &str) -> Option<u64> {
    crate::db::schema::fold_decimal(s)
}

/// Buckets `lo..=hi`; the cut between bucket `i - 1` and `i` is `cuts[i - 1]`.
fn tree(k: &str, cuts: &[String], lo: usize, hi: usize, out: &mut String) {
    if lo == hi {
        out.push_str(&lo.to_string());
        return;
    }
    let mid = (lo + hi).div_ceil(2);
    out.push_str(&format!("CASE WHEN {k} < {} THEN ", cuts[mid - 1]));
    tree(k, cuts, lo, mid - 1, out);
    out.push_str(" ELSE ");
    tree(k, cuts, mid, hi, out);
    out.push_str(" END");
}

/// What the SQLite collation callback adds rows into.
struct HashState {
    classes: Vec<canonical::Class>,
    tallies: Mutex<Vec<Tally>>,
    calls: AtomicU64,
    /// Rows whose text did not parse (should never happen; reported as an error).
    bad: AtomicU64,
    progress: Arc<Progress>,
    side: usize,
}

impl HashState {
    fn absorb(&self, text: &str) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.progress.rows[self.side].fetch_add(1, Ordering::Relaxed);
        let mut raw: Vec<Raw<'_>> = Vec::with_capacity(self.classes.len());
        let Some(bucket) = canonical::parse_tagged(text, self.classes.len(), &mut raw) else {
            self.bad.fetch_add(1, Ordering::Relaxed);
            return;
        };
        let vals: Vec<Option<String>> = self
            .classes
            .iter()
            .zip(&raw)
            .map(|(c, r)| canonical::canonical(*c, *r))
            .collect();
        let mut row = String::with_capacity(text.len() + 8);
        canonical::row_text(vals.iter().map(|v| v.as_deref()), &mut row);
        let h = canonical::md5_64(&row);
        if let Ok(mut t) = self.tallies.lock() {
            if let Some(slot) = t.get_mut(bucket as usize) {
                slot.add(Tally { rows: 1, sum: h });
            } else {
                self.bad.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn reset(&self, buckets: usize) {
        self.calls.store(0, Ordering::Relaxed);
        self.bad.store(0, Ordering::Relaxed);
        if let Ok(mut t) = self.tallies.lock() {
            *t = vec![Tally::default(); buckets];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_tree_counts_cuts_passed() {
        let mut out = String::new();
        tree(
            "k",
            &["10".into(), "20".into(), "30".into()],
            0,
            3,
            &mut out,
        );
        assert_eq!(
            out,
            "CASE WHEN k < 20 THEN CASE WHEN k < 10 THEN 0 ELSE 1 END ELSE CASE WHEN k < 30 THEN 2 ELSE 3 END END"
        );
    }
}
