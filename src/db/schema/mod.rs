//! The schema as cutover compares it: normalized introspection per backend (tables,
//! columns, types, nullability, defaults, indexes, foreign keys, views, triggers, and on
//! PostgreSQL sequences, enums and functions), its fingerprint (a hash of the normalized
//! form), the difference between two schemas, and per-table statistics (row counts and
//! order-independent checksums).
//!
//! cutover's own tables and the adopted tools' history tables are left out: applying or
//! rolling back a file changes them, and a fingerprint must say only what the files did.
//!
//! CONTRACT (being filled in): the signatures below are what checkpoints, rollback,
//! dry runs and rehearsals build on.

use super::{Conn, DbError};
use serde::{Deserialize, Serialize};

/// A normalized schema. Equal schemas, however they were reached, are equal values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {}

impl Schema {
    /// sha256 (hex) of the normalized schema.
    pub fn fingerprint(&self) -> String {
        todo!("contract: schema fingerprint")
    }

    /// The tables, by name.
    pub fn table_names(&self) -> Vec<String> {
        todo!("contract: schema tables")
    }
}

/// What changed from one schema to another, item by item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaDiff {}

impl SchemaDiff {
    pub fn is_empty(&self) -> bool {
        todo!("contract: diff is_empty")
    }

    /// One line per difference, for people: `+ table orders`, `- column users.email`,
    /// `~ column users.name: text -> varchar(80)`.
    pub fn lines(&self) -> Vec<String> {
        todo!("contract: diff lines")
    }
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
/// adopted tool's history tables: see `bookkeeping_tables`).
pub async fn introspect(_conn: &mut Conn, _skip: &[String]) -> Result<Schema, DbError> {
    todo!("contract: introspect")
}

/// The tables a fingerprint leaves out for a folder of `format`.
pub fn bookkeeping_tables(_format: crate::source::Format) -> Vec<String> {
    todo!("contract: bookkeeping tables")
}

pub fn diff(_before: &Schema, _after: &Schema) -> SchemaDiff {
    todo!("contract: diff")
}

/// Row counts and checksums of every table of `schema`, streamed (memory stays flat);
/// tables above `checksum_row_limit` rows get a count only.
pub async fn table_stats(
    _conn: &mut Conn,
    _schema: &Schema,
    _checksum_row_limit: u64,
) -> Result<Vec<TableStat>, DbError> {
    todo!("contract: table stats")
}
