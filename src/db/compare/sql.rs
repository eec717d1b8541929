//! The SQL each backend runs to produce the canonical encoding (see `canonical.rs`):
//! per-column value expressions, the row text, its hash, key comparisons and literals.
//!
//! The servers render canonical text themselves; SQLite hands over its typed values and
//! Rust canonicalizes them (`typed.rs`).

use super::canonical::{Class, Own};
use crate::db::names::quote_ident;
use crate::sql::Dialect;

/// A compared column: its name, the class both sides render it in, each side's type.
#[derive(Debug, Clone)]
pub(crate) struct Col {
    /// The source's name of the column (what findings say).
    pub name: String,
    /// The target's name of it: the same but for case, which PostgreSQL's quoted
    /// names do not ignore.
    pub tgt_name: String,
    pub class: Class,
    pub src: Own,
    pub tgt: Own,
    /// How the column goes into PostgreSQL's native row hash (both sides PostgreSQL).
    pub native: Native,
}

/// A column in PostgreSQL's native row hash (see `Hasher::PgNative`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Native {
    /// As its canonical text: the two sides' types differ (or the type has no hash).
    Canonical,
    /// The value itself: the same type on both sides.
    Value,
    /// The value itself, a text compared in the "C" collation (a nondeterministic
    /// collation would hash two different texts alike).
    Text,
}

/// How rows are hashed. Both sides must use the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hasher {
    /// First 64 bits of MD5 of the canonical text, taken in Rust for every backend.
    Md5,
    /// PostgreSQL on both sides: `hash_record_extended` of the row, summed by the server
    /// (no rows cross the wire). Columns of the same type on both sides go in as they
    /// are (the type's own hash, as hash partitioning uses: no text rendered, 3x cheaper
    /// than hashing the canonical text); any other column as its canonical text.
    PgNative,
}

/// One column's canonical text (or NULL) on a server, from its own type `own` to the
/// shared class `class`.
pub(crate) fn value_expr(dialect: Dialect, own: Own, class: Class, col: &str) -> String {
    let c = quote_ident(dialect, col);
    let own_class = own.class.unwrap_or(Class::Text);
    match dialect {
        Dialect::Postgres => pg_value(own, own_class, class, &c),
        Dialect::Mysql => my_value(own, own_class, class, &c),
        // SQLite values are canonicalized in Rust (`typed.rs`).
        Dialect::Sqlite => c,
    }
}

fn pg_value(own: Own, own_class: Class, class: Class, c: &str) -> String {
    match (class, own_class) {
        // No ELSE: NULL stays NULL.
        (Class::Bool, Class::Bool) => format!("CASE WHEN {c} THEN '1' WHEN NOT {c} THEN '0' END"),
        (Class::Bool, _) => format!("CASE WHEN {c} <> 0 THEN '1' WHEN {c} = 0 THEN '0' END"),
        // float4 prints its own shortest digits; float8 too; integers and numerics are
        // first made doubles so that they meet a double on the other side.
        (Class::Float, Class::Float) => format!("trim_scale({c}::text::numeric)::text"),
        (Class::Float, _) => format!("trim_scale({c}::float8::text::numeric)::text"),
        (Class::Decimal, Class::Decimal) => format!("trim_scale({c})::text"),
        (Class::Blob, Class::Blob) => format!("encode({c}, 'hex')"),
        (Class::Blob, _) => format!("encode(convert_to({c}::text, 'UTF8'), 'hex')"),
        // With DateStyle ISO (set by the snapshot), dates print as YYYY-MM-DD and
        // timestamps as YYYY-MM-DD HH:MM:SS[.ffffff] with trailing fractional zeros
        // already dropped: the canonical forms, many times cheaper than `to_char`.
        (Class::Date, _) | (Class::Text, Class::Date) => format!("{c}::date::text"),
        (Class::Timestamp, Class::Date) => format!("{c}::timestamp::text"),
        (Class::Timestamp | Class::Text, Class::Timestamp) if own.tz => {
            format!("({c} AT TIME ZONE 'UTC')::text")
        }
        (Class::Text, Class::Decimal) => format!("trim_scale({c})::text"),
        _ => format!("{c}::text"),
    }
}

/// MariaDB/MySQL: `TRIM(TRAILING ...)` strips the zeros of a text that has a point.
fn my_strip(e: &str) -> String {
    format!("TRIM(TRAILING '.' FROM TRIM(TRAILING '0' FROM {e}))")
}

fn my_value(own: Own, own_class: Class, class: Class, c: &str) -> String {
    match (class, own_class) {
        (Class::Bool, _) => format!("CASE WHEN {c} <> 0 THEN '1' WHEN {c} = 0 THEN '0' END"),
        (Class::Float, _) => my_strip(&format!(
            "CAST(CAST(CAST({c} AS DOUBLE) AS CHAR) AS DECIMAL(65,30))"
        )),
        (Class::Decimal | Class::Text, Class::Decimal) if !own.narrow => {
            my_strip(&format!("CAST({c} AS CHAR)"))
        }
        (Class::Blob, _) => format!("LOWER(HEX({c}))"),
        (Class::Date, _) | (Class::Text, Class::Date) => format!("DATE_FORMAT({c}, '%Y-%m-%d')"),
        // CAST prints `YYYY-MM-DD HH:MM:SS`, then as many fractional digits as the
        // column keeps (cheaper than DATE_FORMAT).
        (Class::Timestamp | Class::Text, Class::Timestamp) if own.narrow => {
            format!("CAST({c} AS CHAR)")
        }
        (Class::Timestamp | Class::Text, Class::Timestamp) => {
            my_strip(&format!("CAST({c} AS CHAR)"))
        }
        (Class::Timestamp, Class::Date) => format!("DATE_FORMAT({c}, '%Y-%m-%d %H:%i:%s')"),
        (Class::Text, Class::Text) => format!("CONVERT({c} USING utf8mb4)"),
        _ => format!("CAST({c} AS CHAR)"),
    }
}

/// PostgreSQL's 64-bit hash of a row (signed: sums agree mod 2^64) from its columns'
/// expressions (see `pg_native_column`).
pub(crate) fn pg_native_hash(columns: &[String]) -> String {
    if columns.is_empty() {
        return "0::int8".into();
    }
    format!("hash_record_extended(ROW({}), 0)", columns.join(", "))
}

/// How a column of the same declared type on both PostgreSQL sides (as `format_type`
/// prints it) goes into the native row hash. Types listed hash by their own hash
/// function, which equality agrees with: equal values hash alike (`1.50` and `1.5`,
/// the same instant in two time zones). Others (json has no hash function at all) go
/// in as canonical text.
pub(crate) fn pg_native(data_type: &str) -> Native {
    let t = data_type.trim();
    let base = t.split('(').next().unwrap_or(t).trim();
    match base {
        "text" | "character varying" | "character" => Native::Text,
        "smallint" | "integer" | "bigint" | "numeric" | "boolean" | "bytea" | "uuid" | "date"
        | "double precision" | "real" | "jsonb" => Native::Value,
        _ if base.starts_with("timestamp") || base.starts_with("time ") || base == "time" => {
            Native::Value
        }
        _ => Native::Canonical,
    }
}

/// A column (`name` on this side) as it goes into the native row hash: itself, or its
/// canonical text (`canonical`) when the two sides' types differ.
pub(crate) fn pg_native_column(col: &Col, name: &str, canonical: String) -> String {
    let c = quote_ident(Dialect::Postgres, name);
    match col.native {
        Native::Canonical => canonical,
        Native::Value => c,
        Native::Text => format!("({c} COLLATE \"C\")"),
    }
}

/// PostgreSQL: the bucket of an integer key by binary search in C (`width_bucket` with
/// an array of thresholds counts the cuts at or below the key), several times cheaper
/// than a tree of CASEs. `cuts` ascending.
pub(crate) fn pg_int_buckets(key: &str, cuts: &[i64]) -> String {
    let cuts: Vec<String> = cuts.iter().map(i64::to_string).collect();
    format!("width_bucket({key}, ARRAY[{}]::int8[])", cuts.join(","))
}

/// A key column as range conditions and buckets compare it. Text keys compare by code
/// point on every side (PostgreSQL "C", MySQL binary, SQLite's default), since a
/// locale's or a case-insensitive order would put a key in different segments on the
/// two sides.
/// `table` (quoted), when given, qualifies the column: ORDER BY takes a bare name for the
/// select list's column of that name first (PostgreSQL's `"id"::text AS "id"`: text order).
pub(crate) fn key_expr(dialect: Dialect, own: Own, col: &str, table: Option<&str>) -> String {
    let c = match table {
        Some(t) => format!("{t}.{}", quote_ident(dialect, col)),
        None => quote_ident(dialect, col),
    };
    if own.class.unwrap_or(Class::Text) != Class::Text {
        return c;
    }
    match dialect {
        Dialect::Postgres => format!("({c} COLLATE \"C\")"),
        Dialect::Mysql => format!("CAST({c} AS BINARY)"),
        Dialect::Sqlite => format!("({c} COLLATE BINARY)"),
    }
}

/// A key value (canonical text) as a literal in `dialect`.
pub(crate) fn literal(dialect: Dialect, class: Class, v: &str) -> String {
    let numeric = matches!(
        class,
        Class::Int | Class::Decimal | Class::Float | Class::Bool
    ) && super::canonical::decimal_text(v).is_some();
    if numeric {
        return v.to_string();
    }
    let mut s = v.replace('\'', "''");
    if dialect == Dialect::Mysql {
        s = s.replace('\\', "\\\\");
    }
    format!("'{s}'")
}

/// `(a, b)` or `a`: row values for composite keys.
pub(crate) fn tuple(items: &[String]) -> String {
    if items.len() == 1 {
        items[0].clone()
    } else {
        format!("({})", items.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_quote_text_and_keep_numbers() {
        assert_eq!(literal(Dialect::Postgres, Class::Int, "-12"), "-12");
        assert_eq!(literal(Dialect::Postgres, Class::Text, "it's"), "'it''s'");
        assert_eq!(literal(Dialect::Mysql, Class::Text, "a\\b"), "'a\\\\b'");
        assert_eq!(literal(Dialect::Sqlite, Class::Int, "x"), "'x'");
    }
}
