//! Validation checks: what "validate before progression" means. Kinds (DESIGN.md,
//! "Checks"): `schema`, `row_count`, `checksum`, `orphans`, `not_null`, `sql`,
//! `integrity`, and a folder's own verify scripts (Sqitch `verify/`) as `verify`.
//!
//! A check never fails the program: a missing table or column, a `sql` check whose query
//! errors, an unreachable source each become a finding, and the other checks still run.
//!
//! Where things live: `spec` turns a plan's `[[batch.check]]` into a `Check`; one file
//! per kind runs it; `defaults` are the checks every database gets without configuration
//! (an orphan check per foreign key, the integrity check); `rows` reads rows of any
//! shape as text, for examples in findings.

mod checksum;
mod integrity;
mod not_null;
mod orphans;
mod row_count;
mod rows;
mod schema;
mod spec;
mod sql;
mod verify;

pub use spec::{bare, compare_of, missing, parse, Check, Compare, COMPARE_HINT, KINDS};

use crate::checkpoint::Checkpoint;
use crate::db::schema::Schema;
use crate::db::Conn;
use crate::emit::Emitter;
use crate::event::{BatchVerdict, CheckResult, Event, RowDiff, Severity};
use std::time::Instant;

/// What the checks of one run see.
pub struct Context<'a> {
    pub target: &'a mut Conn,
    /// The plan's `[source]`, connected, when the plan has one (`compare = "source"`).
    pub source: Option<&'a mut Conn>,
    /// The checkpoint taken before the batch (or file) these checks follow: what
    /// `compare = "checkpoint"` compares with. Its backup, where there is one, is where
    /// a differing checksum finds the changed keys.
    pub checkpoint: Option<&'a Checkpoint>,
    /// The plan's folder (`.cutover/` beside it): where backups and scratch copies live.
    pub base_dir: &'a std::path::Path,
    /// 1-based batch the results are attributed to.
    pub batch: Option<usize>,
    /// The file (version) the results are attributed to.
    pub file: Option<String>,
    pub em: &'a Emitter,
}

/// What one check found, before it is attributed and timed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Found {
    pub passed: bool,
    pub detail: String,
    pub rows: Vec<RowDiff>,
    /// A lower severity than the check's when it could not really judge (no checkpoint
    /// to compare with): said, but not blocking.
    pub severity: Option<Severity>,
}

impl Found {
    pub fn pass(detail: impl Into<String>) -> Found {
        Found {
            passed: true,
            detail: detail.into(),
            rows: Vec::new(),
            severity: None,
        }
    }

    pub fn fail(detail: impl Into<String>) -> Found {
        Found {
            passed: false,
            ..Found::pass(detail)
        }
    }

    /// Could not be judged: a warning whatever the check's severity.
    pub fn unjudged(detail: impl Into<String>) -> Found {
        Found {
            severity: Some(Severity::Warning),
            ..Found::fail(detail)
        }
    }
}

/// One run's view of the target: the context, and the target's schema read once (on
/// first need) for every check of the run.
pub(crate) struct Env<'c, 'a> {
    pub ctx: &'c mut Context<'a>,
    schema: Option<Schema>,
}

impl Env<'_, '_> {
    /// The target's schema (its own tables: cutover's and the tools' left out).
    pub async fn schema(&mut self) -> Result<&Schema, String> {
        if self.schema.is_none() {
            // Every tool's history table is on the list whatever the format (see
            // `bookkeeping_tables`), so the format named here does not matter.
            let skip = crate::db::schema::bookkeeping_tables(crate::source::Format::Sqlx);
            let s = crate::db::schema::introspect(self.ctx.target, &skip)
                .await
                .map_err(|e| format!("cannot read the target's schema: {e}"))?;
            self.schema = Some(s);
        }
        Ok(self.schema.get_or_insert_with(Schema::default))
    }

    /// The table as the schema spells it, or the finding that it does not exist.
    pub async fn table(&mut self, name: &str) -> Result<(String, crate::db::schema::Table), Found> {
        let schema = self.schema().await.map_err(Found::fail)?;
        lookup(schema, name).ok_or_else(|| Found::fail(format!("table {name} does not exist")))
    }
}

/// A table by name, case-insensitively (MySQL may fold names).
pub(crate) fn lookup(schema: &Schema, name: &str) -> Option<(String, crate::db::schema::Table)> {
    schema
        .tables
        .get_key_value(name)
        .or_else(|| {
            schema
                .tables
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
        })
        .map(|(k, t)| (k.clone(), t.clone()))
}

/// A column of `table` by name, case-insensitively; the finding when it is missing.
pub(crate) fn column(
    table_name: &str,
    table: &crate::db::schema::Table,
    name: &str,
) -> Result<String, Found> {
    table
        .columns
        .keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .ok_or_else(|| Found::fail(format!("column {table_name}.{name} does not exist")))
}

/// Runs `checks` in order, emitting `Event::CheckFinished` for each, and gives back
/// every result. Never fails: what goes wrong is a finding.
pub async fn run(ctx: &mut Context<'_>, checks: &[Check]) -> Vec<CheckResult> {
    run_with(ctx, checks, None).await
}

/// `run`, with the target's schema when the caller already read it.
pub(crate) async fn run_with(
    ctx: &mut Context<'_>,
    checks: &[Check],
    schema: Option<Schema>,
) -> Vec<CheckResult> {
    let mut env = Env { ctx, schema };
    let mut out = Vec::with_capacity(checks.len());
    for check in checks {
        let started = Instant::now();
        let found = one(&mut env, check).await;
        let result = CheckResult {
            batch: env.ctx.batch,
            file: env.ctx.file.clone(),
            check: check.name.clone(),
            kind: check.kind().to_string(),
            table: check.table().map(str::to_string),
            severity: found.severity.unwrap_or(check.severity),
            passed: found.passed,
            detail: found.detail,
            rows: found.rows,
            elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        };
        env.ctx
            .em
            .emit(Event::CheckFinished(Box::new(result.clone())))
            .await;
        out.push(result);
    }
    out
}

async fn one(env: &mut Env<'_, '_>, check: &Check) -> Found {
    // A statement a check left open (a verify script's BEGIN) must not swallow the next.
    let found = match check.kind() {
        "schema" => schema::run(env, check).await,
        "row_count" => row_count::run(env, check).await,
        "checksum" => checksum::run(env, check).await,
        "orphans" => orphans::run(env, check).await,
        "not_null" => not_null::run(env, check).await,
        "sql" => sql::run(env, check).await,
        "integrity" => integrity::run(env, check).await,
        "verify" => verify::run(env, check).await,
        other => Found::fail(format!(
            "unknown check kind `{other}`; expected one of: {}",
            KINDS.join(", ")
        )),
    };
    if env.ctx.target.in_transaction().await.unwrap_or(false) {
        env.ctx.target.rollback_quietly().await;
    }
    found
}

/// The checks every database gets without configuration: an `orphans` check per foreign
/// key that introspection finds, and the `integrity` check.
pub fn defaults(schema: &Schema) -> Vec<Check> {
    defaults_for(schema, None)
}

/// The default checks that can see what a file did, when it names only `touched` tables
/// (see `tables_named`): the foreign keys from or to those tables, and the integrity of
/// those tables. Rows change only where a statement names their table: a key whose
/// tables the file never names cannot have gained an orphan (short of a trigger writing
/// elsewhere, which the batch's and `cutover validate`'s full checks still catch).
/// None: every key and the whole database.
pub fn defaults_for(schema: &Schema, touched: Option<&[String]>) -> Vec<Check> {
    let named = |t: &str| touched.is_none_or(|ts| ts.iter().any(|x| x.eq_ignore_ascii_case(t)));
    let mut out = Vec::new();
    for (table, t) in &schema.tables {
        for fk in &t.foreign_keys {
            if !named(table) && !named(&fk.ref_table) {
                continue;
            }
            let mut spec = bare("orphans");
            spec.table = Some(table.clone());
            spec.columns = fk.columns.clone();
            out.push(Check {
                name: format!(
                    "orphans {table}.{} -> {}",
                    fk.columns.join(","),
                    fk.ref_table
                ),
                severity: spec::default_severity("orphans"),
                spec,
                enforced: false,
            });
        }
    }
    let mut spec = bare("integrity");
    if let Some(ts) = touched {
        spec.tables = ts.to_vec();
        if ts.is_empty() && schema.backend == "sqlite" {
            // Nothing of the file's tables to check: the schema table itself still is.
            spec.tables.push("sqlite_schema".to_string());
        }
    }
    out.push(Check {
        name: "integrity".to_string(),
        severity: spec::default_severity("integrity"),
        spec,
        enforced: false,
    });
    out
}

/// The tables of `schema` that `sql` names (as a word, in any case, quoted or not).
pub fn tables_named(sql: &str, schema: &Schema) -> Vec<String> {
    let words: std::collections::HashSet<String> = sql
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    schema
        .tables
        .keys()
        .filter(|t| words.contains(&t.to_ascii_lowercase()))
        .cloned()
        .collect()
}

/// A folder's verify script (Sqitch `verify/`) as a check on `version`: it passes when
/// it runs without error.
pub fn verify(version: &str, sql: &str) -> Check {
    let mut spec = bare("verify");
    spec.query = Some(sql.to_string());
    Check {
        name: format!("verify {version}"),
        severity: spec::default_severity("verify"),
        spec,
        enforced: false,
    }
}

/// A batch's verdict from its checks' results.
pub fn verdict(results: &[CheckResult]) -> BatchVerdict {
    let failed = results.iter().filter(|r| !r.passed);
    let mut verdict = BatchVerdict::Passed;
    for r in failed {
        if r.severity.blocks() {
            return BatchVerdict::Failed;
        }
        verdict = BatchVerdict::Warnings;
    }
    verdict
}
