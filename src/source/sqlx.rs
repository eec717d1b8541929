//! sqlx (`sqlx migrate`): a flat folder of `<VERSION>_<DESC>.sql` ("simple") files, or
//! `<VERSION>_<DESC>.up.sql` / `.down.sql` pairs ("reversible").
//!
//! As sqlx-core's `resolve_blocking`: the name is split at the first `_`; names without
//! `_` or not ending in `.sql` are ignored; the part before `_` must parse as an integer
//! (sqlx fails otherwise, so do we). sqlx documents versions as > 0 but its parser
//! accepts 0 (its own test folders use `0_vacuum.sql`), so we accept it too. DESC with `_` read as a
//! space is the description sqlx stores; the checksum it stores is SHA-384 of the file.
//! A file starting with `-- no-transaction` runs outside a transaction.
//!
//! sqlx does not enforce pairs: an `.up.sql` without `.down.sql` runs (it has no down);
//! a `.down.sql` without any up of its version is an error here (it can never run).

use std::path::Path;

use sha2::{Digest, Sha384};

use super::files::{self, Entry};
use super::{Migration, Native, SourceError, TxMode, Version};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Type {
    Simple,
    Up,
    Down,
}

struct File {
    entry: Entry,
    raw_version: String,
    version: i64,
    desc: String,
    ty: Type,
}

/// Parses one file name; `Ok(None)` for files sqlx ignores.
fn parse_name(entry: &Entry) -> Result<Option<File>, SourceError> {
    let Some((ver, rest)) = entry.name.split_once('_') else {
        return Ok(None);
    };
    if !rest.ends_with(".sql") {
        return Ok(None);
    }
    let invalid = |what: String| SourceError::Invalid {
        path: entry.path.clone(),
        what,
    };
    let digits = !ver.is_empty() && ver.bytes().all(|b| b.is_ascii_digit());
    let version: i64 = match ver.parse() {
        Ok(v) if digits => v,
        // sqlx's own parser fails on it too; say which limit rather than "not an integer".
        Err(_) if digits => {
            return Err(invalid(format!(
                "version {ver} is larger than sqlx's limit (a signed 64-bit integer, at most {})\n  hint: renumber the file with a smaller version, e.g. a 14-digit timestamp",
                i64::MAX
            )))
        }
        _ => {
            return Err(invalid(format!(
                "sqlx expects an integer version before the first `_` (e.g. `20220101000000_create_users.sql`), found `{ver}`\n  hint: rename the file, or move it out of the migrations folder"
            )))
        }
    };
    let (ty, stem) = if let Some(s) = rest.strip_suffix(".up.sql") {
        (Type::Up, s)
    } else if let Some(s) = rest.strip_suffix(".down.sql") {
        (Type::Down, s)
    } else {
        (Type::Simple, &rest[..rest.len() - ".sql".len()])
    };
    Ok(Some(File {
        entry: entry.clone(),
        raw_version: ver.to_string(),
        version,
        desc: stem.to_string(),
        ty,
    }))
}

pub(crate) fn read(dir: &Path) -> Result<Vec<Migration>, SourceError> {
    let mut ups = Vec::new();
    let mut downs = Vec::new();
    for entry in files::list(dir)? {
        if !entry.is_file || files::ignored(&entry.name) {
            continue;
        }
        if let Some(file) = parse_name(&entry)? {
            if file.ty == Type::Down {
                downs.push(file);
            } else {
                ups.push(file);
            }
        }
    }

    let mut migrations = Vec::with_capacity(ups.len());
    for file in ups {
        let bytes = files::read_bytes(&file.entry.path)?;
        let sqlx_checksum = Sha384::digest(&bytes).to_vec();
        let sql = files::utf8(&file.entry.path, bytes)?;
        let tx = files::no_transaction_marker(&sql).unwrap_or(TxMode::Wrapped);
        let native = Native {
            version: file.version.to_string(),
            description: file.desc.replace('_', " "),
            sqlx_checksum: Some(sqlx_checksum),
            ..Native::default()
        };
        migrations.push(files::migration(
            Version::parse(&file.raw_version),
            file.desc.clone(),
            files::relative(dir, &file.entry.path),
            sql,
            tx,
            native,
        ));
    }
    files::sort_and_check(dir, &mut migrations)?;

    let downs = downs
        .into_iter()
        .map(|d| files::Down {
            raw_version: d.raw_version,
            name: d.desc,
            path: d.entry.path,
        })
        .collect();
    files::attach_downs(dir, &mut migrations, downs)?;
    Ok(migrations)
}

/// True when the name is one sqlx would read (for detection): `<digits>_<...>.sql`.
pub(crate) fn looks_like(name: &str) -> bool {
    match name.split_once('_') {
        Some((ver, rest)) => {
            !ver.is_empty() && ver.bytes().all(|b| b.is_ascii_digit()) && rest.ends_with(".sql")
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn simple_and_reversible() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        fs::write(
            d.join("10_add_email.sql"),
            "ALTER TABLE users ADD email TEXT;\n",
        )
        .expect("w");
        fs::write(
            d.join("2_create_users.up.sql"),
            "CREATE TABLE users (id INT);\n",
        )
        .expect("w");
        fs::write(d.join("2_create_users.down.sql"), "DROP TABLE users;\n").expect("w");
        fs::write(d.join("README.md"), "notes").expect("w");
        fs::write(d.join("seed.sql"), "-- no underscore: ignored").expect("w");
        let ms = read(d).expect("read");
        assert_eq!(ms.len(), 2);
        assert_eq!(ms[0].version.as_str(), "2");
        assert_eq!(ms[0].name, "create_users");
        assert_eq!(ms[0].native.description, "create users");
        assert_eq!(ms[0].down_sql.as_deref(), Some("DROP TABLE users;\n"));
        assert_eq!(ms[1].version.as_str(), "10");
        assert!(ms[1].down_sql.is_none());
    }

    #[test]
    fn bad_version_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("v1_init.sql"), "").expect("w");
        let err = read(dir.path()).expect_err("must fail");
        assert!(err.to_string().contains("v1_init.sql"), "{err}");
        // Version 0 is what sqlx's own parser accepts (and its test folders use).
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("0_init.sql"), "").expect("w");
        assert_eq!(read(dir.path()).expect("0 is a version").len(), 1);
    }

    #[test]
    fn orphan_down() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("3_x.down.sql"), "").expect("w");
        let err = read(dir.path()).expect_err("must fail");
        let msg = err.to_string();
        assert!(
            msg.contains("3_x.down.sql") && msg.contains("3_x.up.sql"),
            "{msg}"
        );
    }
}
