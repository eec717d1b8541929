//! A server's streamed tallies (see `tally`), both servers over their text protocol
//! (PostgreSQL's simple query, MySQL's text protocol): where the server's own text of
//! a column is its canonical text, or one zero-trim away from it, the column itself is
//! read and made canonical here; the other columns are the server's expressions
//! (`sql::value_expr`). The server then mostly reads and sends its rows: rendering the
//! canonical row (casts, trims, concatenation) and the bucket took each server about
//! twice as long. A single integer key is bucketed here, by binary search over the cuts.

use super::canonical::{self, Class};
use super::reader::{Plan, Reader};
use super::sql;
use crate::db::names::quote_ident;
use crate::sql::Dialect;
use sqlx::{Column, Row, TypeInfo};

/// How a selected column's text becomes canonical.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    /// As it is: integers, character strings, the server's expressions.
    Plain,
    /// Trailing zeros, then a trailing point, trimmed (as `sql::my_strip` does on the
    /// server): MySQL's DECIMAL with a scale, DATETIME/TIMESTAMP with a fraction.
    Trimmed,
    /// The same when there is a point (`trim_scale`): PostgreSQL's numeric.
    Scaled,
}

/// MySQL's result types (as sqlx names them) that a raw column may have.
const INTS: &[&str] = &[
    "TINYINT",
    "SMALLINT",
    "MEDIUMINT",
    "INT",
    "BIGINT",
    "TINYINT UNSIGNED",
    "SMALLINT UNSIGNED",
    "MEDIUMINT UNSIGNED",
    "INT UNSIGNED",
    "BIGINT UNSIGNED",
    "YEAR",
];
/// Character strings (sent converted to the connection's utf8mb4, as `CONVERT(c USING
/// utf8mb4)` gives them). Binary-collated ones are reported as binary strings and go
/// through the expression instead.
const TEXTS: &[&str] = &[
    "CHAR",
    "VARCHAR",
    "TINYTEXT",
    "TEXT",
    "MEDIUMTEXT",
    "LONGTEXT",
    "ENUM",
    "SET",
];
const DECIMALS: &[&str] = &["DECIMAL"];
const TIMESTAMPS: &[&str] = &["DATETIME", "TIMESTAMP"];
/// PostgreSQL's. Not `character`: its text keeps the padding that `::text` drops.
const PG_INTS: &[&str] = &["INT2", "INT4", "INT8"];
const PG_TEXTS: &[&str] = &["TEXT", "VARCHAR"];
const PG_DECIMALS: &[&str] = &["NUMERIC"];
/// With DateStyle ISO (set by the snapshot) these print their canonical text.
const PG_TIMESTAMPS: &[&str] = &["TIMESTAMP"];
const PG_DATES: &[&str] = &["DATE"];

/// One selected column of the row.
struct Selected {
    expr: String,
    piece: Piece,
    /// The result types a column read as it is may have; empty: an expression.
    types: &'static [&'static str],
}

/// The statement's select list and how to read its rows back.
pub(crate) struct Layout {
    cols: Vec<Selected>,
    /// The integer key's position in `cols`, bucketed here; None: the server's bucket
    /// comes first in the row.
    key: Option<usize>,
    /// The cuts as integers (when `key`).
    cuts: Vec<i64>,
}

impl Layout {
    /// With `raw`, the columns whose text is (nearly) canonical are read as they are.
    pub(crate) fn new(reader: &Reader<'_>, plan: &Plan, cuts: &[Vec<String>], raw: bool) -> Self {
        let dialect = reader.dialect();
        let cols: Vec<Selected> = plan
            .cols
            .iter()
            .map(|c| {
                let own = reader.own(c);
                let name = reader.col_name(c);
                let (piece, types) = if raw {
                    raw_column(dialect, c.class, own)
                } else {
                    (Piece::Plain, &[][..])
                };
                let expr = match (types.is_empty(), dialect) {
                    (false, _) => quote_ident(dialect, name),
                    // Binary pieces (HEX of a blob) would make the value binary: as text.
                    (true, Dialect::Mysql) => format!(
                        "CONVERT({} USING utf8mb4)",
                        sql::value_expr(dialect, own, c.class, name)
                    ),
                    (true, _) => sql::value_expr(dialect, own, c.class, name),
                };
                Selected { expr, piece, types }
            })
            .collect();
        // Bucketed here only when read as it is (an expression's text may differ).
        let raw_int = |k: usize| cols[k].types == INTS || cols[k].types == PG_INTS;
        let (key, cuts) = match reader.int_key(plan, cuts) {
            Some((k, ints)) if raw_int(k) => (Some(k), ints),
            _ => (None, Vec::new()),
        };
        Layout { cols, key, cuts }
    }

    /// The statement: the server's bucket first unless the key is bucketed here.
    pub(crate) fn select(&self, reader: &Reader<'_>, plan: &Plan, cuts: &[Vec<String>]) -> String {
        let mut items: Vec<String> = Vec::with_capacity(self.cols.len() + 1);
        if self.key.is_none() {
            items.push(match reader.dialect() {
                Dialect::Mysql => format!("CAST({} AS SIGNED)", reader.bucket_expr(plan, cuts)),
                _ => format!("({})::int8", reader.pg_bucket_expr(plan, cuts)),
            });
        }
        items.extend(self.cols.iter().map(|c| c.expr.clone()));
        items.join(", ")
    }

    /// Whether the result's columns have the types the raw columns were chosen for.
    pub(crate) fn fits<C: Column>(&self, columns: &[C]) -> bool {
        let skip = usize::from(self.key.is_none());
        self.cols.iter().enumerate().all(|(i, c)| {
            c.types.is_empty()
                || columns
                    .get(i + skip)
                    .is_some_and(|col| c.types.contains(&col.type_info().name()))
        })
    }

    /// Whether any column is read as it is (else there are no types to check).
    pub(crate) fn has_raw(&self) -> bool {
        self.cols.iter().any(|c| !c.types.is_empty())
    }

    /// A row's bucket (None: not a number) and hash; `buf` is reused for its text.
    pub(crate) fn hash<R: Row>(
        &self,
        row: &R,
        buf: &mut Vec<u8>,
    ) -> Result<(Option<usize>, u64), sqlx::Error>
    where
        usize: sqlx::ColumnIndex<R>,
        for<'r> &'r str: sqlx::Decode<'r, R::Database>,
    {
        // As text: PostgreSQL decodes no bytes from a simple query's text values.
        self.row(
            |i| {
                Ok(row
                    .try_get_unchecked::<Option<&str>, _>(i)?
                    .map(str::as_bytes))
            },
            buf,
        )
    }

    /// The same from a row's values by position in the select list (None: NULL).
    pub(crate) fn row<'v, E>(
        &self,
        value: impl Fn(usize) -> Result<Option<&'v [u8]>, E>,
        buf: &mut Vec<u8>,
    ) -> Result<(Option<usize>, u64), E> {
        let skip = usize::from(self.key.is_none());
        buf.clear();
        let mut key = None;
        for (i, c) in self.cols.iter().enumerate() {
            if i > 0 {
                buf.push(0x1f);
            }
            let Some(v) = value(i + skip)? else {
                buf.push(b'N');
                continue;
            };
            if self.key == Some(i) {
                key = Some(v);
            }
            buf.push(b'V');
            buf.extend_from_slice(match c.piece {
                Piece::Plain => v,
                Piece::Trimmed => trimmed(v),
                Piece::Scaled if v.contains(&b'.') => trimmed(v),
                Piece::Scaled => v,
            });
        }
        let bucket = match key {
            Some(k) => bucket_of(&self.cuts, k),
            None if skip == 1 => value(0)?.and_then(|b| std::str::from_utf8(b).ok()?.parse().ok()),
            // The key was NULL: no bucket.
            None => None,
        };
        Ok((bucket, canonical::md5_64(buf.as_slice())))
    }
}

/// How a column of `class`, of type `own` on its server, is read as it is: how its text
/// is made canonical, and the result types it may have. No types: through the server's
/// expression.
fn raw_column(
    dialect: Dialect,
    class: Class,
    own: canonical::Own,
) -> (Piece, &'static [&'static str]) {
    let none = (Piece::Plain, &[][..]);
    if own.class != Some(class) {
        return none;
    }
    match (dialect, class) {
        (Dialect::Mysql, Class::Int) => (Piece::Plain, INTS),
        (Dialect::Mysql, Class::Text) => (Piece::Plain, TEXTS),
        (Dialect::Mysql, Class::Decimal) if !own.narrow => (Piece::Trimmed, DECIMALS),
        (Dialect::Mysql, Class::Timestamp) if own.narrow => (Piece::Plain, TIMESTAMPS),
        (Dialect::Mysql, Class::Timestamp) => (Piece::Trimmed, TIMESTAMPS),
        (Dialect::Postgres, Class::Int) => (Piece::Plain, PG_INTS),
        (Dialect::Postgres, Class::Text) => (Piece::Plain, PG_TEXTS),
        (Dialect::Postgres, Class::Decimal) => (Piece::Scaled, PG_DECIMALS),
        (Dialect::Postgres, Class::Timestamp) if !own.tz => (Piece::Plain, PG_TIMESTAMPS),
        (Dialect::Postgres, Class::Date) => (Piece::Plain, PG_DATES),
        _ => none,
    }
}

/// `v` without trailing zeros, then without a trailing point.
fn trimmed(v: &[u8]) -> &[u8] {
    let end = v.iter().rposition(|&b| b != b'0').map_or(0, |p| p + 1);
    let v = &v[..end];
    let end = v.iter().rposition(|&b| b != b'.').map_or(0, |p| p + 1);
    &v[..end]
}

/// How many cuts the integer key `k` (decimal text) is at or past: the bucket whose
/// range `[cut, next cut)` holds it.
/// (An unsigned BIGINT may be past i64.)
fn bucket_of(cuts: &[i64], k: &[u8]) -> Option<usize> {
    let k: i128 = std::str::from_utf8(k).ok()?.parse().ok()?;
    Some(cuts.partition_point(|c| i128::from(*c) <= k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimming_drops_fractional_zeros_and_a_bare_point() {
        assert_eq!(trimmed(b"12.50"), b"12.5");
        assert_eq!(trimmed(b"3.00"), b"3");
        assert_eq!(
            trimmed(b"2024-01-02 03:04:05.000000"),
            b"2024-01-02 03:04:05"
        );
        assert_eq!(trimmed(b"0.000"), b"0");
        assert_eq!(trimmed(b""), b"");
    }

    #[test]
    fn buckets_count_the_cuts_at_or_below_the_key() {
        let cuts = [10, 20, 30];
        assert_eq!(bucket_of(&cuts, b"-5"), Some(0));
        assert_eq!(bucket_of(&cuts, b"10"), Some(1));
        assert_eq!(bucket_of(&cuts, b"29"), Some(2));
        assert_eq!(bucket_of(&cuts, b"30"), Some(3));
        assert_eq!(bucket_of(&[], b"7"), Some(0));
        assert_eq!(bucket_of(&cuts, b"x"), None);
    }
}
