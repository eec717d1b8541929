//! SQLite introspection, from PRAGMAs wherever one exists (columns, keys, indexes,
//! foreign keys), read for every table at once through the table-valued PRAGMA
//! functions (one query per kind, not one per table: a 200-table schema reads in
//! milliseconds). Only the text SQLite keeps is used for views, triggers and index
//! expressions/predicates, normalized (`normalize.rs`).
//!
//! Not read: CHECK constraints and generated columns' expressions, which live only in
//! the CREATE TABLE text; parsing that text would make the fingerprint depend on how the
//! table was written (ALTER TABLE ADD COLUMN appends to it). A generated column still
//! shows as one (`extra`), and a changed CHECK is a table rebuild that usually changes
//! something else too.

use super::normalize::{index_keys, index_predicate, normalize_sql};
use super::{Column, ForeignKey, Index, Schema, Table, Trigger};
use crate::db::{Conn, DbError, Inner};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;
use std::collections::BTreeMap;

const OBJECTS: &str = "SELECT type, name, tbl_name, COALESCE(sql, '') FROM main.sqlite_master \
     WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'";

const COLUMNS: &str = "SELECT m.name, p.name, p.type, p.\"notnull\", p.dflt_value, p.pk, p.hidden \
     FROM main.sqlite_master m, pragma_table_xinfo(m.name, 'main') p \
     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'";

const INDEXES: &str = "SELECT m.name, il.name, il.\"unique\", il.origin, x.seqno, x.cid, x.name, x.\"desc\", x.coll \
     FROM main.sqlite_master m, pragma_index_list(m.name, 'main') il, pragma_index_xinfo(il.name, 'main') x \
     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND x.key = 1 \
     ORDER BY m.name, il.name, x.seqno";

const FOREIGN_KEYS: &str =
    "SELECT m.name, f.id, f.seq, f.\"table\", f.\"from\", f.\"to\", f.on_update, f.on_delete \
     FROM main.sqlite_master m, pragma_foreign_key_list(m.name, 'main') f \
     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
     ORDER BY m.name, f.id, f.seq";

async fn fetch(conn: &mut Conn, sql: &str, what: &str) -> Result<Vec<SqliteRow>, DbError> {
    let res = match &mut conn.inner {
        Inner::Sqlite(c) => sqlx::query(sql).fetch_all(&mut *c).await,
        _ => return Ok(Vec::new()),
    };
    res.map_err(|e| conn.query_error(&format!("reading the schema ({what})"), e))
}

fn text(r: &SqliteRow, i: usize) -> String {
    r.try_get::<Option<String>, _>(i)
        .ok()
        .flatten()
        .unwrap_or_default()
}

fn int(r: &SqliteRow, i: usize) -> i64 {
    r.try_get::<Option<i64>, _>(i).ok().flatten().unwrap_or(0)
}

pub(super) async fn introspect(conn: &mut Conn) -> Result<Schema, DbError> {
    let mut schema = Schema {
        backend: "sqlite".into(),
        ..Schema::default()
    };
    let mut index_sql = BTreeMap::new();
    for r in fetch(conn, OBJECTS, "objects").await? {
        let (kind, name, table, sql) = (text(&r, 0), text(&r, 1), text(&r, 2), text(&r, 3));
        match kind.as_str() {
            "table" => {
                schema.tables.insert(name, Table::default());
            }
            "view" => {
                schema.views.insert(name, normalize_sql(&sql));
            }
            "trigger" => {
                let definition = normalize_sql(&sql);
                let key = format!("{table}.{name}");
                schema.triggers.insert(key, Trigger { table, definition });
            }
            "index" => {
                index_sql.insert(name, normalize_sql(&sql));
            }
            _ => {}
        }
    }
    read_columns(conn, &mut schema).await?;
    read_indexes(conn, &mut schema, &index_sql).await?;
    read_foreign_keys(conn, &mut schema).await?;
    Ok(schema)
}

async fn read_columns(conn: &mut Conn, schema: &mut Schema) -> Result<(), DbError> {
    let mut pks: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
    for r in fetch(conn, COLUMNS, "columns").await? {
        let (table, name) = (text(&r, 0), text(&r, 1));
        let extra = match int(&r, 6) {
            2 => "generated virtual",
            3 => "generated stored",
            _ => "",
        };
        let column = Column {
            data_type: normalize_sql(&text(&r, 2)),
            nullable: int(&r, 3) == 0,
            default: r
                .try_get::<Option<String>, _>(4)
                .ok()
                .flatten()
                .map(|d| normalize_sql(&d)),
            extra: extra.into(),
        };
        let pk = int(&r, 5);
        if pk > 0 {
            pks.entry(table.clone())
                .or_default()
                .push((pk, name.clone()));
        }
        if let Some(t) = schema.tables.get_mut(&table) {
            t.columns.insert(name, column);
        }
    }
    for (table, mut cols) in pks {
        cols.sort();
        if let Some(t) = schema.tables.get_mut(&table) {
            t.primary_key = cols.into_iter().map(|(_, c)| c).collect();
        }
    }
    Ok(())
}

/// One index as the PRAGMAs give it, before it is sorted into the table.
struct RawIndex {
    table: String,
    unique: bool,
    origin: String,
    /// (cid, column name, desc, collation) per key column, in order.
    keys: Vec<(i64, String, bool, String)>,
}

async fn read_indexes(
    conn: &mut Conn,
    schema: &mut Schema,
    index_sql: &BTreeMap<String, String>,
) -> Result<(), DbError> {
    let mut raw: BTreeMap<String, RawIndex> = BTreeMap::new();
    for r in fetch(conn, INDEXES, "indexes").await? {
        let entry = raw.entry(text(&r, 1)).or_insert_with(|| RawIndex {
            table: text(&r, 0),
            unique: int(&r, 2) == 1,
            origin: text(&r, 3),
            keys: Vec::new(),
        });
        entry
            .keys
            .push((int(&r, 5), text(&r, 6), int(&r, 7) == 1, text(&r, 8)));
    }
    for (name, ix) in raw {
        let Some(t) = schema.tables.get_mut(&ix.table) else {
            continue;
        };
        match ix.origin.as_str() {
            // The primary key is read from the columns.
            "pk" => {}
            // A UNIQUE constraint: its auto-generated name depends on where it stood in
            // the CREATE TABLE, so only its columns count.
            "u" => {
                t.uniques
                    .push(ix.keys.iter().map(|k| k.1.clone()).collect());
                t.uniques.sort();
            }
            _ => {
                let sql = index_sql.get(&name).map(String::as_str).unwrap_or("");
                let written = index_keys(sql);
                let columns = ix
                    .keys
                    .iter()
                    .enumerate()
                    .map(|(i, (cid, col, desc, coll))| {
                        if *cid < 0 {
                            // An expression: only the text says what it is.
                            return written.get(i).cloned().unwrap_or_else(|| "?".into());
                        }
                        let mut k = col.clone();
                        if *desc {
                            k.push_str(" desc");
                        }
                        if !coll.eq_ignore_ascii_case("binary") {
                            k.push_str(&format!(" collate {}", coll.to_ascii_lowercase()));
                        }
                        k
                    })
                    .collect();
                let index = Index {
                    columns,
                    unique: ix.unique,
                    predicate: index_predicate(sql),
                    method: String::new(),
                };
                t.indexes.insert(name, index);
            }
        }
    }
    Ok(())
}

async fn read_foreign_keys(conn: &mut Conn, schema: &mut Schema) -> Result<(), DbError> {
    let mut fks: BTreeMap<(String, i64), ForeignKey> = BTreeMap::new();
    for r in fetch(conn, FOREIGN_KEYS, "foreign keys").await? {
        let fk = fks
            .entry((text(&r, 0), int(&r, 1)))
            .or_insert_with(|| ForeignKey {
                ref_table: text(&r, 3),
                on_update: text(&r, 6).to_ascii_lowercase(),
                on_delete: text(&r, 7).to_ascii_lowercase(),
                ..ForeignKey::default()
            });
        fk.columns.push(text(&r, 4));
        fk.ref_columns.push(text(&r, 5));
    }
    for ((table, _), mut fk) in fks {
        // `REFERENCES parent` without columns means the parent's primary key: say so,
        // so that it equals the same key written out.
        if fk.ref_columns.iter().all(String::is_empty) {
            if let Some(parent) = schema
                .tables
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(&fk.ref_table))
            {
                fk.ref_columns = parent.1.primary_key.clone();
            }
        }
        if let Some(t) = schema.tables.get_mut(&table) {
            t.foreign_keys.push(fk);
            t.foreign_keys.sort();
        }
    }
    Ok(())
}
