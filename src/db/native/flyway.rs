//! Flyway (`flyway migrate`): `flyway_schema_history`, an append-only log ranked by
//! `installed_rank`: one `SQL` row per versioned apply, one per (re-)run of a repeatable
//! (`version` NULL), `UNDO_SQL` rows for undos, a `BASELINE` row below which every
//! version counts as applied, and a `SCHEMA` row when Flyway created the schema.
//!
//! As Flyway's `JdbcTableSchemaHistory`, `SchemaHistory.addAppliedMigration` and the
//! database plugins (PostgreSQL, MySQL/MariaDB, SQLite):
//! - a version is applied when its latest row (highest rank) is a successful row that
//!   is neither an `UNDO_*` nor a `DELETE` row;
//! - `success = false` is a failed migration: Flyway refuses to migrate until `repair`,
//!   and so do we;
//! - the checksum is CRC-32 over the file's lines without their terminators (first-line
//!   BOM removed), as a signed int; a recorded checksum that differs from the file is
//!   drift (Flyway's `validate` fails the same way);
//! - a repeatable counts as applied while its latest row's checksum equals the file's;
//!   otherwise it is pending (Flyway re-runs it and appends a row);
//! - lock: PostgreSQL advisory key `0x466C79776179 + hashCode("\"schema\".\"table\"")`
//!   (Flyway takes it per transaction by default; cutover's session lock on the same key
//!   excludes it either way), MySQL `GET_LOCK('Flyway-' + hashCode("`db`.`table`"))`;
//!   SQLite none.
//!
//! `installed_by` is the operator (Flyway: its `installedBy` setting or the database
//! user). Undo rows carry an execution time of 0: the revert hook gets no duration.

use super::{bq, dq, get_int, java_hash, native_version, run, table_exists, Lock, Recorded, Val};
use crate::db::query::rows;
use crate::db::{Conn, DbError};
use crate::source::{Kind, Migration};
use crate::sql::Dialect;
use std::collections::HashMap;
use std::time::Duration;

pub(super) const TABLE: &str = "flyway_schema_history";

/// `"Flyway"` as a number: `(0x46<<40)+(0x6C<<32)+(0x79<<24)+(0x77<<16)+(0x61<<8)+0x79`.
const LOCK_MAGIC_NUM: i64 = 0x466C_7977_6179;

/// PostgreSQL: `LOCK_MAGIC_NUM + table.toString().hashCode()`, the table written
/// `"schema"."flyway_schema_history"`.
pub(super) fn pg_lock_key(schema: &str) -> i64 {
    LOCK_MAGIC_NUM + i64::from(java_hash(&format!("{}.{}", dq(schema), dq(TABLE))))
}

/// MySQL: `"Flyway-" + table.toString().hashCode()`, the table written
/// `` `db`.`flyway_schema_history` ``.
pub(super) fn mysql_lock_name(database: &str) -> String {
    format!(
        "Flyway-{}",
        java_hash(&format!("{}.{}", bq(database), bq(TABLE)))
    )
}

pub(super) async fn lock(conn: &mut Conn) -> Result<Option<Lock>, DbError> {
    Ok(match conn.dialect {
        Dialect::Sqlite => None,
        Dialect::Postgres => {
            let schema = super::current_schema(conn).await?;
            Some(Lock::Pg(vec![pg_lock_key(&schema)]))
        }
        Dialect::Mysql => {
            let db = super::database_name(conn).await?;
            Some(Lock::Mysql(vec![mysql_lock_name(&db)]))
        }
    })
}

fn ddl(d: Dialect, schema: &str) -> Vec<String> {
    match d {
        Dialect::Postgres => {
            let t = format!("{}.{}", dq(schema), dq(TABLE));
            vec![
                format!(
                    "CREATE TABLE {t} (
    \"installed_rank\" INT NOT NULL,
    \"version\" VARCHAR(50),
    \"description\" VARCHAR(200) NOT NULL,
    \"type\" VARCHAR(20) NOT NULL,
    \"script\" VARCHAR(1000) NOT NULL,
    \"checksum\" INTEGER,
    \"installed_by\" VARCHAR(100) NOT NULL,
    \"installed_on\" TIMESTAMP NOT NULL DEFAULT now(),
    \"execution_time\" INTEGER NOT NULL,
    \"success\" BOOLEAN NOT NULL
)"
                ),
                format!("ALTER TABLE {t} ADD CONSTRAINT \"flyway_schema_history_pk\" PRIMARY KEY (\"installed_rank\")"),
                format!("CREATE INDEX \"flyway_schema_history_s_idx\" ON {t} (\"success\")"),
            ]
        }
        Dialect::Mysql => {
            let t = format!("{}.{}", bq(schema), bq(TABLE));
            vec![
                format!(
                    "CREATE TABLE {t} (
    `installed_rank` INT NOT NULL,
    `version` VARCHAR(50),
    `description` VARCHAR(200) NOT NULL,
    `type` VARCHAR(20) NOT NULL,
    `script` VARCHAR(1000) NOT NULL,
    `checksum` INT,
    `installed_by` VARCHAR(100) NOT NULL,
    `installed_on` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    `execution_time` INT NOT NULL,
    `success` BOOL NOT NULL,
    CONSTRAINT `flyway_schema_history_pk` PRIMARY KEY (`installed_rank`)
) ENGINE=InnoDB"
                ),
                format!("CREATE INDEX `flyway_schema_history_s_idx` ON {t} (`success`)"),
            ]
        }
        Dialect::Sqlite => vec![
            "CREATE TABLE \"main\".\"flyway_schema_history\" (
    \"installed_rank\" INT NOT NULL PRIMARY KEY,
    \"version\" VARCHAR(50),
    \"description\" VARCHAR(200) NOT NULL,
    \"type\" VARCHAR(20) NOT NULL,
    \"script\" VARCHAR(1000) NOT NULL,
    \"checksum\" INT,
    \"installed_by\" VARCHAR(100) NOT NULL,
    \"installed_on\" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now')),
    \"execution_time\" INT NOT NULL,
    \"success\" BOOLEAN NOT NULL
)"
            .to_string(),
            "CREATE INDEX \"main\".\"flyway_schema_history_s_idx\" ON \"flyway_schema_history\" (\"success\")"
                .to_string(),
        ],
    }
}

pub(super) async fn ensure(conn: &mut Conn) -> Result<bool, DbError> {
    if table_exists(conn, TABLE).await? {
        return Ok(false);
    }
    let schema = match conn.dialect {
        Dialect::Postgres => super::current_schema(conn).await?,
        Dialect::Mysql => super::database_name(conn).await?,
        Dialect::Sqlite => "main".to_string(),
    };
    for stmt in ddl(conn.dialect, &schema) {
        super::exec(conn, "creating flyway_schema_history", &stmt).await?;
    }
    Ok(true)
}

/// A column name quoted as Flyway quotes it.
fn col(d: Dialect, name: &str) -> String {
    match d {
        Dialect::Mysql => bq(name),
        _ => dq(name),
    }
}

fn cols(d: Dialect, names: &[&str]) -> String {
    names
        .iter()
        .map(|n| col(d, n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Flyway's checksum: CRC-32 over the UTF-8 bytes of every line without its terminator
/// (`\n`, `\r\n` or `\r`, as `BufferedReader.readLine`), a BOM dropped from the first
/// line, as a signed int.
pub(super) fn checksum(text: &str) -> i32 {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut h = crc32fast::Hasher::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                h.update(&bytes[start..i]);
                i += 1;
                start = i;
            }
            b'\r' => {
                h.update(&bytes[start..i]);
                i += 1;
                if bytes.get(i) == Some(&b'\n') {
                    i += 1;
                }
                start = i;
            }
            _ => i += 1,
        }
    }
    h.update(&bytes[start..]);
    h.finalize() as i32
}

/// Flyway's version identity: numeric parts, leading zeros and trailing `.0` parts do
/// not count (`1.0` = `1`, `1.01` = `1.1`).
pub(super) fn version_key(v: &str) -> Vec<String> {
    let mut parts: Vec<String> = v
        .split(['.', '_'])
        .map(|p| {
            let t = p.trim_start_matches('0');
            if t.is_empty() {
                "0".to_string()
            } else {
                t.to_string()
            }
        })
        .collect();
    while parts.len() > 1 && parts.last().is_some_and(|p| p == "0") {
        parts.pop();
    }
    parts
}

fn cmp_versions(a: &[String], b: &[String]) -> std::cmp::Ordering {
    let n = a.len().max(b.len());
    let zero = "0".to_string();
    for i in 0..n {
        let x = a.get(i).unwrap_or(&zero);
        let y = b.get(i).unwrap_or(&zero);
        let o = x.len().cmp(&y.len()).then_with(|| x.cmp(y));
        if o.is_ne() {
            return o;
        }
    }
    std::cmp::Ordering::Equal
}

/// The version text Flyway records for a versioned `m` (`1_2` written `1.2`).
fn version_of(m: &Migration) -> String {
    native_version(m).replace('_', ".")
}

fn description_of(m: &Migration) -> String {
    if m.native.description.is_empty() {
        m.name.replace('_', " ")
    } else {
        m.native.description.clone()
    }
}

fn script_of(m: &Migration) -> String {
    if m.native.script.is_empty() {
        slashed(&m.path)
    } else {
        m.native.script.clone()
    }
}

fn slashed(p: &std::path::Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn checksum_of(m: &Migration) -> i32 {
    m.native
        .flyway_checksum
        .unwrap_or_else(|| checksum(&m.up_sql))
}

/// `AbbreviationUtils.abbreviateDescription`: at most 200 characters.
fn abbreviate_description(s: &str) -> String {
    if s.chars().count() <= 200 {
        return s.to_string();
    }
    let head: String = s.chars().take(197).collect();
    format!("{head}...")
}

/// `AbbreviationUtils.abbreviateScript`: at most 1000 characters.
fn abbreviate_script(s: &str) -> String {
    if s.chars().count() <= 1000 {
        return s.to_string();
    }
    let tail: String = s.chars().skip(3).take(997).collect();
    format!("...{tail}")
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

#[derive(Debug, Clone)]
struct Row {
    rank: i64,
    version: Option<String>,
    description: String,
    kind: String,
    checksum: Option<i64>,
    success: bool,
}

async fn rows(conn: &mut Conn) -> Result<Vec<Row>, DbError> {
    let d = conn.dialect;
    let sql = format!(
        "SELECT {} FROM {} ORDER BY {}",
        cols(
            d,
            &[
                "installed_rank",
                "version",
                "description",
                "type",
                "checksum",
                "success"
            ]
        ),
        conn.table(TABLE),
        col(d, "installed_rank")
    );
    rows!(conn, "reading flyway_schema_history", &sql, &[], |r| {
        Ok(Row {
            rank: get_int!(r, 0)?.unwrap_or_default(),
            version: r.try_get::<Option<String>, _>(1)?,
            description: r.try_get::<Option<String>, _>(2)?.unwrap_or_default(),
            kind: r.try_get::<Option<String>, _>(3)?.unwrap_or_default(),
            checksum: get_int!(r, 4)?,
            success: get_int!(r, 5)?.unwrap_or_default() != 0,
        })
    })
}

fn undone(kind: &str) -> bool {
    kind.starts_with("UNDO") || kind == "DELETE"
}

pub(super) async fn recorded(
    conn: &mut Conn,
    migrations: &[Migration],
) -> Result<Recorded, DbError> {
    let rows = rows(conn).await?;
    Ok(map_rows(&rows, migrations))
}

fn map_rows(rows: &[Row], migrations: &[Migration]) -> Recorded {
    let mut rec = Recorded::default();
    // The latest row per version, and per repeatable description.
    let mut latest: HashMap<Vec<String>, &Row> = HashMap::new();
    let mut latest_repeatable: HashMap<&str, &Row> = HashMap::new();
    let mut baseline: Option<Vec<String>> = None;
    for r in rows {
        if r.kind == "SCHEMA" {
            continue;
        }
        match &r.version {
            Some(v) => {
                let k = version_key(v);
                if r.kind == "BASELINE"
                    && r.success
                    && baseline
                        .as_ref()
                        .is_none_or(|b| cmp_versions(&k, b).is_gt())
                {
                    baseline = Some(k.clone());
                }
                let e = latest.entry(k).or_insert(r);
                if r.rank >= e.rank {
                    *e = r;
                }
            }
            None => {
                let e = latest_repeatable.entry(r.description.as_str()).or_insert(r);
                if r.rank >= e.rank {
                    *e = r;
                }
            }
        }
    }
    let mut applied = Vec::new();
    let mut versions: Vec<(&Vec<String>, &&Row)> = latest.iter().collect();
    versions.sort_by_key(|(_, r)| r.rank);
    for (k, r) in versions {
        let name = r.version.clone().unwrap_or_default();
        if !r.success {
            if rec.dirty.is_none() {
                rec.dirty = Some(name);
            }
            continue;
        }
        if undone(&r.kind) {
            continue;
        }
        let file = migrations
            .iter()
            .position(|m| m.kind == Kind::Versioned && version_key(&version_of(m)) == *k);
        match file {
            Some(i) => {
                applied.push(i);
                if r.kind != "BASELINE" {
                    if let Some(c) = r.checksum {
                        let disk = checksum_of(&migrations[i]);
                        if c != i64::from(disk) {
                            rec.mismatched.push((i, c.to_string(), disk.to_string()));
                        }
                    }
                }
            }
            None if r.kind == "BASELINE" => {}
            None => {
                let below_baseline = baseline
                    .as_ref()
                    .is_some_and(|b| cmp_versions(k, b).is_le());
                if !below_baseline {
                    rec.unknown.push(name);
                }
            }
        }
    }
    // Everything up to the baseline counts as applied (Flyway ignores those files).
    if let Some(b) = &baseline {
        for (i, m) in migrations.iter().enumerate() {
            if m.kind == Kind::Versioned
                && cmp_versions(&version_key(&version_of(m)), b).is_le()
                && !applied.contains(&i)
            {
                applied.push(i);
            }
        }
    }
    let mut repeatables: Vec<&&Row> = latest_repeatable.values().collect();
    repeatables.sort_by_key(|r| r.rank);
    for r in repeatables {
        if !r.success {
            if rec.dirty.is_none() {
                rec.dirty = Some(r.description.clone());
            }
            continue;
        }
        if undone(&r.kind) {
            continue;
        }
        let file = migrations
            .iter()
            .position(|m| m.kind == Kind::Repeatable && description_of(m) == r.description);
        match file {
            // Applied while unchanged; a changed repeatable is pending, not drift.
            Some(i) => {
                if r.checksum == Some(i64::from(checksum_of(&migrations[i]))) {
                    applied.push(i);
                }
            }
            None => rec.unknown.push(format!("R__{}", r.description)),
        }
    }
    applied.sort_unstable();
    rec.applied = applied;
    rec
}

/// Appends one row with `installed_rank = max + 1`.
#[allow(clippy::too_many_arguments)]
async fn append(
    conn: &mut Conn,
    ctx: &str,
    version: Option<&str>,
    description: &str,
    kind: &str,
    script: &str,
    checksum: Option<i32>,
    installed_by: &str,
    execution_ms: i32,
) -> Result<(), DbError> {
    let d = conn.dialect;
    let max = format!(
        "SELECT COALESCE(MAX({}), 0) + 1 FROM {}",
        col(d, "installed_rank"),
        conn.table(TABLE)
    );
    let rank = super::int(conn, ctx, &max, &[]).await?.unwrap_or(1);
    let rank = i32::try_from(rank).unwrap_or(i32::MAX);
    let ins = format!(
        "INSERT INTO {} ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        conn.table(TABLE),
        cols(
            d,
            &[
                "installed_rank",
                "version",
                "description",
                "type",
                "script",
                "checksum",
                "installed_by",
                "execution_time",
                "success"
            ]
        )
    );
    let description = abbreviate_description(description);
    let script = abbreviate_script(script);
    let installed_by = truncate(installed_by, 100);
    run(
        conn,
        ctx,
        &ins,
        &[
            Val::I32(rank),
            Val::OptStr(version),
            Val::Str(&description),
            Val::Str(kind),
            Val::Str(&script),
            Val::OptI32(checksum),
            Val::Str(&installed_by),
            Val::I32(execution_ms),
            Val::Bool(true),
        ],
    )
    .await?;
    Ok(())
}

pub(super) async fn record_apply(
    conn: &mut Conn,
    m: &Migration,
    took: Duration,
    operator: &str,
) -> Result<(), DbError> {
    let version = (m.kind == Kind::Versioned).then(|| version_of(m));
    let ms = i32::try_from(took.as_millis()).unwrap_or(i32::MAX);
    append(
        conn,
        "recording in flyway_schema_history",
        version.as_deref(),
        &description_of(m),
        "SQL",
        &script_of(m),
        Some(checksum_of(m)),
        operator,
        ms,
    )
    .await
}

/// `flyway repair` realigns the applied rows of a version with the file:
/// `UPDATE t SET description = ?, type = ?, checksum = ? WHERE version = ?` (here only
/// its `SQL` rows, leaving undo rows as they are); repeatables are not repaired.
pub(super) async fn record_accept(conn: &mut Conn, m: &Migration) -> Result<(), DbError> {
    if m.kind != Kind::Versioned {
        return Ok(());
    }
    let d = conn.dialect;
    let sql = format!(
        "UPDATE {} SET {} = ?, {} = ? WHERE {} = ? AND {} = 'SQL'",
        conn.table(TABLE),
        col(d, "description"),
        col(d, "checksum"),
        col(d, "version"),
        col(d, "type")
    );
    let description = abbreviate_description(&description_of(m));
    let version = version_of(m);
    run(
        conn,
        "recording the accepted checksum in flyway_schema_history",
        &sql,
        &[
            Val::Str(&description),
            Val::I32(checksum_of(m)),
            Val::Str(&version),
        ],
    )
    .await?;
    Ok(())
}

/// The description of an undo script from its file name (`U1__drop_users.sql`).
fn undo_description(path: &std::path::Path) -> Option<String> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    let stem = name.strip_suffix(".sql").unwrap_or(&name);
    let (_, desc) = stem.split_once("__")?;
    Some(desc.replace('_', " "))
}

pub(super) async fn record_revert(
    conn: &mut Conn,
    m: &Migration,
    operator: &str,
) -> Result<(), DbError> {
    // Flyway undoes versioned migrations only; repeatables have no undo.
    if m.kind != Kind::Versioned {
        return Ok(());
    }
    let version = version_of(m);
    let (description, script) = match &m.down_path {
        Some(p) => (
            undo_description(p).unwrap_or_else(|| description_of(m)),
            slashed(p),
        ),
        None => {
            let s = script_of(m);
            let undo = match s.rsplit_once('/') {
                Some((dir, file)) => format!("{dir}/U{}", file.get(1..).unwrap_or("")),
                None => format!("U{}", s.get(1..).unwrap_or("")),
            };
            (description_of(m), undo)
        }
    };
    let sum = m.down_sql.as_deref().map(checksum);
    append(
        conn,
        "recording the undo in flyway_schema_history",
        Some(&version),
        &description,
        "UNDO_SQL",
        &script,
        sum,
        operator,
        0,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{Native, TxMode, Version};

    #[test]
    fn lock_keys_match_the_worked_examples() {
        assert_eq!(LOCK_MAGIC_NUM, 77431708279161);
        // notes: "public"."flyway_schema_history" hashCode 2125624436 -> 77433833903597
        assert_eq!(
            java_hash("\"public\".\"flyway_schema_history\""),
            2125624436
        );
        assert_eq!(pg_lock_key("public"), 77433833903597);
        // notes: `mydb`.`flyway_schema_history` -> Flyway-278632207
        assert_eq!(mysql_lock_name("mydb"), "Flyway-278632207");
    }

    #[test]
    fn checksum_ignores_line_endings_and_bom() {
        let lf = "CREATE TABLE a (id INT);\nINSERT INTO a VALUES (1);\n";
        let crlf = "CREATE TABLE a (id INT);\r\nINSERT INTO a VALUES (1);\r\n";
        let bom = "\u{feff}CREATE TABLE a (id INT);\nINSERT INTO a VALUES (1);";
        assert_eq!(checksum(lf), checksum(crlf));
        assert_eq!(checksum(lf), checksum(bom));
        // Lines are concatenated without separators.
        assert_eq!(checksum("a\nb"), checksum("ab"));
        assert_eq!(checksum("ab"), crc32fast::hash(b"ab") as i32);
        // A trailing space changes it.
        assert_ne!(checksum("a \n"), checksum("a\n"));
        // Stored signed: CRC-32 of "abc" is 0x352441c2 (positive), of "hello" 0x3610a686.
        assert_eq!(checksum("abc"), 0x352441c2);
        assert_eq!(
            checksum("The quick brown fox jumps over the lazy dog"),
            0x414fa339
        );
        assert!(checksum("x") < 0, "0x8cdc1683 is stored negative");
    }

    #[test]
    fn versions_compare_as_flyway() {
        assert_eq!(version_key("1.0"), version_key("1"));
        assert_eq!(version_key("1.01"), version_key("1.1"));
        assert_eq!(version_key("1_2"), version_key("1.2"));
        assert!(cmp_versions(&version_key("1.2.10"), &version_key("1.2.9")).is_gt());
        assert!(cmp_versions(&version_key("2"), &version_key("10")).is_lt());
    }

    #[test]
    fn abbreviations() {
        let long = "d".repeat(250);
        let a = abbreviate_description(&long);
        assert_eq!(a.chars().count(), 200);
        assert!(a.ends_with("..."));
        let long = "s".repeat(1200);
        let a = abbreviate_script(&long);
        assert_eq!(a.chars().count(), 1000);
        assert!(a.starts_with("..."));
        assert_eq!(abbreviate_description("users"), "users");
    }

    fn mig(v: &str, desc: &str, kind: Kind, sql: &str) -> Migration {
        Migration {
            version: Version::parse(v),
            name: desc.into(),
            kind,
            path: format!("V{v}__{desc}.sql").into(),
            up_sql: sql.into(),
            down_sql: None,
            down_path: None,
            verify_sql: None,
            tx: TxMode::Wrapped,
            checksum: String::new(),
            native: Native {
                version: if kind == Kind::Versioned {
                    v.into()
                } else {
                    String::new()
                },
                description: desc.into(),
                ..Native::default()
            },
        }
    }

    fn row(rank: i64, v: Option<&str>, desc: &str, kind: &str, sum: Option<i32>, ok: bool) -> Row {
        Row {
            rank,
            version: v.map(String::from),
            description: desc.into(),
            kind: kind.into(),
            checksum: sum.map(i64::from),
            success: ok,
        }
    }

    #[test]
    fn latest_row_wins_and_undo_unapplies() {
        let migs = [
            mig("1", "a", Kind::Versioned, "A"),
            mig("2", "b", Kind::Versioned, "B"),
            mig("3", "c", Kind::Versioned, "C"),
            mig("", "views", Kind::Repeatable, "V"),
        ];
        let rows = [
            row(1, Some("1"), "a", "SQL", Some(checksum("A")), true),
            row(2, Some("2"), "b", "SQL", Some(checksum("B")), true),
            row(3, Some("2"), "b", "UNDO_SQL", Some(1), true),
            row(4, Some("3"), "c", "SQL", Some(checksum("C")), true),
            row(5, None, "views", "SQL", Some(checksum("V")), true),
            row(6, Some("9"), "gone", "SQL", Some(1), true),
        ];
        let rec = map_rows(&rows, &migs);
        assert_eq!(rec.applied, [0, 2, 3]);
        assert_eq!(rec.unknown, ["9"]);
        assert!(rec.dirty.is_none());
        assert!(rec.mismatched.is_empty());
    }

    #[test]
    fn failed_rows_are_dirty_and_checksums_compare() {
        let migs = [
            mig("1", "a", Kind::Versioned, "A"),
            mig("2", "b", Kind::Versioned, "B"),
            mig("", "views", Kind::Repeatable, "V2"),
        ];
        let rows = [
            row(1, Some("1"), "a", "SQL", Some(42), true),
            row(2, Some("2"), "b", "SQL", Some(checksum("B")), false),
            row(3, None, "views", "SQL", Some(checksum("V1")), true),
        ];
        let rec = map_rows(&rows, &migs);
        assert_eq!(rec.dirty.as_deref(), Some("2"));
        assert_eq!(rec.applied, [0], "a changed repeatable is pending");
        assert_eq!(
            rec.mismatched,
            [(0, "42".to_string(), checksum("A").to_string())]
        );
    }

    #[test]
    fn baseline_covers_lower_versions() {
        let migs = [
            mig("1", "a", Kind::Versioned, "A"),
            mig("2", "b", Kind::Versioned, "B"),
            mig("3", "c", Kind::Versioned, "C"),
        ];
        let rows = [
            row(
                1,
                Some("2"),
                "<< Flyway Baseline >>",
                "BASELINE",
                None,
                true,
            ),
            row(2, Some("3"), "c", "SQL", Some(checksum("C")), true),
        ];
        let rec = map_rows(&rows, &migs);
        assert_eq!(rec.applied, [0, 1, 2]);
        assert!(rec.unknown.is_empty());
    }
}
