//! The SQL function through which SQLite hands each row of a tally pass to Rust:
//! `cutover_compare_row(bucket_or_key, c1, ..., cn)` receives the row's values as SQLite
//! holds them (integers, doubles, text and blobs as they are stored, no text built in
//! SQL), writes the canonical row text, hashes it and adds it to its bucket's tally.
//! sqlx offers no way to register a function, so it is registered through rusqlite on
//! sqlx's own connection handle (both link the same libsqlite3-sys).

use super::canonical::{self, Class};
use super::progress::{Accumulator, Progress};
use super::reader::Tally;
use super::typed::{self, Value};
use crate::event::Side;
use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::ValueRef;
use sqlx::SqliteConnection;
use std::sync::{Arc, Mutex};

/// The functions' names (registered for a pass, removed after it): the one that
/// ends a row, and the one that reads the first columns of a wide row.
const ROW: &str = "cutover_compare_row";
const COLUMNS: &str = "cutover_compare_columns";

/// How the function's first argument gives a row's bucket.
pub(crate) enum Bucketing {
    /// It is the bucket number (computed in SQL).
    Given,
    /// It is the single integer key; the bucket is the number of these (ascending)
    /// cuts at or below it, as SQLite's `key >= cut` would count them.
    IntCuts(Vec<i64>),
}

impl Bucketing {
    fn bucket(&self, v: ValueRef<'_>) -> Option<usize> {
        let cuts = match self {
            Bucketing::Given => {
                return match v {
                    ValueRef::Integer(b) => usize::try_from(b).ok(),
                    _ => None,
                }
            }
            Bucketing::IntCuts(cuts) => cuts,
        };
        Some(match v {
            ValueRef::Integer(k) => cuts.partition_point(|&c| c <= k),
            ValueRef::Real(k) => cuts.partition_point(|&c| int_at_most(c, k)),
            // SQLite orders text and blobs after every number. A NULL compares as
            // neither: the SQL CASE tree sent it to the last bucket, so does this.
            ValueRef::Null | ValueRef::Text(_) | ValueRef::Blob(_) => cuts.len(),
        })
    }
}

/// `c <= k`, exactly (as SQLite compares an integer with a double).
fn int_at_most(c: i64, k: f64) -> bool {
    // 2^63: every i64 is below it, and every double below it (and at or above -2^63)
    // has a floor that fits an i64 exactly.
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if k.is_nan() || k < -TWO_63 {
        false
    } else if k >= TWO_63 {
        true
    } else {
        c <= k.floor() as i64
    }
}

/// The function's state for one pass.
pub(crate) struct RowHasher {
    classes: Vec<Class>,
    bucketing: Bucketing,
    acc: Accumulator,
    /// The canonical row text so far, reused from row to row.
    row: String,
    /// Columns of the row written so far.
    column: usize,
    calls: u64,
    /// The row has more columns than the plan or a value that could not be read
    /// (should never happen).
    unreadable: bool,
}

impl RowHasher {
    pub fn new(
        classes: Vec<Class>,
        bucketing: Bucketing,
        buckets: usize,
        progress: Arc<Progress>,
        side: Side,
    ) -> RowHasher {
        RowHasher {
            classes,
            bucketing,
            acc: Accumulator::new(buckets, progress, side),
            row: String::with_capacity(256),
            column: 0,
            calls: 0,
            unreadable: false,
        }
    }

    /// Columns of the row being read: `ctx`'s arguments from `from` on, in order.
    fn columns(&mut self, ctx: &Context<'_>, from: usize) {
        for arg in from..ctx.len() {
            let Some(&class) = self.classes.get(self.column) else {
                self.unreadable = true;
                return;
            };
            let v = match ctx.get_raw(arg) {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(n) => Value::Int(n),
                ValueRef::Real(f) => Value::Real(f),
                ValueRef::Blob(b) => Value::Blob(b),
                ValueRef::Text(t) => match std::str::from_utf8(t) {
                    Ok(t) => Value::Text(t),
                    Err(_) => {
                        self.unreadable = true;
                        Value::Null
                    }
                },
            };
            // The canonical row: each column `N` or `V<value>`, joined by 0x1f.
            if self.column > 0 {
                self.row.push('\x1f');
            }
            let at = self.row.len();
            self.row.push('V');
            if !typed::write(class, v, &mut self.row) {
                self.row.truncate(at);
                self.row.push('N');
            }
            self.column += 1;
        }
    }

    /// The end of a row: its last columns are the arguments past the bucket (or key)
    /// and the result of the columns before them (see `call`).
    fn end_row(&mut self, ctx: &Context<'_>) {
        self.columns(ctx, 2);
        self.calls += 1;
        let complete = self.column == self.classes.len();
        let bucket = self.bucketing.bucket(ctx.get_raw(0)).filter(|_| complete);
        self.acc.add(bucket, canonical::md5_64(&self.row));
        self.row.clear();
        self.column = 0;
    }

    /// The tallies, if every one of the pass's `rows` rows was hashed, once.
    pub fn finish(&mut self, rows: u64) -> Option<Vec<Tally>> {
        let tallies = self.acc.finish()?;
        (!self.unreadable && self.calls == rows).then_some(tallies)
    }
}

/// At most this many columns per call: SQLite's functions take at most 127 arguments.
const COLUMNS_PER_CALL: usize = 100;

/// The SQL that hands a row to Rust: `first` (bucket or key) and the columns `cols`,
/// wider rows in several calls whose order their nesting fixes:
/// `row(first, cols(cols(NULL, c1..c100), c101..c200), c201..)`.
pub(crate) fn call(first: &str, cols: &[String]) -> String {
    let mut chunks: Vec<&[String]> = cols.chunks(COLUMNS_PER_CALL).collect();
    let last = chunks.pop().unwrap_or(&[]);
    let mut before = "NULL".to_string();
    for chunk in chunks {
        before = format!("{COLUMNS}({before}, {})", chunk.join(", "));
    }
    let mut args = vec![first.to_string(), before];
    args.extend(last.iter().cloned());
    format!("{ROW}({})", args.join(", "))
}

/// Registers both functions (any number of arguments), feeding `state`. Not
/// deterministic: SQLite must call them for every row.
pub(crate) async fn register(
    c: &mut SqliteConnection,
    state: Arc<Mutex<RowHasher>>,
) -> Result<(), super::lite::LiteError> {
    on_handle(c, move |conn| {
        let s = state.clone();
        conn.create_scalar_function(COLUMNS, -1, FunctionFlags::SQLITE_UTF8, move |ctx| {
            if let Ok(mut h) = s.lock() {
                h.columns(ctx, 1);
            }
            Ok(0i64)
        })?;
        conn.create_scalar_function(ROW, -1, FunctionFlags::SQLITE_UTF8, move |ctx| {
            if let Ok(mut h) = state.lock() {
                h.end_row(ctx);
            }
            Ok(1i64)
        })
    })
    .await
}

/// Removes both functions (and with them the state, which SQLite held).
pub(crate) async fn remove(c: &mut SqliteConnection) -> Result<(), super::lite::LiteError> {
    on_handle(c, move |conn| {
        conn.remove_function(COLUMNS, -1)?;
        conn.remove_function(ROW, -1)
    })
    .await
}

/// Runs `f` on a rusqlite view of sqlx's connection, while sqlx's lock on it is held.
#[allow(unsafe_code)]
async fn on_handle(
    c: &mut SqliteConnection,
    f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<()>,
) -> Result<(), super::lite::LiteError> {
    let mut handle = c.lock_handle().await?;
    let raw = handle.as_raw_handle().as_ptr();
    // SAFETY: `raw` is sqlx's open connection, which nothing else uses while `handle`
    // holds its lock (until the end of this function, past the wrapper's drop). The
    // wrapper does not own it: dropping it does not close the connection, and with
    // rusqlite's `hooks` feature off (see Cargo.toml) it leaves sqlx's progress handler
    // and hooks alone. The one libsqlite3-sys (`links = "sqlite3"`) is shared by both.
    let conn = unsafe { rusqlite::Connection::from_handle(raw) }?;
    let res = f(&conn);
    drop(conn);
    drop(handle);
    Ok(res?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_keys_fall_in_the_buckets_of_sqlite_comparisons() {
        let b = Bucketing::IntCuts(vec![10, 20, 30]);
        let at = |v| b.bucket(v);
        assert_eq!(at(ValueRef::Integer(i64::MIN)), Some(0));
        assert_eq!(at(ValueRef::Integer(9)), Some(0));
        assert_eq!(at(ValueRef::Integer(10)), Some(1));
        assert_eq!(at(ValueRef::Integer(29)), Some(2));
        assert_eq!(at(ValueRef::Integer(30)), Some(3));
        assert_eq!(at(ValueRef::Real(9.999)), Some(0));
        assert_eq!(at(ValueRef::Real(10.0)), Some(1));
        assert_eq!(at(ValueRef::Real(-1e300)), Some(0));
        assert_eq!(at(ValueRef::Real(1e300)), Some(3));
        assert_eq!(at(ValueRef::Text(b"5")), Some(3));
        assert_eq!(at(ValueRef::Null), Some(3));
        assert_eq!(Bucketing::Given.bucket(ValueRef::Integer(2)), Some(2));
        assert_eq!(Bucketing::Given.bucket(ValueRef::Integer(-1)), None);
    }

    #[test]
    fn integers_compare_exactly_with_doubles() {
        assert!(int_at_most(-1, -0.5));
        assert!(!int_at_most(0, -0.5));
        assert!(int_at_most(i64::MAX, 9.3e18));
        assert!(!int_at_most(i64::MIN, -9.3e18));
        // 2^53 + 1 is not a double: the nearest is 2^53, below it.
        assert!(!int_at_most(9_007_199_254_740_993, 9_007_199_254_740_992.0));
    }
}
