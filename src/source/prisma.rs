//! Prisma Migrate (`prisma migrate deploy`): `migration_lock.toml` naming the provider,
//! and one folder per migration holding `migration.sql`. The plan's `dir` is the
//! migrations folder itself (usually `prisma/migrations`).
//!
//! As prisma-engines' `list_migrations`: every sub-folder is a migration, named by the
//! folder, and they run in the order of their names compared as text (byte order; the
//! newer TypeScript CLI sorts with `localeCompare`, which agrees on the
//! `<14 digits>_<name>` names Prisma generates). A folder without `migration.sql` is
//! Prisma's error too. Prisma has no down migrations. The checksum Prisma records is the
//! sha256 hex of the script as read, which is our checksum of the same text.

use std::path::Path;

use super::files;
use super::{Migration, Native, SourceError, TxMode, Version};

/// The lock file at the top of the migrations folder.
pub(crate) const LOCK_FILE: &str = "migration_lock.toml";

/// True when the folder holds Prisma's lock file (for detection).
pub(crate) fn is_project(dir: &Path) -> bool {
    dir.join(LOCK_FILE).is_file()
}

/// The migrations in name order, and notes about what Prisma would not read.
pub(crate) fn read(dir: &Path) -> Result<(Vec<Migration>, Vec<String>), SourceError> {
    // files::list sorts names in byte order: Prisma's order.
    let entries = files::list(dir)?;
    let mut migrations = Vec::new();
    let mut notes = Vec::new();
    for entry in entries {
        if entry.name.starts_with('.') {
            continue;
        }
        if !entry.is_dir {
            if entry.is_file && entry.name.ends_with(".sql") {
                notes.push(format!(
                    "{} is not in a migration folder: Prisma does not run it, and neither does cutover",
                    entry.name
                ));
            }
            continue;
        }
        let script = entry.path.join("migration.sql");
        if !script.is_file() {
            return Err(SourceError::Invalid {
                path: entry.path.clone(),
                what: "a Prisma migration folder without `migration.sql` (Prisma fails on it too)\n  hint: restore the file, or move the folder out of the migrations folder".to_string(),
            });
        }
        let up_sql = files::read_text(&script)?;
        let name = match entry.name.split_once('_') {
            Some((_, n)) => n.to_string(),
            None => entry.name.clone(),
        };
        let native = Native {
            version: entry.name.clone(),
            ..Native::default()
        };
        let position = migrations.len();
        migrations.push(files::migration(
            Version::ordinal(&entry.name, position),
            name,
            files::relative(dir, &script),
            up_sql,
            TxMode::Wrapped,
            native,
        ));
    }
    Ok((migrations, notes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn folder(d: &Path, name: &str, sql: &str) {
        fs::create_dir(d.join(name)).expect("mkdir");
        fs::write(d.join(name).join("migration.sql"), sql).expect("w");
    }

    #[test]
    fn folders_in_text_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        fs::write(d.join(LOCK_FILE), "# comment\nprovider = \"postgresql\"\n").expect("w");
        // As text, `10_b` sorts before `1_a` ('0' < '_') and `9_c` after both.
        folder(d, "9_c", "SELECT 3;");
        folder(d, "1_a", "SELECT 1;");
        folder(d, "10_b", "SELECT 2;");
        fs::write(d.join("stray.sql"), "DROP TABLE x;").expect("w");
        let (ms, notes) = read(d).expect("read");
        let names: Vec<_> = ms.iter().map(|m| m.version.as_str()).collect();
        assert_eq!(names, ["10_b", "1_a", "9_c"]);
        assert!(ms[0].version < ms[1].version && ms[1].version < ms[2].version);
        assert_eq!(ms[0].path, Path::new("10_b/migration.sql"));
        assert_eq!(ms[0].name, "b");
        assert_eq!(ms[0].native.version, "10_b");
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("stray.sql"), "{notes:?}");
    }

    #[test]
    fn folder_without_script_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join(LOCK_FILE), "provider = \"sqlite\"\n").expect("w");
        fs::create_dir(dir.path().join("20240101000000_x")).expect("mkdir");
        let err = read(dir.path()).expect_err("must fail").to_string();
        assert!(
            err.contains("20240101000000_x") && err.contains("migration.sql"),
            "{err}"
        );
    }
}
