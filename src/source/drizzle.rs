//! Drizzle (`drizzle-kit generate` + drizzle-orm's `migrate()`): `meta/_journal.json`
//! lists the migrations, each `<tag>.sql` beside the `meta` folder.
//!
//! As drizzle-orm's `readMigrationFiles` (src/migrator.ts): the journal's `entries`, in
//! the order they are written, are the migrations; each file is split at
//! `--> statement-breakpoint` (see [`statements`]); the hash drizzle records is the
//! sha256 hex of the file's text, which is our checksum of the same text; `when` (ms) is
//! what it records as `created_at` and what decides what is pending (see
//! db/native/drizzle.rs). A `.sql` file the journal does not list is not a migration:
//! drizzle never reads it, so neither do we, and the folder's notes say so. A listed tag
//! without its file is drizzle's error too ("No file ... found").
//!
//! Versions are the tags (`0000_keen_devos`), ordered by their place in the journal.
//! Drizzle has no down migrations and runs every file in a transaction.

use std::path::Path;

use super::files;
use super::{Migration, Native, SourceError, TxMode, Version};
use crate::sql::{self, Dialect, Statement};

/// The journal, relative to the migrations folder.
pub(crate) const JOURNAL: &str = "meta/_journal.json";

/// What separates statements in a drizzle-kit file; drizzle splits at it as plain text.
pub(crate) const BREAKPOINT: &str = "--> statement-breakpoint";

#[derive(serde::Deserialize)]
struct Journal {
    entries: Vec<Entry>,
}

#[derive(serde::Deserialize)]
struct Entry {
    when: i64,
    tag: String,
}

/// True when the folder holds a drizzle journal (for detection).
pub(crate) fn is_project(dir: &Path) -> bool {
    dir.join(JOURNAL).is_file()
}

/// The migrations the journal lists, in its order, and notes about files it leaves out.
pub(crate) fn read(dir: &Path) -> Result<(Vec<Migration>, Vec<String>), SourceError> {
    let journal_path = dir.join(JOURNAL);
    let text = files::read_text(&journal_path)?;
    let journal: Journal = serde_json::from_str(&text).map_err(|e| SourceError::Invalid {
        path: journal_path.clone(),
        what: format!("not a drizzle journal ({e})\n  hint: drizzle-kit writes it as {{\"entries\": [{{\"idx\": 0, \"when\": <ms>, \"tag\": \"0000_name\", \"breakpoints\": true}}, ...]}}"),
    })?;

    let mut migrations: Vec<Migration> = Vec::with_capacity(journal.entries.len());
    let mut notes = Vec::new();
    let mut last_when: Option<(i64, String)> = None;
    for (position, entry) in journal.entries.iter().enumerate() {
        let file = format!("{}.sql", entry.tag);
        let path = dir.join(&file);
        if !path.is_file() {
            return Err(SourceError::Invalid {
                path: journal_path.clone(),
                what: format!(
                    "entry {position} names tag `{}`, but {} does not exist\n  hint: restore the file, or remove the entry with `drizzle-kit drop`",
                    entry.tag,
                    path.display()
                ),
            });
        }
        if let Some(first) = migrations.iter().find(|m| m.version.as_str() == entry.tag) {
            return Err(SourceError::DuplicateVersion {
                version: entry.tag.clone(),
                first: dir.join(&first.path),
                second: path,
            });
        }
        if let Some((when, tag)) = &last_when {
            if entry.when <= *when {
                notes.push(format!(
                    "{JOURNAL}: `{}` has `when` {} but comes after `{tag}` ({when}): drizzle's migrator skips an entry not newer than the last one it applied",
                    entry.tag, entry.when
                ));
            }
        }
        last_when = Some((entry.when, entry.tag.clone()));

        let up_sql = files::read_text(&path)?;
        let name = match entry.tag.split_once('_') {
            Some((_, n)) => n.to_string(),
            None => entry.tag.clone(),
        };
        let native = Native {
            version: entry.tag.clone(),
            drizzle_when: Some(entry.when),
            ..Native::default()
        };
        migrations.push(files::migration(
            Version::ordinal(&entry.tag, position),
            name,
            files::relative(dir, &path),
            up_sql,
            TxMode::Wrapped,
            native,
        ));
    }
    for entry in files::list(dir)? {
        if entry.is_file && entry.name.ends_with(".sql") && !files::ignored(&entry.name) {
            let listed = migrations.iter().any(|m| m.path == Path::new(&entry.name));
            if !listed {
                notes.push(format!(
                    "{} is not listed in {JOURNAL}: drizzle does not run it, and neither does cutover",
                    entry.name
                ));
            }
        }
    }
    Ok((migrations, notes))
}

/// A drizzle file's statements: drizzle sends each piece between breakpoints as one
/// query, so a breakpoint always ends a statement; inside a piece the dialect's own
/// splitter finds the statements (a file written with `breakpoints: false` is one piece
/// holding them all). Lines are the file's.
pub(crate) fn statements(sql: &str, dialect: Dialect) -> Vec<Statement> {
    let mut out = Vec::new();
    let mut line_offset = 0;
    for piece in sql.split(BREAKPOINT) {
        for mut stmt in sql::split(piece, dialect) {
            stmt.line += line_offset;
            out.push(stmt);
        }
        line_offset += piece.matches('\n').count();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn journal(entries: &[(i64, &str)]) -> String {
        let entries: Vec<String> = entries
            .iter()
            .enumerate()
            .map(|(i, (when, tag))| {
                format!(
                    "{{\"idx\": {i}, \"version\": \"7\", \"when\": {when}, \"tag\": \"{tag}\", \"breakpoints\": true}}"
                )
            })
            .collect();
        format!(
            "{{\"version\": \"7\", \"dialect\": \"postgresql\", \"entries\": [{}]}}",
            entries.join(",")
        )
    }

    #[test]
    fn journal_order_and_unlisted_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        fs::create_dir(d.join("meta")).expect("mkdir");
        // Journal order, not name order, decides.
        fs::write(
            d.join(JOURNAL),
            journal(&[(1700000000002, "0001_b"), (1700000000001, "0000_a")]),
        )
        .expect("w");
        fs::write(d.join("0000_a.sql"), "CREATE TABLE a (id int);").expect("w");
        fs::write(d.join("0001_b.sql"), "CREATE TABLE b (id int);").expect("w");
        fs::write(d.join("0001_b_old.sql"), "DROP TABLE a;").expect("w");
        let (ms, notes) = read(d).expect("read");
        let tags: Vec<_> = ms.iter().map(|m| m.version.as_str()).collect();
        assert_eq!(tags, ["0001_b", "0000_a"]);
        assert!(ms[0].version < ms[1].version);
        assert_eq!(ms[0].native.drizzle_when, Some(1700000000002));
        assert_eq!(ms[1].name, "a");
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].contains("`0000_a`"), "{notes:?}");
        assert!(
            notes[1].contains("0001_b_old.sql is not listed"),
            "{notes:?}"
        );
    }

    #[test]
    fn missing_file_and_bad_journal_name_the_journal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        fs::create_dir(d.join("meta")).expect("mkdir");
        fs::write(d.join(JOURNAL), journal(&[(1, "0000_gone")])).expect("w");
        let err = read(d).expect_err("missing file").to_string();
        assert!(
            err.contains("_journal.json") && err.contains("0000_gone"),
            "{err}"
        );
        fs::write(d.join(JOURNAL), "{\"entries\": [{\"tag\": 5}]}").expect("w");
        let err = read(d).expect_err("bad journal").to_string();
        assert!(
            err.contains("not a drizzle journal") && err.contains("line 1"),
            "{err}"
        );
    }

    #[test]
    fn breakpoints_end_statements_and_keep_lines() {
        // No `;` before the breakpoint: only the breakpoint separates the two.
        let sql = "CREATE TABLE a (id int)\n--> statement-breakpoint\nCREATE TABLE b (id int);\nINSERT INTO b VALUES (1);--> statement-breakpoint\n\nALTER TABLE b ADD c int;";
        let st = statements(sql, Dialect::Postgres);
        let got: Vec<(&str, usize)> = st.iter().map(|s| (s.sql.as_str(), s.line)).collect();
        assert_eq!(
            got,
            [
                ("CREATE TABLE a (id int)", 1),
                ("CREATE TABLE b (id int)", 3),
                ("INSERT INTO b VALUES (1)", 4),
                ("ALTER TABLE b ADD c int", 6),
            ]
        );
        // A breakpoint inside a dollar-quoted body still splits, as drizzle's plain
        // text split does.
        let body = "SELECT $$ a --> statement-breakpoint b $$";
        assert_eq!(statements(body, Dialect::Postgres).len(), 2);
    }
}
