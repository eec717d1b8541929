//! dbmate: one file `<version>_<name>.sql` per migration (files matching
//! `^(\d+).*\.sql$`, read flat), holding a `-- migrate:up` block and a `-- migrate:down`
//! block. The version is the leading digits, recorded as written.
//!
//! Parsing follows dbmate's `parseMigrationContents`: directives match
//! `(?m)^--\s*migrate:(up|down)(\s*$|\s+\S+)`; a block runs from its directive line (kept:
//! it is a comment) to the next directive; only blank and comment lines may precede the
//! first `-- migrate:up`; options such as `transaction:false` follow the directive on its
//! line. Newer dbmate allows several `-- migrate:up` sections, each with exactly one
//! `-- migrate:down`: we join the up blocks in order, and the down blocks in order (as
//! dbmate runs them).
//!
//! Order: as dbmate, by file name compared as text (`100000022_x.sql` before
//! `10000000000000_y.sql`); the version stays the string of leading digits. Two files
//! with the same version string are an error (dbmate would record one row for both).
//!
//! Transactions: `-- migrate:up transaction:false` opts out. A file with several
//! sections opts out too: dbmate runs each section in a transaction of its own (often
//! because a later section needs the earlier one committed, e.g. a new enum value), so
//! wrapping them all in one would change what the file does.

use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use super::files;
use super::{Migration, Native, SourceError, TxMode, Version};

// `\s` spelled as Go's ASCII class.
static UP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)^--[\t\n\f\r ]*migrate:up([\t\n\f\r ]*$|[\t\n\f\r ]+[^\t\n\f\r ]+)")
        .expect("static regex")
});
static DOWN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)^--[\t\n\f\r ]*migrate:down([\t\n\f\r ]*$|[\t\n\f\r ]+[^\t\n\f\r ]+)")
        .expect("static regex")
});
static DIRECTIVE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^--[\t\n\f\r ]*migrate:(up|down)").expect("static regex"));
static FILE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d+).*\.sql$").expect("static regex"));

/// The name matches dbmate's migration file regex (detection).
pub(crate) fn looks_like(name: &str) -> bool {
    FILE.is_match(name)
}

/// The text holds a `-- migrate:up` directive (detection).
pub(crate) fn has_up_marker(sql: &str) -> bool {
    UP.is_match(sql)
}

/// One file's parsed blocks.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub up: String,
    pub down: String,
    pub sections: usize,
    pub up_transaction: bool,
}

/// dbmate's options of a block: the `key:value` words after the directive.
fn transaction(block: &str) -> bool {
    let first = block.split('\n').next().unwrap_or("");
    let rest = DIRECTIVE.replace(first, "");
    for pair in rest.split_ascii_whitespace() {
        let kv: Vec<&str> = pair.split(':').collect();
        if kv.len() == 2 && kv[0] == "transaction" {
            return kv[1] != "false";
        }
    }
    true
}

pub(crate) fn parse(contents: &str) -> Result<Parsed, String> {
    let ups: Vec<usize> = UP.find_iter(contents).map(|m| m.start()).collect();
    let Some(&first_up) = ups.first() else {
        return Err(
            "dbmate requires each migration to define an up block with '-- migrate:up'".into(),
        );
    };
    if let Some(down) = DOWN.find(contents) {
        if down.start() < first_up {
            return Err(
                "dbmate requires '-- migrate:up' to appear before '-- migrate:down'".into(),
            );
        }
    }
    let before = &contents[..first_up];
    if before.split('\n').any(|line| {
        let t = line.trim_start_matches([' ', '\t', '\n', '\x0c', '\r', '\x0b']);
        !(t.is_empty() || t.starts_with("--"))
    }) {
        return Err(
            "dbmate does not support statements preceding the '-- migrate:up' block".into(),
        );
    }
    let mut up = String::new();
    let mut down = String::new();
    let mut up_transaction = true;
    for (i, &start) in ups.iter().enumerate() {
        let end = ups.get(i + 1).copied().unwrap_or(contents.len());
        let section = &contents[start..end];
        let downs: Vec<usize> = DOWN.find_iter(section).map(|m| m.start()).collect();
        match downs.len() {
            0 => {
                return Err(
                    "dbmate requires each migration to define a down block with '-- migrate:down'"
                        .into(),
                )
            }
            1 => {}
            _ => {
                return Err(
                    "dbmate requires each migration to define an up block with '-- migrate:up' (two '-- migrate:down' blocks follow one '-- migrate:up')"
                        .into(),
                )
            }
        }
        let up_block = &section[..downs[0]];
        let down_block = &section[downs[0]..];
        up_transaction &= transaction(up_block);
        up.push_str(up_block);
        down.push_str(down_block);
    }
    Ok(Parsed {
        up,
        down,
        sections: ups.len(),
        up_transaction,
    })
}

pub(crate) fn read(dir: &Path) -> Result<Vec<Migration>, SourceError> {
    let mut migrations = Vec::new();
    for entry in files::list(dir)? {
        if !entry.is_file || files::ignored(&entry.name) {
            continue;
        }
        let Some(caps) = FILE.captures(&entry.name) else {
            continue;
        };
        let version = caps[1].to_string();
        let stem = &entry.name[version.len()..entry.name.len() - ".sql".len()];
        let name = stem.strip_prefix('_').unwrap_or(stem).to_string();
        let text = files::read_text(&entry.path)?;
        let parsed = parse(&text).map_err(|what| SourceError::Invalid {
            path: entry.path.clone(),
            what: format!(
                "{what}\n  hint: dbmate files look like `-- migrate:up` ... `-- migrate:down` ..."
            ),
        })?;
        let tx = if parsed.sections > 1 {
            TxMode::OptedOut(format!(
                "{} `-- migrate:up` sections: dbmate runs each in its own transaction",
                parsed.sections
            ))
        } else if !parsed.up_transaction {
            TxMode::OptedOut("`-- migrate:up transaction:false`".to_string())
        } else {
            TxMode::Wrapped
        };
        let native = Native {
            version: version.clone(),
            ..Native::default()
        };
        let path = files::relative(dir, &entry.path);
        let mut m = files::migration(
            Version::text(&version, &entry.name),
            name,
            path.clone(),
            parsed.up,
            tx,
            native,
        );
        m.down_sql = Some(parsed.down);
        m.down_path = Some(path);
        migrations.push(m);
    }
    files::sort_and_check(dir, &mut migrations)?;
    check_versions(dir, &migrations)?;
    Ok(migrations)
}

/// Two files whose versions are the same string (`1_a.sql`, `1_b.sql`): dbmate keeps one
/// `schema_migrations` row per version, so one of them would never run.
fn check_versions(dir: &Path, migrations: &[Migration]) -> Result<(), SourceError> {
    let mut seen: std::collections::HashMap<&str, &Migration> = std::collections::HashMap::new();
    for m in migrations {
        if let Some(first) = seen.insert(m.version.as_str(), m) {
            return Err(files::duplicate(
                dir,
                &first.version,
                &first.path,
                &m.version,
                &m.path,
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typical() {
        let p = parse(
            "-- migrate:up\ncreate table users (id serial);\n-- migrate:down\ndrop table users;\n",
        )
        .expect("parse");
        assert_eq!(p.up, "-- migrate:up\ncreate table users (id serial);\n");
        assert_eq!(p.down, "-- migrate:down\ndrop table users;\n");
        assert!(p.up_transaction);
        assert_eq!(p.sections, 1);
    }

    #[test]
    fn options_and_spacing() {
        let p = parse(
            "\n--migrate:up transaction:false\nALTER TYPE s ADD VALUE 'x';\n\n--migrate:down\n",
        )
        .expect("parse");
        assert!(!p.up_transaction);
        assert!(p.up.starts_with("--migrate:up transaction:false"));
        assert_eq!(p.down, "--migrate:down\n");
    }

    #[test]
    fn several_sections() {
        let p = parse(
            "-- migrate:up\nA;\n-- migrate:down\nB;\n-- migrate:up\nC;\n-- migrate:down\nD;\n",
        )
        .expect("parse");
        assert_eq!(p.sections, 2);
        assert_eq!(p.up, "-- migrate:up\nA;\n-- migrate:up\nC;\n");
        assert_eq!(p.down, "-- migrate:down\nB;\n-- migrate:down\nD;\n");
    }

    proptest::proptest! {
        #[test]
        fn blocks_round_trip(up in "[a-z ;'\n]{0,40}", down in "[a-z ;'\n]{0,40}") {
            let text = format!("-- migrate:up\n{up}\n-- migrate:down\n{down}");
            let p = parse(&text).expect("parse");
            proptest::prop_assert_eq!(format!("{}{}", p.up, p.down), text);
            proptest::prop_assert_eq!(p.up, format!("-- migrate:up\n{up}\n"));
        }
    }

    #[test]
    fn file_names_order_as_text() {
        let dir = tempfile::tempdir().expect("tempdir");
        let body = "-- migrate:up\n-- migrate:down\n";
        for name in [
            "10000000000000_y.sql",
            "100000022_x.sql",
            "2_z.sql",
            "001_w.sql",
        ] {
            std::fs::write(dir.path().join(name), body).expect("w");
        }
        let ms = read(dir.path()).expect("read");
        let versions: Vec<_> = ms.iter().map(|m| m.version.as_str()).collect();
        assert_eq!(versions, ["001", "10000000000000", "100000022", "2"]);
        assert_eq!(ms[1].native.version, "10000000000000");
        std::fs::write(dir.path().join("2_again.sql"), body).expect("w");
        let err = read(dir.path()).expect_err("duplicate");
        assert!(err.to_string().contains("duplicate version 2"), "{err}");
    }

    #[test]
    fn errors() {
        assert!(parse("create table x();")
            .expect_err("e")
            .contains("up block"));
        assert!(parse("-- migrate:up\nx;")
            .expect_err("e")
            .contains("down block"));
        assert!(parse("-- migrate:down\n-- migrate:up\n")
            .expect_err("e")
            .contains("before"));
        assert!(parse("select 1;\n-- migrate:up\n-- migrate:down\n")
            .expect_err("e")
            .contains("preceding"));
        // Comments before the first block are fine; `migrate:upper` is not a directive.
        assert!(parse("-- header\n-- migrate:up\n-- migrate:down\n").is_ok());
        assert!(!has_up_marker("-- migrate:upper\n"));
    }
}
