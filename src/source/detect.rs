//! Auto-detection of a folder's format, in an order that cannot confuse them:
//! Sqitch (a `sqitch.plan` or `sqitch.conf`) → diesel (sub-folders holding `up.sql`) →
//! dbmate (`<digits>...sql` files holding a `-- migrate:up` line) → Flyway
//! (`V1__x.sql`-style names, anywhere below) → golang-migrate (`1_x.up.sql` /
//! `1_x.down.sql`) → sqlx (`1_x.sql`, optionally with `.up.sql`/`.down.sql` pairs).
//!
//! A folder that mixes layouts the chosen tool would not read (diesel folders beside
//! flat files, dbmate files beside files without markers, Flyway names beside numbered
//! files, ...) is ambiguous: the error lists what was found and asks for
//! `format = "..."`. Pairs alone read as golang-migrate (whose tool never wraps files in a
//! transaction); pairs beside simple `1_x.sql` files, or any file starting with sqlx's
//! `-- no-transaction`, read as sqlx.

use std::path::Path;

use super::files;
use super::{dbmate, diesel, drizzle, flyway, golang_migrate, prisma, sqitch, sqlx};
use super::{Format, SourceError};

/// What the folder holds, by format.
#[derive(Debug, Default)]
struct Seen {
    diesel: Vec<String>,
    dbmate: Vec<String>,
    /// `<digits>...sql` files without a dbmate marker that are not pair files.
    unmarked: Vec<String>,
    flyway: Vec<String>,
    pairs: Vec<String>,
    /// sqlx simple files (`<digits>_x.sql`, not `.up.sql`/`.down.sql`), unmarked.
    simple: Vec<String>,
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
        let name = &entry.name;
        let is_pair = golang_migrate::looks_like(name);
        let is_numbered_sql = dbmate::looks_like(name);
        if is_numbered_sql || is_pair {
            // A file we cannot read is reported by the reader, not here.
            let text = files::read_bytes(&entry.path)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            if is_numbered_sql && dbmate::has_up_marker(&text) {
                seen.dbmate.push(name.clone());
                continue;
            }
            if text.starts_with("-- no-transaction") {
                seen.no_transaction = true;
            }
        }
        if is_pair {
            seen.pairs.push(name.clone());
        } else if is_numbered_sql {
            seen.unmarked.push(name.clone());
            if sqlx::looks_like(name) {
                seen.simple.push(name.clone());
            }
        }
    }
    seen.flyway = flyway::script_names(dir)?
        .into_iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    Ok(seen)
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
    let undetected = |why: String| SourceError::Undetected {
        path: dir.to_path_buf(),
        why,
    };
    let flat: Vec<String> = seen
        .dbmate
        .iter()
        .chain(&seen.unmarked)
        .chain(&seen.pairs)
        .chain(&seen.flyway)
        .cloned()
        .collect();

    if !seen.diesel.is_empty() {
        if !flat.is_empty() {
            return Err(undetected(format!(
                "it holds diesel migration folders ({}) and also flat migration files ({})",
                sample(&seen.diesel),
                sample(&flat)
            )));
        }
        return Ok(Format::Diesel);
    }
    if !seen.dbmate.is_empty() {
        let others: Vec<String> = seen
            .unmarked
            .iter()
            .chain(&seen.pairs)
            .chain(&seen.flyway)
            .cloned()
            .collect();
        if !others.is_empty() {
            return Err(undetected(format!(
                "{} hold dbmate `-- migrate:up` markers but {} do not",
                sample(&seen.dbmate),
                sample(&others)
            )));
        }
        return Ok(Format::Dbmate);
    }
    if !seen.flyway.is_empty() {
        let others: Vec<String> = seen.unmarked.iter().chain(&seen.pairs).cloned().collect();
        if !others.is_empty() {
            return Err(undetected(format!(
                "it holds Flyway scripts ({}) and also numbered files ({})",
                sample(&seen.flyway),
                sample(&others)
            )));
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
    if !seen.unmarked.is_empty() {
        return Err(undetected(format!(
            "numbered files ({}) match no known layout: sqlx wants `<VERSION>_<DESC>.sql`, dbmate a `-- migrate:up` line",
            sample(&seen.unmarked)
        )));
    }
    Err(undetected(
        "no migration files found (looked for sqitch.plan, diesel `<version>_<name>/up.sql` folders, dbmate `-- migrate:up` files, Flyway `V1__x.sql`, golang-migrate `1_x.up.sql`, sqlx `1_x.sql`)".to_string(),
    ))
}
