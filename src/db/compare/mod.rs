//! Source versus target: the same table compared across two databases, also across
//! backends. Values are hashed in one canonical encoding, so equal data gives equal
//! checksums on SQLite, PostgreSQL and MySQL/MariaDB; rows are summed identically on
//! every backend. On a mismatch, key ranges are bisected (segments cut at sampled key
//! quantiles) down to the differing rows, which are listed with the columns that differ.
//! Both sides read from a consistent snapshot, at the same time, each pass on a thread
//! per side.
//!
//! Where things live: `canonical` (value classes and the Rust side of the encoding),
//! `typed` (SQLite's typed values to canonical text, fast), `sql` (each backend's
//! expressions), `reader` (one side's statements), `tally` (segment checksums),
//! `textrows` and `copyrows` (a server's columns read as they are where their text is
//! canonical), `lite` (SQLite's side, hashed in its scan by the SQL function of
//! `row_fn`), `parallel` (a thread per side), `snapshot`, `bisect` (segments and the
//! descent), `rows` (diffing small segments), `progress`.

mod bisect;
mod canonical;
mod copyrows;
mod lite;
mod parallel;
mod progress;
mod reader;
mod row_fn;
mod rows;
mod snapshot;
mod sql;
mod tally;
mod textrows;
mod typed;

use crate::db::schema::{self, Table};
use crate::db::{Conn, DbError};
use crate::emit::Emitter;
use crate::event::{RowDiff, Side};
use crate::sql::Dialect;
use canonical::{classify, combine};
use progress::Progress;
use reader::{Plan, Range, Reader, Tally};
use sql::{Col, Hasher, Native};
use std::sync::atomic::Ordering;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct CompareOptions {
    /// At most this many differing rows are listed (the count of all is still given).
    pub max_differences: usize,
    /// False: row counts only (a `row_count` check).
    pub checksum: bool,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            max_differences: 20,
            checksum: true,
        }
    }
}

/// What a comparison of one table found.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub table: String,
    pub source_rows: u64,
    pub target_rows: u64,
    /// Canonical checksums (hex), when asked for.
    pub source_checksum: Option<String>,
    pub target_checksum: Option<String>,
    pub equal: bool,
    /// The differing rows, up to `max_differences`.
    pub differences: Vec<RowDiff>,
    /// More rows differ than are listed.
    pub truncated: bool,
    /// What limited the comparison (no primary key: differing rows cannot be located).
    pub note: Option<String>,
}

/// Compares `table` on both sides. Progress streams as `Event::CompareProgress`.
pub async fn compare_table(
    source: &mut Conn,
    target: &mut Conn,
    table: &str,
    opts: &CompareOptions,
    em: &Emitter,
) -> Result<Comparison, DbError> {
    let (s_schema, t_schema) = tokio::join!(
        schema::introspect(source, &[]),
        schema::introspect(target, &[])
    );
    let (s_schema, t_schema) = (s_schema?, t_schema?);
    let s_table = find(&s_schema.tables, table);
    let t_table = find(&t_schema.tables, table);
    let (Some((s_name, s_def)), Some((t_name, t_def))) = (s_table, t_table) else {
        return one_sided(source, target, table, s_table, t_table).await;
    };
    let (plan, mut notes) = plan(source.dialect, s_def, target.dialect, t_def);
    let mut src = Reader::new(source, Side::Source, s_name);
    let mut tgt = Reader::new(target, Side::Target, t_name);
    let (s_snap, t_snap) = tokio::join!(snapshot::begin(src.conn), snapshot::begin(tgt.conn));
    let snaps = match (s_snap, t_snap) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), Ok(b)) => {
            snapshot::end(tgt.conn, &b).await;
            return Err(e);
        }
        (Ok(a), Err(e)) => {
            snapshot::end(src.conn, &a).await;
            return Err(e);
        }
        (Err(e), Err(_)) => return Err(e),
    };
    let progress = Arc::new(Progress::new(table));
    let res = run(&mut src, &mut tgt, &plan, opts, &progress, em).await;
    tokio::join!(
        snapshot::end(src.conn, &snaps.0),
        snapshot::end(tgt.conn, &snaps.1)
    );
    let mut cmp = res?;
    cmp.table = table.to_string();
    if let Some(n) = cmp.note.take() {
        notes.insert(0, n);
    }
    cmp.note = (!notes.is_empty()).then(|| notes.join("; "));
    Ok(cmp)
}

/// The table by name, exactly or else ignoring case (MySQL may fold names).
fn find<'a>(
    tables: &'a std::collections::BTreeMap<String, Table>,
    name: &str,
) -> Option<(&'a str, &'a Table)> {
    tables
        .get_key_value(name)
        .or_else(|| tables.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
        .map(|(k, v)| (k.as_str(), v))
}

/// A table missing on one side (or both): a difference, with the other side's count.
async fn one_sided(
    source: &mut Conn,
    target: &mut Conn,
    table: &str,
    s: Option<(&str, &Table)>,
    t: Option<(&str, &Table)>,
) -> Result<Comparison, DbError> {
    let source_rows = match s {
        Some((name, _)) => Reader::new(source, Side::Source, name).count().await?,
        None => 0,
    };
    let target_rows = match t {
        Some((name, _)) => Reader::new(target, Side::Target, name).count().await?,
        None => 0,
    };
    let missing = match (s, t) {
        (None, None) => format!("table {table} does not exist in the source nor in the target"),
        (None, _) => format!("table {table} does not exist in the source"),
        _ => format!("table {table} does not exist in the target"),
    };
    Ok(Comparison {
        table: table.to_string(),
        source_rows,
        target_rows,
        source_checksum: None,
        target_checksum: None,
        equal: false,
        differences: Vec::new(),
        truncated: false,
        note: Some(missing),
    })
}

/// The columns both sides have (in name order), each with its class; the key; the hash.
/// Notes say which columns only one side has, and when rows cannot be located.
fn plan(sd: Dialect, s: &Table, td: Dialect, t: &Table) -> (Plan, Vec<String>) {
    let mut notes = Vec::new();
    let mut cols = Vec::new();
    let mut only_source = Vec::new();
    for (name, sc) in &s.columns {
        let tc = t
            .columns
            .get_key_value(name)
            .or_else(|| t.columns.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)));
        match tc {
            Some((tgt_name, tc)) => {
                let (so, to) = (classify(sd, &sc.data_type), classify(td, &tc.data_type));
                let same_pg = sd == Dialect::Postgres
                    && td == Dialect::Postgres
                    && sc.data_type == tc.data_type;
                cols.push(Col {
                    name: name.clone(),
                    tgt_name: tgt_name.clone(),
                    class: combine((sd, so), (td, to)),
                    src: so,
                    tgt: to,
                    native: if same_pg {
                        sql::pg_native(&sc.data_type)
                    } else {
                        Native::Canonical
                    },
                });
            }
            None => only_source.push(name.clone()),
        }
    }
    let only_target: Vec<String> = t
        .columns
        .keys()
        .filter(|k| !s.columns.keys().any(|n| n.eq_ignore_ascii_case(k)))
        .cloned()
        .collect();
    if !only_source.is_empty() {
        notes.push(format!(
            "columns only in the source (not compared): {}",
            only_source.join(", ")
        ));
    }
    if !only_target.is_empty() {
        notes.push(format!(
            "columns only in the target (not compared): {}",
            only_target.join(", ")
        ));
    }
    let index_of = |k: &String| cols.iter().position(|c| c.name.eq_ignore_ascii_case(k));
    let key_from = |pk: &Vec<String>| -> Option<Vec<usize>> {
        if pk.is_empty() {
            return None;
        }
        pk.iter().map(index_of).collect()
    };
    let mut key = key_from(&s.primary_key)
        .or_else(|| key_from(&t.primary_key))
        .unwrap_or_default();
    // Blob keys have no literal that every backend compares alike.
    if key.iter().any(|&i| cols[i].class == canonical::Class::Blob) {
        key.clear();
    }
    if key.is_empty() {
        notes.push(
            "no usable primary key: counts and checksums only, differing rows cannot be located"
                .into(),
        );
    }
    // Same backend, PostgreSQL: the server hashes and sums (see `Hasher::PgNative`).
    let hasher = if sd == Dialect::Postgres && td == Dialect::Postgres {
        Hasher::PgNative
    } else {
        Hasher::Md5
    };
    (Plan { cols, key, hasher }, notes)
}

/// The comparison inside both snapshots.
async fn run(
    src: &mut Reader<'_>,
    tgt: &mut Reader<'_>,
    plan: &Plan,
    opts: &CompareOptions,
    progress: &Arc<Progress>,
    em: &Emitter,
) -> Result<Comparison, DbError> {
    if !opts.checksum {
        let (a, b) = tokio::join!(src.count(), tgt.count());
        let (a, b) = (a?, b?);
        return Ok(Comparison {
            table: String::new(),
            source_rows: a,
            target_rows: b,
            source_checksum: None,
            target_checksum: None,
            equal: a == b,
            differences: Vec::new(),
            truncated: false,
            note: None,
        });
    }
    let (a, b) = tokio::join!(src.estimate(), tgt.estimate());
    let (a, b) = (a?, b?);
    progress.totals[0].store(a, Ordering::Relaxed);
    progress.totals[1].store(b, Ordering::Relaxed);
    // Keys are sampled where sampling is cheapest: PostgreSQL reads only sampled pages,
    // SQLite's full key scan is fast, MySQL's has to read the clustered index.
    let rank = |d: Dialect| match d {
        Dialect::Postgres => 0,
        Dialect::Sqlite => 1,
        Dialect::Mysql => 2,
    };
    let whole = Range::default();
    let cuts = if rank(tgt.dialect()) < rank(src.dialect()) {
        bisect::cuts(tgt, plan, &whole, b, bisect::segments_for(b)).await?
    } else {
        bisect::cuts(src, plan, &whole, a, bisect::segments_for(a)).await?
    };
    let (s, t) = parallel::both(
        src.tallies(plan, &whole, &cuts, progress),
        tgt.tallies(plan, &whole, &cuts, progress),
        progress,
        em,
    )
    .await;
    let (s, t) = (s?, t?);
    let total = |v: &[Tally]| {
        let mut all = Tally::default();
        v.iter().for_each(|x| all.add(*x));
        all
    };
    let (st, tt) = (total(&s), total(&t));
    let mut cmp = Comparison {
        table: String::new(),
        source_rows: st.rows,
        target_rows: tt.rows,
        source_checksum: Some(format!("{:016x}", st.sum)),
        target_checksum: Some(format!("{:016x}", tt.sum)),
        equal: st == tt,
        differences: Vec::new(),
        truncated: false,
        note: None,
    };
    if cmp.equal || plan.key.is_empty() {
        return Ok(cmp);
    }
    let differing = bisect::split(&whole, &cuts)
        .into_iter()
        .zip(s.into_iter().zip(t))
        .filter(|(_, (a, b))| a != b)
        .map(|(range, (source, target))| bisect::Segment {
            range,
            source,
            target,
            depth: 0,
        })
        .collect();
    let found = bisect::locate(src, tgt, plan, differing, opts.max_differences, progress).await?;
    cmp.differences = found.rows;
    cmp.truncated = found.truncated;
    Ok(cmp)
}
