//! The plan file as written: serde structs that keep the spans of the values later
//! steps (env expansion, enum values, selectors) need to report errors at.
//!
//! Enum-like values are read as strings so their errors can list the allowed values.

use super::{BenchSpec, CheckSpec};
use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlan {
    #[serde(default)]
    pub plan: Option<RawPlanTable>,
    #[serde(default)]
    pub target: Option<Spanned<RawDb>>,
    #[serde(default)]
    pub source: Option<Spanned<RawDb>>,
    #[serde(default)]
    pub migrations: Option<RawMigrations>,
    #[serde(default)]
    pub checkpoints: Option<RawCheckpoints>,
    #[serde(default)]
    pub batch: Vec<RawBatch>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlanTable {
    #[serde(default)]
    pub name: Option<Spanned<String>>,
    #[serde(default)]
    pub theme: Option<String>,
}

/// `[target]` and `[source]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDb {
    #[serde(default)]
    pub url: Option<Spanned<String>>,
    #[serde(default)]
    pub init_sql: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMigrations {
    #[serde(default)]
    pub dir: Option<Spanned<String>>,
    #[serde(default)]
    pub format: Option<Spanned<String>>,
    #[serde(default)]
    pub pattern: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCheckpoints {
    #[serde(default)]
    pub backup: Option<Spanned<String>>,
    #[serde(default)]
    pub checksum_row_limit: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBatch {
    pub name: Spanned<String>,
    #[serde(default)]
    pub risk: Option<Spanned<String>>,
    pub files: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    pub on_failure: Option<Spanned<String>>,
    #[serde(default)]
    pub check: Vec<RawCheck>,
    #[serde(default)]
    pub bench: Vec<BenchSpec>,
}

/// `[[batch.check]]` as written: the values whose errors point at themselves are kept
/// with their spans; `build` checks them and makes the `CheckSpec`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCheck {
    pub kind: Spanned<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub table: Option<String>,
    #[serde(default)]
    pub tables: Vec<String>,
    #[serde(default)]
    pub columns: Vec<String>,
    #[serde(default)]
    pub indexes: Vec<String>,
    #[serde(default)]
    pub absent: Vec<String>,
    #[serde(default)]
    pub column: Option<String>,
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub compare: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pub query: Option<String>,
    #[serde(default)]
    pub expect: Option<toml::Value>,
    #[serde(default)]
    pub severity: Option<Spanned<String>>,
}

impl RawCheck {
    /// The check as the rest of the program reads it.
    pub fn spec(&self) -> CheckSpec {
        CheckSpec {
            kind: self.kind.get_ref().trim().to_string(),
            name: self.name.clone(),
            table: self.table.clone(),
            tables: self.tables.clone(),
            columns: self.columns.clone(),
            indexes: self.indexes.clone(),
            absent: self.absent.clone(),
            column: self.column.clone(),
            key: self.key.clone(),
            compare: self.compare.as_ref().map(|c| c.get_ref().clone()),
            query: self.query.clone(),
            expect: self.expect.clone(),
            severity: self
                .severity
                .as_ref()
                .map(|s| s.get_ref().trim().to_string()),
        }
    }
}
