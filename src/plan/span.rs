//! Positions in the plan file, and TOML/serde errors turned into messages that say
//! what is wrong, where, and what is expected.

use super::PlanError;
use std::path::Path;

/// 1-based line and column of a byte offset; the column counts characters.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// A `PlanError::At` at a byte offset of the plan text.
pub fn error_at(
    path: &Path,
    text: &str,
    offset: usize,
    message: impl Into<String>,
    hint: Option<String>,
) -> PlanError {
    let (line, column) = line_col(text, offset);
    PlanError::At {
        path: path.to_path_buf(),
        line,
        column,
        message: message.into(),
        hint,
    }
}

/// The keys each table of the plan takes, to name the table an unknown key sits in.
const TABLES: &[(&str, &[&str])] = &[
    (
        "the top level",
        &[
            "plan",
            "target",
            "source",
            "migrations",
            "checkpoints",
            "batch",
        ],
    ),
    ("[plan]", &["name", "theme"]),
    ("[target]", &["url", "init_sql"]),
    ("[migrations]", &["dir", "format", "pattern"]),
    ("[checkpoints]", &["backup", "checksum_row_limit"]),
    (
        "[[batch]]",
        &["name", "risk", "files", "on_failure", "check", "bench"],
    ),
    (
        "[[batch.check]]",
        &[
            "kind", "name", "table", "tables", "columns", "indexes", "absent", "column", "key",
            "compare", "query", "expect", "severity",
        ],
    ),
    (
        "[[batch.bench]]",
        &[
            "name",
            "query",
            "runs",
            "warmup",
            "concurrency",
            "p95_ms",
            "regression_pct",
        ],
    ),
];

/// Turns a TOML parse or deserialization error into a positioned plan error.
pub fn from_toml(path: &Path, text: &str, err: &toml::de::Error) -> PlanError {
    let offset = err.span().map(|s| s.start).unwrap_or(0);
    let raw = err.message().trim();
    let (message, hint) = translate(text, offset, raw);
    let (line, column) = line_col(text, offset);
    PlanError::At {
        path: path.to_path_buf(),
        line,
        column,
        message,
        hint,
    }
}

fn translate(text: &str, offset: usize, raw: &str) -> (String, Option<String>) {
    if let Some(rest) = raw.strip_prefix("unknown field ") {
        let (key, expected) = split_first_quoted(rest);
        let expected_keys = quoted_list(&expected);
        let table = table_of(&expected_keys, text, offset);
        let hint = if expected_keys.is_empty() {
            "this table takes no keys".to_string()
        } else {
            let guess = closest(&key, &expected_keys)
                .map(|k| format!("did you mean `{k}`? "))
                .unwrap_or_default();
            format!("{guess}expected one of: {}", expected_keys.join(", "))
        };
        let place = if table == "the top level" { "at" } else { "in" };
        return (format!("unknown key `{key}` {place} {table}"), Some(hint));
    }
    if let Some(rest) = raw.strip_prefix("missing field ") {
        let key = rest.trim_matches('`');
        let table = header_at(text, offset).unwrap_or_else(|| "the plan".to_string());
        let hint = match key {
            "name" => "add name = \"...\"".to_string(),
            "files" => {
                "add files = [\"0001..=0003\"]: versions, version ranges or globs over file names"
                    .to_string()
            }
            "kind" => {
                "add kind = \"row_count\" (or schema, checksum, orphans, not_null, sql, integrity)"
                    .to_string()
            }
            "query" => "add query = \"SELECT ...\"".to_string(),
            _ => format!("add {key} = ..."),
        };
        return (format!("missing key `{key}` in {table}"), Some(hint));
    }
    if let Some(rest) = raw.strip_prefix("invalid type: ") {
        if let Some((found, expected)) = rest.rsplit_once(", expected ") {
            return (wrong(text, offset, "wrong type", expected, found), None);
        }
    }
    if let Some(rest) = raw.strip_prefix("invalid value: ") {
        if let Some((found, expected)) = rest.rsplit_once(", expected ") {
            return (wrong(text, offset, "invalid value", expected, found), None);
        }
    }
    if raw == "duplicate key" {
        let key = key_at(text, offset).unwrap_or_default();
        return (
            format!("duplicate key `{key}`"),
            Some("each key may appear once per table".to_string()),
        );
    }
    (
        format!("invalid TOML: {}", raw.replace('\n', "; ")),
        Some("see https://toml.io for the syntax".to_string()),
    )
}

fn wrong(text: &str, offset: usize, what: &str, expected: &str, found: &str) -> String {
    let place = match (key_before(text, offset), header_at(text, offset)) {
        (Some(k), Some(t)) => format!(" for `{k}` in {t}"),
        (Some(k), None) => format!(" for `{k}`"),
        (None, Some(t)) => format!(" in {t}"),
        (None, None) => String::new(),
    };
    format!(
        "{what}{place}: expected {}, found {}",
        expected_name(expected),
        found_name(found)
    )
}

fn expected_name(e: &str) -> String {
    match e {
        "a sequence" => "an array".to_string(),
        "u8" | "u16" | "u32" | "u64" | "usize" => "a non-negative integer".to_string(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "an integer".to_string(),
        "f32" | "f64" => "a number".to_string(),
        "a map" => "a table".to_string(),
        e if e.starts_with("struct ") => "a table".to_string(),
        e => e.to_string(),
    }
}

fn found_name(f: &str) -> String {
    let (kind, value) = match f.split_once(' ') {
        Some((k, v)) => (k, Some(v)),
        None => (f, None),
    };
    let value = value.map(|v| v.trim_matches('`'));
    let kind_name = match kind {
        "integer" => "an integer",
        "string" => "a string",
        "boolean" => "a boolean",
        "floating" => {
            return format!(
                "a float{}",
                value
                    .and_then(|v| v.strip_prefix("point "))
                    .map(|v| format!(" ({})", v.trim_matches('`')))
                    .unwrap_or_default()
            )
        }
        "sequence" => "an array",
        "map" => "a table",
        _ => return f.to_string(),
    };
    match value {
        Some(v) => format!("{kind_name} ({v})"),
        None => kind_name.to_string(),
    }
}

/// The expected key a mistyped one most likely meant.
fn closest<'a>(key: &str, expected: &'a [String]) -> Option<&'a str> {
    expected
        .iter()
        .map(|e| (distance(key, e), e))
        .filter(|(d, e)| *d <= 2 || (key.len() >= 4 && e.starts_with(key)))
        .min_by_key(|(d, _)| *d)
        .map(|(_, e)| e.as_str())
}

/// Levenshtein distance over characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// "`foo`, expected one of `a`, `b`" -> ("foo", "expected one of `a`, `b`")
fn split_first_quoted(s: &str) -> (String, String) {
    let s = s.trim_start();
    if let Some(body) = s.strip_prefix('`') {
        if let Some(end) = body.find('`') {
            return (body[..end].to_string(), body[end + 1..].to_string());
        }
    }
    (s.to_string(), String::new())
}

fn quoted_list(s: &str) -> Vec<String> {
    s.split('`')
        .skip(1)
        .step_by(2)
        .map(|k| k.to_string())
        .collect()
}

/// Names the table that takes exactly these keys; between look-alikes (`[target]` and
/// `[source]`) the nearest header decides.
fn table_of(keys: &[String], text: &str, offset: usize) -> String {
    let header = header_at(text, offset);
    let found = TABLES
        .iter()
        .find(|(_, k)| k.len() == keys.len() && keys.iter().all(|key| k.contains(&key.as_str())))
        .map(|(name, _)| *name);
    match found {
        Some("[target]") if header.as_deref() == Some("[source]") => "[source]".to_string(),
        Some(name) => name.to_string(),
        None => header.unwrap_or_else(|| "the plan".to_string()),
    }
}

/// The nearest table header (`[target]`, `[[batch]]`) at or before an offset.
pub fn header_at(text: &str, offset: usize) -> Option<String> {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    // The line holding the offset counts: a "missing field" error points at the header.
    let line_end = text[end..]
        .find('\n')
        .map(|i| end + i)
        .unwrap_or(text.len());
    text[..line_end].lines().rev().find_map(|line| {
        let l = line.trim_start();
        if !l.starts_with('[') {
            return None;
        }
        let double = l.starts_with("[[");
        let inner = l.trim_start_matches('[');
        let close = inner.find(']')?;
        let name: String = inner[..close]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        Some(if double {
            format!("[[{name}]]")
        } else {
            format!("[{name}]")
        })
    })
}

/// The key of `key = value` whose value starts at the offset.
fn key_before(text: &str, offset: usize) -> Option<String> {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let line_start = text[..end].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line = text[line_start..end].trim_end();
    // `key = value`, or the value sits inside `key = [...]` on the same line.
    let before = match line.strip_suffix('=') {
        Some(b) => b.trim(),
        None => line.split_once('=')?.0.trim(),
    };
    // Inside an inline table or after a dotted key: take the last segment.
    let key = before
        .rsplit([',', '{', ' '])
        .next()
        .unwrap_or(before)
        .rsplit('.')
        .next()
        .unwrap_or(before)
        .trim_matches(['"', '\'']);
    (!key.is_empty()).then(|| key.to_string())
}

/// The key written at the offset (a duplicate key's span points at it).
fn key_at(text: &str, offset: usize) -> Option<String> {
    let start = offset.min(text.len());
    if !text.is_char_boundary(start) {
        return None;
    }
    let key: String = text[start..]
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    (!key.is_empty()).then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_and_guesses() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
        let keys: Vec<String> = ["name", "risk", "files", "on_failure"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(closest("on_fail", &keys), Some("on_failure"));
        assert_eq!(closest("fils", &keys), Some("files"));
        assert_eq!(closest("password", &keys), None);
    }

    #[test]
    fn headers_and_keys_around_an_offset() {
        let text = "[a]\nx = 1\n[[b.c]]\ny = [1, true]\n";
        assert_eq!(header_at(text, 5).as_deref(), Some("[a]"));
        assert_eq!(header_at(text, text.len()).as_deref(), Some("[[b.c]]"));
        assert_eq!(
            key_before(text, text.find("true").unwrap_or(0)).as_deref(),
            Some("y")
        );
        assert_eq!(key_before(text, 8).as_deref(), Some("x"));
        assert_eq!(header_at("x = 1", 2), None);
    }
}
