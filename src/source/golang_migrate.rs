//! golang-migrate (`migrate -path ...`): `{version}_{title}.up.{ext}` and
//! `{version}_{title}.down.{ext}`, parsed with the tool's own regex
//! `^([0-9]+)_(.*)\.(down|up)\.(.*)$`; the version is an unsigned 64-bit integer.
//!
//! A version too large is an error naming the file. golang-migrate's file source skips
//! a name whose version does not parse as u64, silently; and its database drivers take
//! the version as Go's `int` (`SetVersion(version int, ...)`) into a `bigint` column,
//! so a version above i64's maximum would be written negative. The limit is therefore
//! 9223372036854775807.
//!
//! As its file source: the folder is read flat, names that do not parse are ignored, and
//! two files with the same version and direction are an error. The tool wraps nothing:
//! files carry their own `BEGIN`/`COMMIT` (`TxMode::FileManaged`).
//!
//! Decisions:
//! - Only the `.sql` extension is read: other extensions hold other drivers' scripts
//!   (e.g. `.json` for MongoDB) and cutover runs SQL; they are ignored.
//! - An `.up` without `.down` is allowed (golang-migrate runs it; there is no down).
//! - A `.down` without `.up` is an error: golang-migrate would record the version with
//!   an empty up, which is almost always a misnamed file.

use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use super::files::{self, Entry};
use super::{Migration, Native, SourceError, TxMode, Version};

static NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([0-9]+)_(.*)\.(down|up)\.(.*)$").expect("static regex"));

struct File {
    entry: Entry,
    raw_version: String,
    version: u64,
    title: String,
    up: bool,
}

/// Parses one file name; `Ok(None)` for names golang-migrate does not read as SQL.
fn parse_name(entry: &Entry) -> Result<Option<File>, SourceError> {
    let Some(caps) = NAME.captures(&entry.name) else {
        return Ok(None);
    };
    if &caps[4] != "sql" {
        return Ok(None);
    }
    let version = match caps[1].parse::<i64>() {
        Ok(v) => v as u64,
        Err(_) => return Err(too_large(&entry.path, &caps[1])),
    };
    Ok(Some(File {
        entry: entry.clone(),
        raw_version: caps[1].to_string(),
        version,
        title: caps[2].to_string(),
        up: &caps[3] == "up",
    }))
}

fn too_large(path: &Path, version: &str) -> SourceError {
    SourceError::Invalid {
        path: path.to_path_buf(),
        what: format!(
            "version {version} is larger than golang-migrate can record (its schema_migrations.version is a signed 64-bit integer, at most {})\n  hint: renumber the file with a smaller version, e.g. a 14-digit timestamp",
            i64::MAX
        ),
    }
}

/// True when the name matches golang-migrate's regex with any extension (detection).
pub(crate) fn looks_like(name: &str) -> bool {
    NAME.is_match(name)
}

pub(crate) fn read(dir: &Path) -> Result<Vec<Migration>, SourceError> {
    let mut ups = Vec::new();
    let mut downs = Vec::new();
    for entry in files::list(dir)? {
        if !entry.is_file || files::ignored(&entry.name) {
            continue;
        }
        if let Some(file) = parse_name(&entry)? {
            if file.up {
                ups.push(file);
            } else {
                downs.push(file);
            }
        }
    }

    let mut migrations = Vec::with_capacity(ups.len());
    for file in &ups {
        let sql = files::read_text(&file.entry.path)?;
        let native = Native {
            version: file.version.to_string(),
            ..Native::default()
        };
        migrations.push(files::migration(
            Version::parse(&file.raw_version),
            file.title.clone(),
            files::relative(dir, &file.entry.path),
            sql,
            TxMode::FileManaged,
            native,
        ));
    }
    files::sort_and_check(dir, &mut migrations)?;

    let downs = downs
        .into_iter()
        .map(|d| files::Down {
            raw_version: d.raw_version,
            name: d.title,
            path: d.entry.path,
        })
        .collect();
    files::attach_downs(dir, &mut migrations, downs)?;
    Ok(migrations)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn pairs_and_other_extensions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        fs::write(
            d.join("000001_init.up.sql"),
            "BEGIN;\nCREATE TABLE t();\nCOMMIT;\n",
        )
        .expect("w");
        fs::write(d.join("000001_init.down.sql"), "DROP TABLE t;\n").expect("w");
        fs::write(d.join("000002_seed.up.sql"), "").expect("w");
        fs::write(d.join("000003_mongo.up.json"), "[]").expect("w");
        let ms = read(d).expect("read");
        assert_eq!(ms.len(), 2);
        assert_eq!(ms[0].native.version, "1");
        assert_eq!(ms[0].name, "init");
        assert_eq!(ms[0].tx, TxMode::FileManaged);
        assert!(ms[0].down_sql.is_some());
        assert!(ms[1].down_sql.is_none());
    }

    #[test]
    fn duplicate_up() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("1_a.up.sql"), "").expect("w");
        fs::write(dir.path().join("01_b.up.sql"), "").expect("w");
        let err = read(dir.path()).expect_err("dup");
        let msg = err.to_string();
        assert!(
            msg.contains("1_a.up.sql") && msg.contains("01_b.up.sql"),
            "{msg}"
        );
    }
}
