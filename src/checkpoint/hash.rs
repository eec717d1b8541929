//! sha256 of a file, read in large chunks (SHA-NI makes hashing faster than most disks).

use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

/// Read size: large enough that the syscalls cost nothing next to the hashing.
pub(crate) const CHUNK: usize = 1 << 20;

/// The sha256 (hex) of a file's bytes.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    sha256_reader(&mut f)
}

pub(crate) fn sha256_reader(r: &mut dyn Read) -> std::io::Result<String> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}
