//! The SQLite side. Tallies are hashed inside SQLite's own scan: a collation whose
//! callback receives each row's tagged text (compared with '' and never equal) parses,
//! canonicalizes and hashes it, the trick of `schema::stats`. Rows streamed through sqlx
//! instead cost a thread hand-off each (several times the whole per-row work). Small
//! reads (sampled keys, a segment's rows) take the typed values through sqlx.

use super::canonical::{self, Class};
use super::progress::Progress;
use super::reader::Tally;
use super::typed::{self, Value};
use futures_util::TryStreamExt;
use sqlx::sqlite::SqliteValueRef;
use sqlx::{Decode, Row, Sqlite, SqliteConnection, TypeInfo, ValueRef};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The collation through which SQLite hands each row's tagged text to Rust.
const COLLATION: &str = "cutover_compare_row";

/// One column tagged with its storage class (see `parse_tagged`). Reals go out with 17
/// significant digits, enough to read back the same double.
pub(crate) fn tagged_field(c: &str) -> String {
    format!(
        "CASE typeof({c}) WHEN 'null' THEN 'n,' WHEN 'integer' THEN 'i'||{c}||',' \
         WHEN 'real' THEN 'r'||printf('%!.17g',{c})||',' WHEN 'blob' THEN 'b'||hex({c})||',' \
         ELSE 't'||length(CAST({c} AS BLOB))||':'||{c}||',' END"
    )
}

/// Parses a tagged row: `<bucket>,` then per column one of `n,`, `i<int>,`, `r<real>,`,
/// `b<HEX>,`, `t<bytes>:<text>,` (text carries its byte length, so no character in it
/// can be mistaken for a delimiter), calling `each` with every value in order.
fn parse_tagged<'a>(s: &'a str, columns: usize, mut each: impl FnMut(Value<'a>)) -> Option<u32> {
    let (bucket, mut rest) = s.split_once(',')?;
    let bucket: u32 = bucket.parse().ok()?;
    for _ in 0..columns {
        let tag = *rest.as_bytes().first()?;
        let body = &rest[1..];
        let (value, after) = if tag == b't' {
            let (len, text) = body.split_once(':')?;
            let len: usize = len.parse().ok()?;
            (Value::Text(text.get(..len)?), text.get(len..)?)
        } else {
            let (v, _) = body.split_once(',')?;
            let value = match tag {
                b'n' => Value::Null,
                b'i' => Value::Int(v.parse().ok()?),
                b'r' => Value::Real(v.parse().ok()?),
                b'b' => Value::Hex(v),
                _ => return None,
            };
            (value, &body[v.len()..])
        };
        rest = after.strip_prefix(',')?;
        each(value);
    }
    rest.is_empty().then_some(bucket)
}

/// What the collation callback adds rows into.
struct HashState {
    classes: Vec<Class>,
    scratch: Mutex<Scratch>,
    calls: AtomicU64,
    /// Rows whose text did not parse (should never happen; reported as an error).
    bad: AtomicU64,
    /// Rows hashed, read by the progress reports.
    progress: Arc<Progress>,
    side: usize,
}

struct Scratch {
    tallies: Vec<Tally>,
    /// The canonical row text, reused from row to row.
    row: String,
}

impl HashState {
    fn absorb(&self, text: &str) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.progress.rows[self.side].fetch_add(1, Ordering::Relaxed);
        let Ok(mut s) = self.scratch.lock() else {
            return;
        };
        let Scratch { tallies, row } = &mut *s;
        row.clear();
        let mut i = 0;
        let bucket = parse_tagged(text, self.classes.len(), |v| {
            // The canonical row: each column `N` or `V<value>`, joined by 0x1f.
            if i > 0 {
                row.push('\x1f');
            }
            let at = row.len();
            row.push('V');
            if !typed::write(self.classes[i], v, row) {
                row.truncate(at);
                row.push('N');
            }
            i += 1;
        });
        let slot = bucket.and_then(|b| tallies.get_mut(b as usize));
        match slot {
            Some(t) => t.add(Tally {
                rows: 1,
                sum: canonical::md5_64(row),
            }),
            None => {
                self.bad.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn reset(&self, buckets: usize) {
        self.calls.store(0, Ordering::Relaxed);
        self.bad.store(0, Ordering::Relaxed);
        if let Ok(mut s) = self.scratch.lock() {
            s.tallies = vec![Tally::default(); buckets];
        }
    }
}

/// Tallies of `rows_sql` (one text column `r`: tagged rows, see `tagged_field`) into
/// `buckets` buckets, counting rows in `progress` as they are hashed. Should the callback not
/// have seen every row exactly once, the rows are streamed instead and tallied the same
/// way. None: a row's text could not be read back (is it valid UTF-8?).
pub(crate) async fn tallies(
    c: &mut SqliteConnection,
    rows_sql: &str,
    classes: &[Class],
    buckets: usize,
    progress: &Arc<Progress>,
    side: usize,
) -> Result<Option<Vec<Tally>>, sqlx::Error> {
    let state = Arc::new(HashState {
        classes: classes.to_vec(),
        scratch: Mutex::new(Scratch {
            tallies: vec![Tally::default(); buckets],
            row: String::with_capacity(256),
        }),
        calls: AtomicU64::new(0),
        bad: AtomicU64::new(0),
        progress: progress.clone(),
        side,
    });
    let st = state.clone();
    c.lock_handle()
        .await?
        .create_collation(COLLATION, move |l: &str, r: &str| {
            st.absorb(if l.is_empty() { r } else { l });
            std::cmp::Ordering::Greater
        })?;
    let sql = format!("SELECT COUNT(*) FROM ({rows_sql}) WHERE r <> '' COLLATE {COLLATION}");
    let rows: i64 = sqlx::query_scalar(&sql).fetch_one(&mut *c).await?;
    if state.calls.load(Ordering::Relaxed) != u64::try_from(rows).unwrap_or(0) {
        state.reset(buckets);
        let mut stream = sqlx::query(rows_sql).fetch(&mut *c);
        while let Some(r) = stream.try_next().await? {
            state.absorb(r.try_get(0)?);
        }
    }
    if state.bad.load(Ordering::Relaxed) > 0 {
        return Ok(None);
    }
    Ok(state.scratch.lock().ok().map(|s| s.tallies.clone()))
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

    #[test]
    fn tagged_rows_parse_whatever_the_text_holds() {
        let mut out = Vec::new();
        let s = "7,n,i-3,r0.5,b00FF,t5:a,b:c,t0:,";
        assert_eq!(parse_tagged(s, 6, |v| out.push(v)), Some(7));
        assert_eq!(
            out,
            vec![
                Value::Null,
                Value::Int(-3),
                Value::Real(0.5),
                Value::Hex("00FF"),
                Value::Text("a,b:c"),
                Value::Text("")
            ]
        );
        assert_eq!(parse_tagged("1,t9:ab,", 1, |_| ()), None);
        assert_eq!(parse_tagged("1,i1,i2,", 1, |_| ()), None);
    }
}
