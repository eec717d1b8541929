//! `[migrations] pattern = '<regex>'`: any other flat naming scheme.
//!
//! The regex is matched against each file name in the folder (not recursively; hidden
//! files and editor leftovers are skipped; names it does not match are ignored). Named
//! groups: `version` (required), `name` (optional; the file name without its extension
//! otherwise) and `direction` (optional; `up` or `down`, any case; without it every file
//! is an up). Versions order numerically where they are digits, else naturally
//! (`Version::parse`). A file starting with `-- no-transaction` opts out of the
//! transaction. A down without an up of the same version is an error; an up without a
//! down has no down.

use std::path::Path;

use regex::Regex;

use super::files::{self, Entry};
use super::{Migration, Native, SourceError, TxMode, Version};

/// Compiles and checks a pattern.
pub(crate) fn compile(pattern: &str) -> Result<Regex, SourceError> {
    let re = Regex::new(pattern).map_err(|e| SourceError::Pattern(format!("`{pattern}`: {e}")))?;
    if !re.capture_names().any(|n| n == Some("version")) {
        return Err(SourceError::Pattern(format!(
            "`{pattern}` has no (?P<version>...) group"
        )));
    }
    Ok(re)
}

struct File {
    entry: Entry,
    version: String,
    name: String,
}

pub(crate) fn read(dir: &Path, pattern: &str) -> Result<Vec<Migration>, SourceError> {
    let re = compile(pattern)?;
    let mut ups = Vec::new();
    let mut downs = Vec::new();
    for entry in files::list(dir)? {
        if !entry.is_file || files::ignored(&entry.name) {
            continue;
        }
        let Some(caps) = re.captures(&entry.name) else {
            continue;
        };
        let version = caps.name("version").map(|m| m.as_str()).unwrap_or("");
        if version.is_empty() {
            return Err(SourceError::Invalid {
                path: entry.path.clone(),
                what: format!("the pattern matches this file but its `version` group is empty (pattern `{pattern}`)"),
            });
        }
        let up = match caps
            .name("direction")
            .map(|m| m.as_str().to_ascii_lowercase())
        {
            None => true,
            Some(d) if d == "up" => true,
            Some(d) if d == "down" => false,
            Some(d) => {
                return Err(SourceError::Invalid {
                    path: entry.path.clone(),
                    what: format!(
                    "the pattern's `direction` group matched `{d}`; it must match `up` or `down`"
                ),
                })
            }
        };
        let name = match caps.name("name") {
            Some(m) => m.as_str().to_string(),
            None => Path::new(&entry.name)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
        };
        let file = File {
            entry: entry.clone(),
            version: version.to_string(),
            name,
        };
        if up {
            ups.push(file);
        } else {
            downs.push(file);
        }
    }

    let mut migrations = Vec::with_capacity(ups.len());
    for file in ups {
        let sql = files::read_text(&file.entry.path)?;
        let tx = files::no_transaction_marker(&sql).unwrap_or(TxMode::Wrapped);
        let native = Native {
            version: file.version.clone(),
            ..Native::default()
        };
        migrations.push(files::migration(
            Version::parse(&file.version),
            file.name,
            files::relative(dir, &file.entry.path),
            sql,
            tx,
            native,
        ));
    }
    files::sort_and_check(dir, &mut migrations)?;

    let mut seen_downs: Vec<(Version, std::path::PathBuf)> = Vec::new();
    for down in downs {
        let version = Version::parse(&down.version);
        let rel = files::relative(dir, &down.entry.path);
        if let Some((v, first)) = seen_downs.iter().find(|(v, _)| v.same_key(&version)) {
            return Err(files::duplicate(dir, v, first, &version, &rel));
        }
        let Some(m) = migrations.iter_mut().find(|m| m.version.same_key(&version)) else {
            return Err(SourceError::Invalid {
                path: down.entry.path.clone(),
                what: format!(
                    "a down migration without an up migration of version {}\n  hint: add the up file, or delete the stray down file",
                    down.version
                ),
            });
        };
        m.down_sql = Some(files::read_text(&down.entry.path)?);
        m.down_path = Some(rel.clone());
        seen_downs.push((version, rel));
    }
    Ok(migrations)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn pattern_errors() {
        assert!(matches!(compile("("), Err(SourceError::Pattern(_))));
        let err = compile(r"^(?P<v>\d+)\.sql$").expect_err("no version group");
        assert!(err.to_string().contains("version"), "{err}");
    }

    #[test]
    fn dashed_names_with_directions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        fs::write(d.join("0001-create-users.up.sql"), "CREATE TABLE users();").expect("w");
        fs::write(d.join("0001-create-users.down.sql"), "DROP TABLE users;").expect("w");
        fs::write(d.join("0010-vacuum.up.sql"), "-- no-transaction\nVACUUM;").expect("w");
        fs::write(d.join("0002-seed.up.sql"), "").expect("w");
        fs::write(d.join("notes.txt"), "").expect("w");
        let ms = read(
            d,
            r"^(?P<version>\d+)-(?P<name>.+)\.(?P<direction>up|down)\.sql$",
        )
        .expect("read");
        let v: Vec<_> = ms.iter().map(|m| m.version.as_str()).collect();
        assert_eq!(v, ["0001", "0002", "0010"]);
        assert_eq!(ms[0].name, "create-users");
        assert!(ms[0].down_sql.is_some());
        assert!(matches!(ms[2].tx, TxMode::OptedOut(_)));
    }
}
