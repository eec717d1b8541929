//! A plan's `[[batch.check]]` as a typed check. The plan module already refused what is
//! malformed (unknown kind or severity, a missing field) with its line and column; `parse`
//! says the same things again without a position, for checks built elsewhere.

use crate::event::Severity;
use crate::plan::CheckSpec;

/// The kinds a plan may name (`verify` is made from a folder's own scripts, not written).
pub const KINDS: &[&str] = &[
    "schema",
    "row_count",
    "checksum",
    "orphans",
    "not_null",
    "sql",
    "integrity",
];

/// One check, ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// What people call it (the plan's `name`, or one made from kind and table).
    pub name: String,
    pub severity: Severity,
    pub(crate) spec: CheckSpec,
    /// An `orphans` check after a file the database itself held to its foreign keys:
    /// it passes without a scan (see `engine::validate::after_file`).
    pub(crate) enforced: bool,
}

/// What `compare` asks a `row_count` or `checksum` check to compare with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Compare {
    /// The checkpoint taken before the batch's first file (the window start's if none).
    Checkpoint,
    /// The plan's `[source]`.
    Source,
    /// Bounds on the count (`row_count` only).
    Bounds { min: Option<u64>, max: Option<u64> },
}

impl Check {
    pub fn kind(&self) -> &str {
        &self.spec.kind
    }

    pub fn table(&self) -> Option<&str> {
        self.spec.table.as_deref()
    }

    /// The comparison asked for; a checkpoint when none is written.
    pub fn compare(&self) -> Result<Compare, String> {
        match &self.spec.compare {
            None => Ok(Compare::Checkpoint),
            Some(v) => compare_of(v, &self.spec.kind),
        }
    }
}

/// What `compare` may say, for messages.
pub const COMPARE_HINT: &str =
    "compare takes \"checkpoint\", \"source\", or bounds { min = N, max = M } (row_count only)";

/// `compare = "checkpoint" | "source" | { min = N, max = M }`.
pub fn compare_of(v: &toml::Value, kind: &str) -> Result<Compare, String> {
    match v {
        toml::Value::String(s) if s == "checkpoint" => Ok(Compare::Checkpoint),
        toml::Value::String(s) if s == "source" => Ok(Compare::Source),
        toml::Value::String(s) => Err(format!("invalid compare `{s}`")),
        toml::Value::Table(t) if kind == "row_count" => {
            let bound = |key: &str| -> Result<Option<u64>, String> {
                match t.get(key) {
                    None => Ok(None),
                    Some(toml::Value::Integer(n)) if *n >= 0 => Ok(Some(*n as u64)),
                    Some(other) => Err(format!(
                        "compare.{key} must be a whole number of rows, not {other}"
                    )),
                }
            };
            let (min, max) = (bound("min")?, bound("max")?);
            if let Some(k) = t.keys().find(|k| *k != "min" && *k != "max") {
                return Err(format!("unknown key `{k}` in compare"));
            }
            if min.is_none() && max.is_none() {
                return Err("compare bounds name neither min nor max".to_string());
            }
            if let (Some(lo), Some(hi)) = (min, max) {
                if lo > hi {
                    return Err(format!("compare has min = {lo} above max = {hi}"));
                }
            }
            Ok(Compare::Bounds { min, max })
        }
        toml::Value::Table(_) => Err("compare bounds are for row_count checks only".to_string()),
        other => Err(format!("invalid compare {other}")),
    }
}

/// What a kind cannot run without, as a message naming the missing key; None when the
/// spec has what it needs.
pub fn missing(spec: &CheckSpec) -> Option<String> {
    let has_table = spec.table.is_some();
    let need =
        |what: &str, example: &str| Some(format!("{} check needs {what} ({example})", spec.kind));
    match spec.kind.as_str() {
        "row_count" | "checksum" if !has_table => need("table", "table = \"orders\""),
        "not_null" if !has_table => need("table", "table = \"orders\", column = \"customer_id\""),
        "not_null" if spec.column.is_none() && spec.columns.is_empty() => {
            need("column", "column = \"customer_id\"")
        }
        "sql" if spec.query.is_none() => need(
            "query",
            "query = \"SELECT id FROM orders WHERE total_cents < 0\"",
        ),
        "schema"
            if spec.tables.is_empty()
                && spec.columns.is_empty()
                && spec.indexes.is_empty()
                && spec.absent.is_empty() =>
        {
            need(
                "something to look for",
                "tables = [\"orders\"], columns = [\"total_cents\"] with table, indexes = [...] or absent = [...]",
            )
        }
        "orphans" if spec.column.is_some() && !has_table => {
            need("table with column", "table = \"orders\", column = \"customer_id\"")
        }
        _ => None,
    }
}

/// The severity a check gets when the plan names none.
pub fn default_severity(_kind: &str) -> Severity {
    // Every kind says something that should hold before the next batch starts: a missing
    // table, orphaned rows, a corrupt page or a failing verify script all block. Plans
    // lower it (`severity = "warning"`) for checks that are only informative.
    Severity::Error
}

/// The typed check for a plan entry.
pub fn parse(spec: &CheckSpec) -> Result<Check, String> {
    if !KINDS.contains(&spec.kind.as_str()) {
        return Err(format!(
            "unknown check kind `{}`; expected one of: {}",
            spec.kind,
            KINDS.join(", ")
        ));
    }
    let severity = match &spec.severity {
        Some(s) => Severity::parse(s).ok_or_else(|| {
            format!("unknown severity `{s}`; expected one of: critical, error, warning, info")
        })?,
        None => default_severity(&spec.kind),
    };
    if let Some(m) = missing(spec) {
        return Err(m);
    }
    if let Some(c) = &spec.compare {
        compare_of(c, &spec.kind).map_err(|e| format!("{e}; {COMPARE_HINT}"))?;
    }
    Ok(Check {
        name: spec.name.clone().unwrap_or_else(|| name_of(spec)),
        severity,
        spec: spec.clone(),
        enforced: false,
    })
}

/// A name made from kind and what it looks at: `row_count orders`, `not_null
/// customers.email`, `sql`.
fn name_of(spec: &CheckSpec) -> String {
    let mut name = spec.kind.clone();
    if let Some(t) = &spec.table {
        name.push(' ');
        name.push_str(t);
        let cols: Vec<&str> = spec
            .column
            .iter()
            .map(String::as_str)
            .chain(
                spec.columns
                    .iter()
                    .map(String::as_str)
                    .filter(|_| spec.kind != "schema"),
            )
            .collect();
        if !cols.is_empty() {
            name.push('.');
            name.push_str(&cols.join(","));
        }
    } else if !spec.tables.is_empty() {
        name.push(' ');
        name.push_str(&spec.tables.join(","));
    }
    if let Some(toml::Value::String(c)) = &spec.compare {
        name.push_str(&format!(" vs {c}"));
    }
    name
}

/// A spec with only a kind, for checks built in code (defaults, tests).
pub fn bare(kind: &str) -> CheckSpec {
    CheckSpec {
        kind: kind.to_string(),
        name: None,
        table: None,
        tables: Vec::new(),
        columns: Vec::new(),
        indexes: Vec::new(),
        absent: Vec::new(),
        column: None,
        key: None,
        compare: None,
        query: None,
        expect: None,
        severity: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(toml_text: &str) -> CheckSpec {
        toml::from_str(toml_text).expect("spec parses")
    }

    #[test]
    fn names_and_defaults() {
        let c = parse(&spec(
            "kind = \"not_null\"\ntable = \"customers\"\ncolumn = \"email\"",
        ))
        .expect("valid");
        assert_eq!(c.name, "not_null customers.email");
        assert_eq!(c.severity, Severity::Error);
        let c = parse(&spec(
            "kind = \"row_count\"\ntable = \"orders\"\ncompare = { min = 5 }\nseverity = \"critical\"",
        ))
        .expect("valid");
        assert_eq!(c.severity, Severity::Critical);
        assert_eq!(
            c.compare(),
            Ok(Compare::Bounds {
                min: Some(5),
                max: None
            })
        );
    }

    #[test]
    fn refuses_what_cannot_run() {
        assert!(parse(&spec("kind = \"rowcount\"")).is_err());
        assert!(parse(&spec("kind = \"row_count\"")).is_err());
        assert!(parse(&spec("kind = \"sql\"")).is_err());
        assert!(parse(&spec("kind = \"integrity\"\nseverity = \"fatal\"")).is_err());
        assert!(parse(&spec(
            "kind = \"row_count\"\ntable = \"t\"\ncompare = { min = 9, max = 2 }"
        ))
        .is_err());
        assert!(parse(&spec(
            "kind = \"checksum\"\ntable = \"t\"\ncompare = { min = 1 }"
        ))
        .is_err());
        assert!(parse(&spec(
            "kind = \"checksum\"\ntable = \"t\"\ncompare = \"backup\""
        ))
        .is_err());
    }
}
