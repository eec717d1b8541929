//! Where journals live: `<plan folder>/.cutover/sessions/<UTC time>-<plan>.jsonl`,
//! readable by their owner only.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

/// The sessions folder of a plan whose `.cutover` folder is `state_dir`.
pub fn sessions_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("sessions")
}

/// Creates a new journal file for a session that started at `started_ms`: the folder
/// (0700) if need be, then the file (0600), never over an existing one.
pub fn create(dir: &Path, plan: &str, started_ms: i64) -> std::io::Result<(File, PathBuf)> {
    prepare(dir)?;
    let time = chrono::DateTime::from_timestamp_millis(started_ms)
        .unwrap_or_default()
        .format("%Y%m%dT%H%M%SZ");
    let plan = file_safe(plan);
    for n in 1..1000 {
        let name = if n == 1 {
            format!("{time}-{plan}.jsonl")
        } else {
            format!("{time}-{plan}-{n}.jsonl")
        };
        let path = dir.join(name);
        match open_new(&path) {
            Ok(f) => return Ok((f, path)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other(
        "a thousand sessions started in the same second",
    ))
}

/// Makes the sessions folder (0700), so that a session that cannot be recorded is
/// refused before it starts.
pub fn prepare(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    crate::private::owner_only(dir, 0o700)
}

#[cfg(unix)]
fn open_new(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn open_new(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

/// A plan name as part of a file name: letters, digits, `.` and `_` kept, every other
/// run of characters one `-` ("shop v2 (demo)" -> "shop-v2-demo").
fn file_safe(plan: &str) -> String {
    let mut s = String::new();
    for c in plan.chars().take(64) {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '_') {
            s.push(c);
        } else if !s.is_empty() && !s.ends_with('-') {
            s.push('-');
        }
    }
    let s = s.trim_end_matches('-');
    if s.is_empty() {
        "session".into()
    } else {
        s.to_string()
    }
}

/// The journals in a sessions folder, oldest first (their names start with the time).
pub fn list(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    // By name without `.jsonl`: `…-shop.jsonl` before `…-shop-2.jsonl`.
    v.sort_by(|a, b| a.file_stem().cmp(&b.file_stem()));
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journals_are_private_and_never_overwritten() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("sessions");
        let (_, a) = create(&dir, "shop/eu 1", 1_764_660_605_000).expect("a");
        let (_, b) = create(&dir, "shop/eu 1", 1_764_660_605_000).expect("b");
        assert_ne!(a, b);
        assert!(a.to_string_lossy().ends_with("Z-shop-eu-1.jsonl"), "{a:?}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode(&a), 0o600);
            assert_eq!(mode(&dir), 0o700);
        }
        assert_eq!(list(&dir).expect("list"), vec![a, b]);
    }
}
