//! Flyway: SQL files under the location, searched recursively, named
//! `V<version>__<description>.sql` (versioned), `U<version>__<description>.sql` (undo),
//! `R__<description>.sql` (repeatable) and `B<version>__<description>.sql` (baseline).
//!
//! As Flyway with its default settings: prefixes are case-sensitive, the separator is the
//! first `__`, `_` in a version reads as `.` (`V1_2__x.sql` is version `1.2`), version
//! parts are numbers (`1.2.10` > `1.2.9`, `01` = `1`, trailing zero parts do not count:
//! `1.0` = `1`), `_` in a description reads as a space, and names that do not follow the
//! convention (e.g. `V1a__x.sql`, `V1_x.sql`) are ignored (`validateMigrationNaming` is
//! off by default). A `<script>.conf` beside a script with `executeInTransaction=false`
//! opts out of the transaction. The checksum Flyway stores is CRC32 over the script's
//! lines without their line endings (BOM removed), as a signed int.
//!
//! Decisions:
//! - Repeatable migrations (`Kind::Repeatable`) come after every versioned one, ordered
//!   by description (as Flyway orders them); their version reads `R__<description as in
//!   the file name>` (e.g. `R__refresh_views`), which is unique within a folder. Their
//!   `Native.version` is empty (Flyway records no version for them).
//! - An undo script `U<v>` becomes the down SQL of `V<v>`; a `U` without its `V` is an
//!   error.
//! - Baseline scripts `B<v>` are read as versioned migrations. When a `V` of the same
//!   version exists, the `V` is used and the `B` ignored (the baseline only replaces the
//!   versions up to it on an empty database; cutover applies the incremental history).
//! - `Native.script` is the path relative to the location with `/` separators (the bare
//!   file name for scripts at the top), `Native.description` is Flyway's description.

use std::path::{Path, PathBuf};

use super::files;
use super::{Kind, Migration, Native, SourceError, TxMode, Version};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Prefix {
    V,
    U,
    R,
    B,
}

#[derive(Debug)]
struct Name {
    prefix: Prefix,
    /// Dotted version (`1_2` read as `1.2`); empty for repeatables.
    version: String,
    /// The description as written in the file name.
    raw_desc: String,
}

/// Parses a Flyway script name; `None` for files Flyway would not read.
fn parse_name(name: &str) -> Option<Name> {
    let stem = name.strip_suffix(".sql")?;
    let prefix = match stem.as_bytes().first()? {
        b'V' => Prefix::V,
        b'U' => Prefix::U,
        b'R' => Prefix::R,
        b'B' => Prefix::B,
        _ => return None,
    };
    let (version, raw_desc) = stem[1..].split_once("__")?;
    if prefix == Prefix::R {
        if !version.is_empty() {
            return None;
        }
        return Some(Name {
            prefix,
            version: String::new(),
            raw_desc: raw_desc.to_string(),
        });
    }
    let dotted = version.replace('_', ".");
    if dotted.is_empty()
        || !dotted
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    Some(Name {
        prefix,
        version: dotted,
        raw_desc: raw_desc.to_string(),
    })
}

/// True when the name is a Flyway script name (detection).
pub(crate) fn looks_like(name: &str) -> bool {
    parse_name(name).is_some()
}

/// The ordering text of a dotted version: trailing zero parts dropped (`1.0` = `1`).
fn order_key(dotted: &str) -> String {
    let mut parts: Vec<&str> = dotted.split('.').collect();
    while parts.len() > 1 && parts.last().is_some_and(|p| p.bytes().all(|b| b == b'0')) {
        parts.pop();
    }
    parts.join(".")
}

/// Flyway's checksum: CRC32 over the UTF-8 bytes of each line without its line ending
/// (`\n`, `\r\n` or `\r`), with a BOM removed from the first line; as a signed int.
pub fn flyway_checksum(text: &str) -> i32 {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut hasher = crc32fast::Hasher::new();
    for line in text.split(['\r', '\n']) {
        hasher.update(line.as_bytes());
    }
    hasher.finalize() as i32
}

/// Folder depth beyond which `walk` stops (a symlink cycle, not a real layout).
const MAX_DEPTH: usize = 32;

/// All files under `dir`, recursively, skipping hidden folders and files.
fn walk(dir: &Path, out: &mut Vec<files::Entry>) -> Result<(), SourceError> {
    walk_at(dir, out, 0)
}

fn walk_at(dir: &Path, out: &mut Vec<files::Entry>, depth: usize) -> Result<(), SourceError> {
    if depth > MAX_DEPTH {
        return Err(SourceError::Invalid {
            path: dir.to_path_buf(),
            what: format!("folders nest more than {MAX_DEPTH} deep (a symlink loop?)"),
        });
    }
    for entry in files::list(dir)? {
        if files::ignored(&entry.name) {
            continue;
        }
        if entry.is_dir {
            walk_at(&entry.path, out, depth + 1)?;
        } else if entry.is_file {
            out.push(entry);
        }
    }
    Ok(())
}

/// The names of Flyway scripts anywhere under `dir` (detection).
pub(crate) fn script_names(dir: &Path) -> Result<Vec<PathBuf>, SourceError> {
    let mut all = Vec::new();
    walk(dir, &mut all)?;
    Ok(all
        .into_iter()
        .filter(|e| looks_like(&e.name))
        .map(|e| files::relative(dir, &e.path))
        .collect())
}

/// `executeInTransaction=false` in the script's `.conf` file.
fn script_config(script: &Path) -> Result<Option<TxMode>, SourceError> {
    let mut conf = script.as_os_str().to_owned();
    conf.push(".conf");
    let conf = PathBuf::from(conf);
    if !conf.is_file() {
        return Ok(None);
    }
    let text = files::read_text(&conf)?;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        if let Some((key, value)) = line.split_once('=') {
            if key.trim() == "executeInTransaction" && value.trim().eq_ignore_ascii_case("false") {
                let file = conf
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_default();
                return Ok(Some(TxMode::OptedOut(format!(
                    "{file} sets `executeInTransaction=false`"
                ))));
            }
        }
    }
    Ok(None)
}

fn script_path(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

pub(crate) fn read(dir: &Path) -> Result<Vec<Migration>, SourceError> {
    let mut all = Vec::new();
    walk(dir, &mut all)?;

    let mut versioned = Vec::new();
    let mut baselines = Vec::new();
    let mut undos = Vec::new();
    let mut repeatables = Vec::new();
    for entry in all {
        let Some(name) = parse_name(&entry.name) else {
            continue;
        };
        let rel = files::relative(dir, &entry.path);
        let sql = files::read_text(&entry.path)?;
        if name.prefix == Prefix::U {
            undos.push((name, rel, sql));
            continue;
        }
        let tx = script_config(&entry.path)?.unwrap_or(TxMode::Wrapped);
        let description = name.raw_desc.replace('_', " ");
        let native = Native {
            version: name.version.clone(),
            description,
            flyway_checksum: Some(flyway_checksum(&sql)),
            script: script_path(&rel),
            ..Native::default()
        };
        let version = if name.prefix == Prefix::R {
            Version::parse("")
        } else {
            Version::keyed(&name.version, &order_key(&name.version))
        };
        let m = files::migration(version, name.raw_desc.clone(), rel, sql, tx, native);
        match name.prefix {
            Prefix::V => versioned.push(m),
            Prefix::B => baselines.push(m),
            Prefix::R => repeatables.push(m),
            Prefix::U => {}
        }
    }

    files::sort_and_check(dir, &mut versioned)?;
    files::sort_and_check(dir, &mut baselines)?;
    for b in baselines {
        if !versioned.iter().any(|v| v.version.same_key(&b.version)) {
            versioned.push(b);
        }
    }
    files::sort_and_check(dir, &mut versioned)?;

    undos.sort_by(|a, b| a.1.cmp(&b.1));
    for (name, rel, sql) in undos {
        let version = Version::keyed(&name.version, &order_key(&name.version));
        let Some(m) = versioned.iter_mut().find(|m| m.version.same_key(&version)) else {
            return Err(SourceError::Invalid {
                path: dir.join(&rel),
                what: format!(
                    "an undo migration without its versioned migration: expected a `V{}__<description>.sql`\n  hint: add the versioned script, or delete the stray undo script",
                    name.version
                ),
            });
        };
        if let Some(first) = &m.down_path {
            return Err(files::duplicate(dir, &m.version, first, &version, &rel));
        }
        m.down_sql = Some(sql);
        m.down_path = Some(rel);
    }

    repeatables.sort_by(|a, b| {
        a.native
            .description
            .cmp(&b.native.description)
            .then(a.path.cmp(&b.path))
    });
    for pair in repeatables.windows(2) {
        if pair[0].native.description == pair[1].native.description {
            return Err(SourceError::DuplicateVersion {
                version: format!("R__{}", pair[0].name),
                first: dir.join(&pair[0].path),
                second: dir.join(&pair[1].path),
            });
        }
    }
    for (rank, m) in repeatables.iter_mut().enumerate() {
        m.version = Version::after_all(&format!("R__{}", m.name), rank);
        m.kind = Kind::Repeatable;
    }

    versioned.extend(repeatables);
    Ok(versioned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn names() {
        let n = parse_name("V1_2__Add_users.sql").expect("v");
        assert_eq!(
            (n.prefix, n.version.as_str(), n.raw_desc.as_str()),
            (Prefix::V, "1.2", "Add_users")
        );
        let n = parse_name("R__views.sql").expect("r");
        assert_eq!(n.prefix, Prefix::R);
        assert!(parse_name("V1a__x.sql").is_none());
        assert!(parse_name("V1_x.sql").is_none());
        assert!(parse_name("V__x.sql").is_none());
        assert!(parse_name("v1__x.sql").is_none());
        assert!(parse_name("V1__x.sql.conf").is_none());
        assert!(parse_name("beforeMigrate.sql").is_none());
        assert_eq!(order_key("1.0.0"), "1");
        assert_eq!(order_key("1.2"), "1.2");
        assert_eq!(order_key("0"), "0");
    }

    #[test]
    fn checksum_is_line_ending_independent() {
        let lf = flyway_checksum("CREATE TABLE a (id INT);\nINSERT INTO a VALUES (1);\n");
        let crlf = flyway_checksum("CREATE TABLE a (id INT);\r\nINSERT INTO a VALUES (1);\r\n");
        let bom = flyway_checksum("\u{feff}CREATE TABLE a (id INT);\nINSERT INTO a VALUES (1);");
        assert_eq!(lf, crlf);
        assert_eq!(lf, bom);
        let mut h = crc32fast::Hasher::new();
        h.update(b"CREATE TABLE a (id INT);");
        h.update(b"INSERT INTO a VALUES (1);");
        assert_eq!(lf, h.finalize() as i32);
        assert_eq!(flyway_checksum(""), 0);
    }

    proptest::proptest! {
        #[test]
        fn checksum_ignores_line_endings(lines in proptest::collection::vec("[^\r\n\u{feff}]{0,20}", 0..8)) {
            let lf = lines.join("\n");
            proptest::prop_assert_eq!(flyway_checksum(&lf), flyway_checksum(&lines.join("\r\n")));
            proptest::prop_assert_eq!(flyway_checksum(&lf), flyway_checksum(&format!("{lf}\n")));
            proptest::prop_assert_eq!(flyway_checksum(&lf), flyway_checksum(&lines.concat()));
        }
    }

    #[test]
    fn undo_baseline_repeatable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        fs::create_dir(d.join("sub")).expect("mkdir");
        fs::write(d.join("V1__init.sql"), "A;").expect("w");
        fs::write(d.join("U1__init.sql"), "undo A;").expect("w");
        fs::write(d.join("B1__baseline.sql"), "ALL;").expect("w");
        fs::write(d.join("B3__baseline.sql"), "ALL3;").expect("w");
        fs::write(d.join("sub/V2__more.sql"), "B;").expect("w");
        fs::write(d.join("R__b_views.sql"), "V;").expect("w");
        fs::write(d.join("R__a_funcs.sql"), "F;").expect("w");
        let ms = read(d).expect("read");
        let v: Vec<_> = ms.iter().map(|m| m.version.as_str()).collect();
        assert_eq!(v, ["1", "2", "3", "R__a_funcs", "R__b_views"]);
        assert_eq!(ms[0].down_sql.as_deref(), Some("undo A;"));
        assert_eq!(ms[1].native.script, "sub/V2__more.sql");
        assert_eq!(ms[2].name, "baseline");
        assert_eq!(ms[3].kind, Kind::Repeatable);
        assert_eq!(ms[3].native.version, "");
        assert!(ms.windows(2).all(|w| w[0].version < w[1].version));
    }

    #[test]
    fn orphan_undo_and_trailing_zero_duplicate() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("U7__x.sql"), "").expect("w");
        let err = read(dir.path()).expect_err("orphan");
        assert!(err.to_string().contains("U7__x.sql"), "{err}");

        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("V1__a.sql"), "").expect("w");
        fs::write(dir.path().join("V1.0__b.sql"), "").expect("w");
        let err = read(dir.path()).expect_err("dup");
        let msg = err.to_string();
        assert!(
            msg.contains("V1__a.sql") && msg.contains("V1.0__b.sql"),
            "{msg}"
        );
    }
}
