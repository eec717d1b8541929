//! PostgreSQL introspection from `pg_catalog`, in the bookkeeping schema only
//! (`Conn::schema`: the URL's search_path, else current_schema()). Types, defaults,
//! view bodies, index expressions, predicates and trigger definitions come from the
//! server's own deparsers (`format_type`, `pg_get_expr`, `pg_get_viewdef`,
//! `pg_get_triggerdef`), which normalize them. Those qualify a name with its schema
//! only when the search path does not see it, so the search path is set to the target
//! schema for the reading and put back after: the same schema then reads the same
//! whatever path the session had.
//!
//! Left out: objects that belong to an extension (its functions), domains, composite
//! types, policies, grants and comments.

use super::normalize::normalize_sql;
use super::{Column, ForeignKey, Function, Index, Schema, Sequence, Trigger};
use crate::db::{Conn, DbError, Inner};
use sha2::{Digest, Sha256};
use sqlx::postgres::PgRow;
use sqlx::Row;

const COLUMNS: &str = "SELECT c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod), \
       NOT a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text, \
       CASE WHEN a.attcollation <> t.typcollation THEN co.collname::text END \
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
     JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
     JOIN pg_type t ON t.oid = a.atttypid \
     LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum \
     LEFT JOIN pg_collation co ON co.oid = a.attcollation \
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')";

const CONSTRAINTS: &str =
    "SELECT c.relname::text, con.contype::text, pg_get_constraintdef(con.oid, true), \
       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, o) \
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.o), \
       COALESCE(fr.relname::text, ''), \
       ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, o) \
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.o), \
       con.confdeltype::text, con.confupdtype::text \
     FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid \
     JOIN pg_namespace n ON n.oid = c.relnamespace \
     LEFT JOIN pg_class fr ON fr.oid = con.confrelid \
     WHERE n.nspname = $1 AND con.contype IN ('p', 'u', 'f', 'c', 'x')";

/// Indexes made by CREATE INDEX (those behind a constraint are the constraint).
const INDEXES: &str = "SELECT c.relname::text, i.relname::text, ix.indisunique, \
       ARRAY(SELECT CASE WHEN k > ix.indnkeyatts THEN 'include ' ELSE '' END \
                    || pg_get_indexdef(ix.indexrelid, k, true) \
                    || CASE WHEN k <= ix.indnkeyatts AND (ix.indoption[k - 1] & 1) = 1 THEN ' desc' ELSE '' END \
             FROM generate_series(1, ix.indnatts) k ORDER BY k), \
       pg_get_expr(ix.indpred, ix.indrelid), am.amname::text \
     FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid \
     JOIN pg_class c ON c.oid = ix.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
     JOIN pg_am am ON am.oid = i.relam \
     WHERE n.nspname = $1 AND NOT EXISTS \
       (SELECT 1 FROM pg_constraint con WHERE con.conindid = ix.indexrelid AND con.contype IN ('p', 'u', 'x'))";

const VIEWS: &str = "SELECT c.relname::text, c.relkind::text, pg_get_viewdef(c.oid, true) \
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
     WHERE n.nspname = $1 AND c.relkind IN ('v', 'm')";

const TRIGGERS: &str = "SELECT c.relname::text, t.tgname::text, pg_get_triggerdef(t.oid, true) \
     FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
     WHERE n.nspname = $1 AND NOT t.tgisinternal";

/// With the table a sequence belongs to (serial: an `a` dependency; identity: `i`).
const SEQUENCES: &str = "SELECT c.relname::text, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, \
       s.seqmin, s.seqmax, s.seqcycle, ot.relname::text \
     FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
     LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid \
       AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') \
     LEFT JOIN pg_class ot ON ot.oid = d.refobjid \
     WHERE n.nspname = $1";

const ENUMS: &str = "SELECT t.typname::text, e.enumlabel::text \
     FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace \
     WHERE n.nspname = $1 ORDER BY t.typname, e.enumsortorder";

/// An SQL-standard body (`BEGIN ATOMIC`, PostgreSQL 14+) leaves `prosrc` empty: the
/// function's whole definition stands in for it then.
const FUNCTIONS: &str = "SELECT p.proname::text || '(' || pg_get_function_identity_arguments(p.oid) || ')', \
       p.prokind::text, COALESCE(pg_get_function_result(p.oid), ''), l.lanname::text, \
       CASE WHEN p.prosrc = '' AND p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid) ELSE p.prosrc END, \
       p.provolatile::text, p.proisstrict, p.prosecdef \
     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang \
     WHERE n.nspname = $1 AND NOT EXISTS (SELECT 1 FROM pg_depend d \
       WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')";

async fn fetch(
    conn: &mut Conn,
    sql: &str,
    schema: &str,
    what: &str,
) -> Result<Vec<PgRow>, DbError> {
    let res = match &mut conn.inner {
        Inner::Postgres(c) => sqlx::query(sql).bind(schema).fetch_all(&mut *c).await,
        _ => return Ok(Vec::new()),
    };
    res.map_err(|e| conn.query_error(&format!("reading the schema ({what})"), e))
}

fn text(r: &PgRow, i: usize) -> String {
    r.try_get::<Option<String>, _>(i)
        .ok()
        .flatten()
        .unwrap_or_default()
}

fn opt(r: &PgRow, i: usize) -> Option<String> {
    r.try_get::<Option<String>, _>(i).ok().flatten()
}

fn strings(r: &PgRow, i: usize) -> Vec<String> {
    r.try_get::<Vec<String>, _>(i).unwrap_or_default()
}

fn flag(r: &PgRow, i: usize) -> bool {
    r.try_get::<Option<bool>, _>(i)
        .ok()
        .flatten()
        .unwrap_or(false)
}

fn big(r: &PgRow, i: usize) -> i64 {
    r.try_get::<Option<i64>, _>(i).ok().flatten().unwrap_or(0)
}

pub(super) async fn introspect(conn: &mut Conn) -> Result<Schema, DbError> {
    let schema_name = conn.schema().unwrap_or("public").to_string();
    let saved = conn
        .column_strings("SELECT current_setting('search_path')")
        .await
        .map_err(|f| conn.failed("reading the search path", f))?;
    let set = |path: &str| {
        format!(
            "SELECT set_config('search_path', '{}', false)",
            path.replace('\'', "''")
        )
    };
    let target_path = crate::db::names::quote_ident(conn.dialect, &schema_name);
    conn.execute(&set(&target_path))
        .await
        .map_err(|f| conn.failed("setting the search path to the target schema", f))?;
    let read = read_all(conn, &schema_name).await;
    // Put the session's path back whatever the reading did.
    let restored = match saved.first() {
        Some(p) => conn.execute(&set(p)).await.map(|_| ()),
        None => Ok(()),
    };
    let schema = read?;
    restored.map_err(|f| conn.failed("restoring the search path", f))?;
    Ok(schema)
}

async fn read_all(conn: &mut Conn, ns: &str) -> Result<Schema, DbError> {
    let mut s = Schema {
        backend: "postgres".into(),
        ..Schema::default()
    };
    for r in fetch(conn, COLUMNS, ns, "columns").await? {
        let mut extra = Vec::new();
        match text(&r, 5).as_str() {
            "a" => extra.push("identity always".to_string()),
            "d" => extra.push("identity by default".to_string()),
            _ => {}
        }
        if text(&r, 6) == "s" {
            extra.push("generated stored".to_string());
        }
        if let Some(coll) = opt(&r, 7) {
            extra.push(format!("collate {coll}"));
        }
        let column = Column {
            data_type: text(&r, 2),
            nullable: flag(&r, 3),
            default: opt(&r, 4),
            extra: extra.join(", "),
        };
        s.tables
            .entry(text(&r, 0))
            .or_default()
            .columns
            .insert(text(&r, 1), column);
    }
    read_constraints(conn, ns, &mut s).await?;
    for r in fetch(conn, INDEXES, ns, "indexes").await? {
        let method = text(&r, 5);
        let index = Index {
            columns: strings(&r, 3),
            unique: flag(&r, 2),
            predicate: opt(&r, 4),
            method: if method == "btree" {
                String::new()
            } else {
                method
            },
        };
        if let Some(t) = s.tables.get_mut(&text(&r, 0)) {
            t.indexes.insert(text(&r, 1), index);
        }
    }
    for r in fetch(conn, VIEWS, ns, "views").await? {
        let def = normalize_sql(&text(&r, 2));
        let def = if text(&r, 1) == "m" {
            format!("materialized: {def}")
        } else {
            def
        };
        s.views.insert(text(&r, 0), def);
    }
    for r in fetch(conn, TRIGGERS, ns, "triggers").await? {
        let table = text(&r, 0);
        let trigger = Trigger {
            table: table.clone(),
            definition: text(&r, 2),
        };
        s.triggers
            .insert(format!("{table}.{}", text(&r, 1)), trigger);
    }
    read_routines(conn, ns, &mut s).await?;
    Ok(s)
}

fn action(code: &str) -> String {
    match code {
        "r" => "restrict",
        "c" => "cascade",
        "n" => "set null",
        "d" => "set default",
        _ => "no action",
    }
    .to_string()
}

async fn read_constraints(conn: &mut Conn, ns: &str, s: &mut Schema) -> Result<(), DbError> {
    for r in fetch(conn, CONSTRAINTS, ns, "constraints").await? {
        let Some(t) = s.tables.get_mut(&text(&r, 0)) else {
            continue;
        };
        let columns = strings(&r, 3);
        match text(&r, 1).as_str() {
            "p" => t.primary_key = columns,
            "u" => t.uniques.push(columns),
            "f" => t.foreign_keys.push(ForeignKey {
                columns,
                ref_table: text(&r, 4),
                ref_columns: strings(&r, 5),
                on_delete: action(&text(&r, 6)),
                on_update: action(&text(&r, 7)),
            }),
            // Checks and exclusion constraints by their deparsed definition.
            _ => t.checks.push(text(&r, 2)),
        }
    }
    for t in s.tables.values_mut() {
        t.uniques.sort();
        t.foreign_keys.sort();
        t.checks.sort();
    }
    Ok(())
}

async fn read_routines(conn: &mut Conn, ns: &str, s: &mut Schema) -> Result<(), DbError> {
    for r in fetch(conn, SEQUENCES, ns, "sequences").await? {
        let seq = Sequence {
            data_type: text(&r, 1),
            start: big(&r, 2),
            increment: big(&r, 3),
            min: big(&r, 4),
            max: big(&r, 5),
            cycle: flag(&r, 6),
            owner: opt(&r, 7),
        };
        s.sequences.insert(text(&r, 0), seq);
    }
    for r in fetch(conn, ENUMS, ns, "enums").await? {
        s.enums.entry(text(&r, 0)).or_default().push(text(&r, 1));
    }
    for r in fetch(conn, FUNCTIONS, ns, "functions").await? {
        let kind = match text(&r, 1).as_str() {
            "p" => "procedure",
            "a" => "aggregate",
            "w" => "window function",
            _ => "function",
        };
        let result = text(&r, 2);
        let returns = if result.is_empty() {
            kind.to_string()
        } else {
            format!("{kind} returning {result}")
        };
        let mut attributes = vec![match text(&r, 5).as_str() {
            "i" => "immutable",
            "s" => "stable",
            _ => "volatile",
        }];
        if flag(&r, 6) {
            attributes.push("strict");
        }
        if flag(&r, 7) {
            attributes.push("security definer");
        }
        let f = Function {
            returns,
            language: text(&r, 3),
            body_sha256: hex::encode(Sha256::digest(text(&r, 4).as_bytes())),
            attributes: attributes.join(" "),
        };
        s.functions.insert(text(&r, 0), f);
    }
    Ok(())
}
