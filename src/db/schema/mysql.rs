//! MySQL/MariaDB introspection from `information_schema`, in the connection's current
//! database only. Types (`COLUMN_TYPE`), defaults and view bodies are the server's
//! normalized forms; a view body names the database in every column (`` `shop`.`t` ``),
//! which is taken out, so a scratch copy under another name reads the same.
//!
//! Names: MySQL has no CREATE INDEX that differs from a UNIQUE constraint (both are
//! indexes with names, auto-named after the first column), so every index but PRIMARY
//! is compared by name; foreign keys and checks by what they say (their generated
//! `t_ibfk_N` names depend on creation order).

use super::normalize::normalize_sql;
use super::{Column, ForeignKey, Index, Schema, Trigger};
use crate::db::{Conn, DbError, Inner};
use sqlx::mysql::MySqlRow;
use sqlx::Row;
use std::collections::BTreeMap;

const COLUMNS: &str = "SELECT CAST(c.TABLE_NAME AS CHAR), CAST(c.COLUMN_NAME AS CHAR), \
       CAST(c.COLUMN_TYPE AS CHAR), CAST(c.IS_NULLABLE AS CHAR), CAST(c.COLUMN_DEFAULT AS CHAR), \
       CAST(c.EXTRA AS CHAR), \
       CAST(CASE WHEN c.COLLATION_NAME <> t.TABLE_COLLATION THEN c.COLLATION_NAME END AS CHAR), \
       CAST(c.GENERATION_EXPRESSION AS CHAR) \
     FROM information_schema.COLUMNS c JOIN information_schema.TABLES t \
       ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME \
     WHERE c.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE'";

const INDEXES: &str = "SELECT CAST(TABLE_NAME AS CHAR), CAST(INDEX_NAME AS CHAR), NON_UNIQUE, \
       CAST(COLUMN_NAME AS CHAR), CAST(COLLATION AS CHAR), SUB_PART, CAST(INDEX_TYPE AS CHAR) \
     FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() \
     ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX";

const FOREIGN_KEYS: &str = "SELECT CAST(k.TABLE_NAME AS CHAR), CAST(k.CONSTRAINT_NAME AS CHAR), \
       CAST(k.COLUMN_NAME AS CHAR), CAST(k.REFERENCED_TABLE_NAME AS CHAR), \
       CAST(k.REFERENCED_COLUMN_NAME AS CHAR), CAST(r.DELETE_RULE AS CHAR), CAST(r.UPDATE_RULE AS CHAR) \
     FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
       ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
       AND r.TABLE_NAME = k.TABLE_NAME \
     WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL \
     ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION";

/// MariaDB's CHECK_CONSTRAINTS has TABLE_NAME (its check names are per table).
const CHECKS_MARIADB: &str = "SELECT CAST(TABLE_NAME AS CHAR), CAST(CHECK_CLAUSE AS CHAR) \
     FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()";

/// MySQL 8's has not (its check names are per database).
const CHECKS_MYSQL: &str = "SELECT CAST(tc.TABLE_NAME AS CHAR), CAST(cc.CHECK_CLAUSE AS CHAR) \
     FROM information_schema.TABLE_CONSTRAINTS tc JOIN information_schema.CHECK_CONSTRAINTS cc \
       ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME \
     WHERE tc.TABLE_SCHEMA = DATABASE() AND tc.CONSTRAINT_TYPE = 'CHECK'";

const CHECKS_HAVE_TABLE: &str = "SELECT COUNT(*) FROM information_schema.COLUMNS \
     WHERE TABLE_SCHEMA = 'information_schema' AND TABLE_NAME = 'CHECK_CONSTRAINTS' AND COLUMN_NAME = 'TABLE_NAME'";

const VIEWS: &str = "SELECT CAST(TABLE_NAME AS CHAR), CAST(VIEW_DEFINITION AS CHAR) \
     FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()";

const TRIGGERS: &str = "SELECT CAST(TRIGGER_NAME AS CHAR), CAST(EVENT_OBJECT_TABLE AS CHAR), \
       CAST(CONCAT(ACTION_TIMING, ' ', EVENT_MANIPULATION, ' for each ', ACTION_ORIENTATION, ' ', \
                   ACTION_STATEMENT) AS CHAR) \
     FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()";

async fn fetch(conn: &mut Conn, sql: &str, what: &str) -> Result<Vec<MySqlRow>, DbError> {
    let res = match &mut conn.inner {
        Inner::Mysql(c) => sqlx::query(sql).fetch_all(&mut *c).await,
        _ => return Ok(Vec::new()),
    };
    res.map_err(|e| conn.query_error(&format!("reading the schema ({what})"), e))
}

fn text(r: &MySqlRow, i: usize) -> String {
    opt(r, i).unwrap_or_default()
}

fn opt(r: &MySqlRow, i: usize) -> Option<String> {
    r.try_get::<Option<String>, _>(i).ok().flatten()
}

fn int(r: &MySqlRow, i: usize) -> Option<i64> {
    crate::db::query::get_int!(r, i).ok().flatten()
}

pub(super) async fn introspect(conn: &mut Conn) -> Result<Schema, DbError> {
    let db = conn.schema().unwrap_or_default().to_string();
    let mut s = Schema {
        backend: "mysql".into(),
        ..Schema::default()
    };
    for r in fetch(conn, COLUMNS, "columns").await? {
        let mut extra: Vec<String> = vec![text(&r, 5).to_ascii_lowercase()];
        if let Some(coll) = opt(&r, 6) {
            extra.push(format!("collate {coll}"));
        }
        if let Some(expr) = opt(&r, 7).filter(|e| !e.is_empty()) {
            extra.push(format!("as {}", normalize_sql(&expr)));
        }
        extra.retain(|e| !e.is_empty());
        let column = Column {
            data_type: text(&r, 2).to_ascii_lowercase(),
            nullable: text(&r, 3) == "YES",
            default: opt(&r, 4),
            extra: extra.join(", "),
        };
        s.tables
            .entry(text(&r, 0))
            .or_default()
            .columns
            .insert(text(&r, 1), column);
    }
    read_indexes(conn, &mut s).await?;
    read_foreign_keys(conn, &mut s).await?;
    read_checks(conn, &mut s).await?;
    let qualifier = format!("{}.", crate::db::names::bq(&db));
    for r in fetch(conn, VIEWS, "views").await? {
        let def = text(&r, 1).replace(&qualifier, "");
        s.views.insert(text(&r, 0), normalize_sql(&def));
    }
    for r in fetch(conn, TRIGGERS, "triggers").await? {
        let table = text(&r, 1);
        let trigger = Trigger {
            table: table.clone(),
            definition: normalize_sql(&text(&r, 2)),
        };
        s.triggers
            .insert(format!("{table}.{}", text(&r, 0)), trigger);
    }
    Ok(s)
}

async fn read_indexes(conn: &mut Conn, s: &mut Schema) -> Result<(), DbError> {
    for r in fetch(conn, INDEXES, "indexes").await? {
        let Some(t) = s.tables.get_mut(&text(&r, 0)) else {
            continue;
        };
        let name = text(&r, 1);
        // A functional index (MySQL 8) has no column name.
        let mut key = opt(&r, 3).unwrap_or_else(|| "?".into());
        if let Some(len) = int(&r, 5) {
            key.push_str(&format!("({len})"));
        }
        if opt(&r, 4).as_deref() == Some("D") {
            key.push_str(" desc");
        }
        if name == "PRIMARY" {
            t.primary_key.push(key);
            continue;
        }
        let method = text(&r, 6);
        let index = t.indexes.entry(name).or_insert_with(|| Index {
            unique: int(&r, 2) == Some(0),
            method: if method == "BTREE" {
                String::new()
            } else {
                method
            },
            ..Index::default()
        });
        index.columns.push(key);
    }
    Ok(())
}

async fn read_foreign_keys(conn: &mut Conn, s: &mut Schema) -> Result<(), DbError> {
    let mut fks: BTreeMap<(String, String), ForeignKey> = BTreeMap::new();
    for r in fetch(conn, FOREIGN_KEYS, "foreign keys").await? {
        let fk = fks
            .entry((text(&r, 0), text(&r, 1)))
            .or_insert_with(|| ForeignKey {
                ref_table: text(&r, 3),
                on_delete: text(&r, 5).to_ascii_lowercase(),
                on_update: text(&r, 6).to_ascii_lowercase(),
                ..ForeignKey::default()
            });
        fk.columns.push(text(&r, 2));
        fk.ref_columns.push(text(&r, 4));
    }
    for ((table, _), fk) in fks {
        if let Some(t) = s.tables.get_mut(&table) {
            t.foreign_keys.push(fk);
            t.foreign_keys.sort();
        }
    }
    Ok(())
}

async fn read_checks(conn: &mut Conn, s: &mut Schema) -> Result<(), DbError> {
    let mariadb = match &mut conn.inner {
        Inner::Mysql(c) => sqlx::query(CHECKS_HAVE_TABLE)
            .fetch_one(&mut *c)
            .await
            .ok()
            .and_then(|r| int(&r, 0))
            .is_some_and(|n| n > 0),
        _ => false,
    };
    let sql = if mariadb {
        CHECKS_MARIADB
    } else {
        CHECKS_MYSQL
    };
    // A server without CHECK_CONSTRAINTS (MySQL before 8.0.16) keeps no checks to read.
    let rows = fetch(conn, sql, "checks").await.unwrap_or_default();
    for r in rows {
        if let Some(t) = s.tables.get_mut(&text(&r, 0)) {
            t.checks.push(normalize_sql(&text(&r, 1)));
        }
    }
    for t in s.tables.values_mut() {
        t.checks.sort();
    }
    Ok(())
}
