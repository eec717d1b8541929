//! Shared helpers of the folder readers: listing a folder the way the native tools do,
//! reading files as UTF-8 with errors that name the path, and the duplicate check.

use std::fs;
use std::path::{Path, PathBuf};

use super::{checksum, Kind, Migration, Native, SourceError, TxMode, Version};

/// One entry of a folder listing.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// The file name (lossy UTF-8, as sqlx reads names).
    pub name: String,
    /// The full path (the folder joined with the name).
    pub path: PathBuf,
    pub is_dir: bool,
    pub is_file: bool,
}

/// The entries of `dir`, sorted by name. Symlinks are followed; entries whose metadata
/// cannot be read count as neither file nor folder.
pub(crate) fn list(dir: &Path) -> Result<Vec<Entry>, SourceError> {
    let unreadable = |source| SourceError::Unreadable {
        path: dir.to_path_buf(),
        source,
    };
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        let path = entry.path();
        let (is_dir, is_file) = match fs::metadata(&path) {
            Ok(m) => (m.is_dir(), m.is_file()),
            Err(_) => (false, false),
        };
        out.push(Entry {
            name: entry.file_name().to_string_lossy().into_owned(),
            path,
            is_dir,
            is_file,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Hidden files and editor leftovers (`.x`, `x~`, `#x#`): no tool means them as
/// migrations.
pub(crate) fn ignored(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || (name.len() > 1 && name.starts_with('#') && name.ends_with('#'))
}

/// The bytes of a file; a read error names the file.
pub(crate) fn read_bytes(path: &Path) -> Result<Vec<u8>, SourceError> {
    fs::read(path).map_err(|e| SourceError::Invalid {
        path: path.to_path_buf(),
        what: format!("cannot read the file: {e}"),
    })
}

/// The text of a file, which must be UTF-8.
pub(crate) fn read_text(path: &Path) -> Result<String, SourceError> {
    utf8(path, read_bytes(path)?)
}

/// Bytes to text, or `NotUtf8` with the offset of the first bad byte.
pub(crate) fn utf8(path: &Path, bytes: Vec<u8>) -> Result<String, SourceError> {
    String::from_utf8(bytes).map_err(|e| SourceError::NotUtf8 {
        path: path.to_path_buf(),
        offset: e.utf8_error().valid_up_to(),
    })
}

/// A path relative to `dir` (the form `Migration.path` takes).
pub(crate) fn relative(dir: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(dir).unwrap_or(path).to_path_buf()
}

/// A migration with the fields every reader fills the same way.
pub(crate) fn migration(
    version: Version,
    name: String,
    path: PathBuf,
    up_sql: String,
    tx: TxMode,
    native: Native,
) -> Migration {
    Migration {
        version,
        name,
        kind: Kind::Versioned,
        path,
        checksum: checksum(&up_sql),
        up_sql,
        down_sql: None,
        down_path: None,
        verify_sql: None,
        tx,
        native,
    }
}

/// Sorts migrations by version and fails on two whose versions order the same
/// (`1_a.sql` and `01_b.sql`), naming both files.
pub(crate) fn sort_and_check(dir: &Path, migrations: &mut [Migration]) -> Result<(), SourceError> {
    migrations.sort_by(|a, b| a.version.cmp(&b.version));
    for pair in migrations.windows(2) {
        if pair[0].version.same_key(&pair[1].version) {
            return Err(duplicate(
                dir,
                &pair[0].version,
                &pair[0].path,
                &pair[1].version,
                &pair[1].path,
            ));
        }
    }
    Ok(())
}

/// The duplicate-version error for two files (paths relative to `dir`).
pub(crate) fn duplicate(
    dir: &Path,
    first_version: &Version,
    first: &Path,
    second_version: &Version,
    second: &Path,
) -> SourceError {
    let version = if first_version.as_str() == second_version.as_str() {
        first_version.to_string()
    } else {
        format!("{first_version} (= {second_version})")
    };
    SourceError::DuplicateVersion {
        version,
        first: dir.join(first),
        second: dir.join(second),
    }
}

/// `-- no-transaction` as the very start of a file (sqlx's marker, honoured by the custom
/// pattern too).
pub(crate) fn no_transaction_marker(sql: &str) -> Option<TxMode> {
    sql.starts_with("-- no-transaction")
        .then(|| TxMode::OptedOut("the file starts with `-- no-transaction`".to_string()))
}

/// A `.down` file waiting for its up migration.
pub(crate) struct Down {
    pub raw_version: String,
    /// The name part of the file (for the hint naming the missing up file).
    pub name: String,
    pub path: PathBuf,
}

/// Attaches each down file to the up migration of the same version (sqlx and
/// golang-migrate pairs). Two downs of one version, or a down without its up, are errors
/// naming the files.
pub(crate) fn attach_downs(
    dir: &Path,
    migrations: &mut [Migration],
    mut downs: Vec<Down>,
) -> Result<(), SourceError> {
    let key = |d: &Down| Version::parse(&d.raw_version);
    downs.sort_by(|a, b| key(a).cmp(&key(b)).then(a.path.cmp(&b.path)));
    for pair in downs.windows(2) {
        let (a, b) = (key(&pair[0]), key(&pair[1]));
        if a.same_key(&b) {
            return Err(duplicate(
                dir,
                &a,
                &relative(dir, &pair[0].path),
                &b,
                &relative(dir, &pair[1].path),
            ));
        }
    }
    for down in downs {
        let version = key(&down);
        let Some(m) = migrations.iter_mut().find(|m| m.version.same_key(&version)) else {
            return Err(SourceError::Invalid {
                path: down.path.clone(),
                what: format!(
                    "a down migration without its up migration: expected `{}_{}.up.sql` beside it\n  hint: add the up file, or delete the stray down file",
                    down.raw_version, down.name
                ),
            });
        };
        m.down_sql = Some(read_text(&down.path)?);
        m.down_path = Some(relative(dir, &down.path));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignores_hidden_and_backups() {
        assert!(ignored(".1_init.sql"));
        assert!(ignored("1_init.sql~"));
        assert!(ignored("#1_init.sql#"));
        assert!(!ignored("1_init.sql"));
        assert!(!ignored("#"));
    }

    #[test]
    fn utf8_offset() {
        let err = utf8(Path::new("x.sql"), b"ab\xffcd".to_vec());
        match err {
            Err(SourceError::NotUtf8 { path, offset }) => {
                assert_eq!(path, PathBuf::from("x.sql"));
                assert_eq!(offset, 2);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
