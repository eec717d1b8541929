//! Reading a journal back and checking its chain, line by line. What precedes a broken
//! line is as recorded; a last line without its newline is a crash's cut, not tampering.

use super::chain::{check, link, unseal, Sealed, Unsealed, GENESIS};
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
    /// Line `line` is sealed (its hash holds) but this cutover cannot read it: written by
    /// a newer one. Not tampering; the lines before it are as recorded.
    Unreadable { line: usize, why: String },
}

impl Integrity {
    /// Whether some line cannot be trusted or read (a replay refuses such a journal).
    pub fn is_broken(&self) -> bool {
        matches!(
            self,
            Integrity::Broken { .. } | Integrity::Unreadable { .. }
        )
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
pub fn read<H: DeserializeOwned, T: DeserializeOwned + Send>(
    path: &Path,
) -> Result<Journal<H, T>, ReadError> {
    let bytes = std::fs::read(path).map_err(|source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &bytes)
}

/// `read`, from the file's bytes.
pub fn parse<H: DeserializeOwned, T: DeserializeOwned + Send>(
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
    let prev = check(first, GENESIS).map_err(|e| not(format!("line 1: {e}")))?;
    let head: HeaderLine<H> =
        serde_json::from_slice(first).map_err(|e| not(format!("line 1: {e}")))?;
    if head.seq != 0 {
        return Err(not("line 1 is not a header".into()));
    }
    let started_ms = chrono::DateTime::parse_from_rfc3339(&head.at)
        .map(|t| t.timestamp_millis())
        .map_err(|e| not(format!("line 1: its time {:?}: {e}", head.at)))?;
    let rest: Vec<&[u8]> = lines.collect();
    // A last line without its newline was cut off by a crash, not tampered with.
    let cut = rest.last().is_some_and(|l| !l.ends_with(b"\n"));
    let whole = &rest[..rest.len() - usize::from(cut)];
    let (entries, integrity) = chain_of(opened(whole), prev);
    let integrity = integrity.unwrap_or(if cut {
        Integrity::Truncated {
            lines: entries.len() + 1,
        }
    } else {
        Integrity::Intact {
            lines: entries.len() + 1,
        }
    });
    Ok(Journal {
        path: path.to_path_buf(),
        header: head.header,
        started_ms,
        entries,
        integrity,
    })
}

/// A line unsealed and read, before its place in the chain is checked.
type Opened<T> = (Result<Sealed, Unsealed>, Result<InputLine<T>, String>);

/// Unseals and reads every line, on every core: the costly part (hashing, JSON) does
/// not depend on the line before.
fn opened<T: DeserializeOwned + Send>(lines: &[&[u8]]) -> Vec<Opened<T>> {
    let one = |raw: &&[u8]| -> Opened<T> {
        let line = raw.strip_suffix(b"\n").unwrap_or(raw);
        (
            unseal(line),
            serde_json::from_slice(line).map_err(|e| e.to_string()),
        )
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads < 2 || lines.len() < 10_000 {
        return lines.iter().map(one).collect();
    }
    let chunk = lines.len().div_ceil(threads);
    std::thread::scope(|s| {
        let parts: Vec<_> = lines
            .chunks(chunk)
            .map(|c| s.spawn(move || c.iter().map(one).collect::<Vec<_>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// Walks the opened lines in order: each must name the one before it, hold its hash,
/// be readable and carry the next sequence number. Stops at the first that does not.
fn chain_of<T>(opened: Vec<Opened<T>>, mut prev: String) -> (Vec<Entry<T>>, Option<Integrity>) {
    let mut entries = Vec::with_capacity(opened.len());
    for (i, (sealed, read)) in opened.into_iter().enumerate() {
        let n = i + 2;
        let seq = i as u64 + 1;
        let hash = match sealed.and_then(|s| link(&s, &prev)) {
            Ok(h) => h,
            Err(e) => {
                return (
                    entries,
                    Some(Integrity::Broken {
                        line: n,
                        why: e.to_string(),
                    }),
                )
            }
        };
        let l = match read {
            Ok(l) => l,
            Err(e) => {
                let why = format!(
                    "the line is sealed but cannot be read ({e}): written by a newer cutover?"
                );
                return (entries, Some(Integrity::Unreadable { line: n, why }));
            }
        };
        if l.seq != seq {
            let why = format!("its sequence number is {}, not {seq}", l.seq);
            return (entries, Some(Integrity::Broken { line: n, why }));
        }
        entries.push(Entry {
            line: n,
            seq,
            t_ms: l.t_ms,
            input: l.input,
        });
        prev = hash;
    }
    (entries, None)
}
