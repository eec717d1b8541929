//! Files and folders only their owner may read: backups hold the target's data and
//! journals what happened to it. A leaf module: it depends on nothing of ours.

use std::path::Path;

/// Sets a file's or folder's mode (0600 for files, 0700 for folders).
#[cfg(unix)]
pub fn owner_only(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
pub fn owner_only(_path: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}
