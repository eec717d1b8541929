//! SQLite values, read with their storage class (no text built in SQL), written in
//! canonical text (see `canonical.rs`) into a reused buffer. The common cases (integers,
//! reals, text, blobs, timestamps already in canonical shape) allocate nothing: this
//! runs for every row of a SQLite side. Everything else goes through
//! `canonical::canonical`, the reference, which the fast paths must agree with (tested).

use super::canonical::{self, Class, Raw};
use std::fmt::Write;

/// A SQLite value as its storage class holds it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Value<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
}

/// Appends the canonical text of `v` in `class` to `out`; false (nothing written) for NULL.
pub(crate) fn write(class: Class, v: Value<'_>, out: &mut String) -> bool {
    match (v, class) {
        (Value::Null, _) => return false,
        // SQLite prints integers as plain digits: already canonical for these classes.
        (Value::Int(i), Class::Int | Class::Decimal | Class::Float | Class::Text) => int(i, out),
        (Value::Real(f), Class::Decimal | Class::Float | Class::Text | Class::Blob) => {
            float(f, out)
        }
        (Value::Text(t), Class::Text) => out.push_str(t),
        (Value::Blob(b), _) => hex_lower(b, out),
        (Value::Text(t), Class::Timestamp | Class::Date) => match timestamp_shape(t) {
            Some((head, frac)) => write_timestamp(class, head, frac, out),
            None => slow(class, v, out),
        },
        _ => slow(class, v, out),
    }
    true
}

/// Rust's shortest round-trip digits in plain notation: what `canonical::float_text`
/// gives for the 17 significant digits SQLite would print of the same double.
fn float(f: f64, out: &mut String) {
    if f.is_nan() {
        out.push_str("NaN");
    } else if f.is_infinite() {
        out.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
    } else if f == 0.0 {
        out.push('0');
    } else {
        let _ = write!(out, "{f}");
    }
}

/// The decimal digits of `i`, without the formatting machinery (several integers a row).
fn int(i: i64, out: &mut String) {
    let mut buf = [0u8; 20];
    let mut n = i.unsigned_abs();
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if i < 0 {
        out.push('-');
    }
    buf[at..].iter().for_each(|&d| out.push(char::from(d)));
}

fn hex_lower(b: &[u8], out: &mut String) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.reserve(b.len() * 2);
    for &x in b {
        out.push(DIGITS[usize::from(x >> 4)] as char);
        out.push(DIGITS[usize::from(x & 15)] as char);
    }
}

/// The reference path, for the rare combinations (booleans, dates in odd shapes, a text
/// in a numeric column...).
fn slow(class: Class, v: Value<'_>, out: &mut String) {
    let text;
    let raw = match v {
        Value::Null => Raw::Null,
        Value::Int(i) => {
            text = i.to_string();
            Raw::Int(&text)
        }
        // `{:e}` is Rust's shortest round-trip text: it parses back to the same double.
        Value::Real(f) => {
            text = format!("{f:e}");
            Raw::Real(&text)
        }
        Value::Text(t) => Raw::Text(t),
        Value::Blob(_) => return,
    };
    if let Some(s) = canonical::canonical(class, raw) {
        out.push_str(&s);
    }
}

/// `YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS[.f{1,6}]`, a valid date and time: its head (date,
/// or date and time) and its fraction without trailing zeros. Other shapes: None.
fn timestamp_shape(t: &str) -> Option<(&str, &str)> {
    let b = t.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let num = |r: std::ops::Range<usize>| t[r].parse::<u32>().ok();
    if b.len() < 10 || !digits(0..4) || b[4] != b'-' || !digits(5..7) || b[7] != b'-' {
        return None;
    }
    if !digits(8..10) {
        return None;
    }
    chrono::NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    if b.len() == 10 {
        return Some((t, ""));
    }
    if b.len() < 19 || b[10] != b' ' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !digits(11..13) || !digits(14..16) || !digits(17..19) {
        return None;
    }
    if num(11..13)? > 23 || num(14..16)? > 59 || num(17..19)? > 59 {
        return None;
    }
    let frac = match &t[19..] {
        "" => "",
        f if f.len() <= 7 && f.starts_with('.') && f.len() > 1 && digits(20..b.len()) => {
            f[1..].trim_end_matches('0')
        }
        _ => return None,
    };
    Some((&t[..19], frac))
}

fn write_timestamp(class: Class, head: &str, frac: &str, out: &mut String) {
    if class == Class::Date {
        out.push_str(&head[..10]);
        return;
    }
    out.push_str(head);
    if head.len() == 10 {
        out.push_str(" 00:00:00");
    } else if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast(class: Class, v: Value<'_>) -> Option<String> {
        let mut out = String::new();
        write(class, v, &mut out).then_some(out)
    }

    /// The reference: what the old tagged-text path gave (SQLite printed reals with 17
    /// significant digits and blobs in uppercase hex).
    fn reference(class: Class, v: Value<'_>) -> Option<String> {
        let text;
        let raw = match v {
            Value::Null => Raw::Null,
            Value::Int(i) => {
                text = i.to_string();
                Raw::Int(&text)
            }
            Value::Real(f) => {
                text = format!("{f:.16e}");
                Raw::Real(&text)
            }
            Value::Text(t) => Raw::Text(t),
            // Blobs were always their lowercase hex, whatever the class.
            Value::Blob(b) => return Some(hex::encode(b)),
        };
        canonical::canonical(class, raw)
    }

    #[test]
    fn fast_paths_agree_with_the_reference() {
        let classes = [
            Class::Int,
            Class::Bool,
            Class::Decimal,
            Class::Float,
            Class::Text,
            Class::Blob,
            Class::Date,
            Class::Timestamp,
        ];
        let values = [
            Value::Null,
            Value::Int(0),
            Value::Int(-5),
            Value::Int(i64::MIN),
            Value::Int(i64::MAX),
            Value::Int(10),
            Value::Int(9_007_199_254_740_993),
            Value::Real(0.1),
            Value::Real(-0.0),
            Value::Real(12.5),
            Value::Real(1e20),
            Value::Real(1e-7),
            Value::Real(3.0),
            Value::Real(f64::INFINITY),
            Value::Real(0.30000000000000004),
            Value::Text(""),
            Value::Text("héllo"),
            Value::Text(" 12.50 "),
            Value::Text("true"),
            Value::Text("2024-02-29"),
            Value::Text("2024-02-30"),
            Value::Text("2024-03-01 10:20:30"),
            Value::Text("2024-03-01 10:20:30.120"),
            Value::Text("2024-03-01 10:20:30.000000"),
            Value::Text("2024-03-01 10:20:30.0000001"),
            Value::Text("2024-03-01 24:20:30"),
            Value::Text("2024-03-01T10:20:30Z"),
            Value::Text("2024-03-01 12:20:30+02:00"),
            Value::Text("2024-03-01 10:20"),
            Value::Blob(&[]),
            Value::Blob(&[0, 0xff, 0x61]),
        ];
        for c in classes {
            for v in values {
                assert_eq!(fast(c, v), reference(c, v), "{c:?} {v:?}");
            }
        }
    }
}
