//! One side of a comparison: the statements it runs on its backend. Rows in canonical
//! text (for sampling keys and for diffing small segments), key conditions and buckets,
//! and row estimates; segment tallies are in `tally.rs`.

use super::canonical;
use super::lite;
use super::sql::{self, Col, Hasher};
use crate::db::names::quote_ident;
use crate::db::{Conn, DbError, Inner};
use crate::event::Side;
use crate::sql::Dialect;
use sqlx::Row;

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

    pub(crate) fn own(&self, c: &Col) -> canonical::Own {
        match self.side {
            Side::Source => c.src,
            Side::Target => c.tgt,
        }
    }

    /// What went wrong while `context` (a query that ran but gave what cannot be used).
    pub(crate) fn wrong(&self, context: &str, message: impl Into<String>) -> DbError {
        DbError::Query {
            target: self.conn.display.clone(),
            context: context.to_string(),
            message: message.into(),
        }
    }

    /// The column's name on this side.
    pub(crate) fn col_name<'p>(&self, c: &'p Col) -> &'p str {
        match self.side {
            Side::Source => &c.name,
            Side::Target => &c.tgt_name,
        }
    }

    fn key_exprs(&self, plan: &Plan) -> Vec<String> {
        self.key_columns(plan, None)
    }

    /// The key's columns, qualified by `table` when given (see `sql::key_expr`).
    fn key_columns(&self, plan: &Plan, table: Option<&str>) -> Vec<String> {
        plan.key
            .iter()
            .map(|&i| {
                let c = &plan.cols[i];
                sql::key_expr(self.dialect(), self.own(c), self.col_name(c), table)
            })
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
    pub(crate) fn range_where(&self, plan: &Plan, r: &Range, extra: Option<&str>) -> String {
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
    pub(crate) fn bucket_expr(&self, plan: &Plan, cuts: &[Vec<String>]) -> String {
        if cuts.is_empty() || plan.key.is_empty() {
            return "0".into();
        }
        let k = sql::tuple(&self.key_exprs(plan));
        let lits: Vec<String> = cuts.iter().map(|c| self.literal_tuple(plan, c)).collect();
        let mut out = String::new();
        tree(&k, &lits, 0, cuts.len(), &mut out);
        out
    }

    /// A single integer key (on this side and in the plan, so that it compares with the
    /// cuts as numbers) and the cuts as ascending integers: its column in the plan and
    /// the cuts, for bucketing by binary search (`width_bucket`, or in Rust) instead of
    /// the tree of CASEs. None: some other key.
    pub(crate) fn int_key(&self, plan: &Plan, cuts: &[Vec<String>]) -> Option<(usize, Vec<i64>)> {
        let &[k] = plan.key.as_slice() else {
            return None;
        };
        let col = &plan.cols[k];
        let int = Some(canonical::Class::Int);
        if col.class != canonical::Class::Int || self.own(col).class != int {
            return None;
        }
        let ints = cuts
            .iter()
            .map(|c| c.first()?.parse::<i64>().ok())
            .collect::<Option<Vec<i64>>>()?;
        ints.is_sorted().then_some((k, ints))
    }

    /// PostgreSQL's bucket of a row: `width_bucket` for a single integer key, else the
    /// tree of CASEs.
    pub(crate) fn pg_bucket_expr(&self, plan: &Plan, cuts: &[Vec<String>]) -> String {
        match self.int_key(plan, cuts) {
            Some((_, ints)) if !ints.is_empty() => {
                sql::pg_int_buckets(&self.key_exprs(plan).remove(0), &ints)
            }
            _ => self.bucket_expr(plan, cuts),
        }
    }

    pub(crate) fn server_values(&self, plan: &Plan, which: &[usize]) -> Vec<String> {
        which
            .iter()
            .map(|&i| {
                let c = &plan.cols[i];
                sql::value_expr(self.dialect(), self.own(c), c.class, self.col_name(c))
            })
            .collect()
    }

    /// SQLite: the columns `which` as they are (typed values, canonicalized in Rust).
    pub(crate) fn columns(&self, plan: &Plan, which: &[usize]) -> String {
        let cols: Vec<String> = which
            .iter()
            .map(|&i| quote_ident(Dialect::Sqlite, self.col_name(&plan.cols[i])))
            .collect();
        if cols.is_empty() {
            "NULL".into()
        } else {
            cols.join(", ")
        }
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
            let key = self.key_columns(plan, Some(&self.table));
            format!(" ORDER BY {}", key.join(", "))
        };
        let ctx = format!("reading rows of {}", self.name);
        if self.dialect() == Dialect::Sqlite {
            let sql = format!(
                "SELECT {} FROM {}{from}{filter}{order}",
                self.columns(plan, which),
                self.table
            );
            let classes: Vec<_> = which.iter().map(|&i| plan.cols[i].class).collect();
            let res = match &mut self.conn.inner {
                Inner::Sqlite(c) => lite::values(c, &sql, &classes).await,
                _ => Ok(Vec::new()),
            };
            return res.map_err(|e| self.conn.query_error(&ctx, e));
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
