//! Reading a journal back and checking its chain, line by line. What precedes a broken
//! line is as recorded; a last line without its newline is a crash's cut, not tampering.

use super::chain::{check, GENESIS};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// A journal as read: its header, the inputs of every line that checked, and whether
/// the chain held.
#[derive(Debug, Clone)]
pub struct Journal<H, T> {
    pub path: PathBuf,
    pub header: H,
    /// The header line's wall time (ms since the epoch): where `t_ms` counts from.
    pub started_ms: i64,
    pub entries: Vec<Entry<T>>,
    pub integrity: Integrity,
}

/// One input line.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry<T> {
    /// 1-based line number in the file.
    pub line: usize,
    pub seq: u64,
    /// Milliseconds since the session started.
    pub t_ms: i64,
    pub input: T,
}

/// Whether the chain held, and if not, where it broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Integrity {
    /// Every line is as recorded.
    Intact { lines: usize },
    /// The last line was cut off mid-line (the process died while writing it); the
    /// `lines` before it are as recorded.
    Truncated { lines: usize },
    /// Line `line` (1-based) breaks the chain: the lines before it are as recorded,
    /// nothing from it on can be trusted.
    Broken { line: usize, why: String },
}

impl Integrity {
    pub fn is_broken(&self) -> bool {
        matches!(self, Integrity::Broken { .. })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a cutover session journal: {why}\n  hint: journals are the .jsonl files in .cutover/sessions/")]
    NotAJournal { path: PathBuf, why: String },
}

#[derive(Deserialize)]
struct HeaderLine<H> {
    seq: u64,
    at: String,
    header: H,
}

#[derive(Deserialize)]
struct InputLine<T> {
    seq: u64,
    t_ms: i64,
    input: T,
}

/// Reads and checks a journal.
pub fn read<H: DeserializeOwned, T: DeserializeOwned>(
    path: &Path,
) -> Result<Journal<H, T>, ReadError> {
    let bytes = std::fs::read(path).map_err(|source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &bytes)
}

/// `read`, from the file's bytes.
pub fn parse<H: DeserializeOwned, T: DeserializeOwned>(
    path: &Path,
    bytes: &[u8],
) -> Result<Journal<H, T>, ReadError> {
    let not = |why: String| ReadError::NotAJournal {
        path: path.to_path_buf(),
        why,
    };
    let mut lines = bytes.split_inclusive(|b| *b == b'\n');
    let first = lines
        .next()
        .ok_or_else(|| not("the file is empty".into()))?;
    let first = first.strip_suffix(b"\n").unwrap_or(first);
    let mut prev = check(first, GENESIS).map_err(|e| not(format!("line 1: {e}")))?;
    let head: HeaderLine<H> =
        serde_json::from_slice(first).map_err(|e| not(format!("line 1: {e}")))?;
    if head.seq != 0 {
        return Err(not("line 1 is not a header".into()));
    }
    let started_ms = chrono::DateTime::parse_from_rfc3339(&head.at)
        .map(|t| t.timestamp_millis())
        .map_err(|e| not(format!("line 1: its time {:?}: {e}", head.at)))?;
    let mut entries = Vec::new();
    let mut integrity = None;
    for (i, raw) in lines.enumerate() {
        let n = i + 2;
        let Some(line) = raw.strip_suffix(b"\n") else {
            integrity = Some(Integrity::Truncated { lines: n - 1 });
            break;
        };
        match entry(line, n, &prev, entries.len() as u64 + 1) {
            Ok((e, hash)) => {
                entries.push(e);
                prev = hash;
            }
            Err(why) => {
                integrity = Some(Integrity::Broken { line: n, why });
                break;
            }
        }
    }
    let integrity = integrity.unwrap_or(Integrity::Intact {
        lines: entries.len() + 1,
    });
    Ok(Journal {
        path: path.to_path_buf(),
        header: head.header,
        started_ms,
        entries,
        integrity,
    })
}

/// One input line checked against the chain and read.
fn entry<T: DeserializeOwned>(
    line: &[u8],
    n: usize,
    prev: &str,
    seq: u64,
) -> Result<(Entry<T>, String), String> {
    let hash = check(line, prev).map_err(|e| e.to_string())?;
    let l: InputLine<T> = serde_json::from_slice(line).map_err(|e| {
        format!("the line is sealed but cannot be read ({e}): written by a newer cutover?")
    })?;
    if l.seq != seq {
        return Err(format!("its sequence number is {}, not {seq}", l.seq));
    }
    Ok((
        Entry {
            line: n,
            seq,
            t_ms: l.t_ms,
            input: l.input,
        },
        hash,
    ))
}
