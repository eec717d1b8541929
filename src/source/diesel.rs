//! diesel (`diesel migration`): one folder per migration, `<VERSION>_<name>/up.sql`,
//! `down.sql` and an optional `metadata.toml`.
//!
//! As diesel_migrations: folders whose name starts with `.` and folders without `up.sql`
//! are skipped; the version is the part of the folder name before the first `_` with
//! `-` removed (`2020-01-25-033332_x` gives `20200125033332`, the text diesel records in
//! `__diesel_schema_migrations`). `00000000000000_diesel_initial_setup` is an ordinary
//! migration. An empty or missing `down.sql` is allowed (missing: no down).
//! `metadata.toml` with `run_in_transaction = false` opts out of the transaction.
//!
//! Order: as diesel, the version strings compared as text (`Version::text`). Numeric order
//! agrees for the fixed-width timestamps diesel generates but not for hand-named folders:
//! `2024-03-13_170000_x` has version `20240313`, which diesel runs after
//! `2024-03-06-170000_y` (`20240306170000`), where a numeric order would run it first.

use std::path::Path;

use super::files;
use super::{Migration, Native, SourceError, TxMode, Version};

pub(crate) fn read(dir: &Path) -> Result<Vec<Migration>, SourceError> {
    let mut migrations = Vec::new();
    for entry in files::list(dir)? {
        if !entry.is_dir || entry.name.starts_with('.') {
            continue;
        }
        let up_path = entry.path.join("up.sql");
        if !up_path.is_file() {
            continue;
        }
        let (raw_version, name) = match entry.name.split_once('_') {
            Some((v, n)) => (v, n),
            None => (entry.name.as_str(), ""),
        };
        let version = raw_version.replace('-', "");
        if version.is_empty() {
            return Err(SourceError::Invalid {
                path: entry.path.clone(),
                what: "diesel migration folders are named `<VERSION>_<name>` (e.g. `2020-01-25-033332_create_users`); this one has no version".to_string(),
            });
        }
        let up_sql = files::read_text(&up_path)?;

        let meta_path = entry.path.join("metadata.toml");
        let mut tx = TxMode::Wrapped;
        if meta_path.is_file() {
            let text = files::read_text(&meta_path)?;
            let table: toml::Table = text.parse().map_err(|e| SourceError::Invalid {
                path: meta_path.clone(),
                what: format!("not valid TOML: {e}"),
            })?;
            match table.get("run_in_transaction") {
                None | Some(toml::Value::Boolean(true)) => {}
                Some(toml::Value::Boolean(false)) => {
                    tx = TxMode::OptedOut(
                        "metadata.toml sets `run_in_transaction = false`".to_string(),
                    )
                }
                Some(other) => {
                    return Err(SourceError::Invalid {
                        path: meta_path.clone(),
                        what: format!("`run_in_transaction` must be true or false, found {other}"),
                    })
                }
            }
        }

        let native = Native {
            version: version.clone(),
            ..Native::default()
        };
        let mut m = files::migration(
            Version::text(&version, &version),
            name.to_string(),
            files::relative(dir, &up_path),
            up_sql,
            tx,
            native,
        );
        let down_path = entry.path.join("down.sql");
        if down_path.is_file() {
            m.down_sql = Some(files::read_text(&down_path)?);
            m.down_path = Some(files::relative(dir, &down_path));
        }
        migrations.push(m);
    }
    files::sort_and_check(dir, &mut migrations)?;
    Ok(migrations)
}

/// True when `path` is a folder diesel would read as a migration (for detection).
pub(crate) fn is_migration_dir(name: &str, path: &Path) -> bool {
    !name.starts_with('.') && path.join("up.sql").is_file()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn folders_metadata_and_versions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        for (folder, up, down) in [
            ("00000000000000_diesel_initial_setup", "SELECT 1;", Some("")),
            (
                "2020-01-25-033332_create_users",
                "CREATE TABLE users();",
                Some("DROP TABLE users;"),
            ),
            (
                "2020-02-01-000000_concurrent_index",
                "CREATE INDEX CONCURRENTLY i ON users(id);",
                None,
            ),
        ] {
            fs::create_dir(d.join(folder)).expect("mkdir");
            fs::write(d.join(folder).join("up.sql"), up).expect("w");
            if let Some(down) = down {
                fs::write(d.join(folder).join("down.sql"), down).expect("w");
            }
        }
        fs::write(
            d.join("2020-02-01-000000_concurrent_index/metadata.toml"),
            "run_in_transaction = false\n",
        )
        .expect("w");
        fs::create_dir(d.join("no_up_here")).expect("mkdir");
        fs::create_dir(d.join(".git")).expect("mkdir");
        fs::write(d.join(".git/up.sql"), "").expect("w");
        fs::write(d.join(".keep"), "").expect("w");

        let ms = read(d).expect("read");
        let versions: Vec<_> = ms.iter().map(|m| m.native.version.as_str()).collect();
        assert_eq!(
            versions,
            ["00000000000000", "20200125033332", "20200201000000"]
        );
        assert_eq!(ms[0].down_sql.as_deref(), Some(""));
        assert_eq!(ms[1].name, "create_users");
        assert_eq!(
            ms[1].path,
            Path::new("2020-01-25-033332_create_users/up.sql")
        );
        assert!(ms[2].down_sql.is_none());
        assert!(matches!(ms[2].tx, TxMode::OptedOut(_)));
        assert_eq!(ms[1].tx, TxMode::Wrapped);
    }

    #[test]
    fn versions_order_as_text_like_diesel() {
        // From a real project: diesel runs `2024-03-13_170000_...` (version `20240313`)
        // after `2024-03-06-170000_...`, not first of all.
        let dir = tempfile::tempdir().expect("tempdir");
        for folder in [
            "2024-03-06-170000_a",
            "2024-03-13_170000_b",
            "2024-03-20-090000_c",
            "2023-01-01-000000_d",
        ] {
            fs::create_dir(dir.path().join(folder)).expect("mkdir");
            fs::write(dir.path().join(folder).join("up.sql"), "").expect("w");
        }
        let ms = read(dir.path()).expect("read");
        let versions: Vec<_> = ms.iter().map(|m| m.version.as_str()).collect();
        assert_eq!(
            versions,
            [
                "20230101000000",
                "20240306170000",
                "20240313",
                "20240320090000"
            ]
        );
    }

    #[test]
    fn bad_metadata_names_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let m = dir.path().join("1_x");
        fs::create_dir(&m).expect("mkdir");
        fs::write(m.join("up.sql"), "").expect("w");
        fs::write(m.join("metadata.toml"), "run_in_transaction = nope").expect("w");
        let err = read(dir.path()).expect_err("must fail");
        assert!(err.to_string().contains("metadata.toml"), "{err}");
    }
}
