//! The schema as cutover compares it: normalized introspection per backend (tables,
//! columns, types, nullability, defaults, indexes, foreign keys, check constraints,
//! views, triggers, and on PostgreSQL sequences, enums and functions), its fingerprint
//! (a hash of the normalized form), the difference between two schemas, and per-table
//! statistics (row counts and order-independent checksums).
//!
//! cutover's own tables and the adopted tools' history tables are left out: applying or
//! rolling back a file changes them, and a fingerprint must say only what the files did.
//!
//! "The same schema reached by different routes gives the same fingerprint". What that
//! means here, item by item:
//! - columns are keyed by name: their order in the table does not count (ALTER TABLE
//!   ADD COLUMN appends; a fresh CREATE TABLE may list them in another order);
//! - types, defaults, view and trigger bodies are read as the backend normalizes them
//!   (PRAGMAs, `format_type`, `pg_get_viewdef`, `information_schema`); where only the
//!   text as written exists (SQLite views, triggers, expression and partial indexes), it
//!   is normalized: whitespace collapsed, case folded outside quotes;
//! - names the backend makes up count for nothing, because they differ by route: primary
//!   keys, unique constraints, foreign keys and check constraints are compared by what
//!   they say (columns, referenced table, actions, expression), never by their names
//!   (SQLite has none; PostgreSQL's `t_a_key`/`t_a_fkey` keep the old table name after a
//!   rename; MySQL numbers `t_ibfk_N` by creation order). Indexes made with CREATE INDEX
//!   keep their names: a person chose them, and a down script drops them by name.
//!
//! Where things live: `sqlite`, `postgres` and `mysql` read one backend each; `normalize`
//! folds SQL text; `diff` compares two schemas; `stats` counts and checksums rows.

mod diff;
mod mysql;
mod normalize;
mod postgres;
mod sqlite;
mod stats;

pub use diff::{diff, Change, Op, SchemaDiff};
pub use normalize::normalize_sql;
pub(crate) use stats::fold_decimal;
pub use stats::{table_stat, table_stats};

use super::{Conn, DbError};
use crate::sql::Dialect;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Bumped whenever the normalized form changes meaning, so fingerprints taken by an
/// older cutover never match by accident (they are hashed with their version).
pub const FORMAT_VERSION: u32 = 1;

/// A normalized schema. Equal schemas, however they were reached, are equal values.
/// Every map is ordered by name, so the serialization is canonical.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    /// `sqlite`, `postgres` or `mysql`: a schema is only ever compared within a backend.
    #[serde(default)]
    pub backend: String,
    #[serde(default)]
    pub tables: BTreeMap<String, Table>,
    /// View name -> normalized definition.
    #[serde(default)]
    pub views: BTreeMap<String, String>,
    #[serde(default)]
    pub triggers: BTreeMap<String, Trigger>,
    /// PostgreSQL only.
    #[serde(default)]
    pub sequences: BTreeMap<String, Sequence>,
    /// PostgreSQL only: enum type -> labels in their order.
    #[serde(default)]
    pub enums: BTreeMap<String, Vec<String>>,
    /// PostgreSQL only: `name(identity arguments)` -> what it returns and its body's hash.
    #[serde(default)]
    pub functions: BTreeMap<String, Function>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// Column name -> column (order in the table does not count: see the module comment).
    #[serde(default)]
    pub columns: BTreeMap<String, Column>,
    /// The primary key's columns in key order (empty: none).
    #[serde(default)]
    pub primary_key: Vec<String>,
    /// Unique constraints (not CREATE UNIQUE INDEX), each its columns in order; sorted.
    #[serde(default)]
    pub uniques: Vec<Vec<String>>,
    /// Indexes made by CREATE INDEX, by name.
    #[serde(default)]
    pub indexes: BTreeMap<String, Index>,
    /// Sorted.
    #[serde(default)]
    pub foreign_keys: Vec<ForeignKey>,
    /// Normalized check expressions, sorted (SQLite: not read; see `sqlite.rs`).
    #[serde(default)]
    pub checks: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    /// The type as the backend normalizes it (`integer`, `character varying(80)`,
    /// `varchar(80)`; SQLite: the declared type, case and spaces folded).
    pub data_type: String,
    pub nullable: bool,
    /// The default expression as the backend reports it, normalized; None: no default.
    #[serde(default)]
    pub default: Option<String>,
    /// Anything else the backend says of the column that changes behaviour: identity,
    /// generated expression, `auto_increment`, `on update ...`, collation when it is not
    /// the default. Empty for most columns.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub extra: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    /// Key columns in order; an expression appears as its normalized text.
    pub columns: Vec<String>,
    pub unique: bool,
    /// The partial index's normalized WHERE predicate.
    #[serde(default)]
    pub predicate: Option<String>,
    /// The access method where it is not the backend's default (`gin`, `FULLTEXT`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub method: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ForeignKey {
    pub columns: Vec<String>,
    pub ref_table: String,
    pub ref_columns: Vec<String>,
    /// Normalized: `no action`, `restrict`, `cascade`, `set null`, `set default`.
    pub on_delete: String,
    pub on_update: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    pub table: String,
    /// The normalized definition (SQLite, PostgreSQL: the whole CREATE TRIGGER; MySQL:
    /// timing, event and body).
    pub definition: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sequence {
    pub data_type: String,
    pub start: i64,
    pub increment: i64,
    pub min: i64,
    pub max: i64,
    pub cycle: bool,
    /// The table whose column it feeds (serial, identity): it goes where the table goes.
    #[serde(default)]
    pub owner: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Function {
    /// `function returning <type>`, `procedure`, `aggregate`...
    pub returns: String,
    pub language: String,
    /// sha256 hex of the body as stored (`prosrc`).
    pub body_sha256: String,
    /// Volatility, strictness, security definer: what changes how it runs.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub attributes: String,
}

impl Schema {
    /// sha256 (hex) of the canonical serialization (JSON of the ordered maps, after the
    /// format version).
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        h.update(format!("cutover-schema-v{FORMAT_VERSION}\n"));
        // Serializing plain structs of strings and ordered maps cannot fail; should it
        // ever, the Debug form is hashed instead (still canonical: the same maps).
        match serde_json::to_vec(self) {
            Ok(bytes) => h.update(&bytes),
            Err(_) => h.update(format!("{self:?}")),
        }
        hex::encode(h.finalize())
    }

    /// The tables, by name.
    pub fn table_names(&self) -> Vec<String> {
        self.tables.keys().cloned().collect()
    }
}

/// The first 12 hex digits of a fingerprint, as people see it.
pub fn short(fingerprint: &str) -> &str {
    fingerprint.get(..12).unwrap_or(fingerprint)
}

/// One table's statistics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableStat {
    pub table: String,
    pub rows: u64,
    /// Order-independent checksum of the rows; None above the row limit.
    pub checksum: Option<String>,
}

/// The target's schema, leaving out the tables `skip` names (cutover's own and the
/// adopted tool's history tables: see `bookkeeping_tables`). Only the target's own
/// schema is read: PostgreSQL the bookkeeping schema (`Conn::schema`), MySQL the
/// current database, SQLite `main`.
pub async fn introspect(conn: &mut Conn, skip: &[String]) -> Result<Schema, DbError> {
    let mut schema = match conn.dialect {
        Dialect::Sqlite => sqlite::introspect(conn).await?,
        Dialect::Postgres => postgres::introspect(conn).await?,
        Dialect::Mysql => mysql::introspect(conn).await?,
    };
    schema.tables.retain(|name, _| !skipped(name, skip));
    schema.triggers.retain(|_, t| !skipped(&t.table, skip));
    schema
        .sequences
        .retain(|_, s| !s.owner.as_deref().is_some_and(|o| skipped(o, skip)));
    Ok(schema)
}

/// Table names compare case-insensitively: MySQL on Windows/macOS folds them, and no
/// one names two tables apart by case alone.
fn skipped(name: &str, skip: &[String]) -> bool {
    skip.iter().any(|s| s.eq_ignore_ascii_case(name))
}

/// The tables a fingerprint leaves out for a folder of `format`: cutover's own
/// (ledger, decisions, lock), the tool's history (where it lives in the target's own
/// schema), and SQLite's internal tables. The list holds every tool's table whatever the
/// format, as a target may carry the history of a tool it used before: they are
/// bookkeeping whichever folder reads the target now.
pub fn bookkeeping_tables(format: crate::source::Format) -> Vec<String> {
    use crate::source::Format;
    let mut out: Vec<String> = [
        super::ledger::HISTORY_TABLE,
        super::ledger::DECISIONS_TABLE,
        super::lock::TABLE,
        // SQLite's own.
        "sqlite_sequence",
        "sqlite_stat1",
        "sqlite_stat2",
        "sqlite_stat3",
        "sqlite_stat4",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let tools = [
        Format::Sqlx,
        Format::Diesel,
        Format::GolangMigrate,
        Format::Dbmate,
        Format::Flyway,
        Format::Sqitch,
        Format::Goose,
        Format::Drizzle,
        Format::Prisma,
    ];
    // The folder's own tool first (it is the one certainly in use), then the others.
    for f in std::iter::once(format).chain(tools) {
        for t in super::native::history_tables(f) {
            if !out.iter().any(|o| o == t) {
                out.push(t.to_string());
            }
        }
    }
    out
}
