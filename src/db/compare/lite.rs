//! The SQLite side. Tallies are taken inside SQLite's own scan: a SQL function,
//! registered on sqlx's connection for the pass, receives each row's columns as typed
//! values (no text built in SQL), canonicalizes and hashes them (see `row_fn`). Rows
//! streamed through sqlx instead cost a thread hand-off each, and building a tagged row
//! text in SQL cost more than all the Rust side's work. Small reads (sampled keys, a
//! segment's rows) take the typed values through sqlx.

use super::canonical::Class;
use super::progress::Progress;
use super::reader::{Plan, Range, Reader, Tally};
use super::row_fn::{self, Bucketing, RowHasher};
use super::typed::{self, Value};
use crate::db::names::quote_ident;
use crate::db::{DbError, Inner};
use crate::sql::Dialect;
use sqlx::sqlite::SqliteValueRef;
use sqlx::{Decode, Row, Sqlite, SqliteConnection, TypeInfo, ValueRef};
use std::sync::{Arc, Mutex};

/// Why a SQLite pass failed.
#[derive(Debug)]
pub(super) enum LiteError {
    Sqlx(sqlx::Error),
    /// Registering or removing the row function.
    Function(rusqlite::Error),
    /// A row's value could not be read (text that is not UTF-8), or the function did not
    /// see every row exactly once.
    Unreadable(&'static str),
}

impl From<sqlx::Error> for LiteError {
    fn from(e: sqlx::Error) -> Self {
        LiteError::Sqlx(e)
    }
}

impl From<rusqlite::Error> for LiteError {
    fn from(e: rusqlite::Error) -> Self {
        LiteError::Function(e)
    }
}

impl Reader<'_> {
    /// SQLite's tallies of `range` into `cuts.len() + 1` buckets, hashed inside its scan.
    pub(super) async fn sqlite_tallies(
        &mut self,
        plan: &Plan,
        range: &Range,
        cuts: &[Vec<String>],
        progress: &Arc<Progress>,
    ) -> Result<Vec<Tally>, DbError> {
        let (bucketing, first) = match self.int_key(plan, cuts) {
            Some((k, ints)) => (
                Bucketing::IntCuts(ints),
                quote_ident(Dialect::Sqlite, self.col_name(&plan.cols[k])),
            ),
            None => (Bucketing::Given, self.bucket_expr(plan, cuts)),
        };
        let cols: Vec<String> = plan
            .cols
            .iter()
            .map(|c| quote_ident(Dialect::Sqlite, self.col_name(c)))
            .collect();
        let call = row_fn::call(&first, &cols);
        let sql = format!(
            "SELECT COALESCE(SUM({call}), 0) FROM {}{}",
            self.table,
            self.range_where(plan, range, None)
        );
        let hasher = RowHasher::new(
            plan.cols.iter().map(|c| c.class).collect(),
            bucketing,
            cuts.len() + 1,
            progress.clone(),
            self.side,
        );
        let res = match &mut self.conn.inner {
            Inner::Sqlite(c) => tallies(c, &sql, hasher).await,
            _ => Err(LiteError::Unreadable("not a SQLite connection")),
        };
        let ctx = format!("checksumming the rows of {}", self.name);
        res.map_err(|e| match e {
            LiteError::Sqlx(e) => self.conn.query_error(&ctx, e),
            LiteError::Function(e) => {
                self.wrong(&ctx, format!("registering the row function: {e}"))
            }
            LiteError::Unreadable(why) => self.wrong(&ctx, why),
        })
    }
}

/// Runs `sql` (which calls the row function once per row of the pass) with `hasher`
/// registered as that function, then removes it. None of `hasher`'s work leaves sqlx's
/// worker thread, so the other side's rows are read meanwhile.
async fn tallies(
    c: &mut SqliteConnection,
    sql: &str,
    hasher: RowHasher,
) -> Result<Vec<Tally>, LiteError> {
    let state = Arc::new(Mutex::new(hasher));
    row_fn::register(c, state.clone()).await?;
    let rows = sqlx::query_scalar::<_, i64>(sql)
        .persistent(false)
        .fetch_one(&mut *c)
        .await;
    let removed = row_fn::remove(c).await;
    let rows = rows?;
    removed?;
    let Ok(mut h) = state.lock() else {
        return Err(LiteError::Unreadable("the row function failed"));
    };
    h.finish(u64::try_from(rows).unwrap_or(0))
        .ok_or(LiteError::Unreadable(
            "a row's values could not be read (is its text valid UTF-8?)",
        ))
}

/// A column's value as its storage class holds it.
fn value(v: SqliteValueRef<'_>) -> Result<Value<'_>, sqlx::Error> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    let decode = sqlx::Error::Decode;
    // The storage class of this value (not the column's declared type).
    let kind = match v.type_info().name() {
        "INTEGER" => 0,
        "REAL" => 1,
        "BLOB" => 2,
        _ => 3,
    };
    Ok(match kind {
        0 => Value::Int(<i64 as Decode<Sqlite>>::decode(v).map_err(decode)?),
        1 => Value::Real(<f64 as Decode<Sqlite>>::decode(v).map_err(decode)?),
        2 => Value::Blob(<&[u8] as Decode<Sqlite>>::decode(v).map_err(decode)?),
        _ => Value::Text(<&str as Decode<Sqlite>>::decode(v).map_err(decode)?),
    })
}

/// The rows of `sql` (one column per class of `classes`) as canonical values.
pub(crate) async fn values(
    c: &mut SqliteConnection,
    sql: &str,
    classes: &[Class],
) -> Result<Vec<Vec<Option<String>>>, sqlx::Error> {
    let rows = sqlx::query(sql).fetch_all(c).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut vals = Vec::with_capacity(classes.len());
        for (i, class) in classes.iter().enumerate() {
            let mut s = String::new();
            let present = typed::write(*class, value(row.try_get_raw(i)?)?, &mut s);
            vals.push(present.then_some(s));
        }
        out.push(vals);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::compare::canonical;
    use sqlx::Connection;

    /// A row wider than one function call takes, with every storage class: the tally is
    /// the one of the canonical rows written directly.
    #[tokio::test]
    async fn wide_rows_of_every_storage_class_hash_as_their_canonical_text() {
        let mut c = SqliteConnection::connect("sqlite::memory:")
            .await
            .expect("open");
        let n = 230;
        let names: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
        let defs: Vec<String> = names.iter().map(|c| format!("{c} TEXT")).collect();
        sqlx::query(&format!("CREATE TABLE t ({})", defs.join(", ")))
            .execute(&mut c)
            .await
            .expect("create");
        let odd = ["NULL", "-7", "0.1", "'a\u{1f}b'", "x'00ff'"];
        let vals: Vec<&str> = (0..n).map(|i| odd[i % odd.len()]).collect();
        sqlx::query(&format!("INSERT INTO t VALUES ({})", vals.join(", ")))
            .execute(&mut c)
            .await
            .expect("insert");
        let values = [
            Value::Null,
            Value::Int(-7),
            Value::Real(0.1),
            Value::Text("a\u{1f}b"),
            Value::Blob(&[0, 0xff]),
        ];
        let mut row = String::new();
        for i in 0..n {
            if i > 0 {
                row.push('\x1f');
            }
            let at = row.len();
            row.push('V');
            if !typed::write(Class::Text, values[i % values.len()], &mut row) {
                row.truncate(at);
                row.push('N');
            }
        }
        let sql = format!(
            "SELECT COALESCE(SUM({}), 0) FROM t",
            row_fn::call("0", &names)
        );
        let progress = Arc::new(Progress::new("t"));
        let hasher = RowHasher::new(
            vec![Class::Text; n],
            Bucketing::Given,
            1,
            progress,
            crate::event::Side::Source,
        );
        let tallies = tallies(&mut c, &sql, hasher).await.expect("tallies");
        let want = Tally {
            rows: 1,
            sum: canonical::md5_64(&row),
        };
        assert_eq!(tallies, vec![want]);
        // The functions are gone once the pass is over.
        assert!(sqlx::query(&sql).fetch_one(&mut c).await.is_err());
    }
}
