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
    pub check: Vec<CheckSpec>,
    #[serde(default)]
    pub bench: Vec<BenchSpec>,
}
