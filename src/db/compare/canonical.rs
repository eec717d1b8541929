//! The canonical encoding: one text form per value class, the same whichever backend
//! holds the value, so equal data hashes equally on SQLite, PostgreSQL and MariaDB.
//!
//! | class     | canonical text                                                         |
//! |-----------|------------------------------------------------------------------------|
//! | Int       | decimal digits, `-` for negatives                                      |
//! | Bool      | `1` / `0`                                                              |
//! | Decimal   | plain notation, no exponent, trailing fractional zeros and a bare `.` dropped (`12.50` -> `12.5`, `3.00` -> `3`) |
//! | Float     | the shortest text that reads back as the same double, written as a plain decimal (`0.1`, `1e-7` -> `0.0000001`) |
//! | Text      | the UTF-8 text itself                                                  |
//! | Blob      | lowercase hex                                                          |
//! | Date      | `YYYY-MM-DD`                                                           |
//! | Timestamp | `YYYY-MM-DD HH:MM:SS[.ffffff]`, fraction without trailing zeros, with-time-zone values in UTC |
//!
//! NULL is not a text: a row's canonical form writes each column as `N` (NULL) or `V`
//! followed by the value, joined by the unit separator 0x1f, so NULL and '' differ.
//!
//! Why floats go through a plain decimal: PostgreSQL (`float8::text`) and MariaDB
//! (`CAST(d AS CHAR)`) both print the shortest round-trip digits, but with different
//! rules for when to switch to an exponent (`1e+15` against `1e15`, `1e-07` against
//! `0.0000001`). Converting that shortest text to an exact decimal (PostgreSQL
//! `numeric`, MariaDB `DECIMAL(65,30)`) removes the notation and keeps the digits;
//! Rust's `f64` Display prints the same plain shortest form. MariaDB's DECIMAL(65,30)
//! bounds this to |x| < 1e35 with at most 30 fractional digits; beyond it the two sides
//! may disagree on a float column (documented limitation).
//!
//! This module holds the classes and the Rust side (SQLite values are canonicalized
//! here, see `sql.rs` for the servers' expressions).

use crate::sql::Dialect;

/// A column's value class (see the module table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    Int,
    Bool,
    Decimal,
    Float,
    Text,
    Blob,
    Date,
    Timestamp,
}

/// What one side's declared type says of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Own {
    /// None: SQLite column without a declared type (any value): the other side decides.
    pub class: Option<Class>,
    /// PostgreSQL `timestamp with time zone`, MySQL `TIMESTAMP`: rendered in UTC.
    pub tz: bool,
    /// MySQL DECIMAL with scale 0 or DATETIME/TIMESTAMP without fraction (no `.` to
    /// strip zeros after); PostgreSQL float4.
    pub narrow: bool,
}

/// Reads a declared type (as introspection reports it) into its class.
pub(crate) fn classify(dialect: Dialect, data_type: &str) -> Own {
    let t = data_type.trim().to_ascii_lowercase();
    let own = |class| Own {
        class: Some(class),
        tz: false,
        narrow: false,
    };
    match dialect {
        Dialect::Postgres => {
            let class = match t.as_str() {
                "boolean" => Class::Bool,
                "smallint" | "integer" | "bigint" => Class::Int,
                "real" | "double precision" => Class::Float,
                "bytea" => Class::Blob,
                "date" => Class::Date,
                _ if t.starts_with("numeric") || t.starts_with("decimal") => Class::Decimal,
                _ if t.starts_with("timestamp") => Class::Timestamp,
                _ => Class::Text,
            };
            Own {
                tz: t.contains("with time zone"),
                narrow: t == "real",
                ..own(class)
            }
        }
        Dialect::Mysql => {
            let starts = |p: &str| t.starts_with(p);
            let class = if starts("tinyint(1)") {
                Class::Bool
            } else if ["tinyint", "smallint", "mediumint", "int", "bigint", "year"]
                .iter()
                .any(|p| starts(p))
            {
                Class::Int
            } else if starts("decimal") || starts("numeric") {
                Class::Decimal
            } else if starts("float") || starts("double") || starts("real") {
                Class::Float
            } else if t.contains("blob") || starts("binary") || starts("varbinary") || starts("bit")
            {
                Class::Blob
            } else if t == "date" {
                Class::Date
            } else if starts("datetime") || starts("timestamp") {
                Class::Timestamp
            } else {
                Class::Text
            };
            // `decimal(10,0)` prints no point: stripping zeros would eat its digits;
            // `datetime` without a fraction neither prints one.
            let scale0 = match class {
                Class::Decimal => !t.contains(',') || t.contains(",0)"),
                Class::Timestamp => !t.contains('(') || t.contains("(0)"),
                _ => false,
            };
            Own {
                tz: starts("timestamp"),
                narrow: scale0,
                ..own(class)
            }
        }
        // SQLite's affinity rules (https://sqlite.org/datatype3.html 3.1), refined for
        // the names people use for booleans, dates and timestamps.
        Dialect::Sqlite => {
            let has = |p: &str| t.contains(p);
            let class = if t.is_empty() {
                return Own {
                    class: None,
                    tz: false,
                    narrow: false,
                };
            } else if has("bool") {
                Class::Bool
            } else if has("timestamp") || has("datetime") {
                Class::Timestamp
            } else if t == "date" {
                Class::Date
            } else if has("int") {
                Class::Int
            } else if has("char") || has("clob") || has("text") {
                Class::Text
            } else if has("blob") {
                Class::Blob
            } else if has("real") || has("floa") || has("doub") {
                Class::Float
            } else {
                Class::Decimal
            };
            own(class)
        }
    }
}

/// The class both sides render a column in. SQLite stores any value in any column (dates
/// and decimals often as text), and its values are canonicalized here in Rust, so a
/// SQLite side takes the other side's class; two servers meet on the wider class.
pub(crate) fn combine(a: (Dialect, Own), b: (Dialect, Own)) -> Class {
    use Class::*;
    let sqlite_loose = |d: Dialect, o: Own| d == Dialect::Sqlite && o.class != Some(Blob);
    let (ca, cb) = match (a.1.class, b.1.class) {
        (None, None) => return Text,
        (None, Some(c)) | (Some(c), None) => return c,
        (Some(x), Some(y)) => (x, y),
    };
    if ca == cb {
        return ca;
    }
    if sqlite_loose(a.0, a.1) && b.0 != Dialect::Sqlite {
        return cb;
    }
    if sqlite_loose(b.0, b.1) && a.0 != Dialect::Sqlite {
        return ca;
    }
    match (ca, cb) {
        (Bool, Int) | (Int, Bool) => Bool,
        (Int, Decimal) | (Decimal, Int) => Decimal,
        (Float, Int | Decimal) | (Int | Decimal, Float) => Float,
        (Date, Timestamp) | (Timestamp, Date) => Timestamp,
        _ => Text,
    }
}

/// A SQLite value as text, by storage class (see `typed.rs` for the typed fast paths).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Raw<'a> {
    Null,
    Int(&'a str),
    Real(&'a str),
    Text(&'a str),
}

/// A SQLite value in the canonical text of `class` (None: NULL). Anything that does not
/// read as the class keeps its own text, so it still compares (and differs) honestly.
pub(crate) fn canonical(class: Class, raw: Raw<'_>) -> Option<String> {
    let text = match raw {
        Raw::Null => return None,
        Raw::Int(v) => v.to_string(),
        Raw::Real(v) => match class {
            Class::Int => match v.parse::<f64>() {
                Ok(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => format!("{}", f as i64),
                _ => float_text(v),
            },
            _ => float_text(v),
        },
        Raw::Text(t) => match class {
            Class::Blob => return Some(hex::encode(t.as_bytes())),
            Class::Text => return Some(t.to_string()),
            _ => t.trim().to_string(),
        },
    };
    Some(match class {
        Class::Bool => bool_text(&text),
        Class::Decimal | Class::Float | Class::Int => match raw {
            Raw::Text(_) if class == Class::Float => match text.parse::<f64>() {
                Ok(_) => float_text(&text),
                Err(_) => text,
            },
            Raw::Text(_) | Raw::Int(_) => decimal_text(&text).unwrap_or(text),
            _ => text,
        },
        Class::Date => timestamp_text(&text)
            .map(|t| t.get(..10).unwrap_or(&t).to_string())
            .unwrap_or(text),
        Class::Timestamp => timestamp_text(&text).unwrap_or(text),
        Class::Text | Class::Blob => text,
    })
}

/// `1`/`0` for what reads as a boolean; other text unchanged.
fn bool_text(v: &str) -> String {
    match v.to_ascii_lowercase().as_str() {
        "t" | "true" | "y" | "yes" | "on" => "1".into(),
        "f" | "false" | "n" | "no" | "off" | "0" => "0".into(),
        other => match other.parse::<f64>() {
            Ok(f) => if f != 0.0 { "1" } else { "0" }.into(),
            Err(_) => v.to_string(),
        },
    }
}

/// A double's shortest round-trip digits in plain notation (Rust's Display), -0 as 0,
/// and the infinities and NaN as PostgreSQL's numeric spells them.
pub(crate) fn float_text(v: &str) -> String {
    match v.trim().parse::<f64>() {
        Ok(f) if f.is_nan() => "NaN".into(),
        Ok(f) if f.is_infinite() => if f > 0.0 { "Infinity" } else { "-Infinity" }.into(),
        // Matches -0.0 too (float patterns compare with ==).
        Ok(0.0) => "0".into(),
        Ok(f) => format!("{f}"),
        Err(_) => v.to_string(),
    }
}

/// A decimal number's plain text: optional `-`, no leading zeros, no trailing
/// fractional zeros, no bare point, `-0` as `0`. None when `v` is not a plain decimal.
pub(crate) fn decimal_text(v: &str) -> Option<String> {
    let v = v.trim();
    let (neg, body) = match v.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, v.strip_prefix('+').unwrap_or(v)),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return None;
    }
    let int = int.trim_start_matches('0');
    let frac = frac.trim_end_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let mut out = String::with_capacity(v.len() + 1);
    if neg && (int != "0" || !frac.is_empty()) {
        out.push('-');
    }
    out.push_str(int);
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    Some(out)
}

/// A date or timestamp written as text (SQLite's `YYYY-MM-DD[ T]HH:MM:SS[.fff][Z|±hh:mm]`)
/// in the canonical timestamp form; with an offset, converted to UTC.
pub(crate) fn timestamp_text(v: &str) -> Option<String> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime};
    let v = v.trim();
    let naive = if let Ok(d) = DateTime::parse_from_rfc3339(&v.replacen(' ', "T", 1)) {
        d.naive_utc()
    } else if let Ok(d) = DateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S%.f%#z") {
        d.naive_utc()
    } else if let Ok(d) = NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S%.f") {
        d
    } else if let Ok(d) = NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S%.f") {
        d
    } else if let Ok(d) = NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M") {
        d
    } else {
        NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .ok()?
            .and_hms_opt(0, 0, 0)?
    };
    let mut out = naive.format("%Y-%m-%d %H:%M:%S%.6f").to_string();
    // Microseconds, as both servers keep them; then no trailing zeros, no bare point.
    while out.ends_with('0') {
        out.pop();
    }
    if out.ends_with('.') {
        out.pop();
    }
    Some(out)
}

/// The canonical row text: each column `N` (NULL) or `V<value>`, joined by 0x1f. The
/// SQLite stream writes it in place (`lite::each_row`); this states it for the tests.
#[cfg(test)]
pub(crate) fn row_text<'a>(values: impl Iterator<Item = Option<&'a str>>, out: &mut String) {
    out.clear();
    for (i, v) in values.enumerate() {
        if i > 0 {
            out.push('\x1f');
        }
        match v {
            None => out.push('N'),
            Some(v) => {
                out.push('V');
                out.push_str(v);
            }
        }
    }
}

/// The row hash every backend computes alike: the first 64 bits of the MD5 of the
/// canonical row text, big-endian (PostgreSQL `('x'||left(md5(r),16))::bit(64)`,
/// MariaDB `CONV(LEFT(MD5(r),16),16,10)`).
pub(crate) fn md5_64(text: impl AsRef<[u8]>) -> u64 {
    use md5::{Digest, Md5};
    let d = Md5::digest(text.as_ref());
    let mut w = [0u8; 8];
    w.copy_from_slice(&d[..8]);
    u64::from_be_bytes(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_lose_trailing_zeros_and_keep_their_digits() {
        assert_eq!(decimal_text("12.3400").as_deref(), Some("12.34"));
        assert_eq!(decimal_text("3.00").as_deref(), Some("3"));
        assert_eq!(decimal_text("100").as_deref(), Some("100"));
        assert_eq!(decimal_text("-0.00").as_deref(), Some("0"));
        assert_eq!(decimal_text("-007.50").as_deref(), Some("-7.5"));
        assert_eq!(
            decimal_text("-123456789012345678901234567890.123").as_deref(),
            Some("-123456789012345678901234567890.123")
        );
        assert_eq!(decimal_text("1e5"), None);
        assert_eq!(decimal_text("."), None);
    }

    #[test]
    fn floats_print_shortest_plain_digits() {
        assert_eq!(float_text("0.10000000000000001"), "0.1");
        assert_eq!(float_text("1e-7"), "0.0000001");
        assert_eq!(float_text("1.5e15"), "1500000000000000");
        assert_eq!(float_text("-0.0"), "0");
        assert_eq!(float_text("-2.5"), "-2.5");
        assert_eq!(float_text("0.30000000000000004"), "0.30000000000000004");
    }

    #[test]
    fn timestamps_take_one_form() {
        assert_eq!(
            timestamp_text("2024-03-01T10:20:30.120Z").as_deref(),
            Some("2024-03-01 10:20:30.12")
        );
        assert_eq!(
            timestamp_text("2024-03-01 12:20:30+02:00").as_deref(),
            Some("2024-03-01 10:20:30")
        );
        assert_eq!(
            timestamp_text("2024-03-01").as_deref(),
            Some("2024-03-01 00:00:00")
        );
        assert_eq!(
            timestamp_text("2024-03-01 10:20:30.000001").as_deref(),
            Some("2024-03-01 10:20:30.000001")
        );
        assert_eq!(timestamp_text("soon"), None);
    }

    #[test]
    fn sqlite_values_meet_the_servers_forms() {
        assert_eq!(canonical(Class::Int, Raw::Int("-5")).as_deref(), Some("-5"));
        assert_eq!(
            canonical(Class::Decimal, Raw::Real("12.5")).as_deref(),
            Some("12.5")
        );
        assert_eq!(
            canonical(Class::Decimal, Raw::Text("12.50")).as_deref(),
            Some("12.5")
        );
        assert_eq!(canonical(Class::Bool, Raw::Int("1")).as_deref(), Some("1"));
        assert_eq!(
            canonical(Class::Bool, Raw::Text("false")).as_deref(),
            Some("0")
        );
        assert_eq!(canonical(Class::Text, Raw::Text("")).as_deref(), Some(""));
        assert_eq!(canonical(Class::Text, Raw::Null), None);
        assert_eq!(
            canonical(Class::Date, Raw::Text("2024-01-02")).as_deref(),
            Some("2024-01-02")
        );
    }

    #[test]
    fn null_and_empty_rows_differ() {
        let mut a = String::new();
        let mut b = String::new();
        row_text([None, Some("")].into_iter(), &mut a);
        row_text([Some(""), None].into_iter(), &mut b);
        assert_ne!(md5_64(&a), md5_64(&b));
        assert_eq!(a, "N\x1fV");
        // PostgreSQL: select left(md5('V1'), 16) -> b4daca084ad9eabf
        assert_eq!(md5_64("V1"), 0xb4da_ca08_4ad9_eabf);
    }

    #[test]
    fn classes_from_both_sides() {
        let pg = |t| (Dialect::Postgres, classify(Dialect::Postgres, t));
        let my = |t| (Dialect::Mysql, classify(Dialect::Mysql, t));
        let lite = |t| (Dialect::Sqlite, classify(Dialect::Sqlite, t));
        assert_eq!(
            combine(lite("text"), pg("timestamp with time zone")),
            Class::Timestamp
        );
        assert_eq!(combine(pg("boolean"), my("tinyint(1)")), Class::Bool);
        assert_eq!(
            combine(pg("numeric(10,2)"), my("decimal(10,2)")),
            Class::Decimal
        );
        assert_eq!(combine(pg("integer"), my("double")), Class::Float);
        assert_eq!(combine(lite(""), pg("bytea")), Class::Blob);
        assert_eq!(combine(pg("uuid"), my("char(36)")), Class::Text);
        assert!(classify(Dialect::Mysql, "decimal(10,0)").narrow);
        assert!(classify(Dialect::Mysql, "timestamp(3)").tz);
    }
}
