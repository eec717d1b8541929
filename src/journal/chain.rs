//! One journal line and its place in the hash chain.
//!
//! A line is `{"seq":N,"t_ms":T,"at":"<UTC>","<kind>":<payload>,"prev":"<hex>","hash":"<hex>"}`.
//! The hash is sha256 of the previous line's hash (hex) followed by the line's own bytes
//! up to `"hash"`, closed with `}`: exactly the bytes written, so no re-serialization is
//! needed to check it, and any edited byte, or a line deleted, inserted or moved, breaks
//! the chain at that line. The first line (the header) chains from [`GENESIS`].

use sha2::{Digest, Sha256};
use std::io::Write as _;

/// What the first line's `prev` is.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// `,"hash":"` + 64 hex digits + `"}`: the fixed-length end of every line.
const HASH_OPEN: &[u8] = b",\"hash\":\"";
pub(crate) const SUFFIX_LEN: usize = HASH_OPEN.len() + 64 + 2;

/// Writes one line (with its newline) into `out` and returns its hash (hex).
/// `kind` is `header` for the first line and `input` for every other.
pub fn seal<T: serde::Serialize>(
    out: &mut Vec<u8>,
    seq: u64,
    t_ms: i64,
    at: &str,
    kind: &str,
    payload: &T,
    prev: &str,
) -> serde_json::Result<String> {
    let start = out.len();
    // Writing into a Vec cannot fail.
    let _ = write!(
        out,
        "{{\"seq\":{seq},\"t_ms\":{t_ms},\"at\":\"{at}\",\"{kind}\":"
    );
    serde_json::to_writer(&mut *out, payload)?;
    let _ = write!(out, ",\"prev\":\"{prev}\"");
    let hash = digest(prev, &out[start..]);
    out.extend_from_slice(HASH_OPEN);
    out.extend_from_slice(hash.as_bytes());
    out.extend_from_slice(b"\"}\n");
    Ok(hash)
}

/// sha256(prev + body + "}") in hex.
fn digest(prev: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(body);
    h.update(b"}");
    hex::encode(h.finalize())
}

/// Why a line does not belong where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsealed {
    /// The line does not end in a hash field.
    NoHash,
    /// The line's `prev` is not the previous line's hash (a line before it was deleted,
    /// inserted, moved or edited).
    WrongPrev,
    /// The line's own hash does not match its bytes (the line was edited).
    WrongHash,
}

impl std::fmt::Display for Unsealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Unsealed::NoHash => "the line has no hash (edited, or not a journal line)",
            Unsealed::WrongPrev => {
                "the line does not follow the line before it (a line was deleted, inserted, moved or edited)"
            }
            Unsealed::WrongHash => "the line's hash does not match its contents (the line was edited)",
        })
    }
}

/// What a line says of itself: the previous hash it names, its own hash as stored,
/// and whether that hash matches its bytes. Lines can be unsealed in any order (on
/// several threads); `link` then checks that each names the one before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub prev: String,
    pub hash: String,
    pub matches: bool,
}

/// Reads a line's (without its newline) seal.
pub fn unseal(line: &[u8]) -> Result<Sealed, Unsealed> {
    if line.len() < SUFFIX_LEN || !line.ends_with(b"\"}") {
        return Err(Unsealed::NoHash);
    }
    let (body, tail) = line.split_at(line.len() - SUFFIX_LEN);
    if !tail.starts_with(HASH_OPEN) {
        return Err(Unsealed::NoHash);
    }
    let stored = &tail[HASH_OPEN.len()..HASH_OPEN.len() + 64];
    // The body ends with `,"prev":"<64 hex>"`.
    let prev_open = b",\"prev\":\"";
    let Some(prev) = body
        .len()
        .checked_sub(prev_open.len() + 64 + 1)
        .map(|at| &body[at..])
        .filter(|p| p.starts_with(prev_open) && p.ends_with(b"\""))
        .map(|p| &p[prev_open.len()..p.len() - 1])
    else {
        return Err(Unsealed::WrongPrev);
    };
    let prev = String::from_utf8_lossy(prev).into_owned();
    let hash = digest(&prev, body);
    Ok(Sealed {
        matches: hash.as_bytes() == stored,
        hash: String::from_utf8_lossy(stored).into_owned(),
        prev,
    })
}

/// Whether an unsealed line follows the line whose hash is `prev`; its hash if so.
pub fn link(s: &Sealed, prev: &str) -> Result<String, Unsealed> {
    if s.prev != prev {
        return Err(Unsealed::WrongPrev);
    }
    if !s.matches {
        return Err(Unsealed::WrongHash);
    }
    Ok(s.hash.clone())
}

/// Checks one line (without its newline) against the previous line's hash; returns its
/// own hash.
pub fn check(line: &[u8], prev: &str) -> Result<String, Unsealed> {
    link(&unseal(line)?, prev)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(seq: u64, prev: &str, payload: &str) -> (Vec<u8>, String) {
        let mut out = Vec::new();
        let h = seal(
            &mut out,
            seq,
            5,
            "2026-12-02T07:30:00.000Z",
            "input",
            &payload,
            prev,
        )
        .expect("seal");
        out.pop(); // the newline
        (out, h)
    }

    #[test]
    fn a_sealed_line_checks_and_chains() {
        let (a, ha) = line(0, GENESIS, "one");
        assert_eq!(check(&a, GENESIS), Ok(ha.clone()));
        let (b, hb) = line(1, &ha, "two");
        assert_eq!(check(&b, &ha), Ok(hb));
        assert_eq!(check(&b, GENESIS), Err(Unsealed::WrongPrev));
    }

    #[test]
    fn any_edited_byte_is_caught() {
        let (a, _) = line(0, GENESIS, "payload");
        for i in 0..a.len() {
            let mut e = a.clone();
            e[i] ^= 0x01;
            assert!(check(&e, GENESIS).is_err(), "byte {i} edited went unseen");
        }
    }
}
