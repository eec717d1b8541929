//! The SQL each backend runs to produce the canonical encoding (see `canonical.rs`):
//! per-column value expressions, the row text, its hash, key comparisons and literals.
//!
//! The servers render canonical text themselves and hash it in the scan, so only
//! bucket totals cross the wire. SQLite cannot (no MD5, no numeric type): it hands over
//! each value tagged with its storage class (`sqlite_field`) and Rust canonicalizes.

use super::canonical::{Class, Own};
use crate::db::names::quote_ident;
use crate::sql::Dialect;

/// A compared column: its name, the class both sides render it in, each side's type.
#[derive(Debug, Clone)]
pub(crate) struct Col {
    pub name: String,
    pub class: Class,
    pub src: Own,
    pub tgt: Own,
}

/// How rows are hashed. Both sides must use the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hasher {
    /// First 64 bits of MD5: available on every backend (SQLite through Rust).
    Md5,
    /// PostgreSQL on both sides: `hashtextextended`, several times cheaper than md5
    /// plus the bit-string cast, over the same canonical text.
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
        Dialect::Sqlite => sqlite_field(&c),
    }
}

fn pg_value(own: Own, own_class: Class, class: Class, c: &str) -> String {
    const TS: &str = "'YYYY-MM-DD HH24:MI:SS.US'";
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
        (Class::Date, _) | (Class::Text, Class::Date) => format!("to_char({c}, 'YYYY-MM-DD')"),
        (Class::Timestamp, Class::Date) => {
            format!("to_char({c}::timestamp, 'YYYY-MM-DD HH24:MI:SS')")
        }
        (Class::Timestamp | Class::Text, Class::Timestamp) => {
            let v = if own.tz {
                format!("({c} AT TIME ZONE 'UTC')")
            } else {
                c.to_string()
            };
            // Always `.US`: the zeros, then the bare point, go.
            format!("rtrim(rtrim(to_char({v}, {TS}), '0'), '.')")
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
        (Class::Timestamp | Class::Text, Class::Timestamp | Class::Date) => {
            my_strip(&format!("DATE_FORMAT({c}, '%Y-%m-%d %H:%i:%s.%f')"))
        }
        (Class::Text, Class::Text) => format!("CONVERT({c} USING utf8mb4)"),
        _ => format!("CAST({c} AS CHAR)"),
    }
}

/// SQLite: one column tagged with its storage class (see `canonical::parse_tagged`).
/// Reals go out with 17 significant digits, enough to read back the same double.
pub(crate) fn sqlite_field(c: &str) -> String {
    format!(
        "CASE typeof({c}) WHEN 'null' THEN 'n,' WHEN 'integer' THEN 'i'||{c}||',' \
         WHEN 'real' THEN 'r'||printf('%!.17g',{c})||',' WHEN 'blob' THEN 'b'||hex({c})||',' \
         ELSE 't'||length(CAST({c} AS BLOB))||':'||{c}||',' END"
    )
}

/// The canonical row text on a server from its columns' value expressions.
pub(crate) fn row_expr(dialect: Dialect, values: &[String]) -> String {
    if values.is_empty() {
        return "''".into();
    }
    match dialect {
        Dialect::Mysql => {
            let parts: Vec<String> = values
                .iter()
                .map(|v| format!("COALESCE(CONCAT('V', {v}), 'N')"))
                .collect();
            format!("CONCAT_WS(X'1F', {})", parts.join(", "))
        }
        _ => {
            let parts: Vec<String> = values
                .iter()
                .map(|v| format!("COALESCE('V' || {v}, 'N')"))
                .collect();
            parts.join(" || chr(31) || ")
        }
    }
}

/// The 64-bit hash of a row text on a server (signed or not: sums agree mod 2^64).
pub(crate) fn hash_expr(dialect: Dialect, hasher: Hasher, row: &str) -> String {
    match (dialect, hasher) {
        (Dialect::Postgres, Hasher::PgNative) => format!("hashtextextended({row}, 0)"),
        (Dialect::Postgres, _) => format!("('x' || left(md5({row}), 16))::bit(64)::bigint"),
        _ => format!("CAST(CONV(LEFT(MD5({row}), 16), 16, 10) AS UNSIGNED)"),
    }
}

/// A key column as range conditions and buckets compare it. Text keys compare by code
/// point on every side (PostgreSQL "C", MySQL binary, SQLite's default), since a
/// locale's or a case-insensitive order would put a key in different segments on the
/// two sides.
pub(crate) fn key_expr(dialect: Dialect, own: Own, col: &str) -> String {
    let c = quote_ident(dialect, col);
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

    #[test]
    fn rows_join_null_flags() {
        assert_eq!(
            row_expr(Dialect::Postgres, &["a".into(), "b".into()]),
            "COALESCE('V' || a, 'N') || chr(31) || COALESCE('V' || b, 'N')"
        );
        assert_eq!(row_expr(Dialect::Mysql, &[]), "''");
    }
}
