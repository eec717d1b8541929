//! Auto-detection of a folder's format, in an order that cannot confuse them
//! (MIGRATION_FORMATS.md): Sqitch (a `sqitch.plan` or `sqitch.conf`) → diesel (sub-folders
//! holding `up.sql`) → the marker formats, goose (`-- +goose Up`) and dbmate
//! (`-- migrate:up`) → Flyway (`V1__x.sql`-style names, anywhere below) →
//! golang-migrate (`1_x.up.sql` / `1_x.down.sql`) → sqlx (`1_x.sql`, optionally with
//! `.up.sql`/`.down.sql` pairs).
//!
//! Never a guess: a folder that mixes layouts (diesel folders beside flat files, goose
//! files beside dbmate files, marked files beside unmarked ones, Flyway names beside
//! numbered files) is an error listing what was found and asking for `format = "..."`.
//! Layouts cutover does not read are refused by name: sql-migrate (`-- +migrate Up`) and
//! Ory popx (the dialect in the name, `1_x.postgres.up.sql`). After reading, `unread`
//! names the `.sql` files of the folder that the format left out: the caller refuses a
//! detected folder with such files and warns about them for a format the plan names.
//!
//! Pairs alone read as golang-migrate (whose tool never wraps files in a transaction);
//! pairs beside simple `1_x.sql` files, or any file starting with sqlx's
//! `-- no-transaction`, read as sqlx.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

use super::files;
use super::{dbmate, diesel, drizzle, flyway, golang_migrate, goose, prisma, sqitch, sqlx};
use super::{Format, Migration, SourceError};

/// popx (Ory): `<version>_<name>.<dialect>.<up|down>.sql`, the dialect in the name.
static POPX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\d+_[^.]+\.(postgres|cockroach|mysql|sqlite3?|mssql)\.(up|down)\.sql$")
        .expect("static regex")
});

/// sql-migrate's up marker (`-- +migrate Up`, as its parser compares: case-sensitive
/// command after `+migrate`).
fn has_sql_migrate_marker(text: &str) -> bool {
    text.lines().any(|l| {
        l.trim_start()
            .strip_prefix("--")
            .map(str::trim_start)
            .and_then(|r| r.strip_prefix("+migrate"))
            .is_some_and(|r| r.split_whitespace().next() == Some("Up"))
    })
}

/// What the folder holds, by format.
#[derive(Debug, Default)]
struct Seen {
    diesel: Vec<String>,
    goose: Vec<String>,
    dbmate: Vec<String>,
    sql_migrate: Vec<String>,
    popx: Vec<String>,
    /// `.sql` files without any marker that are not pair files.
    unmarked: Vec<String>,
    flyway: Vec<String>,
    pairs: Vec<String>,
    /// sqlx simple files (`<digits>_x.sql`, not `.up.sql`/`.down.sql`), unmarked.
    simple: Vec<String>,
    /// Every `.sql` file at the top of the folder.
    sql: Vec<String>,
    no_transaction: bool,
}

fn sample(names: &[String]) -> String {
    let mut s = names
        .iter()
        .take(3)
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > 3 {
        s.push_str(&format!(" and {} more", names.len() - 3));
    }
    s
}

fn scan(dir: &Path) -> Result<Seen, SourceError> {
    let mut seen = Seen::default();
    for entry in files::list(dir)? {
        if files::ignored(&entry.name) {
            continue;
        }
        if entry.is_dir {
            if diesel::is_migration_dir(&entry.name, &entry.path) {
                seen.diesel.push(format!("{}/", entry.name));
            }
            continue;
        }
        if !entry.is_file {
            continue;
        }
        let name = entry.name.clone();
        let is_sql = name.ends_with(".sql");
        let is_pair = golang_migrate::looks_like(&name);
        if is_sql {
            seen.sql.push(name.clone());
        }
        if POPX.is_match(&name) {
            seen.popx.push(name);
            continue;
        }
        if is_sql || is_pair {
            // A file we cannot read is reported by the reader, not here.
            let text = files::read_bytes(&entry.path)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            if goose::has_marker(&text) {
                seen.goose.push(name);
                continue;
            }
            if dbmate::looks_like(&name) && dbmate::has_up_marker(&text) {
                seen.dbmate.push(name);
                continue;
            }
            if has_sql_migrate_marker(&text) {
                seen.sql_migrate.push(name);
                continue;
            }
            if text.starts_with("-- no-transaction") {
                seen.no_transaction = true;
            }
        }
        if is_pair {
            seen.pairs.push(name);
        } else if is_sql {
            if sqlx::looks_like(&name) {
                seen.simple.push(name.clone());
            }
            seen.unmarked.push(name);
        }
    }
    seen.flyway = flyway::script_names(dir)?
        .into_iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    Ok(seen)
}

fn refuse(dir: &Path, why: String) -> SourceError {
    SourceError::Undetected {
        path: dir.to_path_buf(),
        why,
    }
}

/// The format of `dir`, or why it cannot be told.
pub(crate) fn detect(dir: &Path) -> Result<Format, SourceError> {
    // A drizzle journal or Prisma's lock file names the format outright, and neither
    // folder can be read file by file: checked before any file is looked at.
    if drizzle::is_project(dir) {
        return Ok(Format::Drizzle);
    }
    if prisma::is_project(dir) {
        return Ok(Format::Prisma);
    }
    if sqitch::is_project(dir) {
        return Ok(Format::Sqitch);
    }
    let seen = scan(dir)?;
    if !seen.diesel.is_empty() {
        if !seen.sql.is_empty() {
            return Err(refuse(
                dir,
                format!(
                    "it holds diesel migration folders ({}) and also flat `.sql` files ({})",
                    sample(&seen.diesel),
                    sample(&seen.sql)
                ),
            ));
        }
        return Ok(Format::Diesel);
    }
    if let Some(why) = unsupported(&seen) {
        return Err(refuse(dir, why));
    }
    let marked = [
        ("goose `-- +goose Up`", &seen.goose, Format::Goose),
        ("dbmate `-- migrate:up`", &seen.dbmate, Format::Dbmate),
    ];
    let found: Vec<_> = marked.iter().filter(|(_, v, _)| !v.is_empty()).collect();
    if found.len() > 1 {
        return Err(refuse(
            dir,
            format!(
                "{} hold {} markers but {} hold {} markers",
                sample(found[0].1),
                found[0].0,
                sample(found[1].1),
                found[1].0
            ),
        ));
    }
    if let Some((what, files, format)) = found.first() {
        let others: Vec<String> = seen.unmarked.iter().chain(&seen.pairs).cloned().collect();
        if !others.is_empty() {
            return Err(refuse(
                dir,
                format!(
                    "{} hold {what} markers but {} do not",
                    sample(files),
                    sample(&others)
                ),
            ));
        }
        return Ok(*format);
    }
    if !seen.flyway.is_empty() {
        let others: Vec<String> = seen.simple.iter().chain(&seen.pairs).cloned().collect();
        if !others.is_empty() {
            return Err(refuse(
                dir,
                format!(
                    "it holds Flyway scripts ({}) and also numbered files ({})",
                    sample(&seen.flyway),
                    sample(&others)
                ),
            ));
        }
        return Ok(Format::Flyway);
    }
    if !seen.pairs.is_empty() {
        if !seen.simple.is_empty() || seen.no_transaction {
            return Ok(Format::Sqlx);
        }
        return Ok(Format::GolangMigrate);
    }
    if !seen.simple.is_empty() {
        return Ok(Format::Sqlx);
    }
    if !seen.sql.is_empty() {
        return Err(refuse(
            dir,
            format!(
                "its `.sql` files ({}) fit no layout cutover knows: sqlx wants `<VERSION>_<DESC>.sql`, golang-migrate `<VERSION>_<title>.up.sql`, Flyway `V<VERSION>__<desc>.sql`, goose and dbmate their `-- +goose Up` / `-- migrate:up` markers",
                sample(&seen.sql)
            ),
        ));
    }
    Err(refuse(
        dir,
        "no migration files found (looked for sqitch.plan, diesel `<version>_<name>/up.sql` folders, goose `-- +goose Up` and dbmate `-- migrate:up` files, Flyway `V1__x.sql`, golang-migrate `1_x.up.sql`, sqlx `1_x.sql`)".to_string(),
    ))
}

/// Layouts that look like migrations but that cutover does not read.
fn unsupported(seen: &Seen) -> Option<String> {
    if !seen.popx.is_empty() {
        return Some(format!(
            "files such as {} name their SQL dialect, as Ory's popx does; cutover does not read popx folders (their generic and per-dialect files must be chosen per backend)",
            sample(&seen.popx)
        ));
    }
    if !seen.sql_migrate.is_empty() {
        return Some(format!(
            "{} hold sql-migrate `-- +migrate Up` markers; cutover does not read sql-migrate folders",
            sample(&seen.sql_migrate)
        ));
    }
    None
}

/// The `.sql` files at the top of `dir` that none of `migrations` reads (as up or down).
pub(crate) fn unread(dir: &Path, migrations: &[Migration]) -> Result<Vec<PathBuf>, SourceError> {
    let read: std::collections::HashSet<&Path> = migrations
        .iter()
        .flat_map(|m| std::iter::once(m.path.as_path()).chain(m.down_path.as_deref()))
        .collect();
    Ok(files::list(dir)?
        .into_iter()
        .filter(|e| e.is_file && !files::ignored(&e.name) && e.name.ends_with(".sql"))
        .map(|e| PathBuf::from(e.name))
        .filter(|p| !read.contains(p.as_path()))
        .collect())
}
