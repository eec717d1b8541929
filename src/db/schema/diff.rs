//! What changed from one schema to another, item by item: tables and columns added,
//! altered (saying what changed) and dropped, then every other item (primary keys,
//! unique constraints, indexes, foreign keys, checks, views, triggers, sequences, enums,
//! functions). Dry runs, rehearsals and rollback verification print it.

use super::{Column, ForeignKey, Index, Schema, Table};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Debug;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Added,
    Changed,
    Dropped,
}

impl Op {
    fn sign(self) -> char {
        match self {
            Op::Added => '+',
            Op::Changed => '~',
            Op::Dropped => '-',
        }
    }
}

/// One difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub op: Op,
    /// `table`, `column`, `primary key`, `unique`, `index`, `foreign key`, `check`,
    /// `view`, `trigger`, `sequence`, `enum`, `function`.
    pub kind: String,
    /// `orders`, `users.email`, `users.idx_email`, `users(email)`.
    pub name: String,
    /// For a change, what changed: `text -> varchar(80)`, `not null -> null`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// What changed from one schema to another, item by item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaDiff {
    pub changes: Vec<Change>,
}

impl SchemaDiff {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// One line per difference, for people: `+ table orders`, `- column users.email`,
    /// `~ column users.name: text -> varchar(80)`.
    pub fn lines(&self) -> Vec<String> {
        self.changes
            .iter()
            .map(|c| match &c.detail {
                Some(d) => format!("{} {} {}: {d}", c.op.sign(), c.kind, c.name),
                None => format!("{} {} {}", c.op.sign(), c.kind, c.name),
            })
            .collect()
    }

    fn push(&mut self, op: Op, kind: &str, name: String, detail: Option<String>) {
        self.changes.push(Change {
            op,
            kind: kind.to_string(),
            name,
            detail,
        });
    }

    /// Items of a map compared by key: added, dropped, and changed (described by `describe`).
    fn maps<V: PartialEq>(
        &mut self,
        kind: &str,
        prefix: &str,
        before: &BTreeMap<String, V>,
        after: &BTreeMap<String, V>,
        describe: impl Fn(&V, &V) -> Option<String>,
    ) {
        for (name, a) in after {
            match before.get(name) {
                None => self.push(Op::Added, kind, format!("{prefix}{name}"), None),
                Some(b) if b != a => {
                    self.push(Op::Changed, kind, format!("{prefix}{name}"), describe(b, a))
                }
                Some(_) => {}
            }
        }
        for name in before.keys().filter(|n| !after.contains_key(*n)) {
            self.push(Op::Dropped, kind, format!("{prefix}{name}"), None);
        }
    }

    /// Items compared as sets (constraints without names of their own).
    fn sets<V: PartialEq>(
        &mut self,
        kind: &str,
        before: &[V],
        after: &[V],
        name: impl Fn(&V) -> String,
    ) {
        for a in after.iter().filter(|a| !before.contains(a)) {
            self.push(Op::Added, kind, name(a), None);
        }
        for b in before.iter().filter(|b| !after.contains(b)) {
            self.push(Op::Dropped, kind, name(b), None);
        }
    }
}

pub fn diff(before: &Schema, after: &Schema) -> SchemaDiff {
    let mut d = SchemaDiff::default();
    for (name, a) in &after.tables {
        match before.tables.get(name) {
            None => d.push(Op::Added, "table", name.clone(), None),
            Some(b) => table(&mut d, name, b, a),
        }
    }
    for name in before.tables.keys() {
        if !after.tables.contains_key(name) {
            d.push(Op::Dropped, "table", name.clone(), None);
        }
    }
    let changed = |_: &String, _: &String| Some("definition changed".to_string());
    d.maps("view", "", &before.views, &after.views, changed);
    d.maps("trigger", "", &before.triggers, &after.triggers, |_, _| {
        Some("definition changed".into())
    });
    d.maps(
        "sequence",
        "",
        &before.sequences,
        &after.sequences,
        |b, a| {
            Some(fields(&[
                ("type", &b.data_type, &a.data_type),
                ("start", &b.start, &a.start),
                ("increment", &b.increment, &a.increment),
                ("min", &b.min, &a.min),
                ("max", &b.max, &a.max),
                ("cycle", &b.cycle, &a.cycle),
                ("owner", &b.owner, &a.owner),
            ]))
        },
    );
    d.maps("enum", "", &before.enums, &after.enums, |b, a| {
        Some(format!("{} -> {}", b.join(", "), a.join(", ")))
    });
    d.maps(
        "function",
        "",
        &before.functions,
        &after.functions,
        |b, a| {
            let body = (b.body_sha256 != a.body_sha256).then(|| "body changed".to_string());
            let rest = fields(&[
                ("returns", &b.returns, &a.returns),
                ("language", &b.language, &a.language),
                ("attributes", &b.attributes, &a.attributes),
            ]);
            Some(
                body.into_iter()
                    .chain((!rest.is_empty()).then_some(rest))
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        },
    );
    d
}

fn table(d: &mut SchemaDiff, name: &str, b: &Table, a: &Table) {
    let prefix = format!("{name}.");
    d.maps("column", &prefix, &b.columns, &a.columns, |b, a| {
        Some(column(b, a))
    });
    if b.primary_key != a.primary_key {
        let detail = format!(
            "({}) -> ({})",
            b.primary_key.join(", "),
            a.primary_key.join(", ")
        );
        d.push(Op::Changed, "primary key", name.to_string(), Some(detail));
    }
    d.sets("unique", &b.uniques, &a.uniques, |u| {
        format!("{name}({})", u.join(", "))
    });
    d.maps("index", &prefix, &b.indexes, &a.indexes, |b, a| {
        Some(format!("{} -> {}", index(b), index(a)))
    });
    d.sets("foreign key", &b.foreign_keys, &a.foreign_keys, |f| {
        foreign_key(name, f)
    });
    d.sets("check", &b.checks, &a.checks, |c| format!("{name}: {c}"));
}

fn column(b: &Column, a: &Column) -> String {
    let null = |c: &Column| if c.nullable { "null" } else { "not null" };
    let default = |c: &Column| c.default.clone().unwrap_or_else(|| "no default".into());
    let mut parts = Vec::new();
    if b.data_type != a.data_type {
        parts.push(format!("{} -> {}", b.data_type, a.data_type));
    }
    if b.nullable != a.nullable {
        parts.push(format!("{} -> {}", null(b), null(a)));
    }
    if b.default != a.default {
        parts.push(format!("default {} -> {}", default(b), default(a)));
    }
    if b.extra != a.extra {
        parts.push(format!("{:?} -> {:?}", b.extra, a.extra));
    }
    parts.join(", ")
}

fn index(i: &Index) -> String {
    let mut s = format!(
        "{}({})",
        if i.unique { "unique " } else { "" },
        i.columns.join(", ")
    );
    if !i.method.is_empty() {
        s.push_str(&format!(" using {}", i.method));
    }
    if let Some(p) = &i.predicate {
        s.push_str(&format!(" where {p}"));
    }
    s
}

fn foreign_key(table: &str, f: &ForeignKey) -> String {
    format!(
        "{table}({}) -> {}({}) on delete {} on update {}",
        f.columns.join(", "),
        f.ref_table,
        f.ref_columns.join(", "),
        f.on_delete,
        f.on_update
    )
}

/// `start 1 -> 10, cycle false -> true` for the fields that differ.
fn fields(pairs: &[(&str, &dyn Debug, &dyn Debug)]) -> String {
    pairs
        .iter()
        .filter_map(|(name, b, a)| {
            let (b, a) = (format!("{b:?}"), format!("{a:?}"));
            (b != a).then(|| format!("{name} {} -> {}", b.trim_matches('"'), a.trim_matches('"')))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(t: &str, nullable: bool) -> Column {
        Column {
            data_type: t.into(),
            nullable,
            ..Column::default()
        }
    }

    #[test]
    fn lines_name_each_change() {
        let mut before = Schema::default();
        let mut users = Table::default();
        users.columns.insert("id".into(), col("integer", false));
        users.columns.insert("name".into(), col("text", true));
        users.columns.insert("email".into(), col("text", true));
        before.tables.insert("users".into(), users.clone());
        before.tables.insert("old".into(), Table::default());
        let mut after = before.clone();
        after.tables.remove("old");
        after.tables.insert("orders".into(), Table::default());
        let u = after.tables.get_mut("users").expect("users");
        u.columns.remove("email");
        u.columns.insert("name".into(), col("varchar(80)", false));
        u.indexes.insert(
            "idx_name".into(),
            Index {
                columns: vec!["name".into()],
                ..Index::default()
            },
        );
        after.views.insert("v".into(), "select 1".into());
        let d = diff(&before, &after);
        assert_eq!(
            d.lines(),
            vec![
                "+ table orders",
                "~ column users.name: text -> varchar(80), null -> not null",
                "- column users.email",
                "+ index users.idx_name",
                "- table old",
                "+ view v",
            ]
        );
        assert!(diff(&after, &after).is_empty());
        let json = serde_json::to_value(&d).expect("json");
        assert_eq!(json["changes"][0]["op"], "added");
    }
}
